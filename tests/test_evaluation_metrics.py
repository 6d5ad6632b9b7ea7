"""Model evaluation metrics equal scikit-learn's on known datasets (binary,
multiclass, regression); labels-only models, logits, errors and the guide's
limit of 50 classes."""
from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn import metrics as m

from batch_models import breast_cancer, diabetes
from jupyter_easymaker.runtime.evaluation import MAX_CURVE_POINTS, EvaluationError, evaluate


@pytest.fixture(scope="module")
def binary():
    return breast_cancer()


@pytest.fixture(scope="module")
def regression():
    return diabetes()


def lines_of(predictions, targets, scores=None):
    return [{"index": i, "prediction": p, "target": t, **({"scores": s} if scores is not None else {})}
            for i, (p, t, s) in enumerate(zip(predictions, targets, scores if scores is not None else [None] * len(targets)))]


def close(a, b):
    assert a == pytest.approx(b, rel=1e-9, abs=1e-12)


# -- metrics against scikit-learn ----------------------------------------------------------------
def test_binary_metrics_equal_sklearn(binary):
    model, X, y = binary
    proba = model.predict_proba(X)
    pred = model.predict(X)
    result = evaluate(lines_of(pred.tolist(), y.tolist(), proba.tolist()), "classification", ["malignant", "benign"], [0, 1])
    got = result["metrics"]
    close(got["roc_auc"], m.roc_auc_score(y, proba[:, 1]))
    close(got["pr_auc"], m.average_precision_score(y, proba[:, 1]))
    close(got["log_loss"], m.log_loss(y, proba))
    close(got["f1"], m.f1_score(y, pred))
    close(got["precision"], m.precision_score(y, pred))
    close(got["recall"], m.recall_score(y, pred))
    close(got["accuracy"], m.accuracy_score(y, pred))
    assert result["confusion_matrix"] == {"labels": ["malignant", "benign"], "matrix": m.confusion_matrix(y, pred).tolist()}
    assert result["positive_class"] == "benign" and result["evaluated"] == len(y)
    roc, pr, thr = result["curves"]["roc"][0], result["curves"]["pr"][0], result["curves"]["threshold"][0]
    fpr, tpr, _ = m.roc_curve(y, proba[:, 1])
    precision, recall, thresholds = m.precision_recall_curve(y, proba[:, 1])
    assert len(precision) > MAX_CURVE_POINTS, "the PR curve must need downsampling for this test to mean something"
    assert len(pr["precision"]) == len(pr["recall"]) == MAX_CURVE_POINTS
    assert (pr["precision"][0], pr["recall"][-1]) == (precision[0], recall[-1])  # end points kept
    assert len(roc["fpr"]) == min(len(fpr), MAX_CURVE_POINTS) and roc["fpr"][-1] == 1.0 and roc["tpr"][-1] == 1.0
    close(roc["auc"], m.auc(fpr, tpr))
    assert len(thr["thresholds"]) == len(thr["precision"]) == len(thr["recall"]) <= MAX_CURVE_POINTS
    assert thr["thresholds"] == sorted(thr["thresholds"]) and set(thr["thresholds"]) <= set(thresholds.tolist())
    json.dumps(result, allow_nan=False)  # the result is plain JSON (no inf or nan)


def test_multiclass_metrics_equal_sklearn():
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import label_binarize

    X, y = load_iris(return_X_y=True)
    names = np.array(["setosa", "versicolor", "virginica"])
    model = LogisticRegression(C=0.01, max_iter=1000).fit(X[::3], names[y][::3])  # string classes, a weak model
    proba, pred = model.predict_proba(X), model.predict(X)
    result = evaluate(lines_of(pred.tolist(), names[y].tolist(), proba.tolist()), "classification", None, model.classes_.tolist())
    got, labels = result["metrics"], list(names)
    truth = names[y]
    close(got["roc_auc"], m.roc_auc_score(truth, proba, multi_class="ovr", average="macro", labels=labels))
    close(got["pr_auc"], m.average_precision_score(label_binarize(truth, classes=labels), proba, average="macro"))
    close(got["log_loss"], m.log_loss(truth, proba, labels=labels))
    for avg in ("macro", "micro", "weighted"):
        close(result["averages"][avg]["f1"], m.f1_score(truth, pred, average=avg))
        close(result["averages"][avg]["precision"], m.precision_score(truth, pred, average=avg))
        close(result["averages"][avg]["recall"], m.recall_score(truth, pred, average=avg))
    close(got["f1"], m.f1_score(truth, pred, average="macro"))
    assert result["confusion_matrix"]["matrix"] == m.confusion_matrix(truth, pred, labels=labels).tolist()
    assert [c["class"] for c in result["curves"]["roc"]] == [*labels, "micro-average"]
    assert [c["support"] for c in result["per_class"]] == [50, 50, 50]

    # targets given as class positions with user class names map onto the same classes
    same = evaluate(lines_of(pred.tolist(), y.tolist(), proba.tolist()), "classification", labels, model.classes_.tolist())
    assert same["metrics"] == result["metrics"]


def test_labels_only_and_logits(binary):
    model, X, y = binary
    pred = model.predict(X)
    only = evaluate(lines_of(pred.tolist(), y.tolist()), "classification", ["malignant", "benign"])
    close(only["metrics"]["f1"], m.f1_score(y, pred))
    assert only["metrics"]["roc_auc"] is None and "class probabilities" in only["notes"]["roc_auc"]
    logits = model.decision_function(X)
    as_logits = evaluate(lines_of([[-v, v] for v in logits.tolist()], y.tolist()), "classification", ["malignant", "benign"])
    close(as_logits["metrics"]["roc_auc"], m.roc_auc_score(y, logits))  # softmax keeps the order
    assert "softmax" in as_logits["notes"]["scores"]


def test_regression_metrics_equal_sklearn(regression):
    model, X, y = regression
    pred = model.predict(X)
    result = evaluate(lines_of(pred.tolist(), y.tolist()), "regression")
    got = result["metrics"]
    close(got["mae"], m.mean_absolute_error(y, pred))
    close(got["mape"], m.mean_absolute_percentage_error(y, pred))
    close(got["r2"], m.r2_score(y, pred))
    close(got["rmse"], np.sqrt(m.mean_squared_error(y, pred)))
    close(got["rmsle"], np.sqrt(m.mean_squared_log_error(y, pred)))
    assert len(result["plots"]["scatter"]["actual"]) == MAX_CURVE_POINTS and sum(result["plots"]["residuals"]["counts"]) == len(y)

    shifted = evaluate(lines_of((pred - 200).tolist(), y.tolist()), "regression")
    assert shifted["metrics"]["rmsle"] is None
    assert "RMSLE is undefined for negative values" in shifted["notes"]["rmsle"]
    close(shifted["metrics"]["mae"], m.mean_absolute_error(y, pred - 200))


def test_errors_are_counted_and_more_than_50_classes_refused():
    lines = lines_of([0, 1, 1, 0], [0, 1, 0, 0]) + [{"index": 4, "error": "timeout"}, {"index": 5, "prediction": 7, "target": 1}]
    result = evaluate(lines, "classification", ["a", "b"])
    assert (result["records"], result["evaluated"], result["errors"], result["skipped"]) == (6, 4, 1, 1)
    many = lines_of(list(range(51)), list(range(51)))
    with pytest.raises(EvaluationError, match="51 classes; classification evaluation supports at most 50"):
        evaluate(many, "classification")
    with pytest.raises(EvaluationError, match="no record could be evaluated"):
        evaluate([{"index": 0, "error": "bad"}], "regression")

"""Model evaluation metrics: ``python -m jupyter_easymaker.runtime.evaluation``.

The job that follows an evaluation's batch inference: it reads the ``.out``
files (each line has the record's ``prediction``, its ``target`` and, for
classifiers that have them, class ``scores``), computes the guide's metrics
with scikit-learn and writes ``metrics.json`` into its output directory.

Classification: PR AUC, ROC AUC, log loss, F1, precision, recall (binary:
the second class is the positive one; multiclass: macro average, with micro
and weighted next to it), PR / ROC curves, precision and recall by
threshold, confusion matrix. Regression: MAE, MAPE, R2, RMSE, RMSLE.
Curves are cut to at most ``MAX_CURVE_POINTS`` points for plotting.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
from typing import Any, Iterable

from jupyter_easymaker.catalogs.evaluation import MAX_CLASSES, RESULT_FILE

MAX_CURVE_POINTS = 200


class EvaluationError(Exception):
    """The data cannot be evaluated at all; the message says why."""


def _log(message: str) -> None:
    print(f"[easymaker] {message}", flush=True)


# -- helpers ---------------------------------------------------------------------------
def finite(value: Any) -> float | None:
    """JSON has no inf / nan: they become null."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def downsample(n: int, limit: int = MAX_CURVE_POINTS) -> list[int]:
    """Indices of at most ``limit`` evenly spread points, first and last kept."""
    if n <= limit:
        return list(range(n))
    step = (n - 1) / (limit - 1)
    return sorted({round(i * step) for i in range(limit)})


def _series(*arrays: Any, limit: int = MAX_CURVE_POINTS) -> list[list[float | None]]:
    idx = downsample(len(arrays[0]), limit)
    return [[finite(a[i]) for i in idx] for a in arrays]


def _norm_label(value: Any) -> Any:
    """1, 1.0 and True name the same class; numbers that are whole become ints."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _sort_key(value: Any) -> tuple:
    return (0, value, "") if isinstance(value, (int, float)) else (1, 0, str(value))


# -- classification ----------------------------------------------------------------------
class ClassMap:
    """Maps targets, predicted labels and score columns onto class indices."""

    def __init__(self, names: list[str], values: list[Any] | None = None):
        self.names = [str(n) for n in names]
        self.values = [_norm_label(v) for v in (values if values is not None else names)]
        self._index: dict[Any, int] = {}
        for i, (name, value) in enumerate(zip(self.names, self.values)):
            self._index.setdefault(value, i)
            self._index.setdefault(name, i)

    def __len__(self) -> int:
        return len(self.names)

    def index(self, label: Any) -> int:
        label = _norm_label(label)
        if label in self._index:
            return self._index[label]
        if isinstance(label, str) and label.strip().lstrip("-").isdigit():
            label = int(label)
        if isinstance(label, int) and label in self._index:
            return self._index[label]
        if isinstance(label, int) and 0 <= label < len(self.names) and all(isinstance(v, str) for v in self.values):
            return label  # class names given as text, labels given as positions
        raise ValueError(f"{label!r} is not one of the classes {self.names[:10]}{'...' if len(self.names) > 10 else ''}")


def build_classes(rows: list[dict[str, Any]], class_names: list[str] | None, model_classes: list[Any] | None) -> ClassMap:
    """Class names given by the user win; then the model's own classes (a
    scikit-learn ``classes_``); else every label seen in targets and predictions."""
    if class_names:
        # the model's classes, in order, are what its labels and score columns use
        same = model_classes and len(model_classes) == len(class_names)
        return ClassMap(class_names, list(model_classes) if same else None)
    if model_classes:
        return ClassMap([str(c) for c in model_classes], list(model_classes))
    seen: set[Any] = set()
    for row in rows:
        seen.add(_norm_label(row["target"]))
        pred = row["prediction"]
        if not isinstance(pred, (list, dict)):
            seen.add(_norm_label(pred))
        elif isinstance(pred, dict) and "label" in pred:
            seen.add(_norm_label(pred["label"]))
        elif isinstance(pred, dict):
            seen.update(_norm_label(k) for k in pred)
    values = sorted(seen, key=_sort_key)
    return ClassMap([str(v) for v in values], values)


def _scores_of(row: dict[str, Any], classes: ClassMap, model_classes: list[Any] | None) -> list[float] | None:
    """Class scores of one output line, in class order, when it has them."""
    k = len(classes)
    scores, pred = row.get("scores"), row["prediction"]
    if scores is None and isinstance(pred, list) and pred and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in pred):
        scores = pred
    if scores is None and isinstance(pred, dict) and pred and "label" not in pred and all(isinstance(v, (int, float)) for v in pred.values()):
        out = [0.0] * k
        for name, value in pred.items():
            out[classes.index(name)] = float(value)
        return out
    if scores is None:
        return None
    scores = [float(s) for s in scores]
    if len(scores) == 1 and k == 2:
        return [1.0 - scores[0], scores[0]]  # one score: the positive class's
    if len(scores) != k:
        raise ValueError(f"{len(scores)} scores for {k} classes")
    if model_classes and len(model_classes) == k:
        out = [0.0] * k
        for column, value in zip(model_classes, scores):
            out[classes.index(column)] = value
        return out
    return scores


def _label_of(row: dict[str, Any], classes: ClassMap, scores: list[float] | None) -> int:
    pred = row["prediction"]
    if isinstance(pred, dict) and "label" in pred:
        return classes.index(pred["label"])
    if scores is not None and (isinstance(pred, (list, dict)) or "scores" not in row):
        return max(range(len(scores)), key=scores.__getitem__)
    if isinstance(pred, list) and len(pred) == 1:
        pred = pred[0]
    return classes.index(pred)


def _probabilities(matrix: Any) -> tuple[Any, str]:
    """Rows that are probabilities, and a note when they had to be made so."""
    import numpy as np

    if matrix.min() < 0 or matrix.max() > 1:
        shifted = np.exp(matrix - matrix.max(axis=1, keepdims=True))
        return shifted / shifted.sum(axis=1, keepdims=True), "scores outside [0, 1] were taken as logits (softmax)"
    sums = matrix.sum(axis=1, keepdims=True)
    if np.any(np.abs(sums - 1.0) > 1e-3):
        return matrix / np.where(sums == 0, 1, sums), "scores were normalised to sum to 1"
    return matrix, ""


def classification_metrics(y_true: Any, y_pred: Any, proba: Any | None, class_names: list[str]) -> dict[str, Any]:
    """Every classification metric of the guide from class indices (and, when
    the model gives them, an n x k matrix of class probabilities)."""
    import numpy as np
    from sklearn import metrics as m
    from sklearn.preprocessing import label_binarize

    k = len(class_names)
    labels = list(range(k))
    y_true, y_pred = np.asarray(y_true, dtype=int), np.asarray(y_pred, dtype=int)
    binary = k == 2
    notes: dict[str, str] = {}
    averages = {}
    for avg in ("macro", "micro", "weighted"):
        p, r, f, _ = m.precision_recall_fscore_support(y_true, y_pred, labels=labels, average=avg, zero_division=0)
        averages[avg] = {"precision": finite(p), "recall": finite(r), "f1": finite(f)}
    p, r, f, support = m.precision_recall_fscore_support(y_true, y_pred, labels=labels, average=None, zero_division=0)
    per_class = [{"class": class_names[i], "precision": finite(p[i]), "recall": finite(r[i]), "f1": finite(f[i]),
                  "support": int(support[i])} for i in labels]
    if binary:
        bp, br, bf, _ = m.precision_recall_fscore_support(y_true, y_pred, labels=labels, average="binary", pos_label=1, zero_division=0)
        headline = {"precision": finite(bp), "recall": finite(br), "f1": finite(bf)}
    else:
        headline = dict(averages["macro"])
    result: dict[str, Any] = {
        "task": "classification",
        "class_names": list(class_names),
        "positive_class": class_names[1] if binary else None,
        "average": "binary" if binary else "macro",
        "metrics": {"pr_auc": None, "roc_auc": None, "log_loss": None, **headline, "accuracy": finite(m.accuracy_score(y_true, y_pred))},
        "averages": averages,
        "per_class": per_class,
        "confusion_matrix": {"labels": list(class_names), "matrix": m.confusion_matrix(y_true, y_pred, labels=labels).tolist()},
        "curves": {"roc": [], "pr": [], "threshold": []},
        "notes": notes,
    }
    if proba is None:
        for key in ("pr_auc", "roc_auc", "log_loss"):
            notes[key] = "the model gives class labels, not scores: curves, AUCs and log loss need class probabilities"
        return result
    proba, how = _probabilities(np.asarray(proba, dtype=float))
    if how:
        notes["scores"] = how
    present = sorted(set(y_true.tolist()))
    try:
        result["metrics"]["log_loss"] = finite(m.log_loss(y_true, proba, labels=labels))
    except ValueError as exc:
        notes["log_loss"] = str(exc)
    onehot = label_binarize(y_true, classes=labels)
    if binary:
        onehot = np.hstack([1 - onehot, onehot])
    if len(present) < 2:
        notes["roc_auc"] = notes["pr_auc"] = f"only one class ({class_names[present[0]]}) is present in the targets"
    elif binary:
        score = proba[:, 1]
        result["metrics"]["roc_auc"] = finite(m.roc_auc_score(y_true, score))
        result["metrics"]["pr_auc"] = finite(m.average_precision_score(y_true, score))
    else:
        try:
            result["metrics"]["roc_auc"] = finite(m.roc_auc_score(y_true, proba, multi_class="ovr", average="macro", labels=labels))
        except ValueError as exc:
            notes["roc_auc"] = str(exc)
        cols = [i for i in labels if onehot[:, i].any()]  # a class never seen has no precision-recall curve
        if len(cols) < k:
            notes["pr_auc"] = f"macro average over the {len(cols)} classes present in the targets"
        result["metrics"]["pr_auc"] = finite(m.average_precision_score(onehot[:, cols], proba[:, cols], average="macro"))
    curves = result["curves"]
    targets = [1] if binary else [i for i in labels if onehot[:, i].any() and not onehot[:, i].all()]
    for i in targets:
        curves["roc"].append(_roc(class_names[i], onehot[:, i], proba[:, i]))
        pr, thr = _pr(class_names[i], onehot[:, i], proba[:, i])
        curves["pr"].append(pr)
        curves["threshold"].append(thr)
    if not binary and len(present) >= 2:
        curves["roc"].append(_roc("micro-average", onehot.ravel(), proba.ravel()))
        pr, _thr = _pr("micro-average", onehot.ravel(), proba.ravel())
        curves["pr"].append(pr)
    return result


def _roc(name: str, truth: Any, score: Any) -> dict[str, Any]:
    from sklearn import metrics as m

    fpr, tpr, thresholds = m.roc_curve(truth, score)
    fpr_s, tpr_s, thr_s = _series(fpr, tpr, thresholds)
    return {"class": name, "auc": finite(m.auc(fpr, tpr)), "fpr": fpr_s, "tpr": tpr_s, "thresholds": thr_s}


def _pr(name: str, truth: Any, score: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    from sklearn import metrics as m

    precision, recall, thresholds = m.precision_recall_curve(truth, score)
    p_s, r_s = _series(precision, recall)
    t_s, tp_s, tr_s = _series(thresholds, precision[:-1], recall[:-1])
    curve = {"class": name, "average_precision": finite(m.average_precision_score(truth, score)), "precision": p_s, "recall": r_s}
    return curve, {"class": name, "thresholds": t_s, "precision": tp_s, "recall": tr_s}


# -- regression --------------------------------------------------------------------------
def regression_metrics(y_true: Any, y_pred: Any) -> dict[str, Any]:
    import numpy as np
    from sklearn import metrics as m

    y_true, y_pred = np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float)
    notes: dict[str, str] = {}
    rmsle = None
    negatives = int((y_true < 0).sum() + (y_pred < 0).sum())
    if negatives:
        notes["rmsle"] = (f"RMSLE is undefined for negative values: {int((y_true < 0).sum())} target(s) and "
                          f"{int((y_pred < 0).sum())} prediction(s) are negative")
    else:
        rmsle = finite(math.sqrt(m.mean_squared_log_error(y_true, y_pred)))
    if np.any(y_true == 0):
        notes["mape"] = "some targets are 0: MAPE divides by max(|target|, machine epsilon) there and is very large"
    residuals = y_pred - y_true
    counts, edges = np.histogram(residuals, bins=20) if len(residuals) else ([], [])
    idx = downsample(len(y_true))
    return {
        "task": "regression",
        "metrics": {
            "mae": finite(m.mean_absolute_error(y_true, y_pred)),
            "mape": finite(m.mean_absolute_percentage_error(y_true, y_pred)),
            "r2": finite(m.r2_score(y_true, y_pred)) if len(y_true) > 1 else None,
            "rmse": finite(math.sqrt(m.mean_squared_error(y_true, y_pred))),
            "rmsle": rmsle,
        },
        "plots": {
            "scatter": {"actual": [finite(y_true[i]) for i in idx], "predicted": [finite(y_pred[i]) for i in idx]},
            "residuals": {"edges": [finite(e) for e in edges], "counts": [int(c) for c in counts]},
        },
        "notes": notes,
    }


# -- from batch outputs --------------------------------------------------------------------
def evaluate(lines: Iterable[dict[str, Any]], task: str, class_names: list[str] | None = None,
             model_classes: list[Any] | None = None) -> dict[str, Any]:
    """Metrics from batch inference output lines; lines with an error (or a
    target that fits no class) are counted, not evaluated."""
    rows, errors, first_error, total = [], 0, "", 0
    for line in lines:
        total += 1
        if "error" in line or "prediction" not in line:
            errors += 1
            first_error = first_error or str(line.get("error", "no prediction"))
            continue
        rows.append(line)
    skipped = 0
    if task == "regression":
        y_true, y_pred = [], []
        for row in rows:
            try:
                pred = row["prediction"]
                pred = pred[0] if isinstance(pred, list) and len(pred) == 1 else pred
                t, p = float(row["target"]), float(pred)
            except (TypeError, ValueError, KeyError):
                skipped += 1
                first_error = first_error or f"record {row.get('index')}: target {row.get('target')!r} / prediction {row.get('prediction')!r} is not a number"
                continue
            y_true.append(t)
            y_pred.append(p)
        if not y_true:
            raise EvaluationError(f"no record could be evaluated ({errors + skipped} of {total} failed; first: {first_error or 'no records'})")
        result = regression_metrics(y_true, y_pred)
    else:
        classes = build_classes(rows, class_names, model_classes)
        if len(classes) > MAX_CLASSES:
            raise EvaluationError(f"the data has {len(classes)} classes; classification evaluation supports at most {MAX_CLASSES}")
        if len(classes) < 2:
            raise EvaluationError(f"classification needs at least 2 classes; found {classes.names}")
        y_true, y_pred, proba, all_scores = [], [], [], True
        for row in rows:
            try:
                scores = _scores_of(row, classes, model_classes)
                t, p = classes.index(row["target"]), _label_of(row, classes, scores)
            except (ValueError, KeyError, TypeError) as exc:
                skipped += 1
                first_error = first_error or f"record {row.get('index')}: {exc}"
                continue
            y_true.append(t)
            y_pred.append(p)
            proba.append(scores)
            all_scores = all_scores and scores is not None
        if not y_true:
            raise EvaluationError(f"no record could be evaluated ({errors + skipped} of {total} failed; first: {first_error or 'no records'})")
        result = classification_metrics(y_true, y_pred, proba if all_scores else None, classes.names)
    result.update({"records": total, "evaluated": total - errors - skipped, "errors": errors, "skipped": skipped,
                   "first_error": first_error})
    return result


def main(argv: list[str] | None = None) -> int:
    env = os.environ.get
    p = argparse.ArgumentParser(prog="python -m jupyter_easymaker.runtime.evaluation")
    p.add_argument("--predictions", default=env("EM_DATASET_PREDICTIONS"), help="the batch inference's output directory")
    p.add_argument("--output", default=env("EM_OUTPUT_DIR"))
    p.add_argument("--task", default=env("EM_EVAL_TASK", "classification"), choices=("classification", "regression"))
    p.add_argument("--class-names", default=env("EM_EVAL_CLASS_NAMES", "[]"), help="JSON list")
    args = p.parse_args(argv)
    if not args.predictions or not args.output:
        p.error("--predictions and --output are required")
    from jupyter_easymaker.catalogs.batch_files import SUMMARY_FILE
    from jupyter_easymaker.runtime import batch_io

    try:
        with open(os.path.join(args.predictions, SUMMARY_FILE), encoding="utf-8") as fh:
            summary = json.load(fh)
        _log(f"evaluating {summary.get('records')} record(s) of {len(summary.get('files') or [])} file(s) ({args.task})")
        lines = (line for _file, line in batch_io.read_outputs(args.predictions))
        result = evaluate(lines, args.task, json.loads(args.class_names) or None, summary.get("classes"))
    except (EvaluationError, OSError, ValueError) as exc:
        _log(f"ERROR: {exc}")
        return 1
    os.makedirs(args.output, exist_ok=True)
    tmp = os.path.join(args.output, RESULT_FILE + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(result, fh)
    os.replace(tmp, os.path.join(args.output, RESULT_FILE))
    shown = " ".join(f"{k}={v:.6g}" for k, v in result["metrics"].items() if isinstance(v, float))
    _log(f"evaluation complete: {result['evaluated']} of {result['records']} record(s) evaluated; {shown}")
    for key, note in result.get("notes", {}).items():
        _log(f"note: {key}: {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

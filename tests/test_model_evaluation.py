"""Model evaluations through the REST API: the guide's limits (4xx naming the
field, nothing stored), a classification (CSV) and a regression (JSONL)
evaluation end to end (an automatic batch inference, then the metrics job)
with metrics equal to scikit-learn's, results, compare, copy, logs, deletion."""
from __future__ import annotations

import asyncio
import csv
import os
import time

import numpy as np
import pytest
from sklearn import metrics as m

from batch_models import SlowModel, breast_cancer, diabetes, save, write_jsonl
from jupyter_easymaker.runtime.evaluation import MAX_CURVE_POINTS

FINAL = {"COMPLETE", "FAIL MODEL EVALUATION", "STOPPED", "CREATE FAILED"}


def close(a, b):
    assert a == pytest.approx(b, rel=1e-9, abs=1e-12)


async def wait_evaluation(api, ref: str, timeout: float = 120.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        row = await api.get(f"model-evaluations/{ref}")
        if row["status"] in FINAL:
            return row
        if time.monotonic() > deadline:
            raise AssertionError(f"model evaluation {ref} stayed {row['status']} ({row['status_reason']})")
        await asyncio.sleep(0.1)


async def test_model_evaluations_rest(api, tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", os.path.dirname(os.path.abspath(__file__)))  # the jobs unpickle SlowModel
    clf, Xc, yc = breast_cancer()
    reg, Xr, yr = diabetes()
    await api.post("models", {"name": "slow", "framework": "scikit-learn", "artifact_path": save(SlowModel(), str(tmp_path / "slow")),
                              "validate_artifact": False}, expect=201)
    for name, model in (("cancer", clf), ("diabetes", reg)):
        await api.post("models", {"name": name, "framework": "scikit-learn", "artifact_path": save(model, str(tmp_path / name)),
                                  "validate_artifact": False}, expect=201)
    data = tmp_path / "eval"
    data.mkdir()
    with open(data / "cancer.csv", "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([*(f"f{i}" for i in range(Xc.shape[1])), "label"])
        for row, label in zip(Xc.tolist(), yc.tolist()):
            writer.writerow([*row, label])
    write_jsonl(str(data / "diabetes" / "part.jsonl"), [{"features": x, "progression": t} for x, t in zip(Xr.tolist(), yr.tolist())])
    (data / "notes.txt").write_text("x")

    body = {"name": "cancer-eval", "model_id": "cancer", "class_names": ["malignant", "benign"], "input_path": str(data / "cancer.csv"),
            "input_format": "csv", "target_field": "label", "batch_inference": {"pod_count": 2, "batch_size": 64}}
    # the guide's limits: 4xx naming the field, nothing stored
    for bad, field in [
        ({**body, "class_names": [f"c{i}" for i in range(51)]}, "class_names"),
        ({**body, "class_names": ["a", "a"]}, "class_names"),
        ({**body, "input_path": str(data / "notes.txt")}, "input_path"),
        ({**body, "input_format": "JSONL"}, "input_path"),
        ({**body, "class_names": [], "task": None}, "body"),
        ({**body, "task": "regression"}, "body"),
        ({**body, "model_id": "nope"}, "model_id"),
        ({**body, "batch_inference": {"instance_type": "huge"}}, "batch_inference.instance_type"),
        ({**body, "batch_inference": {"batch_size": 0}}, "batch_inference.batch_size"),
        ({**body, "name": "compare"}, "name"),
    ]:
        error = await api.post("model-evaluations", bad, expect=422)
        assert error["field"] == field, (bad, error)
    assert (await api.get("model-evaluations"))["total"] == 0 and (await api.get("batch-inferences"))["total"] == 0

    (data / "hang.csv").write_text("a,b,y\n999,1,3\n")
    await api.post("model-evaluations", {"name": "hang", "model_id": "slow", "task": "regression", "input_path": str(data / "hang.csv"),
                                         "target_field": "y", "batch_inference": {"timeout_seconds": 600}}, expect=201)
    created = await api.post("model-evaluations", body, expect=201)
    assert created["status"] == "CREATE REQUESTED" and created["task"] == "classification" and created["batch_inference_id"]
    await api.post("model-evaluations", {"name": "diabetes-eval", "model_id": "diabetes", "task": "regression",
                                         "input_path": str(data / "diabetes"), "input_format": "JSONL", "target_field": "progression",
                                         "output_path": str(tmp_path / "diabetes-out")}, expect=201)
    batch = await api.get(f"batch-inferences/{created['batch_inference_id']}")
    assert batch["evaluation_id"] == created["id"] and batch["name"] == "cancer-eval"

    cancer = await wait_evaluation(api, "cancer-eval")
    assert cancer["status"] == "COMPLETE", cancer["status_reason"]
    assert [e["status"] for e in cancer["history"]] == ["CREATE REQUESTED", "CREATE IN PROGRESS", "RUNNING", "COMPLETE IN PROGRESS", "COMPLETE"]
    assert cancer["batch_inference_status"] == "COMPLETE" and cancer["progress"]["records_done"] == len(yc)
    proba, pred = clf.predict_proba(Xc), clf.predict(Xc)
    close(cancer["metrics"]["roc_auc"], m.roc_auc_score(yc, proba[:, 1]))
    close(cancer["metrics"]["pr_auc"], m.average_precision_score(yc, proba[:, 1]))
    close(cancer["metrics"]["log_loss"], m.log_loss(yc, proba))
    close(cancer["metrics"]["f1"], m.f1_score(yc, pred))
    results = await api.get("model-evaluations/cancer-eval/results")
    assert results["result"]["confusion_matrix"]["matrix"] == m.confusion_matrix(yc, pred).tolist()
    assert results["result"]["confusion_matrix"]["labels"] == ["malignant", "benign"]
    assert all(len(c["fpr"]) <= MAX_CURVE_POINTS for c in results["result"]["curves"]["roc"])
    assert results["result"]["curves"]["threshold"][0]["thresholds"]

    # stop: the evaluation stops its batch inference, then is STOPPED
    await api.post("model-evaluations/hang/stop", expect=200)
    hang = await wait_evaluation(api, "hang")
    assert hang["status"] == "STOPPED" and hang["batch_inference_status"] == "STOPPED", hang
    assert [e["status"] for e in hang["history"]][-2:] == ["STOP IN PROGRESS", "STOPPED"]
    regressed = await wait_evaluation(api, "diabetes-eval")
    assert regressed["status"] == "COMPLETE", regressed["status_reason"]
    close(regressed["metrics"]["rmse"], np.sqrt(m.mean_squared_error(yr, reg.predict(Xr))))
    close(regressed["metrics"]["r2"], m.r2_score(yr, reg.predict(Xr)))
    assert os.path.exists(tmp_path / "diabetes-out" / "part.jsonl.out")
    assert os.path.exists(tmp_path / "diabetes-out" / "evaluation" / "metrics.json")

    compared = await api.get("model-evaluations/compare", params={"ids": f"cancer-eval,{regressed['id']}"})
    assert compared["task"] == "mixed" and [e["name"] for e in compared["evaluations"]] == ["cancer-eval", "diabetes-eval"]
    by_name = {row["name"]: row for row in compared["metrics"]}
    assert by_name["roc_auc"]["values"][0] == cancer["metrics"]["roc_auc"] and by_name["roc_auc"]["values"][1] is None
    assert by_name["rmse"]["best"] == 1 and by_name["roc_auc"]["best"] == 0 and by_name["log_loss"]["goal"] == "minimize"
    assert [c["name"] for c in compared["curves"]["roc"]] == ["cancer-eval"] and compared["confusion_matrices"][0]["name"] == "cancer-eval"
    await api.get("model-evaluations/compare", params={"ids": "cancer-eval,nope"}, expect=404)
    error = await api.get("model-evaluations/compare", params={"ids": ",".join(["cancer-eval"] * 11)}, expect=422)
    assert error["field"] == "ids"
    assert (await api.get("model-evaluations", params={"task": "regression"}))["total"] == 2

    copy = await api.get("model-evaluations/cancer-eval/copy")
    assert copy["name"] == "cancer-eval-copy" and copy["class_names"] == ["malignant", "benign"] and copy["target_field"] == "label"
    logs = await api.get("model-evaluations/cancer-eval/logs")
    assert any("evaluation complete" in r["body"] for r in logs["records"]) and any("progress records=" in r["body"] for r in logs["records"])

    # the batch inference belongs to its evaluation: deleted with it, not alone
    error = await api.call("DELETE", f"batch-inferences/{created['batch_inference_id']}", expect=409)
    assert "cancer-eval" in error["error"]
    await api.call("DELETE", "models/cancer", expect=409)
    await api.call("DELETE", "model-evaluations/cancer-eval", expect=204)
    await api.get(f"batch-inferences/{created['batch_inference_id']}", expect=404)
    await api.call("DELETE", "models/cancer", expect=204)

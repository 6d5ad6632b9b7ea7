"""Batch inference through the REST API: validation (4xx naming the field,
nothing stored), JSON / JSONL / inline inputs with globs and a broken record,
progress, outputs, logs, copy, stop and deletion guards."""
from __future__ import annotations

import asyncio
import json
import os
import time

import pytest

from batch_models import SlowModel, save, write_jsonl

TESTS = os.path.dirname(os.path.abspath(__file__))
FINAL = {"COMPLETE", "FAIL BATCH INFERENCE", "STOPPED", "CREATE FAILED"}


@pytest.fixture(scope="module")
def iris():
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    X, y = load_iris(return_X_y=True)
    return LogisticRegression(max_iter=500).fit(X, y), X


async def wait_batch(api, ref: str, statuses=FINAL, timeout: float = 90.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        row = await api.get(f"batch-inferences/{ref}")
        if row["status"] in statuses:
            return row
        if time.monotonic() > deadline:
            raise AssertionError(f"batch inference {ref} stayed {row['status']} ({row['status_reason']})")
        await asyncio.sleep(0.1)


async def create_model(api, name: str, folder: str) -> dict:
    # the artifact check loads the model in a subprocess; these tests build good models
    return await api.post("models", {"name": name, "framework": "scikit-learn", "artifact_path": folder, "validate_artifact": False},
                          expect=201)


async def test_batch_inference_rest(api, tmp_path, iris, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", TESTS)  # the jobs unpickle SlowModel from batch_models
    model, X = iris
    await create_model(api, "iris", save(model, str(tmp_path / "iris")))  # inside the server's storage roots
    await create_model(api, "slow", save(SlowModel(), str(tmp_path / "slow")))
    inp = tmp_path / "records"  # not "data": pytest-jupyter keeps its data dir there
    write_jsonl(str(inp / "part-1.jsonl"), X[:60].tolist(), raw_lines={3: "oops"})
    write_jsonl(str(inp / "part-2.jsonl"), X[60:].tolist())
    write_jsonl(str(inp / "old" / "part-0.jsonl"), X[:5].tolist())
    (tmp_path / "v1.json").write_text(json.dumps({"instances": X[:4].tolist()}))

    # bad input: 4xx naming the field, nothing stored
    base = {"name": "bad", "model_id": "iris", "input_path": str(inp)}
    for body, field in [
        ({**base, "model_id": "nope"}, "model_id"),
        ({**base, "input_path": str(tmp_path / "missing")}, "input_path"),
        ({**base, "include_glob": "*.csv"}, "include_glob"),
        ({**base, "exclude_glob": ["*.jsonl"]}, "exclude_glob"),
        ({**base, "include_glob": "part[.jsonl"}, "include_glob"),
        ({**base, "output_path": str(inp)}, "output_path"),
        ({**base, "input_records": [[1, 2, 3, 4]]}, "body"),
        ({**base, "input_format": "CSV"}, "input_format"),
        ({**base, "batch_size": 0}, "batch_size"),
        ({**base, "timeout_seconds": 0}, "timeout_seconds"),
        ({**base, "instance_type": "huge"}, "instance_type"),
        ({**base, "input_path": "/etc"}, "input_path"),
    ]:
        error = await api.post("batch-inferences", body, expect=422)
        assert error["field"] == field, (body, error)
    assert (await api.get("batch-inferences"))["total"] == 0

    jsonl = await api.post("batch-inferences", {
        "name": "jsonl", "model_id": "iris", "input_path": str(inp), "input_format": "jsonl", "include_glob": "*.jsonl",
        "exclude_glob": "old/**", "output_path": str(tmp_path / "out"), "pod_count": 2, "batch_size": 8, "timeout_seconds": 30,
        "max_run_seconds": 300}, expect=201)
    assert jsonl["status"] == "CREATE REQUESTED" and jsonl["model_name"] == "iris"
    one_json = await api.post("batch-inferences", {"name": "json", "model_id": "iris", "input_path": str(tmp_path / "v1.json"),
                                                   "input_format": "JSON"}, expect=201)
    inline = await api.post("batch-inferences", {"name": "inline", "model_id": "iris", "input_records": X[:3].tolist()}, expect=201)
    hanging = await api.post("batch-inferences", {"name": "hang", "model_id": "slow", "input_records": [[999, 1]] * 3,
                                                  "timeout_seconds": 600}, expect=201)

    row = await wait_batch(api, "jsonl")
    assert row["status"] == "COMPLETE", row["status_reason"]
    assert [e["status"] for e in row["history"]] == ["CREATE REQUESTED", "CREATE IN PROGRESS", "RUNNING", "COMPLETE IN PROGRESS", "COMPLETE"]
    assert row["progress"] == {"records_total": 151, "records_done": 151, "errors": 1, "percent": 100.0}
    assert [(f["input"], f["records"], f["errors"]) for f in row["result"]["files"]] == [("part-1.jsonl", 61, 1), ("part-2.jsonl", 90, 0)]
    assert sorted(os.listdir(tmp_path / "out")) == ["part-1.jsonl.out", "part-2.jsonl.out", "summary.json"]
    outputs = await api.get("batch-inferences/jsonl/outputs", params={"limit": "5"})
    assert outputs["file"] == "part-1.jsonl.out" and outputs["next_offset"] == 5
    assert [line.get("prediction", "error") for line in outputs["lines"]] == [*model.predict(X[:3]).tolist(), "error", model.predict(X[3:4]).item()]
    logs = await api.get("batch-inferences/jsonl/logs")
    assert any("progress records=151/151 errors=1" in r["body"] for r in logs["records"])
    assert {(r["category"], r["batchInferenceId"]) for r in logs["records"]} == {("easymaker.inference", jsonl["id"])}
    found = await api.get("logs", params={"query": f'category:"easymaker.inference" batchInferenceId:{jsonl["id"]}'}, expect=200)
    assert len(found["records"]) == len(logs["records"])

    for name, expected in (("json", model.predict(X[:4]).tolist()), ("inline", model.predict(X[:3]).tolist())):
        done = await wait_batch(api, name)
        assert done["status"] == "COMPLETE", done["status_reason"]
        lines = (await api.get(f"batch-inferences/{name}/outputs"))["lines"]
        assert [line["prediction"] for line in lines] == expected

    # copy carries the spec (and inline records) into a create body
    copy = await api.get("batch-inferences/inline/copy")
    assert copy["name"] == "inline-copy" and copy["input_records"] == X[:3].tolist() and "input_path" not in copy
    copy = await api.get("batch-inferences/jsonl/copy")
    assert (copy["include_glob"], copy["exclude_glob"], copy["pod_count"], copy["batch_size"]) == (["*.jsonl"], ["old/**"], 2, 8)

    # stop a running one; guards on delete
    row = await wait_batch(api, "hang", {"RUNNING"})
    await api.call("DELETE", "batch-inferences/hang", expect=409)
    await api.post("batch-inferences/hang/stop", expect=200)
    row = await wait_batch(api, "hang")
    assert row["status"] == "STOPPED"
    error = await api.call("DELETE", "models/iris", expect=409)
    assert "batch inferences" in error["error"]
    for name in ("jsonl", "json", "inline", "hang"):
        await api.call("DELETE", f"batch-inferences/{name}", expect=204)
    assert (await api.get("batch-inferences"))["total"] == 0
    assert os.path.exists(tmp_path / "out" / "summary.json"), "the user's output files stay"
    assert one_json["id"] and inline["id"] and hanging["id"]

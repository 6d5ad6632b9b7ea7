"""``%%easymaker batch`` / ``%easymaker batches`` / ``evaluations`` / ``compare``
and the client's batch inference and evaluation methods, against a real server."""
from __future__ import annotations

import json

import pytest

from batch_models import breast_cancer, save
from jupyter_easymaker.areas.batch import magics as batch_magic
from jupyter_easymaker.magics import parser

try:
    from tests.test_magics import cell, client, line, magics, run, server_url, shell  # noqa: F401 - fixtures
except ImportError:
    from test_magics import cell, client, line, magics, run, server_url, shell  # noqa: F401 - fixtures


def test_cell_records_are_json_lines_or_one_json_document():
    assert batch_magic.parse_records('[1, 2]\n\n{"a": 3}\n') == ([[1, 2], {"a": 3}], "JSONL")
    assert batch_magic.parse_records('[[1, 2],\n [3, 4]]') == ([[1, 2], [3, 4]], "JSON")
    assert batch_magic.parse_records('{"instances": [[1], [2]]}') == ([[1], [2]], "JSON")
    assert batch_magic.parse_records('[1, 2]\n[3, 4]', "JSONL") == ([[1, 2], [3, 4]], "JSONL")
    with pytest.raises(parser.MagicUsageError, match="line 2 of the cell is not JSON"):
        batch_magic.parse_records('[1]\nnot json\n')
    ns = parser.parse("batch --model m --input /data --format json --include '*.json' --include 'a/*' --exclude 'old*' "
                      "--batch-size 8 --timeout 2.5 --pods 3 --max-time 1h --wait")
    body = batch_magic.batch_body(ns, "")
    assert {k: body[k] for k in ("model_id", "input_path", "input_format", "include_glob", "exclude_glob", "batch_size",
                                 "timeout_seconds", "pod_count", "max_run_seconds")} == {
        "model_id": "m", "input_path": "/data", "input_format": "JSON", "include_glob": ["*.json", "a/*"], "exclude_glob": ["old*"],
        "batch_size": 8, "timeout_seconds": 2.5, "pod_count": 3, "max_run_seconds": 3600}


async def test_batch_cell_magic_and_client(shell, magics, client, tmp_path, capsys):
    model, X, y = breast_cancer()
    # the server runs on this test's event loop: client calls go through a thread
    await run(client.create_model, name="cancer", framework="scikit-learn", artifact_path=save(model, str(tmp_path / "cancer")),
              validate_artifact=False)
    rows = X[:6].tolist()
    body = "\n".join(json.dumps(r) for r in rows[:3]) + "\n[1, 2]\n" + "\n".join(json.dumps(r) for r in rows[3:])
    result = await cell(shell, "batch --model cancer --name cb --batch-size 2 --no-widget --wait", body)
    assert result["status"] == "COMPLETE", result["status_reason"]
    out = capsys.readouterr().out
    assert "started batch inference cb" in out and "cb: COMPLETE, 7/7 records (100%), 1 error(s)" in out
    predictions = await run(result.predictions)
    assert predictions == [*model.predict(X[:3]).tolist(), None, *model.predict(X[3:6]).tolist()]
    from IPython.lib.pretty import pretty

    assert pretty(result).startswith("<batch inference cb: COMPLETE, 7/7 records")

    # bad arguments submit nothing
    for args, text in (("batch --model cancer", "write records below the magic line"), ("batch", "--model"),
                       ("batch --model cancer --input /x", "not both")):
        await cell(shell, args, "[1]\n" if args != "batch --model cancer" else "\n \n")
        assert text in capsys.readouterr().err, args
    await cell(shell, "batch --model nope", "[1]\n")
    assert "model_id" in capsys.readouterr().err
    assert (await run(client.list_batch_inferences)).total == 1

    # --input on a line magic, and the list
    data = tmp_path / "in"
    data.mkdir()
    (data / "a.json").write_text(json.dumps({"instances": rows[:2]}))
    (data / "b.txt").write_text("no")
    await line(shell, f"batch --model cancer --input {data} --format json --include *.json --name files --no-widget --wait")
    assert "files: COMPLETE, 2/2 records" in capsys.readouterr().out
    await line(shell, "batches")
    listing = capsys.readouterr().out
    assert "files" in listing and "cb" in listing and "PROGRESS" in listing
    lines = await run(lambda: list(client.iter_batch_outputs("files")))
    assert [(line_["file"], line_["index"]) for line_ in lines] == [("a.json.out", 0), ("a.json.out", 1)]

    # evaluations: create through the client, list and compare through the magics
    csv_path = tmp_path / "eval.csv"
    csv_path.write_text("\n".join([",".join([*(f"f{i}" for i in range(X.shape[1])), "label"])]
                                  + [",".join(map(str, [*x, t])) for x, t in zip(X[:120].tolist(), y[:120].tolist())]) + "\n")
    first = await run(client.create_model_evaluation, name="ev1", model="cancer", class_names=["malignant", "benign"],
                      input_path=str(csv_path), input_format="CSV", target_field="label")
    second = await run(client.copy_model_evaluation, "ev1", name="ev2", batch_inference={"batch_size": 7})
    assert second["spec"]["batch_inference"]["batch_size"] == 7
    for ev in (first, second):
        done = await run(client.wait_model_evaluation, ev["id"], timeout=120, poll=0.2)
        assert done["status"] == "COMPLETE", done["status_reason"]
    results = await run(client.model_evaluation_results, "ev1")
    assert results["result"]["confusion_matrix"]["labels"] == ["malignant", "benign"]
    compared = await run(client.compare_model_evaluations, "ev1", second)
    assert [m["values"][0] for m in compared["metrics"]] == [m["values"][1] for m in compared["metrics"]]  # same model, same data
    await line(shell, "evaluations")
    listing = capsys.readouterr().out
    assert "ev1" in listing and "roc_auc=" in listing
    await line(shell, "compare ev1 ev2")
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["METRIC", "ev1", "ev2"] and any(row.startswith("roc_auc") and "*" in row for row in table)
    await run(client.delete_model_evaluation, "ev2")
    assert (await run(client.list_model_evaluations)).total == 1


def test_live_view_follows_progress_to_the_end():
    pytest.importorskip("ipywidgets")

    class FakeClient:
        calls = 0

        def get_batch_inference(self, ref):
            self.calls += 1
            done = self.calls > 2
            return {"id": "x", "name": "b", "status": "COMPLETE" if done else "RUNNING", "status_reason": "7 record(s), 1 error(s)",
                    "progress": {"records_total": 7, "records_done": 7 if done else 3, "errors": 1, "percent": 100.0 if done else 42.9}}

    view = batch_magic.batch_view(FakeClient(), {"id": "x", "name": "b", "status": "CREATE REQUESTED", "progress": {}}, poll=0.01)
    assert view.wait(10)["status"] == "COMPLETE"
    bar = view.children[1]
    assert (bar.value, bar.max, bar.bar_style) == (7, 7, "success")
    assert 'data-status="COMPLETE"' in view.children[0].children[0].value and "1 error(s)" in view.children[2].value

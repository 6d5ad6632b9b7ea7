"""The batch inference job runner: globs (exclude wins), JSON / JSONL records,
output order across pods, broken records, the per-request timeout and a
crashing worker."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from batch_models import SlowModel, read_jsonl, save, write_jsonl
from jupyter_easymaker.catalogs.batch_files import check_globs, discover
from jupyter_easymaker.runtime import batch_io

TESTS = os.path.dirname(os.path.abspath(__file__))


def run_job(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([TESTS, os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "jupyter_easymaker.runtime.batch_inference", *args], env=env,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def iris(tmp_path_factory):
    import joblib
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    folder = tmp_path_factory.mktemp("iris")
    X, y = load_iris(return_X_y=True)
    model = LogisticRegression(max_iter=500).fit(X, y)
    joblib.dump(model, folder / "model.joblib")
    return str(folder), model, X


# -- files -----------------------------------------------------------------------------------
def test_globs_match_names_at_any_depth_and_exclude_wins(tmp_path):
    for rel in ("a.jsonl", "b.json", "sub/c.jsonl", "sub/deep/d.jsonl", "sub/skip-e.jsonl", ".hidden.jsonl", "notes.txt"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("1\n")
    rels = lambda inc, exc=None: [f.rel for f in discover(str(tmp_path), inc, exc)]  # noqa: E731
    assert rels(None) == ["a.jsonl", "b.json", "notes.txt", "sub/c.jsonl", "sub/deep/d.jsonl", "sub/skip-e.jsonl"]
    assert rels("*.jsonl") == ["a.jsonl", "sub/c.jsonl", "sub/deep/d.jsonl", "sub/skip-e.jsonl"]
    assert rels("*.jsonl", "skip-*") == ["a.jsonl", "sub/c.jsonl", "sub/deep/d.jsonl"]
    assert rels("sub/*.jsonl") == ["sub/c.jsonl", "sub/skip-e.jsonl"]  # '*' stays in one folder
    assert rels("sub/**/*.jsonl", "sub/deep/**") == ["sub/c.jsonl", "sub/skip-e.jsonl"]
    assert rels(["*.json", "*.txt"], "*.txt") == ["b.json"]  # exclude wins over include
    assert rels("*.jsonl", "*") == []
    assert rels("[ab].*") == ["a.jsonl", "b.json"]
    with pytest.raises(ValueError):
        check_globs(["data[.jsonl"])


def test_json_files_hold_a_list_an_instances_body_or_one_value(tmp_path):
    cases = {"list.json": [[1, 2], [3, 4]], "v1.json": {"instances": [[5, 6]]}, "one.json": {"text": "hi"}}
    for name, value in cases.items():
        (tmp_path / name).write_text(json.dumps(value))
    got = {}
    for item in discover(str(tmp_path)):
        batch_io.count_records(item, "JSON")
        got[item.rel] = [r.value for r in batch_io.read_records(item, "JSON")]
    assert got == {"list.json": [[1, 2], [3, 4]], "one.json": [{"text": "hi"}], "v1.json": [[5, 6]]}


# -- the job ---------------------------------------------------------------------------------
def test_outputs_keep_input_order_across_pods_and_keep_bad_records(tmp_path, iris):
    model_dir, model, X = iris
    inp = tmp_path / "in"
    # a.jsonl: 100 rows with an unparsable line before row 5 and a too-short row before row 7
    write_jsonl(str(inp / "a.jsonl"), X[:100].tolist(), raw_lines={5: "{not json", 7: "[1, 2]"})
    write_jsonl(str(inp / "sub" / "b.jsonl"), X[100:].tolist())
    write_jsonl(str(inp / "sub" / "skip-me.jsonl"), X[:3].tolist())
    (inp / "README.txt").write_text("not records\n")
    out = tmp_path / "out"
    done = run_job("--framework", "scikit-learn", "--model-dir", model_dir, "--input", str(inp), "--output", str(out),
                   "--include", "*.jsonl", "--exclude", "skip-*", "--pod-count", "3", "--batch-size", "16")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "progress records=152/152 errors=2" in done.stdout
    assert sorted(os.listdir(out)) == ["a.jsonl.out", "sub", "summary.json"]  # no parts left, no excluded file
    assert os.listdir(out / "sub") == ["b.jsonl.out"]

    lines = read_jsonl(str(out / "a.jsonl.out"))
    assert [line["index"] for line in lines] == list(range(102))
    assert "invalid JSON" in lines[5]["error"]
    assert "expected 4 features per instance, got 2" in lines[8]["error"]
    good = [line["prediction"] for i, line in enumerate(lines) if i not in (5, 8)]
    assert good == model.predict(X[:100]).tolist()
    assert [line["prediction"] for line in read_jsonl(str(out / "sub" / "b.jsonl.out"))] == model.predict(X[100:]).tolist()

    summary = json.loads((out / "summary.json").read_text())
    assert (summary["records"], summary["predictions"], summary["errors"]) == (152, 150, 2)
    assert [(f["input"], f["output"], f["records"], f["errors"]) for f in summary["files"]] == [
        ("a.jsonl", "a.jsonl.out", 102, 2), ("sub/b.jsonl", "sub/b.jsonl.out", 50, 0)]


def test_timeout_and_a_crashing_worker_fail_only_their_batch(tmp_path):
    model_dir = save(SlowModel(), str(tmp_path / "slow"))
    rows = [[999 if i == 13 else -1 if i == 27 else i, 1] for i in range(40)]
    inp = write_jsonl(str(tmp_path / "in.jsonl"), rows)
    out = tmp_path / "out"
    started = time.monotonic()
    done = run_job("--framework", "scikit-learn", "--model-dir", model_dir, "--input", inp, "--output", str(out),
                   "--batch-size", "5", "--timeout", "1.5", "--pod-count", "2")
    assert done.returncode == 0, done.stdout + done.stderr
    assert time.monotonic() - started < 45, "the hanging batch must be cut at its timeout"
    lines = read_jsonl(str(out / "in.jsonl.out"))
    assert [line["index"] for line in lines] == list(range(40))
    for i, line in enumerate(lines):
        if 10 <= i < 15:
            assert line["error"] == "timeout: the predict call took longer than 1.5 s"
        elif 25 <= i < 30:
            assert line["error"].startswith("the worker process died during the predict call")
        else:
            assert line["prediction"] == i + 1
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["predictions"], summary["errors"], summary["worker_restarts"]) == (30, 10, 2)


def test_no_input_files_fails_the_job_with_the_reason(tmp_path, iris):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text("x\n")
    done = run_job("--framework", "scikit-learn", "--model-dir", iris[0], "--input", str(tmp_path / "in"),
                   "--output", str(tmp_path / "out"), "--include", "*.jsonl")
    assert done.returncode == 2
    assert "ERROR: no input files found" in done.stdout

"""kill -9 of the server while a local pipeline run's second task runs as a job of
its own: after a restart the run carries on and completes, no task runs twice,
each task has exactly one job, and the interrupted task's job was found again."""
from __future__ import annotations

import subprocess
import sys
import time

import pytest

from server_process import ServerProcess

PIPELINE = '''
from kfp import compiler, dsl


@dsl.component(base_image="python:3.11")
def step(marks: str, name: str, seconds: float, x: int) -> int:
    import os
    import time

    with open(os.path.join(marks, name), "a") as fh:
        fh.write("started\\n")
    time.sleep(seconds)
    return x + 1


@dsl.pipeline(name="chain")
def chain(marks: str, seconds: float = 3.0) -> int:
    a = step(marks=marks, name="a", seconds=0.0, x=0)
    b = step(marks=marks, name="b", seconds=seconds, x=a.output)
    return step(marks=marks, name="c", seconds=0.0, x=b.output).output


compiler.Compiler().compile(chain, "{path}")
'''


def tasks(server, run: str) -> dict:
    return {t["task_id"]: t for t in server.request("GET", f"pipeline-runs/{run}/tasks")["items"]}


def test_kill_9_mid_task_then_restart_repeats_no_task(tmp_path):
    pytest.importorskip("kfp.dsl")
    source = tmp_path / "chain.py"  # kfp reads the component's source from its file
    source.write_text(PIPELINE.replace("{path}", str(tmp_path / "chain.yaml")))
    subprocess.run([sys.executable, str(source)], check=True, capture_output=True, timeout=120)
    marks = tmp_path / "marks"
    marks.mkdir()
    data = tmp_path / "data"
    server = ServerProcess(str(tmp_path), str(data)).start()
    try:
        server.request("POST", "pipelines", {"name": "chain", "filename": "chain.yaml",
                                             "content": (tmp_path / "chain.yaml").read_text()})
        deadline = time.monotonic() + 60
        while server.request("GET", "pipelines/chain")["status"] != "ACTIVE":
            assert time.monotonic() < deadline
            time.sleep(0.1)
        server.request("POST", "pipeline-runs", {"name": "r", "pipeline_name": "chain", "experiment_name": "restart",
                                                 "parameters": {"marks": str(marks), "seconds": 4.0}})
        deadline = time.monotonic() + 120
        while [j["status"] for j in tasks(server, "r").get("step-2", {}).get("jobs", [])] != ["RUNNING"]:
            assert time.monotonic() < deadline, server.request("GET", "pipeline-runs/r")
            time.sleep(0.05)
    finally:
        server.kill()

    restarted = ServerProcess(str(tmp_path), str(data), port=server.port).start()
    try:
        deadline = time.monotonic() + 120
        while (run := restarted.request("GET", "pipeline-runs/r"))["status"] not in ("COMPLETE", "FAIL PIPELINE RUN", "STOPPED"):
            assert time.monotonic() < deadline, run
            time.sleep(0.1)
        assert run["status"] == "COMPLETE", run
        assert run["result"]["outputs"]["parameters"] == {"Output": 3}
        for name in "abc":
            assert (marks / name).read_text() == "started\n", f"task {name} ran more than once"
        found = tasks(restarted, "r")
        assert {t: [j["status"] for j in v["jobs"]] for t, v in found.items()} == {
            "step": ["SUCCEEDED"], "step-2": ["SUCCEEDED"], "step-3": ["SUCCEEDED"]}
        history = [e["status"] for e in run["history"]]
        assert history.count("RUNNING") == 1 and history[-1] == "COMPLETE", history
    finally:
        restarted.stop()

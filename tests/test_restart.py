"""kill -9 of the server while trainings run: after a restart every training
is found again, none is lost and none runs twice."""
from __future__ import annotations

import time

from server_process import ServerProcess

SCRIPT = """
import os, sys, time
with open(os.path.join(os.environ["EM_HP_MARKS"], os.environ["EM_HP_NAME"]), "a") as fh:
    fh.write("started\\n")
print("running", flush=True)
time.sleep(float(os.environ["EM_HP_SECONDS"]))
print("loss=0.1", flush=True)
"""


def wait_for(server, name, wanted, timeout=60.0):
    end = time.monotonic() + timeout
    while True:
        row = server.request("GET", f"trainings/{name}")
        if row["status"] in wanted:
            return row
        assert time.monotonic() < end, row
        time.sleep(0.1)


def test_kill_9_then_restart_finds_every_training(tmp_path):
    algo = tmp_path / "algo"
    algo.mkdir()
    (algo / "train.py").write_text(SCRIPT)
    marks = tmp_path / "marks"
    marks.mkdir()
    data = tmp_path / "data"
    # two CPUs of capacity: two trainings run, the third waits in the queue
    extra = ["--EasyMakerExtension.local_cpu=2"]
    server = ServerProcess(str(tmp_path), str(data), extra=extra).start()
    try:
        names = ["r0", "r1", "r2"]
        for name in names:
            server.request("POST", "trainings", {
                "name": name, "experiment_name": "restart",
                "algorithm": {"type": "custom", "source_dir": str(algo), "entry_point": "train.py"},
                "hyperparameters": {"marks": str(marks), "name": name, "seconds": 3},
            })
        wait_for(server, "r0", {"RUNNING"})
        wait_for(server, "r1", {"RUNNING"})
        assert server.request("GET", "trainings/r2")["status"] == "CREATE REQUESTED"
    finally:
        server.kill()

    restarted = ServerProcess(str(tmp_path), str(data), port=server.port, extra=extra).start()
    try:
        for name in names:
            done = wait_for(restarted, name, {"COMPLETE", "FAIL TRAIN", "STOPPED", "CREATE FAILED"})
            assert done["status"] == "COMPLETE", done
            assert (marks / name).read_text() == "started\n", f"{name} ran more than once"
            history = [e["status"] for e in done["history"]]
            assert history.count("RUNNING") == 1 and history[-1] == "COMPLETE"
            logs = restarted.request("GET", f"trainings/{name}/logs")
            bodies = [r["body"] for r in logs["records"]]
            assert bodies.count("running") == 1 and bodies.count("loss=0.1") == 1, bodies
    finally:
        restarted.stop()

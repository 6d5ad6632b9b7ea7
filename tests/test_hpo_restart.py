"""kill -9 of the server in the middle of a tuning: after a restart the tuning
goes on where it was, no trial is lost or run twice, and the suggestions
continue the seeded sequence as if nothing had happened."""
from __future__ import annotations

import time

from server_process import ServerProcess

from jupyter_easymaker.areas.tuning.engine import StudyEngine
from jupyter_easymaker.areas.tuning.search_space import normalize_parameters
from jupyter_easymaker.areas.tuning.schemas import ParameterSpec

SCRIPT = """
import argparse, os, time
p = argparse.ArgumentParser(); p.add_argument("--x", type=float); p.add_argument("--marks")
a, _ = p.parse_known_args()
with open(a.marks, "a") as fh:
    fh.write(os.environ["EM_JOB_ID"] + "\\n")
print("running", flush=True)
time.sleep(1.2)
print(f"loss={(a.x - 0.3) ** 2}", flush=True)
"""
PARAMETERS = [{"name": "x", "type": "double", "min": -1, "max": 1}]


def wait_for(server, path, check, timeout=60.0):
    end = time.monotonic() + timeout
    while True:
        row = server.request("GET", path)
        if check(row):
            return row
        assert time.monotonic() < end, row
        time.sleep(0.1)


def test_kill_9_mid_tuning_resumes_without_duplicates(tmp_path):
    algo = tmp_path / "algo"
    algo.mkdir()
    (algo / "train.py").write_text(SCRIPT)
    marks = tmp_path / "marks.txt"
    data = tmp_path / "data"
    server = ServerProcess(str(tmp_path), str(data), extra=["--EasyMakerExtension.local_cpu=8"]).start()
    try:
        server.request("POST", "hyperparameter-tunings", {
            "name": "h", "experiment_name": "restart", "strategy": "Random", "random_seed": 11,
            "algorithm": {"type": "custom", "source_dir": str(algo), "entry_point": "train.py"},
            "hyperparameters": {"marks": str(marks)}, "parameters": PARAMETERS,
            "objective_metric": "loss", "max_trials": 6, "parallel_trials": 2,
        })
        # killed while two trials run and others are still to come
        wait_for(server, "hyperparameter-tunings/h", lambda r: r["trials"]["total"] >= 3 and r["trials"]["running"] == 2)
    finally:
        server.kill()

    restarted = ServerProcess(str(tmp_path), str(data), port=server.port, extra=["--EasyMakerExtension.local_cpu=8"]).start()
    try:
        done = wait_for(restarted, "hyperparameter-tunings/h", lambda r: r["status"] in ("COMPLETE", "FAIL HYPERPARAMETER TUNING", "STOPPED"))
        assert done["status"] == "COMPLETE" and done["status_detail"] == "MaxTrialsReached", done
        assert [e["status"] for e in done["history"]].count("RUNNING") == 1
        trials = restarted.request("GET", "hyperparameter-tunings/h/trials")["items"]
        assert [t["number"] for t in trials] == list(range(6))
        assert {t["status"] for t in trials} == {"SUCCEEDED"}, [(t["number"], t["status"], t["status_reason"]) for t in trials]
        started = marks.read_text().split()
        assert sorted(started) == sorted(t["id"] for t in trials), ("a trial ran twice or never", started, [(t["number"], t["id"], t["created_at"]) for t in trials])
        for t in trials:
            assert [e["status"] for e in restarted.request("GET", f"hyperparameter-tunings/h/trials/{t['id']}")["history"]] == [
                "CREATED", "RUNNING", "SUCCEEDED"]
            bodies = [r["body"] for r in restarted.request("GET", f"hyperparameter-tunings/h/trials/{t['id']}/logs")["records"]]
            assert bodies.count("running") == 1 and sum(b.startswith("loss=") for b in bodies) == 1, bodies
        # the same suggestions an uninterrupted seeded study makes
        space = normalize_parameters([ParameterSpec(**p) for p in PARAMETERS], "Random")
        engine = StudyEngine("x", {"strategy": "Random", "random_seed": 11, "search_space": space, "goal": "minimize"})
        expected = []
        for _ in range(6):
            s = engine.ask()
            expected.append(s.params)
            engine.tell(s.number, "complete", 0.0)
        assert [t["parameters"] for t in trials] == expected
    finally:
        restarted.stop()


def test_local_submit_after_a_crash_before_handle_json_adopts_the_running_job(tmp_path):
    """The server can die after starting a trial's launcher but before writing
    handle.json; submitting again must find that launcher, not start another."""
    import os

    from jupyter_easymaker.backend.jobs.base import JobSpec
    from jupyter_easymaker.backend.jobs.local import HANDLE_FILE, LocalBackend

    algo = tmp_path / "algo"
    algo.mkdir()
    marks = tmp_path / "marks"
    (algo / "train.py").write_text(f"import time\nopen({str(marks)!r}, 'a').write('x')\ntime.sleep(3)\n")
    spec = JobSpec(job_id="job-1", name="j", kind="trial", source_dir=str(algo), entry_point="train.py",
                   work_dir=str(tmp_path / "work"), model_dir=str(tmp_path / "model"))
    first = LocalBackend(cpu=4, memory_mib=1 << 16).submit(spec)
    os.remove(os.path.join(spec.work_dir, HANDLE_FILE))  # as if the server died right after starting it
    again = LocalBackend(cpu=4, memory_mib=1 << 16)  # a new server process
    second = again.submit(spec)
    assert second["pid"] == first["pid"] and abs(second["create_time"] - first["create_time"]) < 0.01
    deadline = time.monotonic() + 15
    while not marks.exists():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    again.stop(second, grace_seconds=1)
    while not again.status(second).terminal:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert marks.read_text() == "x"

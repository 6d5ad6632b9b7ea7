"""A job's data storage on the local backend: the launcher (a real process)
ends a job whose data directory grows past it, with the reason, and leaves
one that stays within it alone."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from jupyter_easymaker.backend.jobs.base import JobSpec
from jupyter_easymaker.runtime.storage_quota import DataStorageQuota, folder_bytes

REPO_ROOT = Path(__file__).resolve().parents[1]
WRITER = (
    "import os, sys, tempfile, time\n"
    "megabytes = int(sys.argv[sys.argv.index('--megabytes') + 1])\n"
    "with tempfile.NamedTemporaryFile(delete=False) as fh:\n"
    "    for _ in range(megabytes):\n"
    "        fh.write(os.urandom(1 << 20))\n"
    "        fh.flush()\n"
    "print('wrote', megabytes, 'MiB in', os.path.dirname(fh.name), flush=True)\n"
    "time.sleep(float(sys.argv[sys.argv.index('--linger') + 1]))\n"
)


def launch(root: Path, megabytes: int, linger: float, data_storage_gb: float) -> tuple[dict, str, float]:
    (root / "code").mkdir(parents=True)
    (root / "code" / "train.py").write_text(WRITER)
    spec = JobSpec(job_id=f"quota-{root.name}", name=root.name, kind="training", source_dir=str(root / "code"),
                   entry_point="train.py", hyperparameters={"megabytes": str(megabytes), "linger": str(linger)},
                   work_dir=str(root / "work"), data_storage_gb=data_storage_gb).to_dict()
    (root / "spec.json").write_text(json.dumps(spec))
    env = {k: v for k, v in os.environ.items() if not k.startswith("EM_")}
    env.update(EM_JOB_SPEC_FILE=str(root / "spec.json"),
               PYTHONPATH=os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p))
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "jupyter_easymaker.runtime.launcher"], env=env, cwd=root,
                          capture_output=True, text=True, timeout=120)
    state = json.loads((root / "work" / "state.json").read_text())
    return state, proc.stdout + proc.stderr, time.monotonic() - started


def test_a_job_past_its_data_storage_is_ended_with_the_reason(tmp_path):
    state, output, took = launch(tmp_path / "big", megabytes=24, linger=60, data_storage_gb=16 / 1024)
    assert state["phase"] == "FAILED", output
    assert state["reason"].startswith("data storage full: the job's data directory holds 0.02 GiB"), state
    assert "data_storage_gb" in state["reason"] and took < 30, (took, output)
    assert f"in {tmp_path / 'big' / 'work' / 'tmp'}" in output  # its temporary files were in its data directory


def test_a_job_within_its_data_storage_runs_to_its_end(tmp_path):
    state, output, _ = launch(tmp_path / "small", megabytes=2, linger=2.5, data_storage_gb=16 / 1024)
    assert state["phase"] == "SUCCEEDED", output


def test_the_size_counts_each_file_once_and_follows_no_link(tmp_path):
    (tmp_path / "a").write_bytes(b"x" * 100_000)
    os.link(tmp_path / "a", tmp_path / "hard")
    os.symlink("/usr", tmp_path / "link")
    used = folder_bytes(str(tmp_path))
    assert 100_000 <= used < 200_000
    quota = DataStorageQuota(str(tmp_path), 50_000 / 1024 ** 3)
    assert quota.exceeded(now=True).startswith("data storage full")
    assert quota.exceeded() is None  # measured again only after a while

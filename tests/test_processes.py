"""Long-running processes of this host (backend/processes.py): started in a
session of their own, at a lower CPU priority when asked, known by pid and
start time, stopped with their group."""
from __future__ import annotations

import os
import sys

import psutil

from jupyter_easymaker.backend.processes import running, signal_group, spawn


def test_spawn_starts_a_session_at_the_priority_asked(tmp_path):
    with open(tmp_path / "out.log", "ab") as log:
        proc, create_time = spawn([sys.executable, "-c", "import time; time.sleep(60)"], cwd=str(tmp_path),
                                  env=dict(os.environ), log=log, nice=5)
    try:
        child = running(proc.pid, create_time, proc)
        assert child is not None and os.getpgid(proc.pid) == proc.pid  # its own group: stopped as one
        assert child.nice() == min(19, psutil.Process().nice() + 5)
        assert running(proc.pid, create_time + 1.0) is None  # another start time: not the same process
    finally:
        signal_group(proc.pid, 9)
        proc.wait(10)
    assert running(proc.pid, create_time, proc) is None

"""Long-running processes of this host (backend/processes.py): started in a
session of their own, at a lower CPU priority when asked, known by pid and
start time, stopped with their group."""
from __future__ import annotations

import os
import subprocess
import sys

import psutil

from jupyter_easymaker.backend.processes import lower_priority, running, signal_group, spawn


def autogroup_nice(pid: int) -> int | None:
    """The nice value of the process's session group; None where the kernel shows none
    (no autogroup, or a sandboxed /proc whose file is there but empty)."""
    try:
        with open(f"/proc/{pid}/autogroup") as f:  # "/autogroup-42 nice 0"
            return int(f.read().split()[-1])
    except (OSError, ValueError, IndexError):
        return None


def test_spawn_starts_a_session_at_the_priority_asked(tmp_path):
    with open(tmp_path / "out.log", "ab") as log:
        proc, create_time = spawn([sys.executable, "-c", "import time; time.sleep(60)"], cwd=str(tmp_path),
                                  env=dict(os.environ), log=log, nice=5)
    try:
        child = running(proc.pid, create_time, proc)
        assert child is not None and os.getpgid(proc.pid) == proc.pid  # its own group: stopped as one
        assert child.nice() == min(19, psutil.Process().nice() + 5)
        own_group = autogroup_nice(os.getpid())
        if own_group is not None:  # CPU time is shared out by session first: the session's group too
            assert autogroup_nice(proc.pid) == min(19, own_group + 5)
        assert running(proc.pid, create_time + 1.0) is None  # another start time: not the same process
    finally:
        signal_group(proc.pid, 9)
        proc.wait(10)
    assert running(proc.pid, create_time, proc) is None


def test_a_process_that_shares_this_session_is_lowered_without_its_group(tmp_path):
    """Lowering the session's group would lower this process (JupyterLab) with it."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        own_group = autogroup_nice(os.getpid())
        lower_priority(proc.pid, 3)
        assert psutil.Process(proc.pid).nice() == min(19, psutil.Process().nice() + 3)
        if own_group is not None:
            assert autogroup_nice(proc.pid) == autogroup_nice(os.getpid()) == own_group
    finally:
        proc.kill()
        proc.wait(10)

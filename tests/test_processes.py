"""Long-running processes of this host (backend/processes.py): started in a
session of their own, at a lower CPU priority when asked, known by pid and
start time, stopped with their group."""
from __future__ import annotations

import os
import subprocess
import sys

import psutil

from jupyter_easymaker.backend.processes import lower_priority, running, signal_group, spawn
from jupyter_easymaker.backend.time_slice import SHORTEST_NS, slice_of


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


THREAD_LATER = ("import threading, time; time.sleep(0.3); t = threading.Thread(target=time.sleep, args=(60,)); "
                "t.start(); print(t.native_id, flush=True); t.join()")


def test_a_lowered_process_and_the_threads_it_starts_later_take_the_shortest_time_slice():
    """A JupyterLab thread that wakes then waits less behind them (Linux 6.12+; elsewhere nothing changes)."""
    own = slice_of(os.getpid())
    started = []
    try:
        for nice in (5, 0):
            proc = subprocess.Popen([sys.executable, "-c", THREAD_LATER], stdout=subprocess.PIPE, text=True,
                                    start_new_session=True)
            started.append(proc)
            lower_priority(proc.pid, nice)
            later = int(proc.stdout.readline())
            threads = (slice_of(proc.pid), slice_of(later))
            if own is None:  # not Linux, or an architecture without the call
                assert threads == (None, None)
            elif nice and own:  # custom slices: both threads, and each keeps the nice value it was given
                assert threads == (SHORTEST_NS, SHORTEST_NS)
                assert os.getpriority(os.PRIO_PROCESS, later) == min(19, os.getpriority(os.PRIO_PROCESS, 0) + nice)
            else:  # not lowered, or a kernel without custom slices: the default
                assert threads == (own, own)
    finally:
        for proc in started:
            proc.kill()
            proc.wait(10)

"""Long-running processes of this host that outlive the Jupyter server (model
servers, notebook servers): started in a session of their own, known by pid
and process start time (so that a restarted server adopts them and never
mistakes a recycled pid), stopped with a grace period.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable

import psutil

from jupyter_easymaker.backend.time_slice import shortest_slice


def free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def free_port_pair(host: str, tries: int = 50) -> int:
    """A free port whose next port is free too (a model server's HTTP and gRPC ports)."""
    for _ in range(tries):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as first:
            first.bind((host, 0))
            port = first.getsockname()[1]
            if port >= 65535:
                continue
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as second:
                try:
                    second.bind((host, port + 1))
                except OSError:
                    continue
            return port
    raise OSError(f"no two free consecutive ports on {host} after {tries} tries")


def spawn(cmd: list[str], *, cwd: str, env: dict[str, str], log: object, nice: int = 0) -> tuple[subprocess.Popen, float]:
    """Start ``cmd`` in a session of its own (its process group is its pid), output to ``log``,
    ``nice`` steps below this process's CPU priority; the child and its start time (its identity,
    with the pid)."""
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        child = psutil.Process(proc.pid)
        create_time = child.create_time()
        if nice > 0:  # set from here, not in the child (preexec_fn is unsafe with threads): it is still starting
            lower_priority(proc.pid, nice)
    except psutil.NoSuchProcess:
        create_time = 0.0
    return proc, create_time


def lower_priority(pid: int, steps: int) -> None:
    """Put process ``pid``, which leads a session of its own, ``steps`` below this process's
    CPU priority. Where the kernel shares CPU time out by session first (autogroup, on in most
    distributions), a nice value ranks a process only among its own session's: the session's
    group gets the steps too, or JupyterLab would still get no more CPU than a busy model server.
    Its threads also take the shortest CPU time slice (backend/time_slice.py): a JupyterLab thread
    that wakes waits less behind them."""
    if steps <= 0:
        return
    os.setpriority(os.PRIO_PROCESS, pid, min(19, os.getpriority(os.PRIO_PROCESS, 0) + steps))
    shortest_slice(pid)
    try:
        if os.getsid(pid) != pid:
            return  # the group is shared with the processes it must give way to
        with open("/proc/self/autogroup") as own:  # "/autogroup-42 nice 0"
            base = int(own.read().split()[-1])
        with open(f"/proc/{pid}/autogroup", "w") as group:
            group.write(str(min(19, base + steps)))
    except (OSError, ValueError, IndexError):
        pass  # no autogroup here (a kernel without it, or another OS): the nice value is what ranks


def running(pid: int, create_time: float, child: subprocess.Popen | None = None) -> psutil.Process | None:
    """The process still running as started (same pid and start time, not a zombie); None otherwise.
    ``child``: the Popen when this server started it (reaped here)."""
    if child is not None and child.pid == pid and child.poll() is not None:
        return None
    try:
        proc = psutil.Process(int(pid))
        if abs(proc.create_time() - float(create_time or 0)) > 0.01 or proc.status() == psutil.STATUS_ZOMBIE:
            return None
        return proc
    except (psutil.NoSuchProcess, psutil.AccessDenied, ValueError):
        return None


def signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def stop_group(pid: int, alive: Callable[[], bool], grace_seconds: float, child: subprocess.Popen | None = None) -> bool:
    """SIGTERM to the process group (SIGCONT too: a stopped process handles nothing), SIGKILL
    after the grace; True when it is gone."""
    if alive():
        signal_group(pid, signal.SIGTERM)
        signal_group(pid, signal.SIGCONT)
        end = time.monotonic() + grace_seconds
        while time.monotonic() < end and alive():
            time.sleep(0.05)
        if alive():
            signal_group(pid, signal.SIGKILL)
            end = time.monotonic() + 5.0
            while time.monotonic() < end and alive():
                time.sleep(0.05)
    if child is not None:
        try:
            child.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
    return not alive()

"""The CPU time slice Linux gives a process's threads (EEVDF custom slices, Linux 6.12+).

A thread that wakes (JupyterLab answering a request) while another holds the
CPU gets it when the scheduler next decides, and the thread holding it is kept
on until it has run its slice: by default 0.7 ms times one plus the base-2
logarithm of the cores (up to eight), 1.4 ms on a two-core host. Serving
processes ask for the shortest slice the kernel grants, so that JupyterLab
waits less behind them; their own throughput is unchanged (measured by
``benchmarks/p4_gateway.py``). On other kernels and systems this does
nothing: a kernel before 6.12 takes the call and ignores the slice.
"""
from __future__ import annotations

import ctypes
import os
import platform

SHORTEST_NS = 100_000  # the kernel's lower bound for a custom slice
_SCHED_SETATTR = {"x86_64": 314, "aarch64": 274, "ppc64le": 355, "s390x": 345}
_SCHED_GETATTR = {"x86_64": 315, "aarch64": 275, "ppc64le": 356, "s390x": 346}


class _SchedAttr(ctypes.Structure):
    """struct sched_attr as of its first version (48 bytes), which every kernel with the call takes."""

    _fields_ = [("size", ctypes.c_uint32), ("sched_policy", ctypes.c_uint32), ("sched_flags", ctypes.c_uint64),
                ("sched_nice", ctypes.c_int32), ("sched_priority", ctypes.c_uint32),
                ("sched_runtime", ctypes.c_uint64), ("sched_deadline", ctypes.c_uint64),
                ("sched_period", ctypes.c_uint64)]


def _syscall(table: dict[str, int]) -> tuple[ctypes.CDLL, int] | None:
    number = table.get(platform.machine()) if os.uname().sysname == "Linux" else None
    if number is None:
        return None
    return ctypes.CDLL(None, use_errno=True), number


def slice_of(tid: int) -> int | None:
    """The thread's time slice in ns (0 where the kernel keeps none per thread); None where unknown."""
    call = _syscall(_SCHED_GETATTR)
    if call is None:
        return None
    libc, number = call
    attr = _SchedAttr()
    if libc.syscall(number, tid, ctypes.byref(attr), ctypes.sizeof(attr), 0) != 0:
        return None
    return int(attr.sched_runtime)


def shortest_slice(pid: int) -> None:
    """Give every thread of process ``pid`` the shortest slice; the threads it starts later inherit
    it. Each keeps its policy and nice value (the call sets them as well)."""
    get, put = _syscall(_SCHED_GETATTR), _syscall(_SCHED_SETATTR)
    if get is None or put is None:
        return
    (libc, get_number), (_, put_number) = get, put
    try:
        tids = [int(tid) for tid in os.listdir(f"/proc/{pid}/task")]
    except OSError:
        return  # gone already
    for tid in tids:
        attr = _SchedAttr()
        if libc.syscall(get_number, tid, ctypes.byref(attr), ctypes.sizeof(attr), 0) != 0:
            continue  # that thread ended
        if attr.sched_policy not in (0, 3, 5):  # SCHED_OTHER, SCHED_BATCH, SCHED_IDLE: the fair class only
            continue
        attr.size, attr.sched_flags, attr.sched_runtime = ctypes.sizeof(attr), 0, SHORTEST_NS
        libc.syscall(put_number, tid, ctypes.byref(attr), 0)  # refused (no permission, ended): its slice stays

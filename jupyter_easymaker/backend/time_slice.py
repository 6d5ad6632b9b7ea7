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

SHORTEST_NS = 100_000  # the kernel's lower bound for a custom slice
_POLICIES_FAIR = (0, 3, 5)  # SCHED_OTHER, SCHED_BATCH, SCHED_IDLE: the only ones a slice applies to
# (sched_setattr, sched_getattr) per architecture
_CALLS = {"x86_64": (314, 315), "aarch64": (274, 275), "ppc64le": (355, 356), "s390x": (345, 346)}


class _SchedAttr(ctypes.Structure):
    """struct sched_attr as of its first version (48 bytes), which every kernel with the call takes."""

    _fields_ = [("size", ctypes.c_uint32), ("sched_policy", ctypes.c_uint32), ("sched_flags", ctypes.c_uint64),
                ("sched_nice", ctypes.c_int32), ("sched_priority", ctypes.c_uint32),
                ("sched_runtime", ctypes.c_uint64), ("sched_deadline", ctypes.c_uint64),
                ("sched_period", ctypes.c_uint64)]


def _calls() -> tuple[ctypes.CDLL, int, int] | None:
    """libc and the numbers of sched_setattr and sched_getattr; None where there are none."""
    system = os.uname()
    if system.sysname != "Linux" or system.machine not in _CALLS:
        return None
    return (ctypes.CDLL(None, use_errno=True), *_CALLS[system.machine])


def _get(libc: ctypes.CDLL, number: int, tid: int) -> _SchedAttr | None:
    attr = _SchedAttr()
    if libc.syscall(number, tid, ctypes.byref(attr), ctypes.sizeof(attr), 0) != 0:
        return None  # that thread ended
    return attr


def slice_of(tid: int) -> int | None:
    """The thread's time slice in ns (0 where the kernel keeps none per thread); None where unknown."""
    calls = _calls()
    attr = _get(calls[0], calls[2], tid) if calls else None
    return None if attr is None else int(attr.sched_runtime)


def shortest_slice(pid: int) -> None:
    """Give every thread of process ``pid`` the shortest slice; the threads it starts later inherit
    it. Each keeps its policy and nice value (the call sets them as well)."""
    calls = _calls()
    if calls is None:
        return
    libc, set_number, get_number = calls
    try:
        tids = [int(tid) for tid in os.listdir(f"/proc/{pid}/task")]
    except OSError:
        return  # gone already
    for tid in tids:
        attr = _get(libc, get_number, tid)
        if attr is None or attr.sched_policy not in _POLICIES_FAIR:
            continue
        attr.size, attr.sched_flags, attr.sched_runtime = ctypes.sizeof(attr), 0, SHORTEST_NS
        libc.syscall(set_number, tid, ctypes.byref(attr), 0)  # refused (no permission, ended): its slice stays

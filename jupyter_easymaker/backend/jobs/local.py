"""Jobs as process groups on this host.

Each job is one launcher process (``runtime/launcher.py``) in its own session;
it supervises the user's processes and writes ``state.json``, so a job keeps
running and its outcome is known even while the Jupyter server is down. A job
is identified by its launcher's pid *and* that process's start time, so a
recycled pid is never mistaken for the job.

Capacity: instance types are slots of CPU, memory and GPUs carved out of this
host; a job that does not fit now waits (CapacityUnavailable), one that can
never fit fails with a message saying why.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import psutil

from jupyter_easymaker.backend.base import (
    BackendError,
    CapacityUnavailable,
    LogChunk,
    ResourceUsage,
)
from jupyter_easymaker.backend.jobs.base import JobPhase, JobSpec, JobState
from jupyter_easymaker.backend.nvidia_smi import detect_gpus, gpu_usage
from jupyter_easymaker.backend.process_usage import TreeSampler
from jupyter_easymaker.catalogs.jobs import (
    LAUNCHER_MODULE,
    STATE_FILE,
    open_private,
    private_dir,
    read_state,
    write_private_json,
)

STOP_MARKER = "stop-requested"
HANDLE_FILE = "handle.json"


@dataclass
class Allocation:
    cpu: float
    memory_mib: int
    gpus: list[int] = field(default_factory=list)


class LocalBackend:
    name = "local"

    def __init__(
        self,
        *,
        cpu: float | None = None,
        memory_mib: int | None = None,
        gpus: list[int] | None = None,
        python: str = sys.executable,
        stop_grace_seconds: float = 10.0,
    ):
        self.total_cpu = float(cpu if cpu is not None else (os.cpu_count() or 1))
        self.total_memory_mib = int(memory_mib if memory_mib is not None else psutil.virtual_memory().total // (1024 * 1024))
        self.gpus = list(gpus) if gpus is not None else detect_gpus()
        self.python = python
        self.stop_grace_seconds = stop_grace_seconds
        self._lock = threading.Lock()
        self._allocations: dict[str, Allocation] = {}
        self._children: dict[str, subprocess.Popen] = {}  # jobs started by this process, reaped here
        # psutil objects kept between samples: cpu_percent() measures since the last call
        self._usage = TreeSampler()

    # -- facts ----------------------------------------------------------------
    def capabilities(self) -> dict[str, Any]:
        with self._lock:
            used_cpu = sum(a.cpu for a in self._allocations.values())
            used_gpus = sorted(g for a in self._allocations.values() for g in a.gpus)
        return {
            "name": self.name,
            "cpu": self.total_cpu,
            "memory_mib": self.total_memory_mib,
            "gpus": len(self.gpus),
            "free_cpu": round(self.total_cpu - used_cpu, 3),
            "free_gpus": len(self.gpus) - len(used_gpus),
            "running_jobs": len(self._allocations),
            "multi_node": "torchrun on this host",
        }

    # -- capacity -------------------------------------------------------------
    def _allocate(self, spec: JobSpec) -> Allocation:
        it = spec.instance_type
        nodes = max(1, spec.nodes)
        need_cpu, need_mem, need_gpu = it.cpu * nodes, it.memory_mib * nodes, it.gpu * nodes
        if need_cpu > self.total_cpu or need_mem > self.total_memory_mib or need_gpu > len(self.gpus):
            raise BackendError(
                f"instance type {it.name} x {nodes} node(s) needs {need_cpu:g} CPU, {need_mem} MiB, {need_gpu} GPU; "
                f"this host has {self.total_cpu:g} CPU, {self.total_memory_mib} MiB, {len(self.gpus)} GPU"
            )
        with self._lock:
            if spec.job_id in self._allocations:
                return self._allocations[spec.job_id]
            free_cpu = self.total_cpu - sum(a.cpu for a in self._allocations.values())
            free_mem = self.total_memory_mib - sum(a.memory_mib for a in self._allocations.values())
            used = {g for a in self._allocations.values() for g in a.gpus}
            free_gpus = [g for g in self.gpus if g not in used]
            if need_cpu > free_cpu + 1e-9 or need_mem > free_mem or need_gpu > len(free_gpus):
                raise CapacityUnavailable(
                    f"waiting for resources: {it.name} x {nodes} needs {need_cpu:g} CPU / {need_gpu} GPU, "
                    f"{max(free_cpu, 0):g} CPU / {len(free_gpus)} GPU free"
                )
            alloc = Allocation(need_cpu, need_mem, free_gpus[:need_gpu])
            self._allocations[spec.job_id] = alloc
            return alloc

    def release(self, handle: dict[str, Any]) -> None:
        job_id = handle["job_id"]
        with self._lock:
            self._allocations.pop(job_id, None)
        child = self._children.pop(job_id, None)
        if child is not None:
            child.poll()

    def adopt(self, handle: dict[str, Any]) -> None:
        with self._lock:
            self._allocations[handle["job_id"]] = Allocation(
                float(handle.get("cpu", 0)), int(handle.get("memory_mib", 0)), list(handle.get("gpus") or [])
            )

    # -- lifecycle ------------------------------------------------------------
    def submit(self, spec: JobSpec) -> dict[str, Any]:
        work = spec.work_dir
        existing = self._existing_handle(work)
        if existing is not None:  # submitted before a crash: never start a job twice
            self.adopt(existing)
            return existing
        alloc = self._allocate(spec)
        started = self._started_unrecorded(work)
        if started is not None:  # the server died between starting the launcher and writing handle.json
            return self._record_handle(spec, alloc, *started)
        try:
            private_dir(work)  # the job's files are its owner's only
            spec_path = os.path.join(work, "spec.json")
            write_private_json(spec_path, spec.to_dict())  # without the secrets
            env = dict(os.environ)
            env.update(spec.secret_env)  # secrets: in the launcher's environment only, which its processes inherit
            env.update({"EM_JOB_SPEC_FILE": spec_path, "EM_LOCAL_NODES": "1", "EM_STOP_GRACE_SECONDS": str(self.stop_grace_seconds)})
            env.pop("EM_JOB_SPEC", None)
            env["CUDA_VISIBLE_DEVICES"] = ",".join(str(g) for g in alloc.gpus)
            log_path = os.path.join(work, "output.log")
            with open_private(log_path, "ab") as log:
                proc = subprocess.Popen(
                    [self.python, "-m", LAUNCHER_MODULE],
                    cwd=work,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # own process group: survives the server, stopped as a whole
                )
        except OSError as exc:
            self.release({"job_id": spec.job_id})
            raise BackendError(f"could not start the job: {exc}") from exc
        try:
            create_time = psutil.Process(proc.pid).create_time()
        except psutil.NoSuchProcess:
            create_time = 0.0
        self._children[spec.job_id] = proc
        return self._record_handle(spec, alloc, proc.pid, create_time)

    def _record_handle(self, spec: JobSpec, alloc: Allocation, pid: int, create_time: float) -> dict[str, Any]:
        work = spec.work_dir
        handle = {
            "backend": self.name,
            "job_id": spec.job_id,
            "pid": pid,
            "create_time": create_time,
            "work_dir": work,
            "log_path": os.path.join(work, "output.log"),
            "cpu": alloc.cpu,
            "memory_mib": alloc.memory_mib,
            "gpus": alloc.gpus,
        }
        write_private_json(os.path.join(work, HANDLE_FILE), handle)
        return handle

    @staticmethod
    def _started_unrecorded(work: str) -> tuple[int, float] | None:
        """``(pid, create_time)`` of a launcher already started in ``work`` whose
        handle was never written. spec.json is written just before the launcher
        starts, so without it nothing was started and the process scan is skipped."""
        if not os.path.exists(os.path.join(work, "spec.json")):
            return None
        for proc in psutil.process_iter(["cwd", "cmdline", "create_time"]):
            try:
                if proc.info["cwd"] == work and LAUNCHER_MODULE in (proc.info["cmdline"] or []):
                    return proc.pid, proc.info["create_time"]
            except (psutil.Error, TypeError):
                continue
        state = read_state(os.path.join(work, STATE_FILE))
        if state and state.get("launcher_pid"):
            return int(state["launcher_pid"]), 0.0  # it ran and is gone: state.json holds its outcome
        return None

    def _existing_handle(self, work: str) -> dict[str, Any] | None:
        try:
            with open(os.path.join(work, HANDLE_FILE), encoding="utf-8") as fh:
                return json.load(fh)
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    def _process(self, handle: dict[str, Any]) -> psutil.Process | None:
        """The job's launcher if it is still the same process, else None."""
        child = self._children.get(handle["job_id"])
        if child is not None and child.poll() is not None:
            return None  # our own child has exited (and is now reaped)
        try:
            proc = psutil.Process(int(handle["pid"]))
            if abs(proc.create_time() - float(handle.get("create_time") or 0)) > 0.01:
                return None
            if proc.status() == psutil.STATUS_ZOMBIE:
                return None
            return proc
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            return None

    def status(self, handle: dict[str, Any]) -> JobState:
        alive = self._process(handle) is not None
        # read after the liveness check: a launcher writes its outcome before it exits, so a
        # launcher seen gone has left its last state (read first, it could be one step older)
        state = read_state(os.path.join(handle["work_dir"], STATE_FILE)) or {}
        phase = state.get("phase")
        stop_marked = os.path.exists(os.path.join(handle["work_dir"], STOP_MARKER))
        result = JobState(
            phase=JobPhase.STARTING,
            reason=state.get("reason", ""),
            exit_code=state.get("exit_code"),
            started_at=state.get("started_at"),
            finished_at=state.get("finished_at"),
        )
        if phase in ("SUCCEEDED", "FAILED", "STOPPED"):
            result.phase = JobPhase(phase)
            return result
        if alive:
            result.phase = JobPhase.RUNNING if phase == "RUNNING" else JobPhase.STARTING
            return result
        # the launcher is gone without writing an outcome (killed hard)
        result.finished_at = time.time()
        if stop_marked:
            result.phase, result.reason = JobPhase.STOPPED, "stopped by request"
        else:
            child = self._children.get(handle["job_id"])
            code = child.returncode if child is not None else None
            result.phase = JobPhase.FAILED
            result.exit_code = code
            result.reason = "the job's process ended without reporting a result" + (f" (exit code {code})" if code is not None else "")
        return result

    def read_logs(self, handle: dict[str, Any], offset: int = 0, limit: int = 1 << 20) -> LogChunk:
        try:
            with open(handle["log_path"], "rb") as fh:
                fh.seek(offset)
                data = fh.read(limit)
        except FileNotFoundError:
            return LogChunk("", offset)
        if not data:
            return LogChunk("", offset)
        cut = data.rfind(b"\n") + 1
        if cut == 0:
            # no complete line yet; hand out a partial one only once the job has ended
            if self._process(handle) is not None and len(data) < limit:
                return LogChunk("", offset)
            cut = len(data)
        return LogChunk(data[:cut].decode("utf-8", errors="replace"), offset + cut)

    def stop(self, handle: dict[str, Any], grace_seconds: float | None = None) -> None:
        grace = self.stop_grace_seconds if grace_seconds is None else grace_seconds
        open_private(os.path.join(handle["work_dir"], STOP_MARKER)).close()
        proc = self._process(handle)
        if proc is None:
            return
        pid = int(handle["pid"])
        self._signal(pid, signal.SIGTERM)

        def force() -> None:
            if self._process(handle) is not None:
                self._signal(pid, signal.SIGKILL)

        # the launcher itself kills its children after the grace; this is the backstop
        timer = threading.Timer(grace + 2.0, force)
        timer.daemon = True
        timer.start()

    @staticmethod
    def _signal(pgid: int, sig: int) -> None:
        try:
            os.killpg(pgid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def usage(self, handle: dict[str, Any]) -> ResourceUsage | None:
        root = self._process(handle)
        if root is None:
            return None
        sample = self._usage.sample(root)
        if sample is None:
            return None
        cpu, rss = sample
        return ResourceUsage(time=time.time(), cpu_percent=cpu, memory_bytes=rss, **gpu_usage(handle.get("gpus") or []))


"""Model servers as processes on this host: one model-server process per pod.

Each pod is ``python -m jupyter_easymaker.runtime.model_server ...`` on its
own port, in its own session, so servers keep serving while the Jupyter
server restarts. The pods of a stage resource are written to
``{work_dir}/server.json`` (pid + process start time + port), which is how a
restarted server finds them again; a recycled pid is never mistaken for a
pod. Like a Deployment, a pod that dies is started again; one that dies
``max_restarts`` times without ever answering ready fails its resource.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from typing import Any

import psutil

from jupyter_easymaker.backend.base import BackendError, ResourceUsage
from jupyter_easymaker.backend.nvidia_smi import detect_gpus, gpu_usage, read_gpus
from jupyter_easymaker.backend.process_usage import TreeSampler, tail_text
from jupyter_easymaker.backend.processes import (
    free_port_pair,
    running,
    spawn,
    stop_group,
)
from jupyter_easymaker.backend.serving.base import (
    MODEL_SERVER_MODULE,
    READY_PATH,
    PodState,
    ServerPhase,
    ServerSpec,
    ServerState,
    ServingOptions,
    model_server_args,
)
from jupyter_easymaker.catalogs.jobs import (
    open_private,
    private_dir,
    write_private_json,
)

STATE_FILE = "server.json"
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class LocalServingBackend:
    name = "local"
    autoscales_itself = False

    def __init__(self, options: ServingOptions | None = None, *, python: str = sys.executable, gpus: list[int] | None = None,
                 handoff_socket: str = ""):
        self.options = options or ServingOptions()
        self.python = python
        self.handoff_socket = handoff_socket  # the gateway's, where model servers take its connections over
        self._gpus = gpus  # GPU indices of this host (detected on first need)
        self._lock = threading.RLock()
        self._servers: dict[str, dict[str, Any]] = {}  # server_id -> state (as in server.json)
        self._children: dict[tuple[str, int], subprocess.Popen] = {}  # pods started here, reaped here
        self._usage = TreeSampler()
        self._locks: dict[str, threading.RLock] = {}
        # server_id -> its spec's secret_env: in memory and in the pods' environment, in no file
        self._secret_env: dict[str, dict[str, str]] = {}

    def _server_lock(self, server_id: str) -> threading.RLock:
        """One lock per stage resource: probing one's pods never waits on another's."""
        with self._lock:
            return self._locks.setdefault(server_id, threading.RLock())

    def capabilities(self) -> dict[str, Any]:
        with self._lock:
            pods = sum(len(s["pods"]) for s in self._servers.values())
        return {"name": self.name, "host": self.options.local_host, "running_pods": pods, "autoscaler": "controller"}

    # -- state ------------------------------------------------------------------
    def _state(self, handle: dict[str, Any]) -> dict[str, Any]:
        server_id = handle["server_id"]
        with self._lock:
            state = self._servers.get(server_id)
            if state is None:
                try:
                    with open(os.path.join(handle["work_dir"], STATE_FILE), encoding="utf-8") as fh:
                        state = json.load(fh)
                except (FileNotFoundError, json.JSONDecodeError):
                    raise BackendError(f"the servers of {server_id} are not known on this host") from None
                self._servers[server_id] = state
            return state

    def _save(self, state: dict[str, Any]) -> None:
        write_private_json(os.path.join(state["work_dir"], STATE_FILE), state)

    def _handle(self, state: dict[str, Any]) -> dict[str, Any]:
        return {"backend": self.name, "server_id": state["server_id"], "work_dir": state["work_dir"], "desired": state["desired"]}

    # -- lifecycle ----------------------------------------------------------------
    def start(self, spec: ServerSpec) -> dict[str, Any]:
        work = spec.work_dir
        if not work:
            raise BackendError("a local server needs a work_dir")
        with self._server_lock(spec.server_id):
            try:
                existing = self._state({"server_id": spec.server_id, "work_dir": work})
            except BackendError:
                existing = None
            if existing is not None and not existing.get("stopped"):
                self._secret_env[spec.server_id] = dict(spec.secret_env)
                return self._handle(existing)  # started before a crash: never start twice
            # no directory: a Hugging Face Hub model the server loads by its model_id parameter
            if spec.model_dir and not os.path.isdir(spec.model_dir) and "://" not in spec.model_dir:
                raise BackendError(f"the model directory {spec.model_dir} does not exist on this host")
            self._pod_gpus(spec.gpu, 0)  # refuses a pod that needs more GPUs than the host has
            private_dir(work)  # server.json and the pods' logs are the owner's only
            self._secret_env[spec.server_id] = dict(spec.secret_env)
            state = {"server_id": spec.server_id, "work_dir": work, "spec": spec.to_dict(), "desired": max(1, spec.pods),
                     "pods": [], "next_index": 0, "ever_ready": False, "failed": "", "stopped": False}
            with self._lock:
                self._servers[spec.server_id] = state
            for _ in range(state["desired"]):
                self._spawn(state)
            self._save(state)
            return self._handle(state)

    def _spawn(self, state: dict[str, Any], pod: dict[str, Any] | None = None) -> dict[str, Any]:
        spec = ServerSpec.from_dict(state["spec"])
        host = self.options.local_host
        if pod is None:
            index = state["next_index"]
            state["next_index"] += 1
            pod = {"index": index, "name": f"pod-{index}", "restarts": 0, "ever_ready": False,
                   "log_path": os.path.join(state["work_dir"], f"pod-{index}.log")}
            state["pods"].append(pod)
        port = free_port_pair(host)  # HTTP on port, gRPC on port + 1 (model_server_args)
        env = dict(os.environ)
        env.update(spec.env)  # parameters as SCREAMING_SNAKE variables
        env.update(self._secret_env.get(spec.server_id) or {})  # a Hugging Face token: from memory, never from server.json
        # a CPU pod must not take memory on GPUs that trainings use; a GPU pod gets its share, pods in turn
        pod["gpus"] = self._pod_gpus(spec.gpu, pod["index"])  # what its usage is read from
        env["CUDA_VISIBLE_DEVICES"] = ",".join(str(g) for g in pod["gpus"])
        threads = str(max(1, int(spec.cpu)))  # keep a pod near its CPU allocation
        for key in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
            env.setdefault(key, threads)
        env["EM_SERVER_ID"] = spec.server_id
        env["EM_POD_NAME"] = f"{spec.name}-{pod['name']}"
        cmd = [self.python, "-m", spec.server_module, *model_server_args(spec, host, port)]
        if self.handoff_socket and spec.server_module == MODEL_SERVER_MODULE:
            cmd += ["--handoff-socket", self.handoff_socket]
        try:
            with open_private(pod["log_path"], "ab") as log:
                proc, create_time = spawn(cmd, cwd=state["work_dir"], env=env, log=log, nice=self.options.local_nice)
        except OSError as exc:
            raise BackendError(f"could not start the model server: {exc}") from exc
        self._children[(state["server_id"], pod["index"])] = proc
        pod.update(pid=proc.pid, create_time=create_time, port=port, started=time.time(), ready=False)
        return pod

    def host_gpus(self) -> list[int]:
        if self._gpus is None:
            self._gpus = detect_gpus()
        return self._gpus

    def _pod_gpus(self, count: int, index: int) -> list[int]:
        gpus = self.host_gpus() if count > 0 else []
        if count > len(gpus):
            raise BackendError(f"a pod needs {count} GPU(s); this host has {len(gpus)}")
        return [gpus[(index * count + i) % len(gpus)] for i in range(count)] if count else []

    def _process(self, state: dict[str, Any], pod: dict[str, Any]) -> psutil.Process | None:
        if "pid" not in pod:
            return None
        return running(pod["pid"], pod.get("create_time") or 0.0, self._children.get((state["server_id"], pod["index"])))

    def _probe(self, port: int) -> bool:
        url = f"http://{self.options.local_host}:{port}{READY_PATH}"
        try:
            with _NO_PROXY.open(url, timeout=self.options.health_timeout_seconds) as resp:
                return resp.status == 200
        except (urllib.error.URLError, OSError, ValueError):
            return False

    def address(self, pod: dict[str, Any]) -> str:
        return f"http://{self.options.local_host}:{pod['port']}"

    def status(self, handle: dict[str, Any]) -> ServerState:
        try:
            state = self._state(handle)
        except BackendError as exc:
            return ServerState(ServerPhase.LOST, reason=str(exc))
        with self._server_lock(state["server_id"]):
            if state.get("stopped"):
                return ServerState(ServerPhase.STOPPED, desired=0)
            changed = False
            pods: list[PodState] = []
            for pod in state["pods"]:
                alive = self._process(state, pod) is not None
                ready = alive and self._probe(pod["port"])
                if not alive:
                    changed = True
                    if not pod.get("ever_ready") and pod["restarts"] + 1 >= self.options.max_restarts:
                        state["failed"] = f"{pod['name']} exited before it was ready: {self._tail(pod, 8) or 'no output'}"
                    else:
                        pod["restarts"] += 1
                        self._children.pop((state["server_id"], pod["index"]), None)
                        self._spawn(state, pod)
                elif ready != bool(pod.get("ready")):
                    pod["ready"] = ready
                    if ready:
                        pod["ever_ready"] = True
                    changed = True
                pods.append(PodState(pod["name"], ready, self.address(pod), "localhost", pod["restarts"]))
            if pods and all(p.ready for p in pods) and not state["ever_ready"]:
                state["ever_ready"] = changed = True
            if changed:
                self._save(state)
            if state["failed"]:
                return ServerState(ServerPhase.FAILED, reason=state["failed"], pods=pods, desired=state["desired"])
            ready_count = sum(p.ready for p in pods)
            up = ready_count >= 1 if state["ever_ready"] else (ready_count == len(pods) and ready_count > 0)
            return ServerState(ServerPhase.READY if up else ServerPhase.STARTING, pods=pods, desired=state["desired"])

    def drain_candidates(self, handle: dict[str, Any], pods: int) -> list[str]:
        state = self._state(handle)
        with self._server_lock(state["server_id"]):
            keep = max(1, pods)
            return [self.address(p) for p in state["pods"][keep:]]

    def scale(self, handle: dict[str, Any], pods: int) -> dict[str, Any]:
        state = self._state(handle)
        pods = max(1, int(pods))
        with self._server_lock(state["server_id"]):
            if state.get("stopped"):
                raise BackendError("the servers were stopped")
            while len(state["pods"]) < pods:
                self._spawn(state)
            removed = state["pods"][pods:]
            state["pods"] = state["pods"][:pods]
            state["desired"] = pods
            self._save(state)
        for pod in removed:
            self._terminate(state, pod, self.options.health_timeout_seconds + 3.0)
        return self._handle(state)

    def _terminate(self, state: dict[str, Any], pod: dict[str, Any], grace: float) -> None:
        child = self._children.get((state["server_id"], pod["index"]))
        if "pid" in pod:
            stop_group(int(pod["pid"]), lambda: self._process(state, pod) is not None, grace, child)
        self._children.pop((state["server_id"], pod["index"]), None)

    def stop(self, handle: dict[str, Any], grace_seconds: float = 10.0) -> None:
        try:
            state = self._state(handle)
        except BackendError:
            return  # nothing left to stop
        with self._server_lock(state["server_id"]):
            state["stopped"] = True
            pods = list(state["pods"])
            self._save(state)
        threads = [threading.Thread(target=self._terminate, args=(state, p, grace_seconds)) for p in pods]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        with self._lock:
            self._servers.pop(state["server_id"], None)
            self._locks.pop(state["server_id"], None)
            self._secret_env.pop(state["server_id"], None)

    def adopt(self, handle: dict[str, Any], secret_env: dict[str, str] | None = None) -> None:
        if secret_env:  # for the pods started from now on (restarts, scaling up)
            self._secret_env[handle["server_id"]] = dict(secret_env)
        try:
            self._state(handle)
        except BackendError:
            pass  # status() reports it LOST

    # -- observation ----------------------------------------------------------------
    def usage(self, handle: dict[str, Any]) -> list[ResourceUsage]:
        try:
            state = self._state(handle)
        except BackendError:
            return []
        out = []
        # one nvidia-smi call for all pods, and none for a server without GPUs
        gpus = {pod["index"]: self._gpus_of(state, pod) for pod in state["pods"]}
        readings = read_gpus() if any(gpus.values()) else {}
        for pod in list(state["pods"]):
            root = self._process(state, pod)
            if root is None:
                continue
            sample = self._usage.sample(root)
            if sample is None:
                continue
            cpu, rss = sample
            out.append(ResourceUsage(time=time.time(), cpu_percent=cpu, memory_bytes=rss,
                                     **gpu_usage(gpus.get(pod["index"]) or [], readings)))
        return out

    def _gpus_of(self, state: dict[str, Any], pod: dict[str, Any]) -> list[int]:
        """The GPUs a pod was given; for a pod started before they were recorded, the ones
        its index gets."""
        if "gpus" in pod:
            return list(pod["gpus"])
        try:
            return self._pod_gpus(int(state["spec"].get("gpu") or 0), pod["index"])
        except BackendError:
            return []

    @staticmethod
    def _tail(pod: dict[str, Any], lines: int) -> str:
        text = tail_text(pod["log_path"], 64 * 1024) or ""
        return " | ".join(l.strip() for l in deque(text.splitlines(), maxlen=lines) if l.strip())

    def read_logs(self, handle: dict[str, Any], tail: int = 200) -> str:
        try:
            state = self._state(handle)
        except BackendError:
            return ""
        parts = []
        for pod in state["pods"]:
            text = tail_text(pod["log_path"], 256 * 1024)
            if text is None:
                continue
            lines = deque(text.splitlines(), maxlen=tail)
            parts.append(f"===== {pod['name']} =====\n" + "\n".join(lines))
        return "\n".join(parts)

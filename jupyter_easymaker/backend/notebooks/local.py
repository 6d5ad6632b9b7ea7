"""Notebook servers as processes on this host: each notebook is its own
Jupyter server (``<python> -m jupyterlab``, or ``-m jupyter_server`` where the
environment has no JupyterLab), in its own session so that it keeps running
while this server restarts, bound to 127.0.0.1 on a free port, with a token
only it and this server know (in its private ``server.json``, never in the
store or on a command line).

Storage, as the guide's notebook instance has it: ``{work}/data`` is the data
storage (the notebook's root and ``~/easymaker``; it holds
``custom-conda-envs`` and ``cont-init.d``), ``{work}/boot`` the boot storage
(home, runtime and config folders), emptied on every start.

The identity of a running server is pid + process start time (as the model
servers' in :mod:`jupyter_easymaker.backend.serving.local`), so a restarted
server adopts it from ``server.json`` and never mistakes a recycled pid.
"""
from __future__ import annotations

import enum
import json
import os
import secrets
import shutil
import subprocess
import threading
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from typing import Any

import psutil

from jupyter_easymaker.backend.base import BackendError, ResourceUsage
from jupyter_easymaker.backend.notebooks.init_scripts import (
    InitScriptFailed,
    run_init_scripts,
)
from jupyter_easymaker.backend.process_usage import TreeSampler, tail_text
from jupyter_easymaker.backend.processes import free_port, running, spawn, stop_group
from jupyter_easymaker.catalogs.jobs import (
    open_private,
    private_dir,
    read_state,
    write_private_json,
)

STATE_FILE = "server.json"
DATA_FOLDER = "data"
BOOT_FOLDER = "boot"
LOG_FILE = "server.log"
HOST = "127.0.0.1"
LAB_EXTENSION = "jupyter-easymaker"  # this product's own JupyterLab extension
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))

__all__ = ["InitScriptFailed", "LocalNotebookBackend", "NotebookPhase", "NotebookSpec", "NotebookState"]


class NotebookPhase(str, enum.Enum):
    STARTING = "STARTING"  # start-up scripts ran, the server does not answer yet
    READY = "READY"  # /api/status answers with the token
    UNHEALTHY = "UNHEALTHY"  # the process is there but does not answer
    FAILED = "FAILED"  # exited before it ever answered, or never answered in time
    EXITED = "EXITED"  # answered once, then the process went away
    STOPPED = "STOPPED"


@dataclass
class NotebookSpec:
    notebook_id: str
    work_dir: str  # {data_dir}/notebooks/{id}
    base_url: str  # the proxy prefix on this server, e.g. /easymaker/notebooks/{id}/proxy/
    python: str  # the image's interpreter
    generation: int = 0  # each start and reboot is a new one
    cpu: float = 1.0
    memory_mib: int = 2048
    gpu: int = 0
    nas_mount_name: str = ""
    nas_dir: str = ""  # the NAS path resolved on this host
    env: dict[str, str] = field(default_factory=dict)


@dataclass
class NotebookState:
    phase: NotebookPhase
    reason: str = ""


def data_dir(work_dir: str) -> str:
    return os.path.join(work_dir, DATA_FOLDER)


class LocalNotebookBackend:
    name = "local"

    def __init__(self, *, start_timeout_seconds: float = 120.0, health_timeout_seconds: float = 2.0):
        self.start_timeout_seconds = start_timeout_seconds
        self.health_timeout_seconds = health_timeout_seconds
        self._lock = threading.RLock()
        self._children: dict[str, subprocess.Popen] = {}  # started here, reaped here
        self._usage = TreeSampler()
        self._ever_ready: set[tuple[str, int]] = set()

    # -- state ------------------------------------------------------------------------
    @staticmethod
    def _state(work_dir: str) -> dict[str, Any] | None:
        return read_state(os.path.join(work_dir, STATE_FILE))

    @staticmethod
    def _handle(state: dict[str, Any]) -> dict[str, Any]:
        return {"backend": "local", "notebook_id": state["notebook_id"], "work_dir": state["work_dir"],
                "generation": state["generation"], "pid": state["pid"], "port": state["port"]}

    def _process(self, state: dict[str, Any]) -> psutil.Process | None:
        return running(state["pid"], state.get("create_time") or 0.0, self._children.get(state["notebook_id"]))

    # -- lifecycle --------------------------------------------------------------------------
    def start(self, spec: NotebookSpec) -> dict[str, Any]:
        """Run the start-up scripts, then start the server; the handle to find it again.
        A server of the same generation that already runs (started before a crash) is adopted."""
        state = self._state(spec.work_dir)
        if state and state.get("generation") == spec.generation and self._process(state) is not None:
            return self._handle(state)
        if state:
            self.stop({"work_dir": spec.work_dir, "notebook_id": spec.notebook_id}, grace_seconds=5.0)
        data = private_dir(data_dir(spec.work_dir))
        boot = os.path.join(spec.work_dir, BOOT_FOLDER)
        shutil.rmtree(boot, ignore_errors=True)  # the boot storage starts empty on every start
        private_dir(boot)
        os.makedirs(os.path.join(data, "custom-conda-envs"), exist_ok=True)
        link = os.path.join(boot, "easymaker")  # the guide's ~/easymaker
        os.symlink(data, link)
        if spec.nas_mount_name and spec.nas_dir:
            os.symlink(spec.nas_dir, os.path.join(boot, spec.nas_mount_name))
        config_dir = private_dir(os.path.join(boot, ".jupyter"))
        # this server's own extension is installed in the same environment: the notebook must not load it
        with open(os.path.join(config_dir, "jupyter_server_config.json"), "w", encoding="utf-8") as fh:
            json.dump({"ServerApp": {"jpserver_extensions": {"jupyter_easymaker": False}}}, fh)
        # nor show this product's panels (they would ask the notebook's server for an API it does not have)
        labconfig = private_dir(os.path.join(config_dir, "labconfig"))
        with open(os.path.join(labconfig, "page_config.json"), "w", encoding="utf-8") as fh:
            json.dump({"disabledExtensions": {LAB_EXTENSION: True}}, fh)
        env = self._env(spec, boot, data, config_dir)
        run_init_scripts(data, env)  # InitScriptFailed names the script
        token = secrets.token_hex(24)
        port = free_port(HOST)
        env["JUPYTER_TOKEN"] = token
        cmd = [spec.python, "-m", self._server_module(spec.python), f"--ServerApp.ip={HOST}", f"--ServerApp.port={port}",
               "--ServerApp.port_retries=0", "--ServerApp.open_browser=False", f"--ServerApp.base_url={spec.base_url}",
               f"--ServerApp.root_dir={data}", "--ServerApp.allow_remote_access=True",
               "--ServerApp.allow_root=True"]  # as the guide's notebook instances run: scripts and server as root
        log_path = os.path.join(spec.work_dir, LOG_FILE)
        try:
            with open_private(log_path, "ab") as log:
                proc, create_time = spawn(cmd, cwd=data, env=env, log=log)
        except OSError as exc:
            raise BackendError(f"could not start the notebook server: {exc}") from exc
        with self._lock:
            self._children[spec.notebook_id] = proc
        state = {"notebook_id": spec.notebook_id, "work_dir": spec.work_dir, "generation": spec.generation,
                 "pid": proc.pid, "create_time": create_time, "port": port, "token": token, "started": time.time(),
                 "spec": asdict(spec)}
        write_private_json(os.path.join(spec.work_dir, STATE_FILE), state)
        return self._handle(state)

    @staticmethod
    def _env(spec: NotebookSpec, boot: str, data: str, config_dir: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("JPY_", "JUPYTER_", "EASYMAKER_"))}
        env.update(spec.env)
        threads = str(max(1, int(spec.cpu)))
        for key in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
            env[key] = threads
        if spec.gpu == 0:
            env["CUDA_VISIBLE_DEVICES"] = ""
        env.update(HOME=boot, EASYMAKER_NOTEBOOK_ID=spec.notebook_id, EASYMAKER_DATA_DIR=data,
                   JUPYTER_CONFIG_DIR=config_dir, JUPYTER_RUNTIME_DIR=os.path.join(boot, ".runtime"),
                   JUPYTER_DATA_DIR=os.path.join(boot, ".local", "share", "jupyter"), TMPDIR=private_dir(os.path.join(boot, "tmp")))
        return env

    @staticmethod
    def _server_module(python: str) -> str:
        """JupyterLab where the environment has it, else the bare Jupyter server."""
        probe = subprocess.run([python, "-c", "import importlib.util as u, sys; sys.exit(0 if u.find_spec('jupyterlab') else 1)"],
                               stdin=subprocess.DEVNULL, capture_output=True, timeout=30, check=False)
        return "jupyterlab" if probe.returncode == 0 else "jupyter_server"

    def upstream(self, handle: dict[str, Any]) -> tuple[str, str]:
        """(``http://127.0.0.1:{port}``, token) of a running notebook server."""
        state = self._state(handle["work_dir"])
        if not state or self._process(state) is None:
            raise BackendError("the notebook server is not running")
        return f"http://{HOST}:{state['port']}", str(state["token"])

    def probe(self, state: dict[str, Any]) -> bool:
        request = urllib.request.Request(f"http://{HOST}:{state['port']}{state['spec']['base_url']}api/status",
                                         headers={"Authorization": f"token {state['token']}"})
        try:
            with _NO_PROXY.open(request, timeout=self.health_timeout_seconds) as resp:
                return resp.status == 200
        except (urllib.error.URLError, OSError, ValueError):
            return False

    def status(self, handle: dict[str, Any]) -> NotebookState:
        state = self._state(handle["work_dir"])
        if not state or state.get("stopped"):
            return NotebookState(NotebookPhase.STOPPED)
        key = (state["notebook_id"], int(state["generation"]))
        if self._process(state) is None:
            if key in self._ever_ready or state.get("ever_ready"):
                return NotebookState(NotebookPhase.EXITED, f"the notebook server exited: {self.log_tail(handle, 5) or 'no output'}")
            return NotebookState(NotebookPhase.FAILED, f"the notebook server exited before it answered: {self.log_tail(handle, 5) or 'no output'}")
        if self.probe(state):
            if key not in self._ever_ready:
                self._ever_ready.add(key)
                if not state.get("ever_ready"):
                    state["ever_ready"] = True
                    write_private_json(os.path.join(state["work_dir"], STATE_FILE), state)
            return NotebookState(NotebookPhase.READY)
        if key in self._ever_ready or state.get("ever_ready"):
            return NotebookState(NotebookPhase.UNHEALTHY, f"the notebook server did not answer /api/status in {self.health_timeout_seconds:g} s")
        if time.time() - float(state.get("started") or 0) > self.start_timeout_seconds:
            return NotebookState(NotebookPhase.FAILED, f"the notebook server did not answer in {self.start_timeout_seconds:g} s")
        return NotebookState(NotebookPhase.STARTING)

    def stop(self, handle: dict[str, Any], grace_seconds: float = 10.0) -> None:
        """SIGTERM to its process group (SIGCONT too: a stopped process handles nothing), SIGKILL after the grace."""
        work_dir = handle["work_dir"]
        state = self._state(work_dir)
        if not state:
            return
        with self._lock:
            child = self._children.pop(state["notebook_id"], None)
        stop_group(int(state["pid"]), lambda: self._process(state) is not None, grace_seconds, child)
        if self._process(state) is not None:
            raise BackendError(f"the notebook server (pid {state['pid']}) did not exit")
        try:
            os.unlink(os.path.join(work_dir, STATE_FILE))
        except FileNotFoundError:
            pass
        self._ever_ready.discard((state["notebook_id"], int(state["generation"])))

    def remove(self, work_dir: str) -> None:
        """The notebook's boot and data storage (a NAS is only linked from the boot storage, never followed)."""
        boot = os.path.join(work_dir, BOOT_FOLDER)
        for name in os.listdir(boot) if os.path.isdir(boot) else ():
            path = os.path.join(boot, name)
            if os.path.islink(path):
                os.unlink(path)
        shutil.rmtree(work_dir)

    # -- observation --------------------------------------------------------------------------
    def usage(self, handle: dict[str, Any]) -> ResourceUsage | None:
        state = self._state(handle["work_dir"])
        root = self._process(state) if state else None
        if root is None:
            return None
        sample = self._usage.sample(root)
        if sample is None:
            return None
        return ResourceUsage(time=time.time(), cpu_percent=sample[0], memory_bytes=sample[1])

    @staticmethod
    def log_tail(handle: dict[str, Any], lines: int = 200) -> str:
        text = tail_text(os.path.join(handle["work_dir"], LOG_FILE), 64 * 1024) or ""
        kept = [line.strip() for line in text.splitlines() if line.strip()][-lines:]
        return " | ".join(kept) if lines <= 10 else "\n".join(kept)

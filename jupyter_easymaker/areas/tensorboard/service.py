"""TensorBoard servers for trainings, experiments and hyperparameter tunings,
reached through Jupyter.

One ``tensorboard`` subprocess per log directory, on a free loopback port,
with ``--path_prefix`` equal to the public proxy path, so the pages it serves
link to themselves correctly behind the proxy. Servers idle longer than
``idle_seconds`` are stopped by the controller loop (``recover`` /
``reconcile_once``); all are stopped with the extension, at interpreter exit,
and on Linux when the Jupyter server dies (PR_SET_PDEATHSIG). A server killed
without any of these leaves a state file, and the next start kills its orphans.
"""
from __future__ import annotations

import asyncio
import atexit
import glob
import importlib.util
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from jupyter_easymaker.core.errors import DomainError, InvalidInput, NotFound
from jupyter_easymaker.core.times import utcnow

INSTALL_HINT = "pip install 'jupyter-easymaker[ml]'"
PROXY_PATH = "easymaker/tensorboard"
STOP_GRACE_SECONDS = 5.0


class TensorBoardUnavailable(DomainError):
    """The optional ``tensorboard`` package is not installed."""

    http_status = 501


class TensorBoardFailed(DomainError):
    """The server process exited or never answered."""

    http_status = 502


def tensorboard_available() -> bool:
    return importlib.util.find_spec("tensorboard") is not None


def server_capabilities() -> dict[str, bool]:
    """For the version handshake: POST tensorboards answers 501 without the [ml] extra."""
    return {"tensorboard": tensorboard_available()}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _parent_death_signal():
    """A preexec_fn asking Linux to SIGTERM the child when this server dies, so
    a kill -9 of Jupyter leaves no TensorBoard behind. The libc handle is made
    here, before fork: nothing may be imported in the child."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None

    def preexec() -> None:
        libc.prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG

    return preexec


def _iso(value: datetime) -> str:
    return value.isoformat()


@dataclass
class TensorBoardServer:
    id: str
    logdir: str
    prefix: str  # what tensorboard matches: the public path, percent-decoded, no trailing slash
    url: str  # the public path under the Jupyter base URL, ending with /
    training_id: str | None = None
    experiment_id: str | None = None
    hyperparameter_tuning_id: str | None = None
    port: int = 0
    process: subprocess.Popen | None = None
    log_path: str = ""
    state_path: str = ""
    started_at: datetime = field(default_factory=utcnow)
    last_access: datetime = field(default_factory=utcnow)
    last_access_mono: float = field(default_factory=time.monotonic)
    ready: asyncio.Future | None = None

    @property
    def status(self) -> str:
        ready = self.ready
        done = ready is not None and ready.done() and not ready.cancelled() and ready.exception() is None
        return "running" if done else "starting"

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def touch(self) -> None:
        self.last_access = utcnow()
        self.last_access_mono = time.monotonic()

    def to_dict(self, *, reused: bool = False) -> dict[str, Any]:
        return {
            "id": self.id,
            "logdir": self.logdir,
            "url": self.url,
            "status": self.status,
            "started_at": _iso(self.started_at),
            "last_access": _iso(self.last_access),
            "training_id": self.training_id,
            "experiment_id": self.experiment_id,
            "hyperparameter_tuning_id": self.hyperparameter_tuning_id,
            "reused": reused,
        }


class TensorBoardManager:
    def __init__(self, platform: Any, *, log: logging.Logger | None = None):
        self.services = platform
        options = platform.settings.options("tensorboard")
        base_url = platform.settings.base_url
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.idle_seconds = float(options.get("idle_seconds", 1800.0))
        self.start_timeout = float(options.get("start_timeout", 60.0))
        self.log = log or logging.getLogger("jupyter_easymaker.tensorboard")
        self.state_dir = platform.settings.path("tensorboard-servers")
        self._servers: dict[str, TensorBoardServer] = {}
        self._by_logdir: dict[str, str] = {}
        self._last_check = 0.0
        self._atexit = False

    # -- queries --------------------------------------------------------------
    def available(self) -> bool:
        return tensorboard_available()

    def list(self) -> list[dict[str, Any]]:
        self._drop_dead()
        return [s.to_dict() for s in sorted(self._servers.values(), key=lambda s: s.started_at)]

    def get(self, tb_id: str) -> dict[str, Any]:
        return self._find(tb_id).to_dict()

    def _find(self, tb_id: str) -> TensorBoardServer:
        server = self._servers.get(tb_id)
        if server is None or (server.ready is not None and server.ready.done() and not server.alive()):
            if server is not None:
                self._forget(server)
            raise NotFound(f"tensorboard {tb_id!r} is not running", field="id")
        return server

    # -- open -----------------------------------------------------------------
    def _logdir(self, training_id: str | None, experiment_id: str | None, tuning_id: str | None = None) -> tuple[str, dict[str, str]]:
        """The log dir of the one target given, and which target it is."""
        if sum(bool(x) for x in (training_id, experiment_id, tuning_id)) != 1:
            raise InvalidInput("training_id: give one of training_id, experiment_id or hyperparameter_tuning_id", field="training_id")
        services = self.services
        with services.db.session() as session:
            if training_id:
                row = services.trainings.find(session, training_id, "training_id")
                logdir = (row.paths or {}).get("tensorboard_log_dir") or ""
                if not logdir:
                    raise InvalidInput(f"training_id: training {row.name!r} has no TensorBoard log directory", field="training_id")
                return logdir, {"training_id": row.id}
            if tuning_id:
                # every trial logs into trial-{n}/ under the tuning's dir, so TensorBoard
                # shows each trial as a run named after it (no symlinks or logdir_spec)
                row = services.tuning.find(session, tuning_id, "hyperparameter_tuning_id")
                logdir = (row.paths or {}).get("tensorboard_log_dir") or ""
                if not logdir:
                    raise InvalidInput(f"hyperparameter_tuning_id: tuning {row.name!r} has no TensorBoard log directory",
                                       field="hyperparameter_tuning_id")
                return logdir, {"hyperparameter_tuning_id": row.id}
            row = services.experiments.find(session, experiment_id, "experiment_id")
            return services.experiments.tensorboard_dir(row.id), {"experiment_id": row.id}

    async def open(
        self,
        *,
        training_id: str | None = None,
        experiment_id: str | None = None,
        hyperparameter_tuning_id: str | None = None,
        wait: bool = True,
    ) -> dict[str, Any]:
        """Start (or reuse: one per log dir) the server of a training, experiment or tuning."""
        # the store is read in a worker thread: this runs on the event loop
        logdir, target = await asyncio.to_thread(self._logdir, training_id, experiment_id, hyperparameter_tuning_id)
        if not self.available():
            raise TensorBoardUnavailable(f"TensorBoard is not installed on the server: {INSTALL_HINT}")
        if "://" in logdir:
            field_name = next(iter(target))
            raise InvalidInput(f"{field_name}: TensorBoard reads local log directories only, not {logdir}", field=field_name)
        key = os.path.realpath(logdir)
        existing = self._servers.get(self._by_logdir.get(key, ""))
        if existing is not None and (existing.alive() or (existing.ready is not None and not existing.ready.done())):
            existing.touch()
            if wait:
                await self._await_ready(existing)
            return existing.to_dict(reused=True)
        if existing is not None:
            self._forget(existing)
        os.makedirs(logdir, exist_ok=True)
        server = self._new(logdir, **target)
        self._servers[server.id] = server
        self._by_logdir[key] = server.id
        server.ready = asyncio.get_running_loop().create_task(self._start(server), name=f"tensorboard-{server.id}")
        server.ready.add_done_callback(lambda f: f.cancelled() or f.exception())  # never "exception not retrieved"
        if wait:
            await self._await_ready(server)
        return server.to_dict()

    def _new(self, logdir: str, training_id: str | None = None, experiment_id: str | None = None,
             hyperparameter_tuning_id: str | None = None) -> TensorBoardServer:
        tb_id = uuid.uuid4().hex[:12]
        public = f"{self.base_url}{PROXY_PATH}/{tb_id}"
        return TensorBoardServer(
            id=tb_id,
            logdir=logdir,
            prefix=urllib.parse.unquote(public),
            url=public + "/",
            training_id=training_id,
            experiment_id=experiment_id,
            hyperparameter_tuning_id=hyperparameter_tuning_id,
            log_path=os.path.join(self.state_dir, f"{tb_id}.log"),
            state_path=os.path.join(self.state_dir, f"{tb_id}.json"),
        )

    async def _await_ready(self, server: TensorBoardServer) -> None:
        assert server.ready is not None
        try:
            await asyncio.shield(server.ready)
        except TensorBoardFailed:
            self._forget(server)
            raise
        except asyncio.CancelledError:
            if server.ready.cancelled():  # stopped while starting; not this request's cancellation
                raise NotFound(f"tensorboard {server.id!r} was stopped", field="id") from None
            raise

    async def upstream(self, tb_id: str) -> TensorBoardServer:
        """The server a proxied request goes to, once it answers."""
        server = self._find(tb_id)
        server.touch()
        await self._await_ready(server)
        return server

    def touch(self, tb_id: str) -> None:
        server = self._servers.get(tb_id)
        if server is not None:
            server.touch()

    # -- process --------------------------------------------------------------
    def _command(self, server: TensorBoardServer) -> list[str]:
        return [
            sys.executable, "-m", "tensorboard.main",
            "--logdir", server.logdir,
            "--host", "127.0.0.1",
            "--port", str(server.port),
            "--path_prefix", server.prefix,
            # the Python data loader: the fast one needs a separate binary
            "--load_fast", "false",
        ]

    def _spawn(self, server: TensorBoardServer) -> None:
        os.makedirs(self.state_dir, exist_ok=True)
        server.port = _free_port()
        env = {k: v for k, v in os.environ.items() if k not in ("JUPYTER_EASYMAKER_TOKEN", "JPY_API_TOKEN", "JUPYTER_TOKEN")}
        env["PYTHONUNBUFFERED"] = "1"
        with open(server.log_path, "ab") as out:
            server.process = subprocess.Popen(
                self._command(server),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=server.logdir,
                start_new_session=True,  # its own process group: stopping kills any children too
                preexec_fn=_parent_death_signal(),
            )
        server.started_at = utcnow()
        try:
            import psutil

            created = psutil.Process(server.process.pid).create_time()
        except Exception:  # noqa: BLE001 - the state file is a best-effort orphan record
            created = None
        with open(server.state_path, "w", encoding="utf-8") as fh:
            json.dump({"pid": server.process.pid, "create_time": created, "owner_pid": os.getpid(), "logdir": server.logdir}, fh)
        if not self._atexit:
            atexit.register(self.stop_all)
            self._atexit = True

    async def _start(self, server: TensorBoardServer) -> None:
        """Spawn and wait until it answers; a lost port race is retried."""
        from tornado.httpclient import AsyncHTTPClient, HTTPRequest

        client = AsyncHTTPClient()
        deadline = time.monotonic() + self.start_timeout
        for attempt in range(3):
            self._spawn(server)
            probe = f"http://127.0.0.1:{server.port}{urllib.parse.quote(server.prefix)}/data/environment"
            while time.monotonic() < deadline:
                if server.process is None or server.process.poll() is not None:
                    break
                try:
                    response = await client.fetch(HTTPRequest(probe, request_timeout=2.0, connect_timeout=1.0), raise_error=False)
                except Exception:  # noqa: BLE001 - refused or timed out: not up yet
                    response = None
                if response is not None and response.code == 200:
                    self.log.info("easymaker: TensorBoard %s for %s at %s", server.id, server.logdir, server.url)
                    return
                await asyncio.sleep(0.1)
            tail = self._log_tail(server)
            exited = server.process is not None and server.process.poll() is not None
            self._kill(server)
            if exited and "already in use" in tail and attempt < 2:
                continue
            self._remove_state(server)
            self.log.error("easymaker: TensorBoard for %s failed to start: %s", server.logdir, tail[-500:])
            if exited:
                raise TensorBoardFailed(f"TensorBoard exited with code {server.process.returncode}: {tail[-1500:]}")
            raise TensorBoardFailed(f"TensorBoard did not answer within {self.start_timeout:g} s: {tail[-1500:]}")

    @staticmethod
    def _log_tail(server: TensorBoardServer) -> str:
        try:
            with open(server.log_path, "rb") as fh:
                fh.seek(max(0, os.path.getsize(server.log_path) - 4000))
                return fh.read().decode("utf-8", "replace").strip()
        except OSError:
            return ""

    @staticmethod
    def _signal(pid: int, sig: int) -> None:
        try:
            os.killpg(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def _kill(self, server: TensorBoardServer) -> None:
        process = server.process
        if process is not None and process.poll() is None:
            self._signal(process.pid, signal.SIGKILL)
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass

    def _remove_state(self, server: TensorBoardServer) -> None:
        try:
            os.unlink(server.state_path)
        except OSError:
            pass

    def _forget(self, server: TensorBoardServer) -> None:
        self._servers.pop(server.id, None)
        key = os.path.realpath(server.logdir)
        if self._by_logdir.get(key) == server.id:
            del self._by_logdir[key]

    # -- stop -----------------------------------------------------------------
    async def stop(self, tb_id: str) -> None:
        server = self._servers.get(tb_id)
        if server is None:
            raise NotFound(f"tensorboard {tb_id!r} is not running", field="id")
        self._forget(server)
        if server.ready is not None and not server.ready.done():
            server.ready.cancel()
        process = server.process
        if process is not None and process.poll() is None:
            self._signal(process.pid, signal.SIGTERM)
            deadline = time.monotonic() + STOP_GRACE_SECONDS
            while process.poll() is None and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            self._kill(server)
        self._remove_state(server)
        self.log.info("easymaker: stopped TensorBoard %s (%s)", server.id, server.logdir)

    def close(self) -> None:
        self.stop_all()

    def stop_all(self) -> None:
        """Synchronous, for the extension's stop and for atexit."""
        servers = list(self._servers.values())
        self._servers.clear()
        self._by_logdir.clear()
        for server in servers:
            if server.ready is not None and not server.ready.done():
                server.ready.cancel()
            if server.alive():
                self._signal(server.process.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for server in servers:
            process = server.process
            if process is not None:
                try:
                    process.wait(timeout=max(0.0, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    pass
            self._kill(server)
            self._remove_state(server)

    # -- controller hooks -----------------------------------------------------
    def recover(self) -> None:
        """Kill servers left by a previous Jupyter server that died uncleanly."""
        import psutil

        for path in glob.glob(os.path.join(self.state_dir, "*.json")):
            tb_id = os.path.basename(path)[: -len(".json")]
            if tb_id in self._servers:
                continue
            try:
                with open(path, encoding="utf-8") as fh:
                    state = json.load(fh)
                owner = state.get("owner_pid")
                if owner and owner != os.getpid() and psutil.pid_exists(owner):
                    continue  # another live server's
                process = psutil.Process(int(state["pid"]))
                if state.get("create_time") in (None, process.create_time()) and "tensorboard" in " ".join(process.cmdline()):
                    self._signal(process.pid, signal.SIGKILL)
                    self.log.info("easymaker: killed orphaned TensorBoard %s (pid %s)", tb_id, process.pid)
            except (OSError, ValueError, KeyError, psutil.Error):
                pass
            try:
                os.unlink(path)
            except OSError:
                pass

    def _drop_dead(self) -> None:
        for server in list(self._servers.values()):
            if server.ready is not None and server.ready.done() and not server.alive():
                self.log.warning("easymaker: TensorBoard %s exited: %s", server.id, self._log_tail(server)[-300:])
                self._forget(server)
                self._remove_state(server)

    async def reconcile_once(self) -> None:
        """Called every controller tick; stops idle servers now and then."""
        now = time.monotonic()
        if not self._servers or now - self._last_check < min(30.0, max(0.2, self.idle_seconds / 4)):
            return
        self._last_check = now
        self._drop_dead()
        for server in list(self._servers.values()):
            if server.status == "running" and now - server.last_access_mono > self.idle_seconds:
                self.log.info("easymaker: TensorBoard %s idle for %.0f s", server.id, now - server.last_access_mono)
                await self.stop(server.id)


def tensorboard_reconciler(platform: Any) -> TensorBoardManager:
    """The manager is its own reconciler: it stops idle servers and, at start, orphans of a crashed server."""
    return platform.service("tensorboard")

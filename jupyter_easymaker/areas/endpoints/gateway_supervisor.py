"""The Jupyter server's side of the inference gateway process: start it,
find it again after a restart (pid and start time in ``{data_dir}/gateway/
process.json``, like model servers), start it again when it died, and ask it
to reload, drain and count over its control channel.

``RemoteGateway`` has the ``Gateway`` methods the stages, the service and the
reconciler call, so they do not care where the gateway runs. The process is
started once there is an endpoint to route (most servers never need one).
"""
from __future__ import annotations

import http.client
import json
import logging
import os
import secrets
import sys
import threading
import time
from typing import Any

from sqlalchemy import func, select

from jupyter_easymaker.areas.endpoints.gateway_http import CONTROL_PREFIX
from jupyter_easymaker.areas.endpoints.tables import Endpoint
from jupyter_easymaker.backend.processes import free_port, running, spawn, stop_group
from jupyter_easymaker.backend.serving.base import ServingOptions
from jupyter_easymaker.catalogs.handoff import SECRET_HEADER, SOCKET_NAME

PROCESS_MODULE = "jupyter_easymaker.areas.endpoints.gateway_process"
START_TIMEOUT_SECONDS = 30.0
CONTROL_TIMEOUT_SECONDS = 30.0  # a reload of a big table, a flush waiting for the store's lock


class GatewayDown(ConnectionError):
    """The gateway process does not answer."""


def _write_json(path: str, data: dict) -> None:
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w") as f:
        json.dump(data, f)
    os.replace(tmp, path)


class GatewayProcess:
    def __init__(self, settings: Any, options: ServingOptions, *, log: logging.Logger | None = None):
        self.settings = settings
        self.options = options
        self.log = log or logging.getLogger("jupyter_easymaker.endpoints")
        self.folder = settings.path("gateway")
        self.state_file = os.path.join(self.folder, "process.json")
        self.secret_file = os.path.join(self.folder, "secret")
        self.config_file = os.path.join(self.folder, "config.json")
        self.log_file = os.path.join(self.folder, "gateway.log")
        # local model servers link here to take kept-alive client connections over (gateway_handoff.py)
        self.handoff_socket = os.path.join(self.folder, SOCKET_NAME) if options.gateway_handoff else ""
        self.supervised = False  # started or found once: kept alive from then on
        self.starts = 0  # processes started by this server
        self._state: dict[str, Any] | None = None
        self._child = None
        self._secret: str | None = None
        self._lock = threading.RLock()

    # -- where -------------------------------------------------------------------------
    @property
    def port(self) -> int | None:
        return int(self._state["port"]) if self._state else None

    @property
    def connect_host(self) -> str:
        host = self.options.gateway_host
        return "127.0.0.1" if host in ("", "0.0.0.0", "::") else host

    def address(self) -> str | None:
        """The gateway's own origin (``http://host:port``), None when it is not running."""
        return f"http://{self.connect_host}:{self.port}" if self._state else None

    def public_url(self) -> str | None:
        """The origin clients are told (the fast URL, beside the Jupyter port's)."""
        if self.options.gateway_public_url:
            return self.options.gateway_public_url.rstrip("/")
        state = self._state or self._read_state()
        port = self.options.gateway_port or (state or {}).get("port")
        return f"http://{self.connect_host}:{port}" if port else None

    @property
    def secret(self) -> str:
        if self._secret is None:
            os.makedirs(self.folder, mode=0o700, exist_ok=True)
            try:
                with open(self.secret_file) as f:
                    self._secret = f.read().strip()
            except FileNotFoundError:
                value = secrets.token_urlsafe(32)
                fd = os.open(self.secret_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w") as f:
                    f.write(value)
                self._secret = value
        return self._secret

    # -- liveness ------------------------------------------------------------------------
    def _read_state(self) -> dict[str, Any] | None:
        try:
            with open(self.state_file) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def alive(self) -> bool:
        state = self._state
        return bool(state) and running(state["pid"], state["create_time"], self._child) is not None

    def pid(self) -> int | None:
        return int(self._state["pid"]) if self._state else None

    def ensure(self) -> bool:
        """Running from now on: the known process, the one recorded in the
        data folder (a restarted server), or a new one. True when started."""
        with self._lock:
            self.supervised = True
            if self.alive():
                return False
            state = self._read_state()
            if state and running(state.get("pid", 0), state.get("create_time", 0)) is not None:
                if self._written_config() == self._config(int(state["port"])):
                    self._state, self._child = state, None
                    self.log.info("easymaker: found the inference gateway again (pid %s, port %s)", state["pid"], state["port"])
                    return False
                self.log.info("easymaker: the inference gateway's settings changed; starting it anew")
                self._state = state
                self.stop()
                state = {"port": state["port"]} if not self.options.gateway_port else None
            if self._state is not None:
                self.log.warning("easymaker: the inference gateway (pid %s) is gone; starting it again", self._state["pid"])
            self._start((state or self._state or {}).get("port"))
            return True

    def _config(self, port: int) -> dict[str, Any]:
        return {"db_url": self.settings.db_url, "host": self.options.gateway_host, "port": port,
                "secret_file": self.secret_file, "state_file": self.state_file, "log_type": self.settings.log_type,
                "options": dict(vars(self.options)), "listeners": list(self.options.gateway_listeners),
                "handoff_socket": self.handoff_socket}

    def _written_config(self) -> dict[str, Any] | None:
        try:
            with open(self.config_file) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def _start(self, previous_port: int | None) -> None:
        host = self.options.gateway_host
        port = self.options.gateway_port or previous_port or free_port(host or "127.0.0.1")
        os.makedirs(self.folder, mode=0o700, exist_ok=True)
        _write_json(self.config_file, self._config(port))
        with open(self.log_file, "ab") as log:
            proc, create_time = spawn([sys.executable, "-m", PROCESS_MODULE, "--config", self.config_file],
                                      cwd=self.folder, env=dict(os.environ), log=log)
        self._child, self._state = proc, None  # known once it answers
        state = {"pid": proc.pid, "create_time": create_time, "port": port, "host": host}
        _write_json(self.state_file, state)  # at once: the process leaves when this file names another
        self.starts += 1
        end = time.monotonic() + START_TIMEOUT_SECONDS
        while True:
            try:
                self.control("ping", timeout=1.0, port=port)
                self._state = state
                break
            except GatewayDown as exc:
                if proc.poll() is not None or time.monotonic() > end:
                    with open(self.log_file, "rb") as f:
                        tail = f.read()[-2000:].decode("utf-8", "replace")
                    self.stop()
                    raise GatewayDown(f"the inference gateway did not start on port {port}: {exc}\n{tail}") from None
                time.sleep(0.05)
        self.log.info("easymaker: inference gateway started (pid %d, port %d)", proc.pid, port)

    def stop(self, grace_seconds: float = 5.0) -> None:
        with self._lock:
            state = self._state or self._read_state()
            if state:
                stop_group(int(state["pid"]), lambda: running(state["pid"], state["create_time"], self._child) is not None,
                           grace_seconds, self._child)
            elif self._child is not None:  # started, never answered
                stop_group(self._child.pid, lambda: self._child.poll() is None, grace_seconds, self._child)
            self._state, self._child = None, None
            try:
                os.remove(self.state_file)
            except FileNotFoundError:
                pass

    # -- the control channel ------------------------------------------------------------------
    def control(self, op: str, body: dict | None = None, *, timeout: float = CONTROL_TIMEOUT_SECONDS,
                port: int | None = None) -> Any:
        port = port or self.port
        if not port:
            raise GatewayDown("the inference gateway is not running")
        conn = http.client.HTTPConnection(self.connect_host, port, timeout=timeout)
        try:
            conn.request("POST", CONTROL_PREFIX.decode() + op, body=json.dumps(body or {}),
                         headers={SECRET_HEADER.decode(): self.secret, "Content-Type": "application/json"})
            response = conn.getresponse()
            data = json.loads(response.read() or b"{}")
        except (OSError, http.client.HTTPException, ValueError) as exc:
            raise GatewayDown(f"the inference gateway does not answer: {exc}") from None
        finally:
            conn.close()
        if response.status != 200:
            raise GatewayDown(f"the inference gateway refused {op}: {data.get('error')}")
        return data


class RemoteGateway:
    """The ``Gateway`` methods the endpoints area calls, answered by the gateway process."""

    loaded = True

    def __init__(self, db: Any, process: GatewayProcess, *, log: logging.Logger | None = None):
        self.db = db
        self.process = process
        self.options = process.options
        self.log = log or process.log
        self._draining: set[str] = set()  # sent again to a gateway started anew

    def _wanted(self) -> bool:
        if self.process.supervised:
            return True
        with self.db.session() as session:
            return bool(session.scalar(select(func.count()).select_from(Endpoint)))

    def ensure(self) -> bool:
        """Start (or find) the process when there is something to route; True when it started anew."""
        if not self._wanted():
            return False
        if self.process.alive():
            return False
        started = self.process.ensure()
        if started and self._draining:
            self._call("drain", {"addresses": sorted(self._draining)})
        return started

    def _call(self, op: str, body: dict | None = None) -> Any:
        try:
            return self.process.control(op, body)
        except GatewayDown as exc:
            self.log.warning("easymaker: inference gateway %s: %s", op, exc)
            return None

    def reload(self) -> None:
        if not self._wanted():
            return
        if self.ensure():
            return  # a process started now loaded the routes itself
        if self._call("reload") is None and not self.process.alive():
            self.ensure()

    def forget_keys(self) -> None:
        if self.process.alive():
            self._call("forget_keys")

    def drain(self, addresses: list[str]) -> None:
        if addresses:
            self._draining.update(addresses)
            self._call("drain", {"addresses": list(addresses)})

    def undrain(self, addresses: list[str]) -> None:
        self._draining.difference_update(addresses)
        self._call("undrain", {"addresses": list(addresses)})

    def in_flight(self, *, resource_id: str | None = None, addresses: list[str] | None = None) -> int:
        if not self.process.alive():
            return 0  # a gateway that died forgot its requests with it
        answer = self._call("in_flight", {"resource_id": resource_id, "addresses": addresses})
        return int(answer["in_flight"]) if answer else 0

    def describe(self, endpoint_id: str, stage_id: str) -> dict[str, Any]:
        answer = self._call("describe", {"endpoint_id": endpoint_id, "stage_id": stage_id}) if self.process.alive() else None
        return answer or {"routable": False, "default": False, "models": {}}

    def flush(self) -> None:
        if self.process.alive():
            self._call("flush")

    def flush_due(self) -> bool:
        return False  # the gateway process writes its statistics itself

    def close(self) -> None:
        """The server stops: the gateway keeps serving unless told otherwise (it is found again at the next start)."""
        if self.process.alive():
            self._call("flush")
            if not self.options.gateway_outlives_server:
                self.process.stop()

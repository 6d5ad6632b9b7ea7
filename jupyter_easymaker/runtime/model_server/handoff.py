"""This model server's link to the inference gateway (``catalogs/handoff.py``):
it takes the client connections the gateway hands over (``handed.py``),
gives back those it should not answer, and reports what it answered.

The link is kept: when the gateway goes (a JupyterLab restart), the
connections held here keep being answered, and the link is made again as
soon as a gateway listens; what was counted meanwhile is reported then.
"""
from __future__ import annotations

import asyncio
import logging
import os
import random
import socket
import time
from collections.abc import Callable
from typing import Any

import orjson

from jupyter_easymaker.catalogs import handoff as wire
from jupyter_easymaker.runtime.model_server.handed import Grant, HandedConnection, Request

log = logging.getLogger("jupyter_easymaker.model_server.handoff")
REPORT_SECONDS = 0.25
RETRY_SECONDS = 1.0
SWEEP_SECONDS = 0.5
MAX_PENDING_LOGS = 20000  # inference log records kept while no gateway is linked
MAX_PENDING_LATENCIES = 200000


class GatewayLink:
    """The link, the connections held through it, and what they answered since the last report."""

    def __init__(self, app: Callable, path: str, port: int):
        self.app = app
        self.path = path
        self.port = port
        self.sock: socket.socket | None = None
        self.outbox: wire.Outbox | None = None
        self.inbox = wire.Inbox()
        self.held: set[HandedConnection] = set()
        self.grants: dict[str, Grant] = {}
        # what was answered since the last report: grant id -> [failures, latencies]
        self.requests: dict[str, list] = {}
        self.logs: dict[str, list[list]] = {}  # grant id -> [inference id, method, path, status, ms, time]
        self.log_count = 0
        self.latencies = 0
        self.dropped = 0
        self.closed: dict[str, int] = {}  # grant id -> connections the clients closed
        self._stop = asyncio.Event()
        self._gone = asyncio.Event()

    # -- the link ------------------------------------------------------------------------
    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        sweeper = loop.create_task(self._sweep_loop())
        try:
            await self._link_loop(loop)
        finally:
            sweeper.cancel()

    async def _sweep_loop(self) -> None:
        """Answers past the request timeout are cancelled (one timer for all, as the gateway's)."""
        while True:
            await asyncio.sleep(SWEEP_SECONDS)
            now = time.monotonic()
            for conn in list(self.held):
                if conn.task is not None and conn.deadline < now:
                    conn.task.cancel()

    async def _link_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        while not self._stop.is_set():
            try:
                self.sock = wire.connect(self.path)
                if wire.peer_uid(self.sock) != os.getuid():
                    raise PermissionError(f"{self.path} is another user's")
                self.outbox = wire.Outbox(self.sock, loop, self._broken)
                self.outbox.send({"op": "hello", "port": self.port, "pid": os.getpid()})
            except OSError:
                self._drop_link()
                await self._sleep(RETRY_SECONDS)
                continue
            self._gone.clear()
            loop.add_reader(self.sock.fileno(), self._readable)
            reporter = loop.create_task(self._report_loop())
            await self._gone.wait()
            reporter.cancel()
            await self._sleep(RETRY_SECONDS)

    async def _sleep(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._stop.wait(), seconds)
        except TimeoutError:
            pass

    def _drop_link(self) -> None:
        if self.sock is None:
            return
        if self.outbox is not None:
            self.outbox.close()
            self.outbox = None
        self.inbox.discard()
        try:
            asyncio.get_running_loop().remove_reader(self.sock.fileno())
        except (RuntimeError, ValueError):
            pass
        self.sock.close()
        self.sock = None
        self._gone.set()

    def _send(self, header: dict[str, Any], raw: bytes = b"", fd: int | None = None) -> bool:
        if self.outbox is None:
            return False
        try:
            self.outbox.send(header, raw, fd)
            return True
        except OSError as exc:
            self._broken(exc)
            return False

    def _broken(self, exc: OSError) -> None:
        log.warning("model server: the link to the inference gateway broke (%s); linking again", exc)
        self._drop_link()

    def _readable(self) -> None:
        if self.sock is None:
            return
        try:
            messages, still_open = wire.receive_all(self.sock, self.inbox)
        except (OSError, ValueError):
            messages, still_open = [], False
        for header, _raw, fd in messages:
            op = header.get("op")
            if op == "take" and fd is not None:
                self._take(fd, header["grant"])
            elif op == "recall":
                for conn in list(self.held):
                    conn.recall()
            elif op == "report":  # the gateway is asked for statistics: what was answered here counts
                self.report(asked=int(header.get("asked") or 0))
            elif fd is not None:
                os.close(fd)
        if not still_open:
            self._drop_link()

    def _take(self, fd: int, grant_fields: dict[str, Any]) -> None:
        grant = self.grants.get(grant_fields["id"])
        if grant is None:
            grant = self.grants[grant_fields["id"]] = Grant(grant_fields)
        sock = socket.socket(fileno=fd)
        sock.setblocking(False)
        # the connection is held (and recallable) from now, before the loop adopts it
        conn = HandedConnection(self, self.app, grant)
        self.held.add(conn)
        asyncio.get_running_loop().create_task(self._adopt(conn, sock))

    async def _adopt(self, conn: HandedConnection, sock: socket.socket) -> None:
        try:
            await asyncio.get_running_loop().connect_accepted_socket(lambda: conn, sock)
        except OSError:
            sock.close()
            self.forget(conn, closed=True)

    # -- what connections ask ------------------------------------------------------------------
    def give_back(self, conn: HandedConnection, raw: bytes, why: str) -> None:
        transport = conn.transport
        self.held.discard(conn)
        if transport is None:
            return
        transport.pause_reading()
        fd = transport.get_extra_info("socket").fileno()
        if not self._send({"op": "back", "grant": conn.grant.id, "who": conn.grant.who, "why": why}, raw, fd):
            # no gateway to decide: the client learns why and connects again
            body = b'{"error": "the inference gateway is not reachable"}'
            transport.write(b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                            b"Connection: close\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
            transport.close()
            self._closed(conn)
            return
        transport.abort()  # this process's descriptor only: the gateway holds the connection now

    def forget(self, conn: HandedConnection, *, closed: bool) -> None:
        if conn in self.held:
            self.held.discard(conn)
            if closed:
                self._closed(conn)

    def _closed(self, conn: HandedConnection) -> None:
        self.closed[conn.grant.id] = self.closed.get(conn.grant.id, 0) + 1

    def count(self, grant: Grant, request: Request, status: int, latency_ms: float) -> None:
        entry = self.requests.get(grant.id)
        if entry is None:
            entry = self.requests[grant.id] = [0, []]
        ok = status < 400
        if not ok:
            entry[0] += 1
        if self.latencies >= MAX_PENDING_LATENCIES:
            return  # no gateway for a long while: counted no more
        self.latencies += 1
        latency_ms = round(latency_ms, 3)
        entry[1].append(latency_ms)
        if ok and grant.sample < 1.0 and random.random() >= grant.sample:
            return
        if self.log_count >= MAX_PENDING_LOGS:
            self.dropped += 1
            return
        self.log_count += 1
        rows = self.logs.get(grant.id)
        if rows is None:
            rows = self.logs[grant.id] = []
        rows.append([request.inference_id.decode("latin-1"), request.method.decode(), request.path, status,
                     latency_ms, time.time()])

    # -- reports ---------------------------------------------------------------------------------
    async def _report_loop(self) -> None:
        while self.sock is not None:
            await asyncio.sleep(REPORT_SECONDS)
            self.report()

    def report(self, asked: int | None = None) -> None:
        """What was answered since the last report; ``asked``: the gateway waits for this one."""
        if asked is None and not (self.requests or self.logs or self.closed or self.dropped) or self.sock is None:
            return
        named = {*self.requests, *self.closed, *self.logs}
        report = orjson.dumps({"grants": {g: self.grants[g].who for g in named if g in self.grants},
                               "requests": self.requests, "logs": self.logs, "closed": self.closed,
                               "dropped": self.dropped})
        if self._send({"op": "report", "asked": asked} if asked is not None else {"op": "report"}, report):
            self.requests, self.logs, self.latencies, self.closed, self.dropped = {}, {}, 0, {}, 0
            self.log_count = 0

    async def close(self, seconds: float = 5.0) -> None:
        """Held connections back to the gateway (answered ones at once, the others when answered)."""
        for conn in list(self.held):
            conn.recall()
        deadline = time.monotonic() + seconds
        while self.held and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        for conn in list(self.held):
            conn.abort()
        self.report()
        self._stop.set()
        self._drop_link()

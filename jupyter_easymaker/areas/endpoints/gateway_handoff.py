"""The gateway's side of the connection handoff (``catalogs/handoff.py``).

Local model servers link to the gateway's handoff socket. Once the gateway
has answered a kept-alive connection's request by forwarding it to one of
them, and nothing more of the connection is read or queued, it hands the
connection to that server, which answers the connection's further requests
to the same stage URL with the same key itself: the steady state has no hop
through the gateway. Whatever the server should not answer comes back here
with its bytes, and is decided afresh.

The routing table, keys and draining stay the gateway's: when routes are
reloaded, keys forgotten or servers drained, every held connection is
recalled (answered requests first), and the next request on it is routed
again. Statistics, key use and inference logs of what the servers answered
arrive as reports and go into the same counters as the gateway's own.
"""
from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import orjson

from jupyter_easymaker.catalogs import handoff as wire

log = logging.getLogger("jupyter_easymaker.gateway")
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
RECALLED = "recalled"
COLLECT_SECONDS = 2.0  # why a connection comes back when the gateway asked for it


class Link:
    """One model server process's link."""

    def __init__(self, sock: socket.socket, loop: asyncio.AbstractEventLoop,
                 on_error: Callable[[Link, Exception], None]):
        self.sock = sock
        self.outbox = wire.Outbox(sock, loop, lambda exc: on_error(self, exc))
        self.inbox = wire.Inbox()
        self.port: int | None = None
        self.asked = 0  # reports asked for (collect())
        self.answered: asyncio.Future | None = None


class Handoff:
    def __init__(self, gateway: Any, path: str, *, local_hosts: set[str] | frozenset[str] = frozenset()):
        self.gateway = gateway  # the endpoints area's Gateway: counters, logs, keys
        self.path = path
        # (socket, bytes read of it, whether it may be handed over again) -> None: the HTTP listener takes it back
        self.adopt: Callable[[socket.socket, bytes, bool], None] | None = None
        self.local_hosts = LOOPBACK | set(local_hosts)
        self.listener: socket.socket | None = None
        self.links: dict[int, list[Link]] = {}  # by the model server's HTTP port
        self._turn = 0
        self._grants: dict[tuple, str] = {}
        self.held: Counter[tuple[str, str]] = Counter()  # (resource id, address) -> connections held there
        self.epoch = 0  # recalls so far: a request routed before the last one is not handed over
        self.handed = 0  # connections handed, ever (statistics of the gateway itself)
        self.returned: Counter[str] = Counter()  # connections given back, by why

    # -- the socket ----------------------------------------------------------------------
    def start(self, adopt: Callable[[socket.socket, bytes, bool], None]) -> None:
        self.adopt = adopt
        os.makedirs(os.path.dirname(self.path), mode=0o700, exist_ok=True)
        self.listener = wire.listen(self.path)
        self.listener.setblocking(False)
        asyncio.get_running_loop().add_reader(self.listener.fileno(), self._accept)

    def close(self) -> None:
        for link in [link for links in self.links.values() for link in links]:  # _drop changes self.links
            self._drop(link)
        if self.listener is not None:
            asyncio.get_running_loop().remove_reader(self.listener.fileno())
            self.listener.close()
            self.listener = None

    def _accept(self) -> None:
        while self.listener is not None:
            try:
                sock = wire.accept(self.listener)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                log.exception("easymaker gateway: a model server's handoff link failed")
                return
            if wire.peer_uid(sock) != os.getuid():
                sock.close()  # another user's process: it gets no client connection
                continue
            loop = asyncio.get_running_loop()
            link = Link(sock, loop, self._failed)
            loop.add_reader(sock.fileno(), self._readable, link)

    def _drop(self, link: Link) -> None:
        try:
            asyncio.get_running_loop().remove_reader(link.sock.fileno())
        except (ValueError, OSError):
            pass
        link.inbox.discard()
        link.outbox.close()
        link.sock.close()
        if link.port is not None:
            links = self.links.get(link.port, [])
            if link in links:
                links.remove(link)
            if not links:
                self.links.pop(link.port, None)
                # what it held is lost with it (or goes on, unreported, until it links again)
                for where in [w for w in self.held if urlsplit(w[1]).port == link.port]:
                    del self.held[where]

    def _failed(self, link: Link, exc: Exception) -> None:
        log.warning("easymaker gateway: the handoff link of port %s failed: %s", link.port, exc)
        self._drop(link)

    def _send(self, link: Link, header: dict[str, Any], fd: int | None = None) -> bool:
        try:
            link.outbox.send(header, fd=fd)
            return True
        except OSError as exc:
            self._failed(link, exc)
            return False

    def _readable(self, link: Link) -> None:
        try:
            messages, still_open = wire.receive_all(link.sock, link.inbox)
        except (OSError, ValueError) as exc:
            self._failed(link, exc)
            return
        for message in messages:
            try:
                self._on_message(link, *message)
            except Exception:  # noqa: BLE001 - one bad report must not end the link
                log.exception("easymaker gateway: a handoff message failed")
        if not still_open:
            self._drop(link)

    def _on_message(self, link: Link, header: dict[str, Any], raw: bytes, fd: int | None) -> None:
        op = header.get("op")
        if op == "back" and fd is not None:
            why = str(header.get("why") or "")
            self.returned[why] += 1
            self._unhold(header.get("who") or {})
            sock = socket.socket(fileno=fd)
            sock.setblocking(False)
            # a connection that asked what its server may not answer stays here: no handing to and fro
            self.adopt(sock, raw, why == RECALLED)
            return
        if fd is not None:
            os.close(fd)
        if op == "hello":
            link.port = int(header["port"])
            self.links.setdefault(link.port, []).append(link)
            # connections it may hold were granted by an earlier gateway, on routes and keys that may
            # have changed since: they come back to be decided again
            self._send(link, {"op": "recall"})
        elif op == "report":
            self.take_report(raw)
            asked = header.get("asked")
            if asked is not None and asked >= link.asked and link.answered is not None and not link.answered.done():
                link.answered.set_result(None)

    async def collect(self, seconds: float = COLLECT_SECONDS) -> None:
        """Ask every linked model server for its report now and wait for them (a while at most):
        statistics and logs read next include what the servers answered until now."""
        loop = asyncio.get_running_loop()
        waiting = []
        for links in list(self.links.values()):
            for link in list(links):
                link.asked += 1
                if link.answered is None or link.answered.done():
                    link.answered = loop.create_future()
                if self._send(link, {"op": "report", "asked": link.asked}):
                    waiting.append(link.answered)
        if waiting:
            await asyncio.wait(waiting, timeout=seconds)

    def _unhold(self, who: dict[str, Any], count: int = 1) -> None:
        where = (who.get("resource_id", ""), who.get("address", ""))
        if self.held.get(where, 0) <= count:
            self.held.pop(where, None)
        else:
            self.held[where] -= count

    def take_report(self, raw: bytes) -> None:
        """A model server's report of what it answered (``runtime/model_server/handoff.py``): thousands
        of requests a second each, so read with orjson."""
        self._report(orjson.loads(raw))

    def _report(self, report: dict[str, Any]) -> None:
        gateway = self.gateway
        grants = report.get("grants") or {}
        for grant_id, (failures, latencies) in (report.get("requests") or {}).items():
            who = grants.get(grant_id)
            if who is not None:
                gateway.record_handed(who, int(failures), latencies)
        for grant_id, rows in (report.get("logs") or {}).items():
            who = grants.get(grant_id)
            if who is not None:
                gateway.log_handed(who, rows)
        for grant_id, count in (report.get("closed") or {}).items():
            who = grants.get(grant_id)
            if who is not None:
                self._unhold(who, int(count))
        gateway.dropped_logs(int(report.get("dropped") or 0))

    # -- handing over ----------------------------------------------------------------------
    def link_for(self, host: str, port: int) -> Link | None:
        if host not in self.local_hosts:
            return None
        links = self.links.get(port)
        if not links:
            return None
        self._turn += 1
        return links[self._turn % len(links)]

    def offer(self, link: Link, transport: asyncio.Transport, grant: dict[str, Any]) -> bool:
        """Hand the connection over; False when it stays here."""
        who = grant["who"]
        identity = (grant["prefix"], grant["key"], grant["stage"], *sorted(who.items()))
        grant_id = self._grants.get(identity)
        if grant_id is None:
            grant_id = self._grants[identity] = uuid.uuid4().hex
        sock = transport.get_extra_info("socket")
        if sock is None:
            return False
        if not self._send(link, {"op": "take", "grant": dict(grant, id=grant_id)}, fd=sock.fileno()):
            return False
        self.handed += 1
        self.held[(who["resource_id"], who["address"])] += 1
        return True

    def recall(self, addresses: list[str] | None = None) -> None:
        """Every held connection (or those at these addresses) back, to be routed again."""
        self.epoch += 1
        ports = None if addresses is None else {urlsplit(a).port for a in addresses}
        for link in [link for port, links in self.links.items() if ports is None or port in ports for link in links]:
            self._send(link, {"op": "recall"})

    def held_at(self, *, resource_id: str | None = None, addresses: list[str] | None = None) -> int:
        if resource_id is not None:
            return sum(n for (r, _a), n in self.held.items() if r == resource_id)
        wanted = set(addresses or [])
        return sum(n for (_r, a), n in self.held.items() if a in wanted)

    def describe(self) -> dict[str, Any]:
        return {"linked_ports": sorted(self.links), "held": sum(self.held.values()), "handed": self.handed,
                "returned": dict(self.returned)}


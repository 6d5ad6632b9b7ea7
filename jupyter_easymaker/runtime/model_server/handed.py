"""A client connection the inference gateway handed to this model server
(``catalogs/handoff.py``): its requests are answered here, without the hop
through the gateway, as long as each is one the gateway would send here.

The grant says which: the stage URL prefix (``/easymaker/inference/{endpoint}/
[{stage}/]{model}/``) and the API key the gateway verified. A request that
names both, on a plain HTTP/1.1 ``GET`` or ``POST`` with a ``Content-Length``
body, is answered here with what the gateway would add (``X-Inference-Id``,
``X-Easymaker-Stage``, CORS) and counted for the gateway's statistics and
inference logs. Any other request goes back to the gateway unanswered, with
every byte read of the connection from that request on, so the gateway
parses it afresh: it alone decides anything new (another URL, key or
endpoint, a preflight, a chunked body, a protocol upgrade).
"""
from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import orjson

from jupyter_easymaker.catalogs.handoff import (
    CORS,
    DROP_REQUEST,
    api_key,
    kept_response_headers,
    new_inference_id,
)

MAX_HEAD = 64 * 1024  # a head longer than this goes back to the gateway
MAX_BODY = 1 << 30  # as the gateway's
READ_AHEAD = 4 << 20  # bytes read past the request being answered before reading pauses
METHODS = {b"GET", b"POST"}
# request headers that change how a request is read or answered: the gateway's parser handles those
PARSED_BY_GATEWAY = frozenset({b"transfer-encoding", b"expect", b"upgrade"})
STATUS_LINES = {s.value: f"HTTP/1.1 {s.value} {s.phrase}\r\n".encode() for s in HTTPStatus}
ASGI = {"version": "3.0", "spec_version": "2.3"}


class Grant:
    """What the gateway decided for the connection's first request."""

    __slots__ = ("id", "who", "prefix", "key", "extra", "sample", "timeout")

    def __init__(self, grant: dict[str, Any]):
        self.id = str(grant["id"])
        self.who = grant["who"]  # what the gateway counts the connection's requests for
        self.prefix = grant["prefix"].encode("latin-1")
        self.key = grant["key"]
        self.extra = b"X-Easymaker-Stage: " + grant["stage"].encode() + b"\r\n" + CORS
        self.sample = float(grant.get("sample", 1.0))
        self.timeout = float(grant.get("timeout", 600.0))


@dataclass(slots=True)
class Request:
    method: bytes
    path: str  # in the model server (after the grant's prefix)
    query: bytes
    headers: list  # as the app sees them: the gateway's forwarding rules applied
    length: int  # of the body
    head_end: int  # where the head's blank line starts in the connection's buffer
    inference_id: bytes
    id_made: bool = False  # the inference id was made here: the client sent none

    def again(self) -> Request:
        """The request of the same head sent again (a client's requests on one connection mostly
        have the same head, byte for byte): what parsing it would give, without parsing it."""
        headers = self.headers.copy()  # the app's own list
        inference_id = self.inference_id
        if self.id_made:
            inference_id = new_inference_id()
            headers[ID_AT] = (b"x-inference-id", inference_id)
        return Request(self.method, self.path, self.query, headers, self.length, self.head_end, inference_id,
                       self.id_made)


ID_AT = -5  # where the x-inference-id header is in a Request's headers (parse_head's last six)


def parse_head(buf: bytes | bytearray, end: int, grant: Grant, host: bytes, peer: bytes) -> Request | str:
    """The request whose head ends at ``end`` when it is one to answer here, else
    why it goes back to the gateway."""
    head = bytes(buf[:end])
    lines_ends = head.count(b"\r\n")
    if head.count(b"\n") != lines_ends or head.count(b"\r") != lines_ends:
        return "bare line ends"
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ")
    if len(parts) != 3 or parts[2] != b"HTTP/1.1" or parts[0] not in METHODS:
        return "not an HTTP/1.1 GET or POST"
    method, target = parts[0], parts[1]
    if not target.startswith(grant.prefix):
        return "another stage URL"
    raw_path, _, query = target[len(grant.prefix):].partition(b"?")
    # the gateway unquotes and trims paths: only those it would pass on as they are
    if not raw_path or b"%" in raw_path or b"//" in raw_path or raw_path.endswith(b"/") or raw_path.startswith(b"/"):
        return "a path the gateway rewrites"
    key = length = inference_id = forwarded_for = forwarded_host = None
    headers = []
    for line in lines[1:]:
        name, sep, value = line.partition(b":")
        if not sep or not name or b" " in name or b"\t" in name:
            return "a malformed header"  # or a folded one: the gateway's parser answers it
        name, value = name.lower(), value.strip(b" \t")
        if name not in DROP_REQUEST:
            headers.append((name, value))
        elif name == b"content-length":
            if length is not None or not value.isdigit() or int(value) > MAX_BODY:
                return "a Content-Length the gateway must judge"
            length = int(value)
        elif name == b"authorization" or name == b"x-api-key" or name == b"api-key":
            key = api_key(name, value, key)
        elif name == b"x-inference-id":
            inference_id = value
        elif name == b"x-forwarded-for":
            forwarded_for = value
        elif name == b"host":
            forwarded_host = value
        elif name == b"connection":
            if value.lower() != b"keep-alive":
                return "Connection: " + value.decode("latin-1")
        elif name in PARSED_BY_GATEWAY:
            return "a " + name.decode("latin-1") + " header"
    if key != grant.key:
        return "another API key"
    made = not inference_id
    inference_id = inference_id or new_inference_id()
    headers += [(b"host", host), (b"x-inference-id", inference_id), (b"x-forwarded-for", forwarded_for or peer),
                (b"x-forwarded-proto", b"http"), (b"x-forwarded-host", forwarded_host or b""),
                (b"content-length", b"%d" % (length or 0))]
    return Request(method, "/" + raw_path.decode("utf-8", "replace"), query, headers, length or 0, end, inference_id,
                   made)


class HandedConnection(asyncio.Protocol):
    """One handed connection: requests answered in order, one at a time."""

    def __init__(self, link: Any, app: Callable, grant: Grant):
        self.link = link  # the gateway link (``handoff.py``): where the connection goes back, what it reports
        self.app = app
        self.grant = grant
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.busy = False
        self.closed = False
        self.recalled = False  # go back to the gateway once the request under way is answered
        self.host = b""
        self.peer = b""
        self.scope_base: dict[str, Any] = {}
        self.last_head = b""  # the head last answered here, and its request (Request.again)
        self.last_request: Request | None = None
        self.task: asyncio.Task | None = None  # the answer under way, cancelled past its deadline (GatewayLink.sweep)
        self.deadline = 0.0
        self._writable: asyncio.Future | None = None
        self._gone: asyncio.Future | None = None

    # -- asyncio.Protocol -------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        peer = transport.get_extra_info("peername")
        here = transport.get_extra_info("sockname")
        self.peer = (peer[0] if isinstance(peer, tuple) else "").encode()
        self.host = (f"{here[0]}:{here[1]}" if isinstance(here, tuple) else "").encode()
        self.scope_base = {"type": "http", "asgi": ASGI, "http_version": "1.1", "scheme": "http", "root_path": "",
                           "client": peer if isinstance(peer, tuple) else None,
                           "server": here if isinstance(here, tuple) else None}
        if self.recalled:
            self.give_back("recalled")

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if not self.busy:
            self.next_request()
        elif len(self.buf) > READ_AHEAD and self.transport is not None:
            self.transport.pause_reading()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.link.forget(self, closed=True)
        if self._gone is not None and not self._gone.done():
            self._gone.set_result(None)
        if self._writable is not None and not self._writable.done():
            self._writable.set_result(None)

    def pause_writing(self) -> None:
        self._writable = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        if self._writable is not None and not self._writable.done():
            self._writable.set_result(None)
        self._writable = None

    # -- requests -------------------------------------------------------------------------
    def recall(self) -> None:
        self.recalled = True
        if not self.busy and self.transport is not None:
            self.give_back("recalled")

    def next_request(self) -> None:
        if self.closed:
            return
        if self.recalled:
            self.give_back("recalled")
            return
        buf = self.buf
        end = buf.find(b"\r\n\r\n", 0, MAX_HEAD + 4)
        if end < 0:
            if len(buf) > MAX_HEAD or b"\n\n" in buf:  # the gateway's parser decides
                self.give_back("a head too long, or bare line ends")
            return
        head = bytes(buf[:end])
        if self.last_request is None or head != self.last_head:
            parsed = parse_head(head, end, self.grant, self.host, self.peer)
            if isinstance(parsed, str):
                self.give_back(parsed)
                return
            self.last_head, self.last_request = head, parsed  # kept as parsed: each request is a copy of it
        if len(buf) < end + 4 + self.last_request.length:
            return  # the body is still coming
        request = self.last_request.again()
        self.busy = True
        asyncio.get_running_loop().create_task(self.answer(request))

    async def answer(self, request: Request) -> None:
        started = time.perf_counter()
        start = request.head_end + 4
        body = bytes(self.buf[start:start + request.length])
        del self.buf[:start + request.length]
        if self.transport is not None and len(self.buf) <= READ_AHEAD:
            self.transport.resume_reading()
        response = Response(self, request.inference_id)
        scope = dict(self.scope_base, method=request.method.decode(), path=request.path,
                     raw_path=request.path.encode(), query_string=request.query, headers=request.headers)
        received = False

        async def receive() -> dict[str, Any]:
            nonlocal received
            if not received:
                received = True
                return {"type": "http.request", "body": body, "more_body": False}
            if self._gone is None:
                self._gone = asyncio.get_running_loop().create_future()
                if self.closed:
                    self._gone.set_result(None)
            await self._gone
            return {"type": "http.disconnect"}

        self.task, self.deadline = asyncio.current_task(), time.monotonic() + self.grant.timeout
        try:
            await self.app(scope, receive, response.send)
        except asyncio.CancelledError:  # only the sweep cancels it
            if not response.started:
                response.error(504, f"the model server did not answer within {self.grant.timeout:g} s")
        except Exception as exc:  # noqa: BLE001 - as the gateway answers a failed upstream
            if not response.started:
                response.error(502, f"the model server failed: {type(exc).__name__}")
        finally:
            self.task = None
        if not response.started:
            response.error(502, "the model server gave no answer")
        if not response.finished:
            self.abort()  # part of an answer went out: the client must see it was cut
        self.link.count(self.grant, request, response.status, (time.perf_counter() - started) * 1000)
        self.busy = False
        self.next_request()

    # -- leaving ----------------------------------------------------------------------------
    def give_back(self, why: str) -> None:
        """Back to the gateway with the bytes read from the request not answered on."""
        if self.closed or self.transport is None:
            return
        self.closed = True
        self.link.give_back(self, bytes(self.buf), why)

    def abort(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.abort()


class Response:
    """What the app sends, written as the gateway writes an answer it relays."""

    __slots__ = ("conn", "inference_id", "status", "started", "finished", "chunked", "head")

    def __init__(self, conn: HandedConnection, inference_id: bytes):
        self.conn = conn
        self.inference_id = inference_id
        self.status = 0
        self.started = self.finished = self.chunked = False
        self.head = b""

    def _head(self, status: int, headers: list, length: int | None) -> bytes:
        parts = [STATUS_LINES.get(status) or b"HTTP/1.1 %d Unknown\r\n" % status, *kept_response_headers(headers)]
        if length is not None:
            parts.append(b"Content-Length: %d\r\n" % length)
        elif status not in (204, 304):
            parts.append(b"Transfer-Encoding: chunked\r\n")
            self.chunked = True
        parts += [b"X-Inference-Id: ", self.inference_id, b"\r\n", self.conn.grant.extra, b"\r\n"]
        return b"".join(parts)

    async def send(self, message: dict[str, Any]) -> None:
        conn = self.conn
        if message["type"] == "http.response.start":
            self.status = int(message["status"])
            self.started = True
            headers = message.get("headers") or []
            length = next((int(v) for n, v in headers if n.lower() == b"content-length"), None)
            self.head = self._head(self.status, headers, length)
            return
        if message["type"] != "http.response.body" or self.finished:
            return
        body = message.get("body", b"")
        more = message.get("more_body", False)
        out = [self.head] if self.head else []
        self.head = b""
        if self.chunked:
            if body:
                out += (b"%x\r\n" % len(body), body, b"\r\n")
            if not more:
                out.append(b"0\r\n\r\n")
        elif body:
            out.append(body)
        self.finished = not more
        if out and not conn.closed:
            conn.transport.write(out[0] if len(out) == 1 else b"".join(out))  # type: ignore[union-attr]
            if conn._writable is not None:
                await conn._writable

    def error(self, status: int, message: str) -> None:
        self.status, self.started, self.finished = status, True, True
        body = orjson.dumps({"error": message})
        if not self.conn.closed:
            self.conn.transport.write(self._head(status, [(b"Content-Type", b"application/json")], len(body)) + body)  # type: ignore[union-attr]

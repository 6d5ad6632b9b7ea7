"""The gateway process's inference listener: HTTP/1.1 parsed with httptools
on an asyncio (uvloop) server, no framework in between.

``/easymaker/inference/{endpoint}/...`` is decided by the endpoints area's
``Gateway`` (routes, API keys, round robin, draining, statistics, inference
logs) and forwarded over kept-alive connections (``gateway_upstream.py``);
answers stream back as they arrive (server-sent events, big bodies), with
the client's flow control passed on to the model server's connection.
``/_easymaker/gateway/{op}`` is the control channel of the Jupyter server
(a secret header; ``gateway_control.py``).
"""
from __future__ import annotations

import asyncio
import hmac
import json
import time
from collections import deque
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote

import httptools

from jupyter_easymaker.areas.endpoints.gateway_upstream import (
    NoAnswer,
    UpstreamConnection,
    UpstreamPool,
    UpstreamTimeout,
)
from jupyter_easymaker.areas.endpoints.routes import INFERENCE_PREFIX, GatewayError
from jupyter_easymaker.catalogs.handoff import (
    CORS,
    DROP_REQUEST,
    SECRET_HEADER,
    api_key,
    kept_response_headers,
    new_inference_id,
)

PREFIX = f"/{INFERENCE_PREFIX}/".encode()
CONTROL_PREFIX = b"/_easymaker/gateway/"
MAX_BODY = 1 << 30
MAX_QUEUED = 16  # pipelined requests read ahead before reading pauses
PREFLIGHT = (b"Access-Control-Allow-Headers: Authorization, Content-Type, x-api-key\r\n"
             b"Access-Control-Allow-Methods: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS\r\n")
STATUS_LINES = {s.value: f"HTTP/1.1 {s.value} {s.phrase}\r\n".encode() for s in HTTPStatus}

Control = Callable[[str, dict], Awaitable[tuple[int, Any]]]


def status_line(status: int) -> bytes:
    return STATUS_LINES.get(status) or f"HTTP/1.1 {status} Unknown\r\n".encode()


class ClientConnection(asyncio.Protocol):
    """One client connection: requests parsed as they come, answered in order;
    it is also the sink of the model server's answer to its current request."""

    def __init__(self, server: GatewayServer, prefill: bytes = b"", *, handable: bool = True):
        self.server = server
        self.prefill = prefill  # bytes read of the connection elsewhere (a model server gave it back)
        self.handable = handable  # may be handed to a model server (gateway_handoff.py)
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self.peer = b""
        self.queue: deque = deque()
        self.busy = False
        self.closed = False
        self.paused = False  # the client reads slower than the model server writes
        self.reading = False  # part of a request is parsed
        self.offer: tuple | None = None  # what the last request was routed to: a handoff may follow
        self.upstream: UpstreamConnection | None = None
        self._url = b""
        self._headers: list[tuple[bytes, bytes]] = []
        self._body: list[bytes] = []
        self._size = 0
        # the answer under way
        self.status = 0
        self.started = False
        self.chunked = False
        self.extra = b""  # headers the gateway adds to every answer of this request
        self.out: list[bytes] = []  # the answer's bytes gathered during one read from the model server

    # -- asyncio.Protocol -------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        peer = transport.get_extra_info("peername")
        self.peer = (peer[0] if isinstance(peer, tuple) else "unix").encode()
        if self.prefill:
            prefill, self.prefill = self.prefill, b""
            self.data_received(prefill)

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._bad(400, "protocol upgrades are not supported by the inference gateway")
        except httptools.HttpParserError as exc:
            self._bad(400, f"not a valid HTTP request: {exc}")

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.upstream is not None:
            self.upstream.close()  # nobody reads the rest of the answer

    def pause_writing(self) -> None:
        self.paused = True
        if self.upstream is not None and self.upstream.transport is not None:
            self.upstream.transport.pause_reading()

    def resume_writing(self) -> None:
        self.paused = False
        if self.upstream is not None and self.upstream.transport is not None:
            self.upstream.transport.resume_reading()

    # -- httptools callbacks ---------------------------------------------------------
    def on_message_begin(self) -> None:
        self.reading = True
        self._url = b""
        self._headers = []
        self._body = []
        self._size = 0

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name, value))

    def on_headers_complete(self) -> None:
        if self.parser.should_upgrade():
            return
        for name, value in self._headers:
            if len(name) == 6 and name.lower() == b"expect" and value.lower() == b"100-continue":
                self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")  # type: ignore[union-attr]  # curl waits for it

    def on_body(self, data: bytes) -> None:
        self._size += len(data)
        if self._size > MAX_BODY:
            raise httptools.HttpParserError(f"the body is larger than {MAX_BODY} bytes")
        self._body.append(data)

    def on_message_complete(self) -> None:
        self.reading = False
        body = self._body[0] if len(self._body) == 1 else b"".join(self._body)
        request = (self.parser.get_method(), self._url, self._headers, body, self.parser.should_keep_alive())
        if self.busy:
            self.queue.append(request)
            if len(self.queue) >= MAX_QUEUED and self.transport is not None:
                self.transport.pause_reading()
            return
        self.busy = True
        asyncio.get_running_loop().create_task(self._serve(request))

    async def _serve(self, request: tuple) -> None:
        while True:
            try:
                await self.server.handle(self, *request)
            except Exception as exc:  # noqa: BLE001 - one request must not take the connection's others along
                self.server.log_exception()
                if self.started:
                    self.abort()  # part of an answer went out: the client must see it was cut
                else:
                    self.out = []
                    self.reply(503, json.dumps({"error": f"the gateway could not answer: {type(exc).__name__}"}).encode())
            if self.closed:
                return
            if not self.queue:
                self.busy = False
                if self.offer is not None and self.handable:
                    self.server.hand_off(self)
                return
            request = self.queue.popleft()
            if len(self.queue) == MAX_QUEUED - 1 and self.transport is not None:
                self.transport.resume_reading()

    # -- the sink of one answer ----------------------------------------------------------
    def attach(self, upstream: UpstreamConnection) -> None:
        self.upstream = upstream
        if self.paused and upstream.transport is not None:
            upstream.transport.pause_reading()

    def head(self, status: int, headers: list[tuple[bytes, bytes]], length: int | None, version: str) -> None:
        if self.closed:
            return
        self.status, self.started = status, True
        parts = [status_line(status), *kept_response_headers(headers)]
        if length is not None:
            parts.append(b"Content-Length: %d\r\n" % length)
            self.chunked = False
        elif status in (204, 304) or self.upstream is not None and self.upstream.head_only:
            self.chunked = False
        else:
            parts.append(b"Transfer-Encoding: chunked\r\n")
            self.chunked = True
        parts.append(self.extra)
        parts.append(b"\r\n")
        self.out.append(b"".join(parts))

    def body(self, data: bytes) -> None:
        if self.closed or not data:
            return
        if self.chunked:
            self.out += (b"%x\r\n" % len(data), data, b"\r\n")
        else:
            self.out.append(data)

    def flush(self) -> None:
        """One write (one system call) for what one read from the model server produced."""
        out = self.out
        if out:
            self.out = []
            if not self.closed:
                self.transport.write(out[0] if len(out) == 1 else b"".join(out))  # type: ignore[union-attr]

    def end(self) -> None:
        if self.chunked and not self.closed:
            self.out.append(b"0\r\n\r\n")
        self.chunked = False
        self.flush()

    def reply(self, status: int, body: bytes, content_type: bytes = b"application/json", headers: bytes = b"") -> None:
        self.status, self.started = status, True
        if self.closed:
            return
        self.transport.write(b"".join((  # type: ignore[union-attr]
            status_line(status), b"Content-Type: ", content_type, b"\r\nContent-Length: %d\r\n" % len(body), headers,
            self.extra, b"\r\n", body)))

    def abort(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.abort()

    def _bad(self, status: int, message: str) -> None:
        self.extra = b"Connection: close\r\n"
        self.reply(status, json.dumps({"error": message}).encode())
        self.closed = True
        if self.transport is not None:
            self.transport.close()


class GatewayServer:
    """The inference listener's shared state: the gateway, the upstream pool, request deadlines."""

    def __init__(self, gateway: Any, *, secret: str, control: Control, log: Any = None):
        self.gateway = gateway
        options = gateway.options
        self.timeout = options.gateway_timeout_seconds
        self.pool = UpstreamPool(options.gateway_connect_timeout_seconds)
        self.secret = secret.encode()
        self.control = control
        self.log = log
        self.deadlines: dict[ClientConnection, float] = {}
        self.handoff: Any = None  # gateway_handoff.Handoff, where local model servers link

    def protocol(self) -> ClientConnection:
        return ClientConnection(self)

    # -- the connection handoff (gateway_handoff.py) --------------------------------------------
    def adopt(self, sock: Any, raw: bytes, handable: bool) -> None:
        """A connection a model server gave back, with the bytes it read of it."""
        loop = asyncio.get_running_loop()

        async def take() -> None:
            try:
                await loop.connect_accepted_socket(lambda: ClientConnection(self, prefill=raw, handable=handable), sock)
            except OSError:
                sock.close()

        loop.create_task(take())

    def hand_off(self, client: ClientConnection) -> bool:
        """Hand the connection to the model server its last request went to, when
        nothing of it is pending here (gateway_handoff.py); False when it stays."""
        offer, client.offer = client.offer, None
        handoff, transport = self.handoff, client.transport
        if handoff is None or offer is None or transport is None or client.closed or client.paused \
                or client.queue or client.reading or transport.get_write_buffer_size():
            return False
        target, upstream, prefix, key, key_id, epoch = offer
        if epoch != handoff.epoch or upstream.address in self.gateway.draining:
            return False  # routes changed since the request was routed
        host, port, _netloc = self.pool.where(upstream.address)
        link = handoff.link_for(host, port)
        if link is None:
            return False
        grant = {"prefix": prefix.decode("latin-1"), "key": key, "stage": target.stage.name,
                 "sample": self.gateway.options.inference_log_sample_rate, "timeout": self.timeout,
                 "who": {"endpoint_id": target.endpoint.endpoint_id, "stage_id": target.stage.stage_id,
                         "model": target.model, "key_id": key_id, "resource_id": upstream.resource_id,
                         "address": upstream.address}}
        transport.pause_reading()
        if not handoff.offer(link, transport, grant):
            transport.resume_reading()
            return False
        client.closed = True
        transport.abort()  # this process's descriptor only: the model server holds the connection now
        return True

    def log_exception(self) -> None:
        if self.log is not None:
            self.log.exception("easymaker gateway: a request failed")

    async def sweep(self) -> None:
        """Time out answers that take longer than the request timeout (one timer for all requests)."""
        while True:
            await asyncio.sleep(1.0)
            now = time.monotonic()
            for client, deadline in list(self.deadlines.items()):
                if deadline < now and client.upstream is not None:
                    client.upstream.timed_out()

    async def handle(self, client: ClientConnection, method: bytes, url: bytes, headers: list, body: bytes,
                     keep_alive: bool) -> None:
        client.status, client.started, client.chunked = 0, False, False
        client.extra = b"" if keep_alive else b"Connection: close\r\n"
        path, _, query = url.partition(b"?")
        if path.startswith(PREFIX):
            await self.inference(client, method, path, query, headers, body)
        elif path.startswith(CONTROL_PREFIX):
            await self.control_request(client, path[len(CONTROL_PREFIX):].decode("ascii", "replace"), headers, body)
        else:
            client.reply(404, b'{"error": "not an inference URL: /easymaker/inference/{endpoint}/..."}')
        if not keep_alive and not client.closed:
            client.offer = None
            client.closed = True
            client.transport.close()  # type: ignore[union-attr]

    async def control_request(self, client: ClientConnection, op: str, headers: list, body: bytes) -> None:
        secret = next((v for n, v in headers if n.lower() == SECRET_HEADER), b"")
        if not hmac.compare_digest(secret, self.secret):
            client.reply(401, b'{"error": "the control channel needs the gateway secret"}')
            return
        try:
            status, answer = await self.control(op, json.loads(body) if body else {})
        except Exception as exc:  # noqa: BLE001 - the caller learns why
            self.log_exception()
            status, answer = 500, {"error": f"{type(exc).__name__}: {exc}"}
        client.reply(status, json.dumps(answer).encode())

    async def inference(self, client: ClientConnection, method: bytes, path: bytes, query: bytes, headers: list,
                        body: bytes) -> None:
        gateway = self.gateway
        started = time.perf_counter()
        text = path[len(PREFIX):].decode("utf-8", "replace")
        if "%" in text:
            text = unquote(text)
        endpoint, _, rest = text.partition("/")
        key = inference_id = forwarded_for = host = None
        forward = []
        for name, value in headers:
            lower = name.lower()
            if lower not in DROP_REQUEST:
                forward.append(b"%s: %s\r\n" % (name, value))
            elif lower == b"authorization" or lower == b"x-api-key" or lower == b"api-key":
                key = api_key(lower, value, key)
            elif lower == b"x-inference-id":
                inference_id = value
            elif lower == b"x-forwarded-for":
                forwarded_for = value  # the Jupyter port's relay says who called
            elif lower == b"host":
                host = value
        inference_id = inference_id or new_inference_id()
        client.extra += b"X-Inference-Id: " + inference_id + b"\r\n" + CORS
        if method == b"OPTIONS":
            client.reply(204, b"", headers=PREFLIGHT)  # CORS preflight: browsers send it without credentials
            return
        target = None
        key_id = None
        try:
            target = gateway.resolve(endpoint, rest.strip("/"))
            client.extra += b"X-Easymaker-Stage: " + target.stage.name.encode() + b"\r\n"
            if key and not gateway.keys.cached(key):  # a key seen first: the store is read off the loop
                key_id = (await asyncio.get_running_loop().run_in_executor(None, gateway.authenticate, target, key)).key_id
            else:
                key_id = gateway.authenticate(target, key).key_id
            if not target.model and method in (b"GET", b"HEAD"):  # the stage URL itself: what it serves
                client.reply(200, json.dumps({
                    "endpoint": target.endpoint.name, "stage": target.stage.name,
                    "default": target.stage.stage_id == target.endpoint.default_stage_id,
                    "models": gateway.models(target)}).encode())
            else:
                upstream_path = ("/" + target.path).encode() + (b"?" + query if query else b"")
                epoch = self.handoff.epoch if self.handoff is not None else 0
                upstream = await self.forward(client, target, method, upstream_path, forward, body, inference_id,
                                              forwarded_for or client.peer, host or b"")
                if upstream is not None and client.status < 400 and key and b"%" not in path:
                    prefix = grant_prefix(path, endpoint, target)
                    if prefix is not None:
                        client.offer = (target, upstream, prefix, key, key_id, epoch)
        except GatewayError as exc:
            target = exc.target or target
            client.reply(exc.status, json.dumps({"error": exc.message}).encode(),
                         headers=b'WWW-Authenticate: Bearer realm="easymaker-inference"\r\n' if exc.status == 401 else b"")
        gateway.record(target, inference_id=inference_id.decode("latin-1"), method=method.decode(), status=client.status,
                       latency_ms=(time.perf_counter() - started) * 1000, key_id=key_id)

    async def forward(self, client: ClientConnection, target: Any, method: bytes, path: bytes, forward: list,
                      body: bytes, inference_id: bytes, forwarded_for: bytes, host: bytes) -> Any:
        """The request to one of the target's servers; the upstream that answered it (None: cut short)."""
        gateway = self.gateway
        tried: set[str] = set()
        head_only = method == b"HEAD"
        tail = b"".join((b"X-Inference-Id: ", inference_id, b"\r\nX-Forwarded-For: ", forwarded_for,
                         b"\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Host: ", host,
                         b"\r\nContent-Length: %d\r\n\r\n" % len(body)))
        fields = b"".join(forward)
        while True:
            upstream = gateway.pick(target, tried)
            _host, _port, netloc = self.pool.where(upstream.address)
            head = b"".join((method, b" ", path, b" HTTP/1.1\r\nHost: ", netloc.encode(), b"\r\n", fields, tail))
            self.deadlines[client] = time.monotonic() + self.timeout
            try:
                await self.pool.fetch(upstream.address, head, body, client, head_only=head_only)
                client.end()
                return upstream
            except NoAnswer:
                client.flush()
                if client.started:
                    client.abort()
                    return None
                tried.add(upstream.address)  # refused or reset before an answer: the next server; pick() ends the tries
            except UpstreamTimeout:
                client.flush()
                if client.started:
                    client.abort()  # part of the answer went out already
                    return None
                raise GatewayError(504, f"the model server did not answer within {self.timeout:g} s",
                                   target=target) from None
            except ConnectionError as exc:
                client.flush()
                if client.started:
                    client.abort()  # the model server went away mid-answer: the client must see it was cut
                    return None
                raise GatewayError(502, f"the model server failed: {exc}", target=target) from None
            finally:
                self.deadlines.pop(client, None)
                client.upstream = None
                gateway.release(upstream)


def grant_prefix(path: bytes, endpoint: str, target: Any) -> bytes | None:
    """The stage URL prefix a request's path began with, exactly as sent
    (``{endpoint}/{stage}/{model}/`` or the default stage's ``{endpoint}/{model}/``)."""
    for prefix in (f"{endpoint}/{target.stage.name}/{target.model}/", f"{endpoint}/{target.model}/"):
        raw = PREFIX + prefix.encode()
        if path.startswith(raw):
            return raw
    return None

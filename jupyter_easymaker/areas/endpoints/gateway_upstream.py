"""The gateway process's connections to model servers: HTTP/1.1 over
kept-alive asyncio connections, responses parsed with httptools and handed
to a sink as they arrive (status and headers, then each piece of the body),
so server-sent events and big bodies stream through without being buffered.

One request at a time per connection; idle connections are kept per
upstream (``host:port``) and reused last-in first-out.
"""
from __future__ import annotations

import asyncio
import time
from typing import Protocol
from urllib.parse import urlsplit

import httptools

IDLE_SECONDS = 20.0  # under the model server's keep-alive timeout (30 s): never reuse what it is closing
MAX_IDLE_PER_UPSTREAM = 128


class UpstreamTimeout(Exception):
    """No (complete) answer within the request timeout."""


class NoAnswer(ConnectionError):
    """The connection failed before any byte of an answer (another server may be tried)."""


class Sink(Protocol):
    def head(self, status: int, headers: list[tuple[bytes, bytes]], length: int | None, version: str) -> None: ...
    def body(self, data: bytes) -> None: ...
    def flush(self) -> None: ...
    def attach(self, upstream: UpstreamConnection) -> None: ...


class UpstreamConnection(asyncio.Protocol):
    """One kept-alive connection; ``exchange()`` sends a request and waits for the whole answer."""

    __slots__ = ("answered", "closed", "done", "head_only", "headers", "idle_since", "key", "parser", "sink", "transport")

    def __init__(self, key: str):
        self.key = key
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.sink: Sink | None = None
        self.done: asyncio.Future | None = None
        self.headers: list[tuple[bytes, bytes]] = []
        self.answered = False  # a byte of the current answer arrived
        self.closed = False
        self.head_only = False
        self.idle_since = 0.0

    # -- asyncio.Protocol ---------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.answered = True
        sink = self.sink
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(ConnectionError(f"the model server's answer is not valid HTTP: {exc}"))
        if sink is not None:
            sink.flush()  # what this read produced, in one write

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        done = self.done
        if done is not None and not done.done():
            if self.sink is not None and self.headers is None and not self.parser.should_keep_alive():
                done.set_result(False)  # a body that ends with the connection
            else:
                done.set_exception(ConnectionError("the model server closed the connection") if self.answered
                                   else NoAnswer("the model server closed the connection before answering"))

    # -- httptools callbacks ------------------------------------------------------
    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        status = self.parser.get_status_code()
        if status < 200:
            self.headers = []
            return  # an interim answer (100 Continue); the real one follows
        headers, self.headers = self.headers, None  # type: ignore[assignment]
        length = None
        for name, value in headers:
            if len(name) == 14 and name.lower() == b"content-length":
                length = int(value)
        if self.sink is not None:
            self.sink.head(status, headers, length, self.parser.get_http_version())
        if self.head_only or status in (204, 304):
            self._complete()

    def on_body(self, data: bytes) -> None:
        if self.sink is not None:
            self.sink.body(data)

    def on_message_complete(self) -> None:
        self._complete()

    # -- the exchange ---------------------------------------------------------------
    def _complete(self) -> None:
        done = self.done
        if done is not None and not done.done():
            done.set_result(not self.head_only and self.parser.should_keep_alive())

    def _fail(self, exc: Exception) -> None:
        done = self.done
        if done is not None and not done.done():
            done.set_exception(exc)
        self.close()

    def timed_out(self) -> None:
        self._fail(UpstreamTimeout("no answer within the request timeout"))

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.abort()

    async def exchange(self, request: bytes, sink: Sink, *, head_only: bool) -> bool:
        """Send ``request`` (head and body) and relay the answer to ``sink``;
        True when the connection may be used again."""
        loop = asyncio.get_running_loop()
        self.done = loop.create_future()
        self.sink = sink
        self.headers = []
        self.answered = False
        self.head_only = head_only
        sink.attach(self)  # the client's flow control and the request timeout reach this connection
        self.transport.write(request)  # type: ignore[union-attr]
        try:
            return await self.done
        finally:
            self.sink = None
            self.done = None


class UpstreamPool:
    def __init__(self, connect_timeout: float = 5.0):
        self.connect_timeout = connect_timeout
        self._idle: dict[str, list[UpstreamConnection]] = {}
        self._where: dict[str, tuple[str, int, str]] = {}  # address -> host, port, Host header

    def where(self, address: str) -> tuple[str, int, str]:
        hit = self._where.get(address)
        if hit is None:
            parts = urlsplit(address)
            hit = self._where[address] = (parts.hostname or "127.0.0.1", parts.port or 80, parts.netloc)
        return hit

    def take(self, address: str) -> UpstreamConnection | None:
        stack = self._idle.get(address)
        if stack:
            now = time.monotonic()
            while stack:
                conn = stack.pop()
                if not conn.closed and now - conn.idle_since < IDLE_SECONDS:
                    return conn
                conn.close()
        return None

    def give(self, conn: UpstreamConnection) -> None:
        stack = self._idle.setdefault(conn.key, [])
        if len(stack) < MAX_IDLE_PER_UPSTREAM and not conn.closed:
            conn.idle_since = time.monotonic()
            stack.append(conn)
        else:
            conn.close()

    async def connect(self, address: str) -> UpstreamConnection:
        host, port, _netloc = self.where(address)
        loop = asyncio.get_running_loop()
        try:
            _transport, conn = await asyncio.wait_for(
                loop.create_connection(lambda: UpstreamConnection(address), host, port), self.connect_timeout)
        except TimeoutError:
            raise NoAnswer(f"connecting to {host}:{port} timed out") from None
        except OSError as exc:
            raise NoAnswer(f"connecting to {host}:{port} failed: {exc}") from None
        return conn

    async def fetch(self, address: str, head: bytes, body: bytes, sink: Sink, *, head_only: bool = False) -> None:
        """Send one request (``head`` ends with the blank line) and relay the answer.
        Raises NoAnswer when nothing was answered (another server may be tried)."""
        while True:
            conn = self.take(address)
            reused = conn is not None
            if conn is None:
                conn = await self.connect(address)
            try:
                reusable = await conn.exchange(head + body if body else head, sink, head_only=head_only)
            except NoAnswer:
                conn.close()
                if reused:
                    continue  # a kept-alive connection the server had closed: once more on a new one
                raise
            except BaseException:
                conn.close()
                raise
            if reusable:
                self.give(conn)
            else:
                conn.close()
            return

    def close(self) -> None:
        for stack in self._idle.values():
            for conn in stack:
                conn.close()
        self._idle.clear()

"""HTTP/1.1 to model servers over kept-alive connections.

tornado's own client opens (and resolves) a connection per request; for a
gateway in front of fast models that costs more than the inference. This
pool keeps idle connections per upstream and speaks HTTP/1.1 with tornado's
``HTTP1Connection``; responses reach the caller as they arrive (status and
headers first, then each chunk), so server-sent events stream through.
"""
from __future__ import annotations

import asyncio
import socket
import time
from typing import Callable
from urllib.parse import urlsplit

from tornado import httputil
from tornado.http1connection import HTTP1Connection, HTTP1ConnectionParameters
from tornado.iostream import IOStream, StreamClosedError
from tornado.netutil import DefaultExecutorResolver, Resolver, is_valid_ip
from tornado.tcpclient import TCPClient

RESOLVE_TTL_SECONDS = 30.0
IDLE_SECONDS = 20.0  # under the model server's keep-alive timeout (30 s): never reuse what it is closing
MAX_IDLE_PER_UPSTREAM = 64
MAX_BODY = 1 << 30


class UpstreamResolver(Resolver):
    """Upstreams are IP literals (local pods) or a few Service names: the
    default resolver's thread-pool hop per request costs more than the
    request, so literals skip it and names are cached briefly."""

    def initialize(self) -> None:  # type: ignore[override]
        self._fallback = DefaultExecutorResolver()
        self._cache: dict[tuple[str, int, int], tuple[float, list]] = {}

    async def resolve(self, host: str, port: int, family: int = socket.AF_UNSPEC) -> list:
        if is_valid_ip(host):
            return [(socket.AF_INET6 if ":" in host else socket.AF_INET, (host, port))]
        key = (host, port, family)
        hit = self._cache.get(key)
        if hit and time.monotonic() - hit[0] < RESOLVE_TTL_SECONDS:
            return hit[1]
        addresses = await self._fallback.resolve(host, port, family)
        self._cache[key] = (time.monotonic(), addresses)
        return addresses


class UpstreamTimeout(Exception):
    """No (complete) answer within the request timeout."""


class _Response(httputil.HTTPMessageDelegate):
    def __init__(self, on_headers: Callable[[int, httputil.HTTPHeaders], None], on_chunk: Callable[[bytes], None]):
        self.on_headers = on_headers
        self.on_chunk = on_chunk
        self.code: int | None = None
        self.reusable = True
        self.complete = False

    def headers_received(self, start_line, headers: httputil.HTTPHeaders) -> None:
        assert isinstance(start_line, httputil.ResponseStartLine)
        if 100 <= start_line.code < 200:
            return  # an interim answer; the real one follows
        self.code = start_line.code
        framed = "Content-Length" in headers or "chunked" in headers.get("Transfer-Encoding", "").lower()
        if start_line.version != "HTTP/1.1" or "close" in headers.get("Connection", "").lower() or \
                (not framed and start_line.code not in (204, 304)):
            self.reusable = False  # the body ends with the connection
        self.on_headers(start_line.code, headers)

    def data_received(self, chunk: bytes) -> None:
        self.on_chunk(chunk)

    def finish(self) -> None:
        self.complete = True

    def on_connection_close(self) -> None:
        self.reusable = False


class UpstreamPool:
    def __init__(self) -> None:
        self.tcp = TCPClient(resolver=UpstreamResolver())
        self._idle: dict[tuple[str, int], list[tuple[float, IOStream]]] = {}

    def _take(self, key: tuple[str, int]) -> IOStream | None:
        stack = self._idle.get(key)
        now = time.monotonic()
        while stack:
            since, stream = stack.pop()
            if not stream.closed() and now - since < IDLE_SECONDS:
                return stream
            stream.close()
        return None

    def _give(self, key: tuple[str, int], stream: IOStream) -> None:
        stack = self._idle.setdefault(key, [])
        if len(stack) < MAX_IDLE_PER_UPSTREAM:
            stack.append((time.monotonic(), stream))
        else:
            stream.close()

    def close(self) -> None:
        for stack in self._idle.values():
            for _since, stream in stack:
                stream.close()
        self._idle.clear()

    async def fetch(self, url: str, *, method: str, headers: httputil.HTTPHeaders, body: bytes | None,
                    on_headers: Callable[[int, httputil.HTTPHeaders], None], on_chunk: Callable[[bytes], None],
                    connect_timeout: float, request_timeout: float) -> int:
        """The upstream's status code; the answer itself went to the callbacks.
        Raises OSError / StreamClosedError when nothing was answered (the caller
        may try another server) and UpstreamTimeout."""
        parts = urlsplit(url)
        host, port = parts.hostname or "127.0.0.1", parts.port or 80
        key = (host, port)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        out = httputil.HTTPHeaders(headers)
        out["Host"] = parts.netloc
        if body is not None:
            out["Content-Length"] = str(len(body))
        start = httputil.RequestStartLine(method, path, "HTTP/1.1")
        while True:
            stream = self._take(key)
            reused = stream is not None
            if stream is None:
                try:
                    stream = await asyncio.wait_for(self.tcp.connect(host, port), connect_timeout)
                except asyncio.TimeoutError:
                    raise OSError(f"connecting to {host}:{port} timed out") from None
            stream.set_nodelay(True)
            conn = HTTP1Connection(stream, True, HTTP1ConnectionParameters(decompress=False, max_body_size=MAX_BODY))
            answer = _Response(on_headers, on_chunk)
            try:
                await conn.write_headers(start, out, body or None)
                conn.finish()
                await asyncio.wait_for(conn.read_response(answer), request_timeout)
            except asyncio.TimeoutError:
                conn.close()
                raise UpstreamTimeout(f"no answer within {request_timeout:g} s") from None
            except (StreamClosedError, OSError, httputil.HTTPInputError):
                conn.close()
                if reused and answer.code is None:
                    continue  # a kept-alive connection the server had closed: once more on a new one
                raise
            if answer.code is None or not answer.complete:
                conn.close()
                if reused and answer.code is None:
                    continue
                raise StreamClosedError()
            if answer.reusable and not stream.closed():
                self._give(key, conn.detach())
            else:
                conn.close()
            return answer.code

"""The stage URLs under the Jupyter server: ``{base_url}easymaker/inference/{endpoint}/...``.

The decisions (routes, API keys, round robin, draining, statistics, inference
logs) are made in one place, the gateway process (``gateway_process.py``);
this handler only relays the request to it over kept-alive connections
(``upstream.py``) and streams its answer back chunk by chunk, so users who can
reach only the Jupyter port keep the documented URLs, server-sent events
included. Not a Jupyter API route: clients carry an endpoint's API key, never
Jupyter credentials (no Jupyter auth, no XSRF); the key is passed on.
"""
from __future__ import annotations

import asyncio
import json
from typing import Any

from tornado import httputil, web
from tornado.iostream import StreamClosedError

from jupyter_easymaker.areas.endpoints.routes import INFERENCE_PREFIX
from jupyter_easymaker.areas.endpoints.upstream import UpstreamPool, UpstreamTimeout

# hop-by-hop headers (RFC 9110), never relayed either way; the API key is relayed (the gateway checks it)
HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer", "transfer-encoding",
       "upgrade", "content-length", "host", "cookie", "x-easymaker-gateway-secret"}
RESPONSE_HOP = HOP - {"cookie"}


class _Relay:
    """Copies the gateway's status, headers and body to the client as they arrive."""

    def __init__(self, handler: InferenceHandler):
        self.handler = handler
        self.started = False  # something was sent to the client: no retry any more
        self.streaming = False
        self.gone = False
        self.buffered = 0

    def headers(self, code: int, headers: httputil.HTTPHeaders) -> None:
        h = self.handler
        h.set_status(code)
        for name, value in headers.get_all():
            if name.lower() not in RESPONSE_HOP:
                h.add_header(name, value) if name.lower() == "set-cookie" else h.set_header(name, value)
        self.streaming = headers.get("Content-Type", "").startswith("text/event-stream")
        self.started = True

    def chunk(self, data: bytes) -> None:
        if self.gone:
            return
        h = self.handler
        h.write(data)
        self.buffered += len(data)
        # server-sent events go out as they come; big bodies in 64 KiB pieces
        if self.streaming or self.buffered >= 1 << 16:
            self.buffered = 0
            h.flush().add_done_callback(self._flushed)

    def _flushed(self, future) -> None:
        if future.exception() is not None:  # the client went away; the rest is dropped
            self.gone = True


class InferenceHandler(web.RequestHandler):
    SUPPORTED_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")

    def check_xsrf_cookie(self) -> None:
        """API clients carry an API key, not a browser session: no XSRF token."""

    async def prepare(self) -> None:  # type: ignore[override]
        # the endpoints area loads (in a worker thread) with the first request that needs it
        self._endpoints = await self.settings["easymaker"].load("endpoints")
        self.clear_header("Content-Type")  # the gateway's answer says what it is

    @property
    def upstreams(self) -> UpstreamPool:
        """Kept-alive connections of this server (its streams belong to its event loop)."""
        pool = self.settings.get("easymaker_upstreams")
        if pool is None:
            pool = self.settings["easymaker_upstreams"] = UpstreamPool()
        return pool

    async def get(self, endpoint: str, rest: str = "") -> None:
        await self.relay()

    async def head(self, endpoint: str, rest: str = "") -> None:
        await self.relay()

    async def post(self, endpoint: str, rest: str = "") -> None:
        await self.relay()

    async def put(self, endpoint: str, rest: str = "") -> None:
        await self.relay()

    async def patch(self, endpoint: str, rest: str = "") -> None:
        await self.relay()

    async def delete(self, endpoint: str, rest: str = "") -> None:
        await self.relay()

    async def options(self, endpoint: str, rest: str = "") -> None:
        await self.relay()

    def error(self, status: int, message: str) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"error": message}))

    async def relay(self) -> None:
        try:
            await self._relay()
        finally:
            if not self._finished:
                try:
                    self.finish()
                except StreamClosedError:
                    pass  # the client went away

    async def _relay(self) -> None:
        gateway = self._endpoints.gateway
        process = gateway.process
        request = self.request
        base = self.settings.get("base_url") or "/"
        path = "/" + request.uri[len(base):] if request.uri.startswith(base) else request.uri  # still percent-encoded
        if not path.startswith(f"/{INFERENCE_PREFIX}/"):
            path = f"/{INFERENCE_PREFIX}/" + path.split(f"/{INFERENCE_PREFIX}/", 1)[-1]
        headers = httputil.HTTPHeaders()
        for name, value in request.headers.get_all():
            if name.lower() not in HOP:
                headers.add(name, value)
        headers["X-Forwarded-For"] = request.remote_ip or ""
        headers["X-Forwarded-Host"] = request.host
        body = request.body if request.method in ("POST", "PUT", "PATCH", "DELETE") else None
        timeout = gateway.options.gateway_timeout_seconds + 5  # the gateway answers 504 first
        for attempt in range(2):
            address = process.address()  # a dead one is noticed by its refused connection
            if address is None:
                await asyncio.to_thread(gateway.ensure)  # found again or started (the reconciler restarts it too)
                address = process.address()
                if address is None:
                    self.error(503, "the inference gateway is not running (no endpoint to route?)")
                    return
            relay = _Relay(self)
            try:
                await self.upstreams.fetch(address + path, method=request.method or "GET", headers=headers, body=body,
                                           on_headers=relay.headers, on_chunk=relay.chunk,
                                           connect_timeout=gateway.options.gateway_connect_timeout_seconds,
                                           request_timeout=timeout)
                return
            except UpstreamTimeout:
                if not relay.started:
                    self.error(504, "the inference gateway did not answer in time")
                return
            except (OSError, StreamClosedError, httputil.HTTPInputError) as exc:
                if relay.started:
                    return  # part of the answer went out already
                if attempt:
                    self.error(503, f"the inference gateway is not reachable: {exc}")
                    return
                await asyncio.to_thread(gateway.ensure)  # it just died: once more after it is back


URL_SPECS: list[tuple[str, Any]] = [
    (rf"/{INFERENCE_PREFIX}/(?P<endpoint>[^/]+)/?(?P<rest>.*)", InferenceHandler),
]

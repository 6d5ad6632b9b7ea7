"""The inference gateway: ``{base_url}easymaker/inference/{endpoint}/...``.

Not a Jupyter API route: external clients call it with an endpoint's API key
(``Authorization: Bearer <key>`` or ``x-api-key``), never with Jupyter
credentials, so this is a plain tornado handler (no Jupyter auth, no XSRF).
Requests are forwarded to the stage's model servers round-robin over
kept-alive connections (``handlers/upstream.py``); responses are streamed
back chunk by chunk, so OpenAI-compatible server-sent events arrive as they
are generated. A connection refused by one server (it just stopped) is
retried on another.
"""
from __future__ import annotations

import json
import time
import uuid
from typing import Any

from tornado import httputil, web
from tornado.iostream import StreamClosedError

from jupyter_easymaker.areas.endpoints.routes import (
    INFERENCE_PREFIX,
    GatewayError,
    Target,
)
from jupyter_easymaker.areas.endpoints.upstream import UpstreamPool, UpstreamTimeout

# hop-by-hop headers (RFC 9110) and ours, never forwarded either way
HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer", "transfer-encoding",
       "upgrade", "content-length", "host", "authorization", "x-api-key", "cookie"}
INFERENCE_ID = "X-Inference-Id"
STAGE_HEADER = "X-Easymaker-Stage"  # which stage answered (the default stage URL moves between stages)


def api_key(request: httputil.HTTPServerRequest) -> str | None:
    auth = request.headers.get("Authorization", "")
    scheme, _, value = auth.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.headers.get("x-api-key") or request.headers.get("api-key") or None


class _Relay:
    """Copies the upstream's status, headers and body to the client as they arrive."""

    def __init__(self, handler: "InferenceHandler"):
        self.handler = handler
        self.started = False  # something was sent to the client: no retry any more
        self.streaming = False
        self.gone = False
        self.buffered = 0

    def headers(self, code: int, headers: httputil.HTTPHeaders) -> None:
        h = self.handler
        h.set_status(code)
        for name, value in headers.get_all():
            if name.lower() not in HOP and not name.lower().startswith("access-control-"):
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

    @property
    def gateway(self):
        return self._endpoints.gateway

    @property
    def upstreams(self) -> UpstreamPool:
        """Kept-alive connections of this server (its streams belong to its event loop)."""
        pool = self.settings.get("easymaker_upstreams")
        if pool is None:
            pool = self.settings["easymaker_upstreams"] = UpstreamPool()
        return pool

    def set_default_headers(self) -> None:
        self.set_header("Access-Control-Allow-Origin", "*")
        self.set_header("Access-Control-Allow-Headers", "Authorization, Content-Type, x-api-key")
        self.set_header("Access-Control-Allow-Methods", ", ".join(self.SUPPORTED_METHODS))
        self.set_header("Access-Control-Expose-Headers", f"{INFERENCE_ID}, {STAGE_HEADER}")

    def options(self, endpoint: str, rest: str = "") -> None:
        self.set_status(204)  # CORS preflight: browsers send it without credentials
        self.finish()

    async def get(self, endpoint: str, rest: str = "") -> None:
        await self.proxy(endpoint, rest)

    async def head(self, endpoint: str, rest: str = "") -> None:
        await self.proxy(endpoint, rest)

    async def post(self, endpoint: str, rest: str = "") -> None:
        await self.proxy(endpoint, rest)

    async def put(self, endpoint: str, rest: str = "") -> None:
        await self.proxy(endpoint, rest)

    async def patch(self, endpoint: str, rest: str = "") -> None:
        await self.proxy(endpoint, rest)

    async def delete(self, endpoint: str, rest: str = "") -> None:
        await self.proxy(endpoint, rest)

    def error(self, status: int, message: str) -> None:
        self.clear_header("Content-Type")
        self.set_status(status)
        if status == 401:
            self.set_header("WWW-Authenticate", 'Bearer realm="easymaker-inference"')
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"error": message}))

    async def proxy(self, endpoint: str, rest: str) -> None:
        gateway = self.gateway
        started = time.perf_counter()
        inference_id = self.request.headers.get(INFERENCE_ID) or str(uuid.uuid4())
        self.set_header(INFERENCE_ID, inference_id)
        target: Target | None = None
        key_id: str | None = None
        try:
            target = gateway.resolve(endpoint, rest.strip("/"))
            self.set_header(STAGE_HEADER, target.stage.name)
            key_id = gateway.authenticate(target, api_key(self.request)).key_id
            if not target.model and self.request.method in ("GET", "HEAD"):  # the stage URL itself: what it serves
                self.set_header("Content-Type", "application/json")
                self.finish(json.dumps({"endpoint": target.endpoint.name, "stage": target.stage.name,
                                        "default": target.stage.stage_id == target.endpoint.default_stage_id,
                                        "models": gateway.models(target)}))
            else:
                await self.forward(target)
        except GatewayError as exc:
            target = exc.target or target
            self.error(exc.status, exc.message)
        finally:
            if not self._finished:
                try:
                    self.finish()
                except StreamClosedError:
                    pass  # the client went away
            gateway.record(target, inference_id=inference_id, method=self.request.method or "GET",
                           status=self.get_status(), latency_ms=(time.perf_counter() - started) * 1000, key_id=key_id)

    async def forward(self, target: Target) -> None:
        gateway = self.gateway
        options = gateway.options
        request = self.request
        headers = httputil.HTTPHeaders()
        for name, value in request.headers.get_all():
            if name.lower() not in HOP:
                headers.add(name, value)
        headers[INFERENCE_ID] = self._headers[INFERENCE_ID]
        headers["X-Forwarded-For"] = request.remote_ip or ""
        headers["X-Forwarded-Proto"] = request.protocol
        headers["X-Forwarded-Host"] = request.host
        path = "/" + target.path + (f"?{request.query}" if request.query else "")
        body = request.body if request.method in ("POST", "PUT", "PATCH") else None
        tried: set[str] = set()
        while True:
            upstream = gateway.pick(target, tried)
            relay = _Relay(self)
            try:
                await self.upstreams.fetch(
                    upstream.address + path, method=request.method or "GET", headers=headers, body=body,
                    on_headers=relay.headers, on_chunk=relay.chunk,
                    connect_timeout=options.gateway_connect_timeout_seconds, request_timeout=options.gateway_timeout_seconds)
                return
            except UpstreamTimeout:
                if relay.started:
                    return  # part of the answer went out already
                raise GatewayError(504, f"the model server did not answer within {options.gateway_timeout_seconds:g} s",
                                   target=target) from None
            except (OSError, StreamClosedError, httputil.HTTPInputError):
                if relay.started:
                    return  # part of the answer went out already: nothing sensible to retry
                # refused or reset before an answer (a server that just stopped): the next server; pick() ends the tries
                tried.add(upstream.address)
            finally:
                gateway.release(upstream)


URL_SPECS: list[tuple[str, Any]] = [
    (rf"/{INFERENCE_PREFIX}/(?P<endpoint>[^/]+)/?(?P<rest>.*)", InferenceHandler),
]

"""The question gateway: ``POST {base_url}easymaker/rag/v1/query`` (the
guide's path) and ``.../easymaker/rag/v1/chat/completions`` (the ``openai``
client's, with ``base_url`` ending in ``/easymaker/rag/v1``). The body's
``model`` names the RAG; the API key comes as ``x-nhn-apikey`` (the guide's
header) or ``Authorization: Bearer``. The answer, streamed or not, is relayed
from the RAG's query server as it arrives."""
from __future__ import annotations

import json
import time
import uuid
from typing import Any

from tornado import httpclient, httputil, web

from jupyter_easymaker.areas.rag.query_routes import QueryError, RagRoute

REQUEST_ID = "x-easymaker-inference-id"
CONNECT_TIMEOUT_SECONDS = 5.0
ANSWER_TIMEOUT_SECONDS = 600.0  # generation can be slow
MAX_BODY = 4 * 1024 * 1024


def api_key(request: httputil.HTTPServerRequest) -> str | None:
    key = request.headers.get("x-nhn-apikey")
    if key:
        return key.strip()
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


class RagQueryHandler(web.RequestHandler):
    SUPPORTED_METHODS = ("POST", "OPTIONS")

    def check_xsrf_cookie(self) -> None:
        """API clients carry an API key, not a browser session: no XSRF token."""

    async def prepare(self) -> None:  # type: ignore[override]
        self._rags = await self.settings["easymaker"].load("rag")

    def set_default_headers(self) -> None:
        self.set_header("Access-Control-Allow-Origin", "*")
        self.set_header("Access-Control-Allow-Headers", "Authorization, Content-Type, x-nhn-apikey")
        self.set_header("Access-Control-Allow-Methods", "POST, OPTIONS")
        self.set_header("Access-Control-Expose-Headers", REQUEST_ID)

    def options(self, *_: Any) -> None:
        self.set_status(204)  # CORS preflight
        self.finish()

    def error(self, status: int, message: str, param: str | None = None) -> None:
        """OpenAI's error shape, so that its client raises the matching exception."""
        self.clear_header("Content-Type")
        self.set_status(status)
        if status == 401:
            self.set_header("WWW-Authenticate", 'Bearer realm="easymaker-rag"')
        kind = "invalid_request_error" if status < 500 else "server_error"
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"error": {"message": message, "type": kind, "param": param, "code": None}}))

    async def post(self, *_: Any) -> None:
        routes = self._rags.routes
        started = time.perf_counter()
        request_id = self.request.headers.get(REQUEST_ID) or str(uuid.uuid4())
        self.set_header(REQUEST_ID, request_id)
        route: RagRoute | None = None
        key_id: str | None = None
        stream = False
        try:
            body = self.parse_body()
            stream = body.get("stream") is True
            route = routes.route(body.get("model"))
            key_id = routes.authenticate(route, api_key(self.request)).key_id
            await self.forward(routes.pick(route), stream)
        except QueryError as exc:
            self.error(exc.status, exc.message, exc.param)
        finally:
            routes.record(route, request_id=request_id, status=self.get_status(), stream=stream,
                          latency_ms=(time.perf_counter() - started) * 1000.0, key_id=key_id)

    def parse_body(self) -> dict[str, Any]:
        if len(self.request.body) > MAX_BODY:
            raise QueryError(413, f"the body is larger than {MAX_BODY // 1024 // 1024} MB")
        try:
            body = json.loads(self.request.body or b"null")
        except ValueError as exc:
            raise QueryError(400, f"the body is not JSON: {exc}") from None
        if not isinstance(body, dict):
            raise QueryError(400, "the body must be a JSON object with model and messages")
        return body

    async def forward(self, address: str, stream: bool) -> None:
        """Relay the query server's answer: headers first, then each chunk as it comes."""
        started = False

        def on_header(line: str) -> None:
            nonlocal started
            if line.startswith("HTTP/"):
                code = int(line.split(" ", 2)[1])
                self.set_status(code)
                started = True
            elif ":" in line:
                name, _, value = line.partition(":")
                if name.strip().lower() in ("content-type", "cache-control"):
                    self.set_header(name.strip(), value.strip())

        def on_chunk(chunk: bytes) -> None:
            self.write(chunk)
            if stream:
                self.flush()

        request = httpclient.HTTPRequest(
            address.rstrip("/") + "/rag/v1/query", method="POST", body=self.request.body,
            headers={"Content-Type": "application/json"}, header_callback=on_header, streaming_callback=on_chunk,
            connect_timeout=CONNECT_TIMEOUT_SECONDS, request_timeout=ANSWER_TIMEOUT_SECONDS,
        )
        try:
            await httpclient.AsyncHTTPClient().fetch(request, raise_error=False)
        except (OSError, httpclient.HTTPClientError) as exc:
            if not started:
                raise QueryError(502, f"the RAG's query server did not answer: {exc}") from None
        self.finish()


URL_SPECS: list[tuple[str, Any]] = [
    (r"/easymaker/rag/v1/(?:query|chat/completions)", RagQueryHandler),
]

"""The authenticated reverse proxy to a notebook's own Jupyter server:
``{base_url}easymaker/notebooks/{id}/proxy/...`` for HTTP and WebSocket
(kernels talk over websockets). Only users authenticated by this server
pass; the proxy adds the notebook's token, which the browser never sees.

The notebook server runs with this prefix as its ``base_url``, so a request
is forwarded with its path unchanged."""
from __future__ import annotations

import asyncio
import json
from typing import Any

from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.utils import ensure_async
from tornado import httpclient, web, websocket

from jupyter_easymaker.core.errors import DomainError

# RFC 9110 hop-by-hop headers, and what must not cross: this server's credentials
# and origin checks one way, the notebook server's cookies and framing the other
HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer", "trailers",
    "transfer-encoding", "upgrade", "proxy-connection",
}
DROP_REQUEST = HOP_BY_HOP | {"host", "content-length", "cookie", "authorization", "x-xsrftoken", "x-csrftoken", "origin", "referer"}
DROP_RESPONSE = HOP_BY_HOP | {"content-length", "server", "date", "set-cookie"}
DROP_WEBSOCKET = DROP_REQUEST | {"sec-websocket-key", "sec-websocket-version", "sec-websocket-extensions", "sec-websocket-protocol"}
BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
TIMEOUT_SECONDS = 600.0


class NotebookProxyHandler(websocket.WebSocketHandler, JupyterHandler):
    auth_resource = "easymaker"

    def initialize(self) -> None:
        self.upstream_ws: websocket.WebSocketClientConnection | None = None

    async def prepare(self) -> None:  # type: ignore[override]
        await JupyterHandler.prepare(self, _redirect_to_login=False)
        if self.current_user is None:
            if self.request.method == "GET" and not self._is_websocket():
                self.redirect(self.get_login_url() + "?next=" + web.escape.url_escape(self.request.uri or "/"))
                return
            raise web.HTTPError(403, "authentication is required")
        # a notebook runs code: opening it is a write on the product's resource
        allowed = await ensure_async(self.authorizer.is_authorized(self, self.current_user, "write", self.auth_resource))
        if not allowed:
            raise web.HTTPError(403, f"not allowed to use {self.auth_resource}")

    def _is_websocket(self) -> bool:
        return self.request.headers.get("Upgrade", "").lower() == "websocket"

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        message = self._reason
        if isinstance(exc, web.HTTPError) and exc.log_message:
            message = exc.log_message % exc.args if exc.args else exc.log_message
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"error": message, "reason": self._reason}))

    async def _upstream(self, notebook_id: str) -> tuple[str, str]:
        service = await self.settings["easymaker"].load("notebooks")
        try:  # the store: in a worker thread
            return await asyncio.get_running_loop().run_in_executor(None, service.upstream, notebook_id)
        except DomainError as exc:
            raise web.HTTPError(exc.http_status, exc.message) from None

    # -- HTTP ----------------------------------------------------------------------------
    async def get(self, notebook_id: str, path: str | None = None) -> None:  # type: ignore[override]
        if self._is_websocket():
            await self._open_websocket(notebook_id)
            return
        await self._http(notebook_id, path)

    async def post(self, notebook_id: str, path: str | None = None) -> None:
        await self._http(notebook_id, path)

    async def put(self, notebook_id: str, path: str | None = None) -> None:
        await self._http(notebook_id, path)

    async def patch(self, notebook_id: str, path: str | None = None) -> None:
        await self._http(notebook_id, path)

    async def delete(self, notebook_id: str, path: str | None = None) -> None:
        await self._http(notebook_id, path)

    async def head(self, notebook_id: str, path: str | None = None) -> None:
        await self._http(notebook_id, path)

    async def _http(self, notebook_id: str, path: str | None) -> None:
        if path is None:  # .../proxy -> .../proxy/ (the notebook server's base URL)
            query = f"?{self.request.query}" if self.request.query else ""
            self.redirect(self.request.path + "/" + query, permanent=False)
            return
        base, token = await self._upstream(notebook_id)
        headers = {k: v for k, v in self.request.headers.get_all() if k.lower() not in DROP_REQUEST}
        headers["Authorization"] = f"token {token}"
        headers["X-Forwarded-Proto"] = self.request.protocol
        headers["X-Forwarded-Host"] = self.request.host
        method = self.request.method or "GET"
        request = httpclient.HTTPRequest(
            f"{base}{self.request.uri}", method=method, headers=headers,
            body=(self.request.body or b"") if method in BODY_METHODS else None,
            allow_nonstandard_methods=True, follow_redirects=False, decompress_response=False,
            request_timeout=TIMEOUT_SECONDS, connect_timeout=10.0,
        )
        try:
            response = await httpclient.AsyncHTTPClient().fetch(request, raise_error=False)
        except Exception as exc:  # noqa: BLE001 - refused, reset, timed out: the server is gone or stuck
            raise web.HTTPError(502, f"notebook {notebook_id} did not answer: {exc}") from None
        if response.code == 599:
            raise web.HTTPError(502, f"notebook {notebook_id} did not answer: {response.error}")
        self.set_status(response.code, response.reason or "Unknown")
        self.clear_header("Content-Type")
        self.clear_header("Content-Security-Policy")
        for name, value in response.headers.get_all():
            if name.lower() not in DROP_RESPONSE:
                self.add_header(name, value) if name.lower() == "link" else self.set_header(name, value)
        if response.code in (204, 304) or method == "HEAD":
            self.finish()
            return
        self.finish(response.body or b"")

    # -- WebSocket --------------------------------------------------------------------------
    async def _open_websocket(self, notebook_id: str) -> None:
        base, token = await self._upstream(notebook_id)
        headers = {k: v for k, v in self.request.headers.get_all() if k.lower() not in DROP_WEBSOCKET}
        headers["Authorization"] = f"token {token}"
        protocols = [p.strip() for p in self.request.headers.get("Sec-WebSocket-Protocol", "").split(",") if p.strip()]
        request = httpclient.HTTPRequest("ws" + base[len("http"):] + (self.request.uri or "/"), headers=headers,
                                         connect_timeout=10.0, request_timeout=TIMEOUT_SECONDS)
        try:
            self.upstream_ws = await websocket.websocket_connect(
                request, on_message_callback=self._from_upstream, subprotocols=protocols or None,
                max_message_size=1 << 30)
        except Exception as exc:  # noqa: BLE001
            raise web.HTTPError(502, f"notebook {notebook_id} refused the websocket: {exc}") from None
        await websocket.WebSocketHandler.get(self)

    def select_subprotocol(self, subprotocols: list[str]) -> str | None:
        return self.upstream_ws.selected_subprotocol if self.upstream_ws is not None else None

    def check_origin(self, origin: str) -> bool:  # type: ignore[override]
        return websocket.WebSocketHandler.check_origin(self, origin)

    def _from_upstream(self, message: str | bytes | None) -> None:
        if message is None:  # the notebook server closed it
            if self.ws_connection is not None:
                self.close()
            return
        if self.ws_connection is None or self.ws_connection.is_closing():
            return
        try:
            self.write_message(message, binary=isinstance(message, bytes))
        except websocket.WebSocketClosedError:
            pass

    async def on_message(self, message: str | bytes) -> None:
        if self.upstream_ws is not None:
            try:
                await self.upstream_ws.write_message(message, binary=isinstance(message, bytes))
            except websocket.WebSocketClosedError:
                self.close()

    def on_close(self) -> None:
        if self.upstream_ws is not None:
            self.upstream_ws.close()
            self.upstream_ws = None

"""TensorBoard: REST routes to start/list/stop servers, and the authenticated
reverse proxy that JupyterLab's TensorBoard tab loads in an iframe."""
from __future__ import annotations

import json
import urllib.parse
from typing import Any

from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.utils import ensure_async
from tornado import web
from tornado.httpclient import AsyncHTTPClient, HTTPRequest

from jupyter_easymaker.areas.tensorboard.service import PROXY_PATH
from jupyter_easymaker.core.errors import DomainError
from jupyter_easymaker.core.http import EasyMakerHandler, api
from jupyter_easymaker.core.routing import Op, Route
from jupyter_easymaker.core.validation import parse

# RFC 9110 hop-by-hop headers, plus what must not leak to or from TensorBoard
# (Jupyter's credentials) or is recomputed here (length, framing).
HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer", "trailers",
    "transfer-encoding", "upgrade", "proxy-connection",
}
DROP_REQUEST = HOP_BY_HOP | {"host", "content-length", "cookie", "authorization", "x-xsrftoken", "x-csrftoken"}
DROP_RESPONSE = HOP_BY_HOP | {"content-length", "server", "date", "content-security-policy", "set-cookie"}
PROXY_TIMEOUT_SECONDS = 300.0


class TensorBoardsHandler(EasyMakerHandler):
    area = "tensorboard"

    @api
    def get(self) -> None:
        self.reply({"items": self.service.list()})

    @api
    async def post(self) -> None:
        from jupyter_easymaker.areas.tensorboard.schemas import (
            TensorBoardCreate,  # pydantic: not at start-up
        )

        data = parse(TensorBoardCreate, self.json_body())
        board = await self.service.open(
            training_id=data.training_id, experiment_id=data.experiment_id,
            hyperparameter_tuning_id=data.hyperparameter_tuning_id, wait=data.wait,
        )
        self.reply(board)


class TensorBoardHandler(EasyMakerHandler):
    area = "tensorboard"

    @api
    def get(self, ref: str) -> None:
        self.reply(self.service.get(ref))

    @api
    async def delete(self, ref: str) -> None:
        await self.service.stop(ref)
        self.no_content()


class TensorBoardProxyHandler(JupyterHandler):
    """Forwards ``{base_url}easymaker/tensorboard/{id}/...`` to its process.

    A page handler rather than an API one: TensorBoard's HTML needs its own
    content security policy, not the API's ``default-src 'none'``. It
    authenticates and authorizes like every EasyMaker route.
    """

    auth_resource = "easymaker"

    async def prepare(self) -> None:  # type: ignore[override]
        # 403 rather than a login redirect: the iframe has nowhere to log in
        await super().prepare(_redirect_to_login=False)
        if self.current_user is None:
            raise web.HTTPError(403, "authentication is required")
        if not self.check_origin():
            raise web.HTTPError(404)
        # TensorBoard only reads (its POSTs are queries), so viewing it is a read
        allowed = await ensure_async(self.authorizer.is_authorized(self, self.current_user, "read", self.auth_resource))
        if not allowed:
            raise web.HTTPError(403, f"not allowed to read {self.auth_resource}")

    def check_xsrf_cookie(self) -> None:
        # TensorBoard's frontend marks its POSTs with this header; a custom
        # header cannot be sent cross-site without a CORS preflight Jupyter refuses.
        if self.request.headers.get("X-XSRF-Protected") == "1" and getattr(self, "_jupyter_current_user", None):
            return None
        return super().check_xsrf_cookie()

    def get_login_url(self) -> str:
        raise web.HTTPError(403, "authentication is required")

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        message = self._reason
        if isinstance(exc, web.HTTPError) and exc.log_message:
            message = exc.log_message % exc.args if exc.args else exc.log_message
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"error": message, "reason": self._reason}))

    async def get(self, tb_id: str, path: str | None) -> None:
        await self._proxy(tb_id, path)

    async def post(self, tb_id: str, path: str | None) -> None:
        await self._proxy(tb_id, path)

    async def head(self, tb_id: str, path: str | None) -> None:
        await self._proxy(tb_id, path)

    async def _proxy(self, tb_id: str, path: str | None) -> None:
        if path is None:  # .../{id} -> .../{id}/ so the page's relative links resolve
            query = f"?{self.request.query}" if self.request.query else ""
            self.redirect(self.request.path + "/" + query, permanent=False)
            return
        manager = await self.settings["easymaker"].load("tensorboard")
        try:
            server = await manager.upstream(tb_id)
        except DomainError as exc:
            self.set_status(exc.http_status)
            self.finish(json.dumps(exc.to_dict()))
            return
        headers = {k: v for k, v in self.request.headers.get_all() if k.lower() not in DROP_REQUEST}
        headers["X-Forwarded-Proto"] = self.request.protocol
        headers["X-Forwarded-Host"] = self.request.host
        method = self.request.method or "GET"
        # the raw URI: tensorboard percent-decodes it and matches its decoded --path_prefix
        request = HTTPRequest(
            f"http://127.0.0.1:{server.port}{self.request.uri}",
            method=method,
            headers=headers,
            body=(self.request.body or b"") if method == "POST" else None,
            follow_redirects=False,
            decompress_response=False,
            request_timeout=PROXY_TIMEOUT_SECONDS,
            connect_timeout=10.0,
        )
        try:
            response = await AsyncHTTPClient().fetch(request, raise_error=False)
        except Exception as exc:  # noqa: BLE001 - refused, reset, timed out: the process is gone or stuck
            manager.touch(tb_id)
            raise web.HTTPError(502, f"TensorBoard {tb_id} did not answer: {exc}") from None
        manager.touch(tb_id)
        self.set_status(response.code, response.reason or "Unknown")
        self.clear_header("Content-Type")
        for name, value in response.headers.get_all():
            lower = name.lower()
            if lower in DROP_RESPONSE:
                continue
            if lower == "location":
                value = self._public_location(value, server.prefix)
            self.set_header(name, value)  # set-cookie, the one repeatable header, is dropped
        csp = response.headers.get("Content-Security-Policy")
        if csp:
            # TensorBoard's policy, framed only where Jupyter's own pages may be
            self.set_header("Content-Security-Policy", f"{csp.rstrip('; ')}; {self._frame_ancestors()}")
        if response.code in (204, 304) or method == "HEAD":
            self.finish()
            return
        self.finish(response.body or b"")

    def _frame_ancestors(self) -> str:
        for directive in self.content_security_policy.split(";"):
            if directive.strip().startswith("frame-ancestors"):
                return directive.strip()
        return "frame-ancestors 'self'"

    @staticmethod
    def _public_location(value: str, prefix: str) -> str:
        """TensorBoard redirects to its decoded prefix; Jupyter routes the encoded one."""
        parts = urllib.parse.urlsplit(value)
        if not parts.netloc and parts.path.startswith(prefix):
            return urllib.parse.quote(parts.path, safe="/") + (f"?{parts.query}" if parts.query else "")
        return value


ROUTES = [
    Route("tensorboards", TensorBoardsHandler, {
        "get": Op("TensorBoard servers running for trainings, experiments and hyperparameter tunings"),
        "post": Op("Start (or reuse: one per log directory) the TensorBoard of a training, an experiment or a tuning (every trial a run)",
                   body="TensorBoardCreate", response="TensorBoardOut"),
    }),
    Route("tensorboards/{ref}", TensorBoardHandler, {
        "get": Op("One TensorBoard server", response="TensorBoardOut"),
        "delete": Op("Stop a TensorBoard server", status=204),
    }),
]

# not part of the API (no OpenAPI entry): the proxied TensorBoard itself
URL_SPECS = [(rf"/{PROXY_PATH}/(?P<tb_id>[0-9a-f]+)(?P<path>/.*)?", TensorBoardProxyHandler)]

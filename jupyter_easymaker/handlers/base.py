"""The base of every EasyMaker API handler: authentication, authorization,
JSON in and out, and domain errors turned into 4xx answers."""
from __future__ import annotations

import functools
import json
from typing import Any, Awaitable, Callable

from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import ensure_async
from pydantic import BaseModel
from tornado import web

from jupyter_easymaker.domain.errors import DomainError, InvalidInput

ACTIONS = {"GET": "read", "HEAD": "read", "OPTIONS": "read", "POST": "write", "PUT": "write", "PATCH": "write", "DELETE": "write"}


def jsonable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    if isinstance(value, tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    return value


def api(method: Callable[..., Awaitable[Any] | Any]) -> Callable[..., Awaitable[None]]:
    """Run a handler method, answering DomainErrors with their status and body."""

    @functools.wraps(method)
    async def wrapper(self: "EasyMakerHandler", *args: Any, **kwargs: Any) -> None:
        try:
            await ensure_async(method(self, *args, **kwargs))
        except DomainError as exc:
            self.set_status(exc.http_status)
            self.finish(json.dumps(exc.to_dict()))

    return wrapper


class EasyMakerHandler(APIHandler):
    auth_resource = "easymaker"

    async def prepare(self) -> None:  # type: ignore[override]
        await super().prepare()
        if self.current_user is None:
            raise web.HTTPError(403, "authentication is required")
        action = ACTIONS.get(self.request.method or "GET", "write")
        allowed = await ensure_async(self.authorizer.is_authorized(self, self.current_user, action, self.auth_resource))
        if not allowed:
            raise web.HTTPError(403, f"not allowed to {action} {self.auth_resource}")

    @property
    def easymaker(self):
        return self.settings["easymaker"]

    @property
    def services(self):
        return self.easymaker.services

    def json_body(self) -> Any:
        if not self.request.body:
            return {}
        try:
            return json.loads(self.request.body)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InvalidInput(f"the request body is not valid JSON: {exc}", field="body") from None

    def query_args(self) -> dict[str, str]:
        return {k: self.get_query_argument(k) for k in self.request.query_arguments}

    def reply(self, value: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(jsonable(value)))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        reason = self._reason
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, web.HTTPError) and exc.log_message:
            reason = exc.log_message % exc.args if exc.args else exc.log_message
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"error": reason, "reason": self._reason}))


def int_arg(args: dict[str, str], key: str, default: int, high: int) -> int:
    """A non-negative integer query argument, or a 4xx naming it."""
    raw = args.get(key)
    if raw in (None, ""):
        return default
    if not raw.isdigit() or int(raw) > high:
        raise InvalidInput(f"{key} must be an integer between 0 and {high}", field=key)
    return int(raw)


def page(items: list, total: int, query) -> dict[str, Any]:
    return {"items": jsonable(items), "total": total, "offset": query.offset, "limit": query.limit}

"""The base of every EasyMaker API handler: authentication and authorization,
the request checked in one place (JSON body with a depth limit, query
arguments, path arguments), domain errors turned into 4xx JSON answers, and
the store kept off the event loop.

Threading rule: a handler method decorated with :func:`api` that is a plain
``def`` runs in a worker thread (services, the store and file systems block),
and its answer (``reply``, ``reply_text``, ``no_content``) is written on the
event loop when it returns. An ``async def`` method runs on the loop (event
streams, proxies) and calls blocking work through ``await self.run(...)``.
"""
from __future__ import annotations

import asyncio
import functools
import inspect
import json
import math
from typing import Any, Awaitable, Callable

from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import ensure_async
from tornado import web

from jupyter_easymaker.core.db import WriteInRead
from jupyter_easymaker.core.errors import DomainError, InvalidInput
from jupyter_easymaker.core.queries import int_arg, time_arg  # noqa: F401 - what handlers read query arguments with

ACTIONS = {"GET": "read", "HEAD": "read", "OPTIONS": "read", "POST": "write", "PUT": "write", "PATCH": "write", "DELETE": "write"}
READS = frozenset(m for m, action in ACTIONS.items() if action == "read")  # answered from a snapshot (Database.reading)
MAX_BODY_DEPTH = 64  # nesting of a request body (the deepest real form is 5)
MAX_QUERY_VALUE = 4096  # characters of one query argument


def jsonable(value: Any) -> Any:
    if hasattr(value, "model_dump"):  # a pydantic model (pydantic itself is not imported here)
        return value.model_dump(mode="json")
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    return value


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"{text[:40]} is out of range")
    return value


def check_depth(value: Any, limit: int = MAX_BODY_DEPTH) -> None:
    """A body nested deeper than ``limit`` is refused (iteratively: no recursion to exhaust)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth > limit:
                raise InvalidInput(f"body: the request body is nested deeper than {limit} levels", field="body")
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))


class ArgumentError(web.HTTPError):
    """A path argument that cannot be read; answered as JSON naming it."""

    def __init__(self, field: str, message: str):
        super().__init__(400, "%s", message)
        self.field = field


def api(method: Callable[..., Awaitable[Any] | Any]) -> Callable[..., Awaitable[None]]:
    """Run a handler method, answering DomainErrors with their status and body.
    A plain method runs in a worker thread (see the module's threading rule)."""
    if inspect.iscoroutinefunction(method):
        @functools.wraps(method)
        async def run_on_loop(self: "EasyMakerHandler", *args: Any, **kwargs: Any) -> None:
            try:
                await method(self, *args, **kwargs)
            except DomainError as exc:
                self._error(exc)

        return run_on_loop

    @functools.wraps(method)
    async def run_in_thread(self: "EasyMakerHandler", *args: Any, **kwargs: Any) -> None:
        await self.answer_in_thread(method, *args, **kwargs)

    return run_in_thread


class EasyMakerHandler(APIHandler):
    auth_resource = "easymaker"
    # the area whose service this handler uses: loaded (off the loop) before the method runs
    area: str | None = None
    _deferred: list | None = None

    async def prepare(self) -> None:  # type: ignore[override]
        await super().prepare()
        if self.current_user is None:
            raise web.HTTPError(403, "authentication is required")
        action = ACTIONS.get(self.request.method or "GET", "write")
        allowed = await ensure_async(self.authorizer.is_authorized(self, self.current_user, action, self.auth_resource))
        if not allowed:
            raise web.HTTPError(403, f"not allowed to {action} {self.auth_resource}")
        if self.area is not None:
            await self.platform.load(self.area)

    @property
    def platform(self) -> Any:
        return self.settings["easymaker"]

    @property
    def services(self) -> Any:
        """The platform: ``self.services.trainings`` is the trainings area's service."""
        return self.settings["easymaker"]

    @property
    def service(self) -> Any:
        return self.platform.service(self.area)

    async def run(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Blocking work (the store, files) from an ``async`` method, in a worker thread."""
        return await asyncio.get_running_loop().run_in_executor(None, functools.partial(fn, *args, **kwargs))

    async def answer_in_thread(self, method: Callable[..., None], *args: Any, **kwargs: Any) -> None:
        """Run ``method(self, ...)`` in a worker thread and write the answer it gave on the loop."""
        def call() -> tuple[int, dict[str, str], Any]:
            if self.request.method not in READS:
                return attempt()
            db = self.platform.db
            try:
                with db.reading():  # waits for no writer
                    return attempt()
            except WriteInRead:
                self.log.debug("easymaker: %s %s wrote to the store; answered again as a write",
                               self.request.method, self.request.path)
                return attempt()  # this read also writes (state settled on the way): again, as a write

        def attempt() -> tuple[int, dict[str, str], Any]:
            self._deferred = []
            try:
                method(self, *args, **kwargs)
            except DomainError as exc:
                return exc.http_status, {"Content-Type": "application/json"}, json.dumps(exc.to_dict())
            finally:
                answer, self._deferred = self._deferred, None
            if not answer:
                raise RuntimeError(f"{type(self).__name__}.{getattr(method, '__name__', method)} gave no answer")
            return answer[-1]

        status, headers, body = await self.run(call)
        self.set_status(status)
        for key, value in headers.items():
            self.set_header(key, value)
        self.finish(body)

    # -- the request ----------------------------------------------------------
    def decode_argument(self, value: bytes, name: str | None = None) -> str:
        field = name or "path"
        try:
            text = value.decode("utf-8")
        except UnicodeDecodeError:
            raise ArgumentError(field, f"{field}: is not valid UTF-8") from None
        if "\x00" in text:
            raise ArgumentError(field, f"{field}: contains a NUL character")
        return text

    def json_body(self) -> Any:
        """The request body as JSON (strict: no NaN or Infinity, no number
        beyond a float's range), nested at most ``MAX_BODY_DEPTH`` levels."""
        if not self.request.body:
            return {}
        try:
            body = json.loads(self.request.body, parse_constant=_refuse_constant, parse_float=_finite_float)
        except RecursionError:
            raise InvalidInput(f"body: the request body is nested deeper than {MAX_BODY_DEPTH} levels", field="body") from None
        except ValueError as exc:  # not JSON, not UTF-8, a non-finite number, an integer of thousands of digits
            raise InvalidInput(f"the request body is not valid JSON: {exc}", field="body") from None
        check_depth(body)
        return body

    def query_args(self) -> dict[str, str]:
        """The query arguments (the last of repeated ones), each checked for size and NUL."""
        args: dict[str, str] = {}
        for key, values in self.request.query_arguments.items():
            raw = values[-1]
            try:
                value = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise InvalidInput(f"{key}: is not valid UTF-8", field=key) from None
            if len(value) > MAX_QUERY_VALUE:
                raise InvalidInput(f"{key}: at most {MAX_QUERY_VALUE} characters", field=key)
            if "\x00" in value:
                raise InvalidInput(f"{key}: contains a NUL character", field=key)
            args[key] = value
        return args

    # -- the answer -----------------------------------------------------------
    def _answer(self, status: int, headers: dict[str, str], body: Any) -> None:
        if self._deferred is not None:  # in the worker thread: written by api() on the loop
            self._deferred.append((status, headers, body))
            return
        self.set_status(status)
        for key, value in headers.items():
            self.set_header(key, value)
        self.finish(body)

    def reply(self, value: Any, status: int = 200) -> None:
        self._answer(status, {"Content-Type": "application/json"}, json.dumps(jsonable(value)))

    def reply_text(self, text: str, *, filename: str | None = None, content_type: str = "text/plain; charset=utf-8") -> None:
        headers = {"Content-Type": content_type}
        if filename:
            headers["Content-Disposition"] = f'attachment; filename="{filename}"'
        self._answer(200, headers, text)

    def no_content(self) -> None:
        self._answer(204, {}, None)

    def _error(self, exc: DomainError) -> None:
        self.set_status(exc.http_status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(exc.to_dict()))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        reason = self._reason
        if isinstance(exc, web.HTTPError) and exc.log_message:
            reason = exc.log_message % exc.args if exc.args else exc.log_message
        body = {"error": reason, "reason": self._reason}
        if getattr(exc, "field", None):
            body["field"] = exc.field
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body))


class NotFoundHandler(EasyMakerHandler):
    """Any path under the API that no route matches: a JSON 404, not Jupyter's page."""

    def _missing(self, *args: Any) -> None:
        self.set_status(404)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"error": f"no API route {self.request.method} {self.request.path}", "reason": "Not Found"}))

    get = post = put = patch = delete = _missing  # type: ignore[assignment]


def page(items: list, total: int, query: Any) -> dict[str, Any]:
    return {"items": jsonable(items), "total": total, "offset": query.offset, "limit": query.limit}


class LogRecordsHandler(EasyMakerHandler):
    """Log records of one or more resources (``?after=ID&limit=N&query=...``,
    ``format=text`` for a download)."""

    def answer_logs(self, key: str, resource_id: str, ids: list[str], name: str, status: str) -> None:
        args = self.query_args()
        after, limit = int_arg(args, "after", 0, 2**62), int_arg(args, "limit", 1000, 10000)
        records = []
        for rid in ids:
            records += self.platform.logs.records(rid, after=after, limit=limit, query=args.get("query") or None)
        records = sorted(records, key=lambda r: r["id"])[:limit]
        if args.get("format") == "text":
            self.reply_text("".join(r["body"] + "\n" for r in records), filename=f"{name}.log")
            return
        self.reply({key: resource_id, "status": status, "records": records, "next_after": records[-1]["id"] if records else after})

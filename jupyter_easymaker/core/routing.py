"""How routes are declared, and the two things made from them: tornado's URL
specs and the OpenAPI document, so the two cannot drift apart.

Each area's ``handlers.py`` declares ``ROUTES`` (and ``URL_SPECS`` for pages
outside the REST API); the core declares its own server-wide routes. A
route's request and response models are named by class name (a string), so
reading the route table imports no pydantic model: a name is looked up in the
schemas module next to the handler, then in the core's shared schemas.
"""
from __future__ import annotations

import importlib
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Union

API_PREFIX = "easymaker/api/v1"
LIST_PARAMS = ("offset", "limit", "sort", "status", "name")
SHARED_SCHEMAS = ("jupyter_easymaker.core.schemas", "jupyter_easymaker.core.job_fields")

Model = Union[str, type, None]


@dataclass(frozen=True)
class Op:
    summary: str
    body: Model = None
    response: Model = None
    list_of: Model = None  # paginated list of this
    params: tuple[str, ...] = ()
    status: int = 200
    content_type: str = "application/json"


@dataclass(frozen=True)
class Route:
    path: str  # OpenAPI style: trainings/{ref}
    handler: type
    ops: dict[str, Op] = field(default_factory=dict)

    def model(self, ref: Model) -> Any:
        """The pydantic model an Op names."""
        if ref is None or not isinstance(ref, str):
            return ref
        package = self.handler.__module__.rsplit(".", 1)[0]
        for name in (f"{package}.schemas", *SHARED_SCHEMAS):
            try:
                module = importlib.import_module(name)
            except ModuleNotFoundError:
                continue
            if hasattr(module, ref):
                return getattr(module, ref)
        raise LookupError(f"{self.handler.__name__}: no schema named {ref!r}")


def url_pattern(path: str) -> str:
    """Relative to the server's base URL, which ExtensionApp prepends."""
    pattern = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path)
    return f"/{API_PREFIX}/{pattern}".rstrip("/") + ("/?" if not path else "")


def url_specs(routes: Iterable[Route], pages: Iterable[tuple[str, type]] = (), not_found: type | None = None) -> list[tuple[str, type]]:
    specs = [(url_pattern(r.path), r.handler) for r in routes] + list(pages)
    if not_found is not None:  # last: what no route matched under the API, of this version or any other
        specs.append((f"/{API_PREFIX.rsplit('/', 1)[0]}(?:/.*)?", not_found))
    return specs


def openapi_document(routes: list[Route], version: str, base_url: str = "/") -> dict[str, Any]:
    from pydantic.json_schema import models_json_schema

    from jupyter_easymaker.core.schemas import ErrorOut

    models: set[Any] = {ErrorOut}
    for route in routes:
        for op in route.ops.values():
            models.update(route.model(m) for m in (op.body, op.response, op.list_of) if m is not None)
    ordered = sorted(models, key=lambda m: m.__name__)
    refs, schema = models_json_schema([(m, "validation") for m in ordered], ref_template="#/components/schemas/{model}")
    ref = {m: refs[(m, "validation")]["$ref"] for m in ordered}

    def ref_of(route: Route, model: Model) -> dict[str, str]:
        return {"$ref": ref[route.model(model)]}

    paths: dict[str, Any] = {}
    error = {"description": "error", "content": {"application/json": {"schema": {"$ref": ref[ErrorOut]}}}}
    for route in routes:
        item: dict[str, Any] = {}
        params = [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}, "description": "id or name"}
                  for name in re.findall(r"\{(\w+)\}", route.path)]
        for method, op in route.ops.items():
            if op.list_of is not None:
                body_schema: dict[str, Any] = {
                    "type": "object",
                    "properties": {"items": {"type": "array", "items": ref_of(route, op.list_of)}, "total": {"type": "integer"},
                                   "offset": {"type": "integer"}, "limit": {"type": "integer"}},
                }
            elif op.response is not None:
                body_schema = ref_of(route, op.response)
            else:
                body_schema = {"type": "object"}
            responses: dict[str, Any] = {"400": error, "403": error, "404": error, "409": error, "422": error}
            if op.status == 204:
                responses["204"] = {"description": "done"}
            else:
                responses[str(op.status)] = {"description": "ok", "content": {op.content_type: {"schema": body_schema}}}
            entry: dict[str, Any] = {
                "summary": op.summary,
                "operationId": f"{method}_{route.path or 'server'}".replace("/", "_").replace("{", "").replace("}", "").replace("-", "_"),
                "parameters": params + [{"name": p, "in": "query", "required": False, "schema": {"type": "string"}} for p in op.params],
                "responses": responses,
            }
            if op.body is not None:
                entry["requestBody"] = {"required": True, "content": {"application/json": {"schema": ref_of(route, op.body)}}}
            item[method] = entry
        paths[f"{base_url.rstrip('/')}/{API_PREFIX}/{route.path}".rstrip("/") + ("/" if not route.path else "")] = item
    return {
        "openapi": "3.1.0",
        "info": {"title": "jupyter-easymaker", "version": version},
        "paths": paths,
        "components": {
            "schemas": schema.get("$defs", {}),
            "securitySchemes": {"token": {"type": "apiKey", "in": "header", "name": "Authorization", "description": "token <Jupyter token>"}},
        },
        "security": [{"token": []}],
    }

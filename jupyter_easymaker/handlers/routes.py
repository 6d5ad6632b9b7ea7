"""Every route of the API: each handler module declares its own ``ROUTES``;
tornado's URL specs and the OpenAPI document are both generated from the
collected list, so they cannot drift apart."""
from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel

from jupyter_easymaker import __version__
from jupyter_easymaker.handlers import batch, dashboard, endpoints, experiments, hpo, inference, meta, templates, tensorboard, trainings
from jupyter_easymaker.handlers import models as model_handlers
from jupyter_easymaker.handlers.routing import Route
from jupyter_easymaker.schemas.common import ErrorOut

API_PREFIX = "easymaker/api/v1"

ROUTES: list[Route] = [*meta.ROUTES, *experiments.ROUTES, *trainings.ROUTES, *templates.ROUTES, *endpoints.ROUTES, *dashboard.ROUTES, *tensorboard.ROUTES, *hpo.ROUTES,
                      *model_handlers.ROUTES, *batch.ROUTES]


def url_pattern(path: str) -> str:
    """Relative to the server's base URL, which ExtensionApp prepends."""
    pattern = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path)
    return f"/{API_PREFIX}/{pattern}".rstrip("/") + ("/?" if not path else "")


def url_specs() -> list[tuple[str, type]]:
    return [(url_pattern(r.path), r.handler) for r in ROUTES] + inference.URL_SPECS + tensorboard.PROXY_URL_SPECS


def openapi_document(base_url: str = "/") -> dict[str, Any]:
    from pydantic.json_schema import models_json_schema

    models: set[type[BaseModel]] = {ErrorOut}
    for route in ROUTES:
        for op in route.ops.values():
            models.update(m for m in (op.body, op.response, op.list_of) if m is not None)
    ordered = sorted(models, key=lambda m: m.__name__)
    refs, schema = models_json_schema([(m, "validation") for m in ordered], ref_template="#/components/schemas/{model}")
    ref = {m: refs[(m, "validation")]["$ref"] for m in ordered}

    def ref_of(model: type[BaseModel]) -> dict[str, str]:
        return {"$ref": ref[model]}

    paths: dict[str, Any] = {}
    error = {"description": "error", "content": {"application/json": {"schema": ref_of(ErrorOut)}}}
    for route in ROUTES:
        item: dict[str, Any] = {}
        params = [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}, "description": "id or name"}
                  for name in re.findall(r"\{(\w+)\}", route.path)]
        for method, op in route.ops.items():
            if op.list_of is not None:
                body_schema: dict[str, Any] = {
                    "type": "object",
                    "properties": {"items": {"type": "array", "items": ref_of(op.list_of)}, "total": {"type": "integer"},
                                   "offset": {"type": "integer"}, "limit": {"type": "integer"}},
                }
            elif op.response is not None:
                body_schema = ref_of(op.response)
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
                entry["requestBody"] = {"required": True, "content": {"application/json": {"schema": ref_of(op.body)}}}
            item[method] = entry
        paths[f"{base_url.rstrip('/')}/{API_PREFIX}/{route.path}".rstrip("/") + ("/" if not route.path else "")] = item
    return {
        "openapi": "3.1.0",
        "info": {"title": "jupyter-easymaker", "version": __version__},
        "paths": paths,
        "components": {
            "schemas": schema.get("$defs", {}),
            "securitySchemes": {"token": {"type": "apiKey", "in": "header", "name": "Authorization", "description": "token <Jupyter token>"}},
        },
        "security": [{"token": []}],
    }

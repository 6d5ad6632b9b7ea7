"""Every route of the API in one table: tornado's URL specs and the OpenAPI
document are both generated from it, so they cannot drift apart."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from jupyter_easymaker import __version__
from jupyter_easymaker.handlers import experiments as ex
from jupyter_easymaker.handlers import meta
from jupyter_easymaker.handlers import templates as tp
from jupyter_easymaker.handlers import trainings as tr
from jupyter_easymaker.schemas.common import ErrorOut, RenameBody, ServerInfo
from jupyter_easymaker.schemas.experiments import ExperimentCreate, ExperimentOut
from jupyter_easymaker.schemas.templates import TemplateCreate, TemplateFromTraining, TemplateOut
from jupyter_easymaker.schemas.trainings import MetricsOut, TrainingCreate, TrainingOut

API_PREFIX = "easymaker/api/v1"
LIST_PARAMS = ("offset", "limit", "sort", "status", "name")


@dataclass(frozen=True)
class Op:
    summary: str
    body: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    list_of: type[BaseModel] | None = None  # paginated list of this
    params: tuple[str, ...] = ()
    status: int = 200
    content_type: str = "application/json"


@dataclass(frozen=True)
class Route:
    path: str  # OpenAPI style: trainings/{ref}
    handler: type
    ops: dict[str, Op] = field(default_factory=dict)


ROUTES: list[Route] = [
    Route("", meta.ServerInfoHandler, {"get": Op("Server version and capabilities (version handshake)", response=ServerInfo)}),
    Route("openapi.json", meta.OpenAPIHandler, {"get": Op("This OpenAPI document")}),
    Route("events", meta.EventsHandler, {"get": Op("Server-sent events of resource changes", content_type="text/event-stream")}),
    Route("logs", meta.LogSearchHandler, {"get": Op("Search structured logs", params=("query", "after", "limit"))}),
    Route("algorithms", meta.AlgorithmsHandler, {"get": Op("Built-in algorithms with their hyperparameters and metrics")}),
    Route("instance-types", meta.InstanceTypesHandler, {"get": Op("Instance types jobs can ask for")}),
    Route("experiments", ex.ExperimentsHandler, {
        "get": Op("List experiments", list_of=ExperimentOut, params=LIST_PARAMS),
        "post": Op("Create an experiment", body=ExperimentCreate, response=ExperimentOut, status=201),
    }),
    Route("experiments/{ref}", ex.ExperimentHandler, {
        "get": Op("Get an experiment by id or name", response=ExperimentOut),
        "patch": Op("Change name or description", body=RenameBody, response=ExperimentOut),
        "delete": Op("Delete an experiment that has no trainings", status=204),
    }),
    Route("experiments/{ref}/copy", ex.ExperimentCopyHandler, {"get": Op("A create body pre-filled from this experiment")}),
    Route("experiments/{ref}/retry", ex.ExperimentRetryHandler, {"post": Op("Retry a failed creation", response=ExperimentOut)}),
    Route("trainings", tr.TrainingsHandler, {
        "get": Op("List trainings", list_of=TrainingOut, params=(*LIST_PARAMS, "experiment_id")),
        "post": Op("Create (submit) a training", body=TrainingCreate, response=TrainingOut, status=201),
    }),
    Route("trainings/{ref}", tr.TrainingHandler, {
        "get": Op("Get a training with its status history", response=TrainingOut),
        "patch": Op("Change name or description", body=RenameBody, response=TrainingOut),
        "delete": Op("Delete an ended training", status=204),
    }),
    Route("trainings/{ref}/stop", tr.TrainingStopHandler, {"post": Op("Stop a training", response=TrainingOut)}),
    Route("trainings/{ref}/copy", tr.TrainingCopyHandler, {"get": Op("A create body pre-filled from this training")}),
    Route("trainings/{ref}/logs", tr.TrainingLogsHandler, {
        "get": Op("Log records; follow=true streams them as server-sent events", params=("after", "limit", "query", "follow", "format")),
    }),
    Route("trainings/{ref}/metrics", tr.TrainingMetricsHandler, {"get": Op("Scraped metrics and resource usage", response=MetricsOut)}),
    Route("trainings/{ref}/template", tp.TrainingToTemplateHandler, {
        "post": Op("Save this training's fields as a template", body=TemplateFromTraining, response=TemplateOut, status=201),
    }),
    Route("training-templates", tp.TemplatesHandler, {
        "get": Op("List training templates", list_of=TemplateOut, params=LIST_PARAMS),
        "post": Op("Create a training template", body=TemplateCreate, response=TemplateOut, status=201),
    }),
    Route("training-templates/{ref}", tp.TemplateHandler, {
        "get": Op("Get a training template", response=TemplateOut),
        "patch": Op("Change any field of a template", body=TemplateCreate, response=TemplateOut),
        "delete": Op("Delete a training template", status=204),
    }),
    Route("training-templates/{ref}/copy", tp.TemplateCopyHandler, {"get": Op("A create body pre-filled from this template")}),
]


def url_pattern(path: str) -> str:
    """Relative to the server's base URL, which ExtensionApp prepends."""
    pattern = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path)
    return f"/{API_PREFIX}/{pattern}".rstrip("/") + ("/?" if not path else "")


def url_specs() -> list[tuple[str, type]]:
    return [(url_pattern(r.path), r.handler) for r in ROUTES]


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
        params = [{"name": "ref", "in": "path", "required": True, "schema": {"type": "string"}, "description": "id or name"}] if "{ref}" in route.path else []
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

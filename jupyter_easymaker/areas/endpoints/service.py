"""Endpoints -> stages -> stage resources: validation, the guide's rules,
status changes, and what the API answers.

This service only records intent (a new stage, a resource to remove, a new
default stage); the endpoint reconciler starts and stops model servers and
moves statuses along. The one thing done here at once is the default-stage
switch: it is committed and the gateway's routes are rebuilt in the same
synchronous step, so no request can see a half-changed endpoint.
"""
from __future__ import annotations

import shutil
from urllib.parse import urlsplit
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from jupyter_easymaker.areas.endpoints.gateway_supervisor import GatewayProcess, RemoteGateway
from jupyter_easymaker.areas.endpoints.routes import stage_path
from jupyter_easymaker.areas.endpoints.schemas import (
    ApiKeyCreate,
    ApiKeyOut,
    EndpointCreate,
    EndpointOut,
    StageStatsOut,
)
from jupyter_easymaker.areas.endpoints.serving_records import ServingRecords
from jupyter_easymaker.areas.endpoints.stages import (
    StageKind,
    StageOperations,
    StageResourceKind,
    _join,
)
from jupyter_easymaker.areas.endpoints.statuses import (
    ENDPOINT_MACHINE,
    ApiGatewayStatus,
    EndpointStatus,
    StageResourceStatus,
    StageStatus,
)
from jupyter_easymaker.areas.endpoints.tables import (
    Endpoint,
    EndpointApiKey,
    EndpointApiStat,
    EndpointStage,
    StageResource,
)
from jupyter_easymaker.backend.serving import serving_backends
from jupyter_easymaker.backend.serving.base import ServingOptions
from jupyter_easymaker.core.api_keys import ApiKeyService
from jupyter_easymaker.core.api_stats import ApiStats
from jupyter_easymaker.core.db import sqlite_file
from jupyter_easymaker.core.errors import Conflict, InvalidInput, NotFound
from jupyter_easymaker.core.resources import ListQuery, ResourceService, new_id, parse
from jupyter_easymaker.core.schemas import StatusEventOut
from jupyter_easymaker.core.tables import StatusEvent

EP, ST, RS, GW = EndpointStatus, StageStatus, StageResourceStatus, ApiGatewayStatus


class EndpointService(StageOperations, ServingRecords, ResourceService):
    table = Endpoint
    machine = ENDPOINT_MACHINE
    kind = "endpoint"

    def __init__(self, platform: Any):
        super().__init__(platform)
        self.options = ServingOptions.from_dict(self.settings.options("endpoints"))
        self.stages = StageKind(platform)
        self.resources = StageResourceKind(platform)
        self.keys = ApiKeyService(self.db, EndpointApiKey, "endpoint_id", create=ApiKeyCreate, out=ApiKeyOut, kind="endpoint")
        self.stats = ApiStats(self.db, EndpointApiStat, owner="endpoint_id", part="stage_id")
        # the gateway runs in a process of its own (gateway_process.py): this is its remote control
        process = GatewayProcess(self.settings, self.options, log=platform.log)
        self.gateway = RemoteGateway(self.db, process)
        self.serving_backends = serving_backends(platform.backends, self.options, handoff_socket=process.handoff_socket)
        self._work_read: dict[str, tuple[tuple[Any, ...], Any, float]] = {}  # the reconciler's last reads (ServingRecords)
        self.gateway.reload()  # found again (or started) with the endpoints stored, before the first request

    def apply_kubernetes_gateway(self) -> dict[str, str] | None:
        """On a cluster the gateway is a Deployment + Service of its own (same config, same store)."""
        backend = self.serving_backends.get("kubernetes")
        if backend is None or not self.options.kubernetes_gateway:
            return None
        from jupyter_easymaker.backend.kubernetes.gateway_manifests import gateway_config

        db_url = self.options.kubernetes_gateway_db_url or self.settings.db_url
        config = gateway_config(db_url=db_url, log_type=self.settings.log_type, options=dict(vars(self.options)))
        return backend.apply_gateway(config, self.gateway.process.secret, store_file=sqlite_file(db_url))

    def direct_url(self, path: str) -> str:
        """A URL on the gateway's own port ('' before it ever ran)."""
        origin = self.gateway.process.public_url()
        return f"{origin}/{path}" if origin else ""

    def models(self) -> Any:
        return self.platform.service("models")

    def backend_names(self) -> list[str]:
        """Serving backends configured on this server."""
        return list(self.serving_backends)

    def close(self) -> None:
        self.gateway.close()  # statistics and inference logs not yet written

    def endpoint_out(self, session: Session, row: Endpoint, origin: str | None, *, with_stages: bool = False,
                     history: list | None = None) -> EndpointOut:
        stages = self._stage_rows(session, row.id)
        default = next((s for s in stages if s.id == row.default_stage_id), None)
        out = EndpointOut(
            id=row.id, name=row.name, description=row.description, status=row.status, status_reason=row.status_reason,
            created_at=row.created_at, updated_at=row.updated_at, backend=row.backend, default_stage_id=row.default_stage_id,
            default_stage_name=default.name if default else None,
            default_stage_url=_join(origin, stage_path(row.name)) if default else "",
            default_stage_gateway_url=self.direct_url(stage_path(row.name)) if default else "",
            gateway_status=default.gateway_status if default else GW.NOT_FOUND_STAGE, stage_count=len(stages),
            history=[StatusEventOut(status=e.status, reason=e.reason, at=e.at) for e in history] if history is not None else None,
        )
        if with_stages:
            resources = self._resource_rows(session, [s.id for s in stages])
            out.stages = [self.stage_out(row, s, [r for r in resources if r.stage_id == s.id], origin) for s in stages]
        return out

    # -- validation helpers ------------------------------------------------------------------------
    def _instance_type(self, name: str | None, field: str):
        name = name or self.settings.default_instance_type
        it = self.settings.instance_types.get(name)
        if it is None:
            known = ", ".join(sorted(self.settings.instance_types))
            raise InvalidInput(f"{field}: unknown instance type {name!r} (known: {known})", field=field)
        return it

    # -- endpoints --------------------------------------------------------------------------------
    def create(self, body: Any, origin: str | None = None) -> EndpointOut:
        data = parse(EndpointCreate, body)
        with self.db.session() as session:
            self.check_name_free(session, data.name)
            backend = data.backend or self.settings.default_backend
            if backend not in self.backend_names():
                known = ", ".join(self.backend_names())
                raise InvalidInput(f"backend: the {backend} backend cannot serve endpoints on this server (configured: {known})",
                                   field="backend")
            endpoint = Endpoint(id=new_id(), name=data.name, description=data.description, backend=backend)
            self.initial(session, endpoint)
            session.add(endpoint)
            stage = EndpointStage(id=new_id(), endpoint_id=endpoint.id, name=data.stage_name,
                                  description=data.stage_description, spec=self._stage_spec(data),
                                  gateway_status=GW.CREATE_IN_PROGRESS)
            self.stages.initial(session, stage)
            session.add(stage)
            session.flush()
            self._new_resources(session, endpoint, stage, data.resources, field_prefix="resources", existing=[])
            endpoint.default_stage_id = stage.id
            key = self.keys.create_in(session, endpoint.id, {"name": "default"})
            session.flush()
            out = self.endpoint_out(session, endpoint, origin, with_stages=True)
            out.api_key = key
        self.publish(endpoint, "created")
        return out

    def list(self, query: ListQuery, origin: str | None = None) -> tuple[list[EndpointOut], int]:
        with self.db.session() as session:
            rows, total = query.page(session, Endpoint, select(Endpoint))
            return [self.endpoint_out(session, r, origin) for r in rows], total

    def get(self, ref: str, origin: str | None = None) -> EndpointOut:
        with self.db.session() as session:
            row = self.find(session, ref)
            return self.endpoint_out(session, row, origin, with_stages=True, history=self.history(session, row.id))

    def update(self, ref: str, body: Any, origin: str | None = None) -> EndpointOut:
        with self.db.session() as session:
            row = self.rename(session, ref, body)
            out = self.endpoint_out(session, row, origin)
        self.gateway.reload()  # the URLs carry the name
        self.publish(row, "updated")
        return out

    def delete(self, ref: str) -> None:
        """Ask for the endpoint's removal: its default stage's servers stop, then
        the rows go. Refused while stages other than the default remain."""
        with self.db.session() as session:
            row = self.find(session, ref)
            if row.status == EP.DELETE_IN_PROGRESS:
                return
            others = [s.name for s in self._stage_rows(session, row.id)
                      if s.id != row.default_stage_id and s.status != ST.DELETE_IN_PROGRESS]
            if others:
                raise Conflict(f"endpoint {row.name!r} still has stages other than the default ({', '.join(map(repr, others))}): "
                               "delete them first", field="stages")
            self.set_status(session, row, EP.DELETE_IN_PROGRESS, "deletion requested")
            for stage in self._stage_rows(session, row.id):
                self._delete_stage_in(session, stage, "the endpoint is being deleted")
            self.keys.forget(owner_id=row.id)
        self.gateway.reload()
        self.publish(row, "status")

    # -- what other areas ask (a RAG's LLM) ------------------------------------------------------------------
    def model_target(self, ref: str, model: str | None, field: str) -> dict[str, Any]:
        """The endpoint and the model its default stage serves (``model``, or its
        only one), with that model's path under the server's base URL."""
        with self.db.session() as session:
            row = self.find(session, ref, field)
            if row.status == EP.DELETE_IN_PROGRESS:
                raise Conflict(f"endpoint {row.name!r} is being deleted", field=field)
            names = sorted(set(session.scalars(select(StageResource.model_name).where(
                StageResource.stage_id == row.default_stage_id)).all())) if row.default_stage_id else []
            if model is None:
                if len(names) != 1:
                    raise InvalidInput(f"endpoint {row.name!r} serves {len(names)} models ({', '.join(names) or 'none'}): "
                                       "name the model", field=field.replace("endpoint", "model"))
                model = names[0]
            elif model not in names:
                raise InvalidInput(f"endpoint {row.name!r} does not serve a model named {model!r} "
                                   f"(its default stage serves {', '.join(names) or 'none'})", field=field.replace("endpoint", "model"))
            return {"endpoint_id": row.id, "endpoint": row.name, "model": model, "path": f"{stage_path(row.name)}/{model}"}

    # -- API keys ------------------------------------------------------------------------------------------
    def create_key(self, ref: str, body: Any):
        with self.db.session() as session:
            endpoint = self._endpoint_for_change(session, ref)
            return self.keys.create_in(session, endpoint.id, body)

    def list_keys(self, ref: str):
        self.gateway.flush()  # the gateway process's last uses of the keys
        with self.db.session() as session:
            return self.keys.list_in(session, self.find(session, ref).id)

    def revoke_key(self, ref: str, key_ref: str):
        with self.db.session() as session:
            out = self.keys.revoke_in(session, self.find(session, ref).id, key_ref)
        self.gateway.forget_keys()  # committed: the gateway process checks keys against the store again
        return out

    # -- statistics, monitoring, logs ------------------------------------------------------------------------
    def stage_ids(self, ref: str, stage_ref: str) -> tuple[Endpoint, EndpointStage]:
        with self.db.session() as session:
            endpoint = self.find(session, ref)
            return endpoint, self.find_stage(session, endpoint, stage_ref)

    def statistics(self, ref: str, stage_ref: str, *, since=None, until=None, interval: int | None = None) -> StageStatsOut:
        endpoint, stage = self.stage_ids(ref, stage_ref)
        since, until, interval = self.stats.window(since, until, interval)
        self.gateway.flush()  # what was answered so far counts
        totals, points = self.stats.series(stage.id, since, until, interval)
        return StageStatsOut.model_validate({"endpoint_id": endpoint.id, "stage_id": stage.id, "stage_name": stage.name,
                                             "interval_seconds": interval, "since": since, "until": until, "totals": totals,
                                             "points": points})

    def endpoint_statistics(self, ref: str, since=None) -> dict[str, Any]:
        with self.db.session() as session:
            endpoint = self.find(session, ref)
            names = {s.id: s.name for s in self._stage_rows(session, endpoint.id)}
        self.gateway.flush()
        by_stage = self.stats.totals_by_part(endpoint.id, since)
        stages = [{"stage_id": sid, "name": names[sid], "stage_name": names[sid], **numbers}
                  for sid, numbers in by_stage.items() if sid in names]
        return {"endpoint_id": endpoint.id, "name": endpoint.name, "calls": sum(s["calls"] for s in stages),
                "success": sum(s["success"] for s in stages), "failure": sum(s["failure"] for s in stages), "stages": stages}

    def dashboard_counts(self) -> dict[str, int]:
        with self.db.session() as session:
            active = session.scalar(select(func.count()).where(Endpoint.status == EP.ACTIVE)) or 0
        return {"active_endpoints": active}

    def top_endpoints(self, limit: int = 3, since=None) -> list[dict[str, Any]]:
        """The most called endpoints with success / failure per stage (the dashboard's top 3)."""
        self.gateway.flush()
        out = []
        for endpoint_id, _calls in self.stats.top_owners(limit, since):
            try:
                out.append(self.endpoint_statistics(endpoint_id, since))
            except NotFound:
                continue
        return out

    def monitoring(self, ref: str, stage_ref: str, logs, since=None) -> dict[str, Any]:
        with self.db.session() as session:
            endpoint = self.find(session, ref)
            stage = self.find_stage(session, endpoint, stage_ref)
            resources = self._resource_rows(session, [stage.id])
        return {"endpoint_id": endpoint.id, "stage_id": stage.id,
                "resources": [{"resource_id": r.id, "model_name": r.model_name, "pods_ready": r.pods_ready,
                               "pods_total": r.pods_total, "usage": logs.samples(r.id, since=since)} for r in resources]}

    def gateway_config(self, ref: str, stage_ref: str, origin: str | None = None) -> dict[str, Any]:
        endpoint, stage = self.stage_ids(ref, stage_ref)
        return {"stage_id": stage.id, "gateway_status": stage.gateway_status,
                "url": _join(origin, stage_path(endpoint.name, stage.name)),
                "gateway_url": self.direct_url(stage_path(endpoint.name, stage.name)),
                "default_stage_url": _join(origin, stage_path(endpoint.name)) if endpoint.default_stage_id == stage.id else None,
                "default_stage_gateway_url": self.direct_url(stage_path(endpoint.name))
                if endpoint.default_stage_id == stage.id else None,
                "authentication": "API key: 'Authorization: Bearer <key>' or 'x-api-key: <key>'",
                "grpc": self.grpc_target(endpoint.name, stage.name, origin),
                **self.gateway.describe(endpoint.id, stage.id)}

    def grpc_target(self, endpoint: str, stage: str, origin: str | None) -> dict[str, Any] | None:
        """Where and how to call the stage over the Open Inference Protocol's gRPC (grpc_gateway.py); None when off."""
        port = self.options.grpc_port
        if not port:
            return None
        host = self.options.grpc_host
        if host in ("", "0.0.0.0", "::"):  # every interface: the one this request came in on
            host = (urlsplit(origin).hostname if origin else None) or "127.0.0.1"
        return {"address": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
                "metadata": {"x-easymaker-endpoint": endpoint, "x-easymaker-stage": stage},
                "authentication": "API key in the metadata: 'authorization: Bearer <key>' or 'x-api-key: <key>'"}

    def server_logs(self, ref: str, stage_ref: str, resource_ref: str, tail: int = 200) -> str:
        with self.db.session() as session:
            endpoint = self.find(session, ref)
            stage = self.find_stage(session, endpoint, stage_ref)
            row = self.find_resource(session, stage, resource_ref)
            handle, backend = row.handle, self.serving_backends.get(row.backend)
        if not handle or backend is None:
            return ""
        return backend.read_logs(handle, tail)

    def purge_endpoint(self, session: Session, endpoint: Endpoint) -> None:
        session.execute(delete(EndpointApiKey).where(EndpointApiKey.endpoint_id == endpoint.id))
        session.execute(delete(StatusEvent).where(StatusEvent.resource_id == endpoint.id))
        self.stats.delete_in(session, owner_id=endpoint.id)
        session.delete(endpoint)
        shutil.rmtree(self.settings.path("endpoints", endpoint.id), ignore_errors=True)

    def count_for_model(self, session: Session, model_id: str) -> int:
        """Stage resources using a model (the models service's deletion guard)."""
        return session.scalar(select(func.count()).select_from(StageResource).where(StageResource.model_id == model_id)) or 0

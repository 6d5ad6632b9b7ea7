"""Stages of an endpoint and their stage resources (one model each): the
guide's rules for them (allocations within the stage's instances, names that
cannot hide each other in URLs), their create / change / delete operations,
what the API answers about them, and the model server each resource runs.

A mixin of :class:`~jupyter_easymaker.areas.endpoints.service.EndpointService`
(a stage is always reached through its endpoint)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from jupyter_easymaker.areas.endpoints.routes import stage_path
from jupyter_easymaker.areas.endpoints.schemas import (
    AllocationOut,
    DefaultStageChange,
    EndpointOut,
    StageCreate,
    StageFields,
    StageOut,
    StageResourceCreate,
    StageResourceOut,
    StageUpdate,
)
from jupyter_easymaker.areas.endpoints.statuses import (
    STAGE_MACHINE,
    STAGE_RESOURCE_MACHINE,
    ApiGatewayStatus,
    EndpointStatus,
    StageResourceStatus,
    StageStatus,
)
from jupyter_easymaker.areas.endpoints.tables import (
    Endpoint,
    EndpointStage,
    StageResource,
)
from jupyter_easymaker.backend.serving.base import AutoscalerSpec, ServerSpec
from jupyter_easymaker.core.errors import Conflict, InvalidInput, NotFound
from jupyter_easymaker.core.resources import ResourceService, new_id, parse
from jupyter_easymaker.core.schemas import StatusEventOut
from jupyter_easymaker.core.tables import LogBatch, LogRecord, ResourceSample, StatusEvent, utcnow

EP, ST, RS, GW = EndpointStatus, StageStatus, StageResourceStatus, ApiGatewayStatus
MODEL_READY = "ACTIVE"  # the guide's model status a model must have to be deployed


class StageKind(ResourceService):
    table = EndpointStage
    machine = STAGE_MACHINE
    kind = "endpoint stage"

    def publish(self, row: Any, change: str) -> None:
        # the endpoint lets a panel keep only its own stages' events
        self.events.publish(self.kind, row.id, change=change, status=row.status, name=row.name, endpoint_id=row.endpoint_id)


class StageResourceKind(ResourceService):
    table = StageResource
    machine = STAGE_RESOURCE_MACHINE
    kind = "stage resource"

    def publish(self, row: Any, change: str) -> None:
        self.events.publish(self.kind, row.id, change=change, status=row.status, name=row.model_name,
                            endpoint_id=row.endpoint_id, stage_id=row.stage_id)


def _join(origin: str | None, path: str) -> str:
    return (origin or "") + path


class StageOperations:
    """Stages and stage resources (mixed into the endpoint service, whose
    ``stages`` / ``resources`` kinds, ``options`` and ``gateway`` it uses)."""

    # -- lookups --------------------------------------------------------------------------------
    def find_stage(self, session: Session, endpoint: Endpoint, ref: str, field: str = "stage") -> EndpointStage:
        row = session.get(EndpointStage, ref)
        if row is None or row.endpoint_id != endpoint.id:
            row = session.scalar(select(EndpointStage).where(EndpointStage.endpoint_id == endpoint.id, EndpointStage.name == ref))
        if row is None:
            raise NotFound(f"endpoint {endpoint.name!r} has no stage {ref!r}", field=field)
        return row

    def find_resource(self, session: Session, stage: EndpointStage, ref: str) -> StageResource:
        row = session.get(StageResource, ref)
        if row is None or row.stage_id != stage.id:
            raise NotFound(f"stage {stage.name!r} has no resource {ref!r}", field="resource")
        return row

    def _stage_rows(self, session: Session, endpoint_id: str) -> list[EndpointStage]:
        return list(session.scalars(select(EndpointStage).where(EndpointStage.endpoint_id == endpoint_id)
                                    .order_by(EndpointStage.created_at, EndpointStage.id)))

    def _resource_rows(self, session: Session, stage_ids: list[str]) -> list[StageResource]:
        if not stage_ids:
            return []
        return list(session.scalars(select(StageResource).where(StageResource.stage_id.in_(stage_ids))
                                    .order_by(StageResource.created_at, StageResource.id)))

    # -- answers ---------------------------------------------------------------------------------
    def resource_out(self, endpoint: Endpoint, stage: EndpointStage, row: StageResource, origin: str | None,
                     history: list | None = None) -> StageResourceOut:
        spec = row.spec or {}
        alloc = spec.get("allocation") or {}
        stage_url = _join(origin, stage_path(endpoint.name, stage.name))
        return StageResourceOut(
            id=row.id, endpoint_id=row.endpoint_id, stage_id=row.stage_id, model_id=row.model_id, model_name=row.model_name,
            framework=(spec.get("model") or {}).get("framework", ""), description=row.description, status=row.status,
            status_reason=row.status_reason,
            allocation=AllocationOut(cpu=alloc.get("cpu", 0.0), memory_mib=alloc.get("memory_mib", 0), gpu=alloc.get("gpu", 0),
                                     allocation_percent=alloc.get("allocation_percent")),
            pod_count=int(spec.get("pod_count") or 1), pod_autoscaler=spec.get("pod_autoscaler") or {},
            pods_ready=row.pods_ready, pods_total=row.pods_total,
            resource_path=f"{stage_url}/{row.model_name}",
            predict_url=f"{stage_url}/{row.model_name}/v1/models/{row.model_name}/predict",
            backend=row.backend, created_at=row.created_at, updated_at=row.updated_at,
            history=[StatusEventOut(status=e.status, reason=e.reason, at=e.at) for e in history] if history is not None else None,
        )

    def stage_out(self, endpoint: Endpoint, stage: EndpointStage, resources: list[StageResource], origin: str | None,
                  history: list | None = None) -> StageOut:
        spec = stage.spec or {}
        return StageOut(
            id=stage.id, endpoint_id=stage.endpoint_id, name=stage.name, description=stage.description, status=stage.status,
            status_reason=stage.status_reason, is_default=endpoint.default_stage_id == stage.id,
            gateway_status=stage.gateway_status, url=_join(origin, stage_path(endpoint.name, stage.name)),
            gateway_url=self.direct_url(stage_path(endpoint.name, stage.name)),
            instance_type=spec.get("instance_type", ""), instance_count=int(spec.get("instance_count") or 1),
            node_autoscaler=spec.get("node_autoscaler") or {},
            nodes=max((r.nodes for r in resources), default=0),
            pods_ready=sum(r.pods_ready for r in resources), pods_total=sum(r.pods_total for r in resources),
            resources=[self.resource_out(endpoint, stage, r, origin) for r in resources],
            created_at=stage.created_at, updated_at=stage.updated_at,
            history=[StatusEventOut(status=e.status, reason=e.reason, at=e.at) for e in history] if history is not None else None,
        )

    def _model_facts(self, ref: str, field: str) -> dict[str, Any]:
        """What a model server needs to know about a model (the models service's serving spec)."""
        models = self.models()
        if models is None:
            raise InvalidInput(f"{field}: models are not available on this server", field=field)
        try:
            facts = models.serving_spec(ref)
        except NotFound:
            raise InvalidInput(f"{field}: model {ref!r} does not exist", field=field) from None
        except Conflict as exc:  # not ACTIVE
            raise InvalidInput(f"{field}: {exc.message}", field=field) from None
        return facts

    def _allocations(self, stage_spec: dict[str, Any], items: list[StageResourceCreate], existing: list[StageResource],
                     field_prefix: str, first_index: int = 0) -> list[dict[str, Any]]:
        """Per-pod CPU / memory / GPU of each new resource: explicit amounts, or a
        share of an instance (one amount alone sets the share of the others), or
        else an even split of what is left. Refuses what the stage's
        instances cannot hold (appendix 9: allocations may not exceed the
        instances' usable resources)."""
        it = self.settings.instance_types[stage_spec["instance_type"]]
        count = int(stage_spec.get("instance_count") or 1)
        usable = {"cpu": max(0.05, it.cpu - self.options.reserved_cpu),
                  "memory_mib": max(64, it.memory_mib - self.options.reserved_memory_mib), "gpu": it.gpu}
        used = {"cpu": 0.0, "memory_mib": 0, "gpu": 0}
        for r in existing:
            alloc = (r.spec or {}).get("allocation") or {}
            pods = int((r.spec or {}).get("pod_count") or 1)
            for k in used:
                used[k] += alloc.get(k, 0) * pods
        out: list[dict[str, Any]] = []
        unspecified: dict[str, int] = {"cpu": 0, "memory_mib": 0}
        for item in items:
            pct = item.allocation_percent
            if pct is None and (item.cpu is None) != (item.memory is None):
                # one amount given: the other in the same proportion of an instance
                pct = 100 * (item.cpu / usable["cpu"] if item.cpu is not None else item.memory / usable["memory_mib"])
            alloc = {
                "cpu": item.cpu if item.cpu is not None else (usable["cpu"] * pct / 100 if pct else None),
                "memory_mib": item.memory if item.memory is not None else (int(usable["memory_mib"] * pct / 100) if pct else None),
                "gpu": item.gpu if item.gpu is not None else (int(usable["gpu"] * pct / 100) if pct else 0),
                "allocation_percent": item.allocation_percent,
            }
            for k in unspecified:
                if alloc[k] is None:
                    unspecified[k] += item.pod_count
                else:
                    used[k] += alloc[k] * item.pod_count
            used["gpu"] += alloc["gpu"] * item.pod_count
            out.append(alloc)
        for k in unspecified:  # an even share of what is left
            if unspecified[k]:
                left = usable[k] * count - used[k]
                share = left / unspecified[k]
                for item, alloc in zip(items, out):
                    if alloc[k] is None:
                        alloc[k] = round(share, 3) if k == "cpu" else int(share)
                        used[k] += alloc[k] * item.pod_count
        names = {"cpu": ("cpu", "CPU"), "memory_mib": ("memory", "MiB memory"), "gpu": ("gpu", "GPU")}
        for i, (item, alloc) in enumerate(zip(items, out)):
            field_base = f"{field_prefix}[{first_index + i}]"
            for k, (fname, unit) in names.items():
                amount = alloc[k]
                minimum = {"cpu": 0.01, "memory_mib": 16, "gpu": 0}[k]
                if amount < minimum:
                    raise InvalidInput(f"{field_base}.{fname}: nothing is left to allocate: the stage's {count} x {it.name} "
                                       f"instance(s) offer {usable[k] * count:g} {unit}", field=f"{field_base}.{fname}")
                if amount > usable[k] + 1e-9:
                    raise InvalidInput(f"{field_base}.{fname}: {amount:g} {unit} per pod is more than one {it.name} instance "
                                       f"offers ({usable[k]:g} {unit} after the system's share)", field=f"{field_base}.{fname}")
            alloc["cpu"] = round(float(alloc["cpu"]), 3)
        for k, (fname, unit) in names.items():
            if used[k] > usable[k] * count + 1e-6:
                field = f"{field_prefix}[{first_index + len(items) - 1}].{fname}" if items else field_prefix
                raise InvalidInput(f"{field}: the stage's resources need {used[k]:g} {unit}, more than its {count} x {it.name} "
                                   f"instance(s) offer ({usable[k] * count:g} {unit}); lower the allocation or the pod count, "
                                   "or use more or larger instances", field=field)
        return out

    def _new_resources(self, session: Session, endpoint: Endpoint, stage: EndpointStage, items: list[StageResourceCreate],
                       *, field_prefix: str, existing: list[StageResource], first_index: int = 0) -> list[StageResource]:
        stage_names = {s.name for s in self._stage_rows(session, endpoint.id)} | {stage.name}
        allocations = self._allocations(stage.spec, items, existing, field_prefix, first_index)
        rows = []
        for i, (item, alloc) in enumerate(zip(items, allocations)):
            field = f"{field_prefix}[{first_index + i}].model"
            model = self._model_facts(item.model, field)
            if model["model_name"] in stage_names:
                raise InvalidInput(f"{field}: model {model['model_name']!r} has the name of a stage of this endpoint; in the "
                                   "stage URL it would read as that stage", field=field)
            auto = item.pod_autoscaler
            low = auto.min_pods or item.pod_count
            pod_autoscaler = {"enabled": auto.enabled, "metric": auto.metric, "threshold": auto.threshold,
                              "min_pods": low, "max_pods": auto.max_pods or max(low, 2 * item.pod_count)}
            row = StageResource(
                id=new_id(), endpoint_id=endpoint.id, stage_id=stage.id, model_id=model["model_id"], model_name=model["model_name"],
                description=item.description, backend=endpoint.backend, addresses=[], pods_ready=0, pods_total=0, nodes=0,
                # no secrets here (the Hugging Face token): the server gets them from the models service at start
                spec={"model": {k: model.get(k) for k in ("framework", "model_dir", "task", "parameters", "generative")},
                      "allocation": alloc, "pod_count": item.pod_count, "pod_autoscaler": pod_autoscaler},
            )
            self.resources.initial(session, row)
            session.add(row)
            rows.append(row)
        return rows

    def _stage_spec(self, data: StageFields) -> dict[str, Any]:
        it = self._instance_type(data.instance_type, "instance_type")
        return {"instance_type": it.name, "instance_count": data.instance_count,
                "node_autoscaler": data.node_autoscaler.model_dump()}

    def _check_stage_name(self, session: Session, endpoint: Endpoint, name: str, field: str = "name") -> None:
        if session.scalar(select(EndpointStage.id).where(EndpointStage.endpoint_id == endpoint.id, EndpointStage.name == name)):
            raise Conflict(f"endpoint {endpoint.name!r} already has a stage named {name!r}", field=field)
        if session.scalar(select(StageResource.id).where(StageResource.endpoint_id == endpoint.id,
                                                         StageResource.model_name == name)):
            raise Conflict(f"{name!r} is the name of a model deployed on endpoint {endpoint.name!r}; in the URLs a stage "
                           "of that name would hide it", field=field)

    # -- stages -----------------------------------------------------------------------------------
    def _endpoint_for_change(self, session: Session, ref: str) -> Endpoint:
        endpoint = self.find(session, ref)
        if endpoint.status == EP.DELETE_IN_PROGRESS:
            raise Conflict(f"endpoint {endpoint.name!r} is being deleted", field="status")
        if endpoint.status == EP.CREATE_FAILED:
            raise Conflict(f"endpoint {endpoint.name!r} failed to be created: delete it and create it again", field="status")
        return endpoint

    def create_stage(self, ref: str, body: Any, origin: str | None = None) -> StageOut:
        data = parse(StageCreate, body)
        with self.db.session() as session:
            endpoint = self._endpoint_for_change(session, ref)
            self._check_stage_name(session, endpoint, data.name)
            stage = EndpointStage(id=new_id(), endpoint_id=endpoint.id, name=data.name, description=data.description,
                                  spec=self._stage_spec(data), gateway_status=GW.CREATE_IN_PROGRESS)
            self.stages.initial(session, stage)
            session.add(stage)
            session.flush()
            resources = self._new_resources(session, endpoint, stage, data.resources, field_prefix="resources", existing=[])
            self._endpoint_busy(session, endpoint, f"stage {data.name} is being created")
            out = self.stage_out(endpoint, stage, resources, origin)
        self.stages.publish(stage, "created")
        return out

    def _endpoint_busy(self, session: Session, endpoint: Endpoint, reason: str) -> None:
        if endpoint.status in (EP.ACTIVE, EP.UPDATE_FAILED):
            self.set_status(session, endpoint, EP.UPDATE_IN_PROGRESS, reason)

    def list_stages(self, ref: str, origin: str | None = None) -> list[StageOut]:
        with self.db.session() as session:
            endpoint = self.find(session, ref)
            stages = self._stage_rows(session, endpoint.id)
            resources = self._resource_rows(session, [s.id for s in stages])
            return [self.stage_out(endpoint, s, [r for r in resources if r.stage_id == s.id], origin) for s in stages]

    def get_stage(self, ref: str, stage_ref: str, origin: str | None = None) -> StageOut:
        with self.db.session() as session:
            endpoint = self.find(session, ref)
            stage = self.find_stage(session, endpoint, stage_ref)
            return self.stage_out(endpoint, stage, self._resource_rows(session, [stage.id]), origin,
                                  history=self.stages.history(session, stage.id))

    def update_stage(self, ref: str, stage_ref: str, body: Any, origin: str | None = None) -> StageOut:
        data = parse(StageUpdate, body)
        with self.db.session() as session:
            endpoint = self.find(session, ref)
            stage = self.find_stage(session, endpoint, stage_ref)
            if data.description is not None:
                stage.description = data.description
                stage.updated_at = utcnow()
            out = self.stage_out(endpoint, stage, self._resource_rows(session, [stage.id]), origin)
        self.stages.publish(stage, "updated")
        return out

    def _delete_stage_in(self, session: Session, stage: EndpointStage, reason: str) -> None:
        if stage.status != ST.DELETE_IN_PROGRESS:
            self.stages.set_status(session, stage, ST.DELETE_IN_PROGRESS, reason)
        for resource in self._resource_rows(session, [stage.id]):
            if resource.status != RS.DELETE_IN_PROGRESS:
                self.resources.set_status(session, resource, RS.DELETE_IN_PROGRESS, reason)

    def delete_stage(self, ref: str, stage_ref: str) -> None:
        with self.db.session() as session:
            endpoint = self.find(session, ref)
            stage = self.find_stage(session, endpoint, stage_ref)
            if stage.id == endpoint.default_stage_id:
                raise Conflict(f"stage {stage.name!r} is the default stage of endpoint {endpoint.name!r} and cannot be deleted: "
                               "make another stage the default, or delete the endpoint", field="stage")
            if stage.status == ST.DELETE_IN_PROGRESS:
                return
            self._delete_stage_in(session, stage, "deletion requested")
            self._endpoint_busy(session, endpoint, f"stage {stage.name} is being deleted")
        self.gateway.reload()
        self.stages.publish(stage, "status")

    def retry_stage(self, ref: str, stage_ref: str, origin: str | None = None) -> StageOut:
        """The guide's "try again" of a failed stage: its failed resources start anew."""
        with self.db.session() as session:
            endpoint = self._endpoint_for_change(session, ref)
            stage = self.find_stage(session, endpoint, stage_ref)
            if stage.status == ST.CREATE_FAILED:
                self.stages.set_status(session, stage, ST.CREATE_REQUESTED, "retry requested")
            elif stage.status == ST.DEPLOY_FAILED:
                self.stages.set_status(session, stage, ST.DEPLOY_IN_PROGRESS, "retry requested")
            else:
                raise Conflict(f"stage {stage.name!r} is {stage.status}; only a failed stage can be retried", field="status")
            stage.gateway_status = GW.CREATE_IN_PROGRESS if stage.status == ST.CREATE_REQUESTED else GW.STAGE_DEPLOYING
            resources = self._resource_rows(session, [stage.id])
            for r in resources:
                if r.status == RS.CREATE_FAILED:
                    self.resources.set_status(session, r, RS.CREATE_REQUESTED, "retry requested")
                    r.handle = None
            self._endpoint_busy(session, endpoint, f"stage {stage.name} is retried")
            out = self.stage_out(endpoint, stage, resources, origin)
        self.stages.publish(stage, "status")
        return out

    def set_default_stage(self, ref: str, body: Any, origin: str | None = None) -> EndpointOut:
        """Make another ACTIVE stage the default. The routing pointer moves at
        once; the old default stage is deleted after its in-flight requests
        have finished (the reconciler drains it), so no request is lost."""
        data = parse(DefaultStageChange, body)
        with self.db.session() as session:
            endpoint = self._endpoint_for_change(session, ref)
            stage = self.find_stage(session, endpoint, data.stage, "stage")
            if stage.id == endpoint.default_stage_id:
                raise Conflict(f"stage {stage.name!r} is already the default stage", field="stage")
            if stage.status != ST.ACTIVE:
                raise Conflict(f"stage {stage.name!r} is {stage.status}; only an ACTIVE stage can become the default", field="stage")
            live = [r for r in self._resource_rows(session, [stage.id]) if r.status == RS.ACTIVE and r.addresses]
            if not live:
                raise Conflict(f"stage {stage.name!r} has no ready server to take the traffic", field="stage")
            old = session.get(EndpointStage, endpoint.default_stage_id) if endpoint.default_stage_id else None
            endpoint.default_stage_id = stage.id
            endpoint.updated_at = utcnow()
            if old is not None:
                self._delete_stage_in(session, old, f"replaced as the default stage by {stage.name}; its servers stop "
                                                    "once their in-flight requests have finished")
                self._endpoint_busy(session, endpoint, f"default stage changed from {old.name} to {stage.name}")
            out_row = endpoint
        # the switch: committed above, routes rebuilt now, before any other request is handled
        self.gateway.reload()
        self.publish(out_row, "status")
        with self.db.session() as session:
            return self.endpoint_out(session, session.get(Endpoint, out_row.id), origin, with_stages=True)

    # -- stage resources ---------------------------------------------------------------------------------
    def add_resource(self, ref: str, stage_ref: str, body: Any, origin: str | None = None) -> StageResourceOut:
        item = parse(StageResourceCreate, body)
        with self.db.session() as session:
            endpoint = self._endpoint_for_change(session, ref)
            stage = self.find_stage(session, endpoint, stage_ref)
            if stage.status == ST.DELETE_IN_PROGRESS:
                raise Conflict(f"stage {stage.name!r} is being deleted", field="stage")
            if stage.status == ST.CREATE_FAILED:
                raise Conflict(f"stage {stage.name!r} failed to be created: retry it or delete it first", field="stage")
            existing = [r for r in self._resource_rows(session, [stage.id]) if r.status != RS.DELETE_IN_PROGRESS]
            try:
                (row,) = self._new_resources(session, endpoint, stage, [item], field_prefix="resources", existing=existing)
            except InvalidInput as exc:  # the body is one resource: name its own field
                field = (exc.field or "").removeprefix("resources[0].") or "body"
                raise InvalidInput(exc.message.replace("resources[0].", ""), field=field) from None
            if stage.status in (ST.ACTIVE, ST.DEPLOY_FAILED):
                self.stages.set_status(session, stage, ST.DEPLOY_IN_PROGRESS, f"model {row.model_name} is being deployed")
                stage.gateway_status = GW.STAGE_DEPLOYING
            self._endpoint_busy(session, endpoint, f"stage {stage.name} is deploying {row.model_name}")
            out = self.resource_out(endpoint, stage, row, origin)
        self.resources.publish(row, "created")
        return out

    def list_resources(self, ref: str, stage_ref: str, origin: str | None = None) -> list[StageResourceOut]:
        with self.db.session() as session:
            endpoint = self.find(session, ref)
            stage = self.find_stage(session, endpoint, stage_ref)
            return [self.resource_out(endpoint, stage, r, origin) for r in self._resource_rows(session, [stage.id])]

    def get_resource(self, ref: str, stage_ref: str, resource_ref: str, origin: str | None = None) -> StageResourceOut:
        with self.db.session() as session:
            endpoint = self.find(session, ref)
            stage = self.find_stage(session, endpoint, stage_ref)
            row = self.find_resource(session, stage, resource_ref)
            return self.resource_out(endpoint, stage, row, origin, history=self.resources.history(session, row.id))

    def delete_resource(self, ref: str, stage_ref: str, resource_ref: str) -> None:
        with self.db.session() as session:
            endpoint = self.find(session, ref)
            stage = self.find_stage(session, endpoint, stage_ref)
            row = self.find_resource(session, stage, resource_ref)
            if row.status == RS.DELETE_IN_PROGRESS:
                return
            remaining = [r for r in self._resource_rows(session, [stage.id]) if r.status != RS.DELETE_IN_PROGRESS and r.id != row.id]
            if not remaining:
                what = "delete the stage instead" if stage.id != endpoint.default_stage_id else \
                    "make another stage the default or delete the endpoint"
                raise Conflict(f"{row.model_name} is the last resource of stage {stage.name!r}: {what}", field="resource")
            self.resources.set_status(session, row, RS.DELETE_IN_PROGRESS, "deletion requested")
            if stage.status in (ST.ACTIVE, ST.DEPLOY_FAILED):
                self.stages.set_status(session, stage, ST.DEPLOY_IN_PROGRESS, f"model {row.model_name} is being removed")
                stage.gateway_status = GW.STAGE_DEPLOYING
            self._endpoint_busy(session, endpoint, f"stage {stage.name} is removing {row.model_name}")
        self.gateway.reload()
        self.resources.publish(row, "status")

    def server_spec(self, session: Session, row: StageResource) -> ServerSpec:
        """What the serving backend runs for a stage resource."""
        endpoint = session.get(Endpoint, row.endpoint_id)
        stage = session.get(EndpointStage, row.stage_id)
        spec = row.spec or {}
        model, alloc, auto = dict(spec.get("model") or {}), spec.get("allocation") or {}, spec.get("pod_autoscaler") or {}
        env: dict[str, str] = {}
        secret_env: dict[str, str] = {}
        models = self.models()
        if models is not None:
            try:  # the current parameters and environment, with the token decrypted only now
                fresh = models.serving_spec(row.model_id)
                model.update({k: fresh[k] for k in ("framework", "model_dir", "task", "parameters") if k in fresh})
                env, secret_env = dict(fresh.get("env") or {}), dict(fresh.get("secret_env") or {})
            except (NotFound, Conflict):
                pass  # deletion is guarded while a resource uses the model: keep what was recorded
        it = self.settings.instance_types.get((stage.spec or {}).get("instance_type", "")) or \
            self.settings.instance_types[self.settings.default_instance_type]
        pods = int(auto.get("min_pods") or spec.get("pod_count") or 1) if auto.get("enabled") else int(spec.get("pod_count") or 1)
        return ServerSpec(
            server_id=row.id, name=f"{endpoint.name}-{stage.name}-{row.model_name}", endpoint_id=endpoint.id, stage_id=stage.id,
            model_id=row.model_id, model_name=row.model_name, model_dir=model.get("model_dir", ""),
            framework=model.get("framework", ""), task=model.get("task", ""), parameters=dict(model.get("parameters") or {}),
            instance_type=it, cpu=float(alloc.get("cpu") or 1.0), memory_mib=int(alloc.get("memory_mib") or 1024),
            gpu=int(alloc.get("gpu") or 0), pods=pods,
            autoscaler=AutoscalerSpec(enabled=bool(auto.get("enabled")), metric=auto.get("metric", "cpu"),
                                      threshold=float(auto.get("threshold") or 80.0), min_pods=int(auto.get("min_pods") or pods),
                                      max_pods=int(auto.get("max_pods") or pods)),
            node_autoscaler=dict((stage.spec or {}).get("node_autoscaler") or {}),
            work_dir=self.settings.path("endpoints", endpoint.id, "servers", row.id),
            env=env, secret_env=secret_env, labels={}, storage_options=dict(self.settings.obs_storage_options),
        )

    # -- clean-up (called by the reconciler once servers are gone) ---------------------------------------------
    def purge_resource(self, session: Session, row: StageResource) -> None:
        for table in (StatusEvent, ResourceSample):
            session.execute(delete(table).where(table.resource_id == row.id))
        session.delete(row)

    def purge_stage(self, session: Session, stage: EndpointStage) -> None:
        for table in (StatusEvent, LogRecord, LogBatch):  # LogBatch: its requests not made records yet
            session.execute(delete(table).where(table.resource_id == stage.id))
        self.stats.delete_in(session, part_id=stage.id)
        session.delete(stage)

"""What the endpoint reconciler reads and records: each call is one unit of
work on the store, run by the reconciler in a worker thread. A mixin of
:class:`~jupyter_easymaker.areas.endpoints.service.EndpointService`, so the
reconciler never writes a table itself."""
from __future__ import annotations

import time
from typing import Any

from sqlalchemy import select

from jupyter_easymaker.areas.endpoints.statuses import (
    STAGE_RESOURCE_HOLDING,
    StageResourceStatus,
    StageStatus,
)
from jupyter_easymaker.areas.endpoints.tables import (
    Endpoint,
    EndpointStage,
    StageResource,
)
from jupyter_easymaker.core.db import REREAD_SECONDS, version_query
from jupyter_easymaker.core.holding import Held

RS, ST = StageResourceStatus, StageStatus


class ServingRecords:
    """Reads and writes of the endpoint reconciler (mixed into the endpoint service, which
    keeps ``_work_read``: key -> (version, what the last read returned, when))."""

    _work_read: dict[str, tuple[tuple[Any, ...], Any, float]]

    def _kind_of(self, kind: str) -> tuple[Any, Any]:
        return {"endpoint": (self, Endpoint), "stage": (self.stages, EndpointStage),
                "resource": (self.resources, StageResource)}[kind]

    def record(self, kind: str, row_id: str, target: str | None, reason: str = "", **fields: Any) -> bool:
        """One status change (if ``target``) plus field updates, committed and published;
        True when the status changed."""
        service, table = self._kind_of(kind)
        with self.db.session() as session:
            row = session.get(table, row_id)
            if row is None:
                return False
            changed = target is not None and row.status != target
            if changed:
                service.set_status(session, row, target, reason)
            for key, value in fields.items():
                setattr(row, key, value)
        if changed:
            service.publish(row, "status")
        return changed

    # -- reads ----------------------------------------------------------------------
    def holding_resources(self) -> list[tuple[str, dict[str, Any]]]:
        """(backend, handle) of every resource that holds servers (to adopt after a restart)."""
        with self.db.read() as session:
            rows = session.execute(select(StageResource.backend, StageResource.handle).where(
                StageResource.status.in_(STAGE_RESOURCE_HOLDING), StageResource.handle.is_not(None))).all()
        return [(backend, dict(handle)) for backend, handle in rows]

    def holding(self) -> list[Held]:
        """Each stage with servers up holds its instances (the dashboard's usage); its
        resources' pods are where the usage is sampled."""
        with self.db.read() as session:
            rows = session.execute(select(StageResource.id, StageResource.stage_id, StageResource.backend)
                                   .where(StageResource.status.in_(STAGE_RESOURCE_HOLDING))).all()
            by_stage: dict[str, list[str]] = {}
            backends: dict[str, str] = {}
            for rid, sid, backend in rows:
                by_stage.setdefault(sid, []).append(rid)
                backends[sid] = backend or "local"
            stages = session.execute(select(EndpointStage.id, EndpointStage.name, EndpointStage.spec, Endpoint.name)
                                     .join(Endpoint, EndpointStage.endpoint_id == Endpoint.id)
                                     .where(EndpointStage.id.in_(list(by_stage)))).all() if by_stage else []
        return [Held("endpoint stage", sid, f"{endpoint}/{stage}",
                     (spec or {}).get("instance_type") or self.settings.default_instance_type,
                     max(1, int((spec or {}).get("instance_count") or 1)), backends[sid], tuple(by_stage[sid]))
                for sid, stage, spec, endpoint in stages]

    def resource_work(self) -> list[tuple[str, str, dict[str, Any] | None, str, dict[str, Any]]]:
        """(id, status, handle, backend, spec) of every stage resource, oldest first (the list
        of the last call while no resource was written, added or removed since: see :meth:`_unchanged`)."""
        with self.db.read() as session:
            version, cached = self._unchanged(session, "resources", StageResource)
            if cached is not None:
                return cached
            rows = session.execute(select(StageResource.id, StageResource.status, StageResource.handle, StageResource.backend,
                                          StageResource.spec).order_by(StageResource.created_at)).all()
        work = [(rid, status, dict(handle) if handle else None, backend, spec or {}) for rid, status, handle, backend, spec in rows]
        self._work_read["resources"] = (version, work, time.monotonic())
        return work

    def stage_work(self) -> tuple[list[EndpointStage], list[StageResource]]:
        """Stages that are not ACTIVE, and their resources (detached)."""
        with self.db.read() as session:
            stages = list(session.scalars(select(EndpointStage).where(EndpointStage.status != ST.ACTIVE)))
            resources = list(session.scalars(select(StageResource).where(StageResource.stage_id.in_([s.id for s in stages])))) \
                if stages else []
        return stages, resources

    def endpoint_work(self) -> tuple[list[Endpoint], list[EndpointStage]]:
        """Every endpoint and stage (detached; those of the last call while none was written, added or removed)."""
        with self.db.read() as session:
            version, cached = self._unchanged(session, "endpoints", Endpoint, EndpointStage)
            if cached is not None:
                return cached
            work = list(session.scalars(select(Endpoint))), list(session.scalars(select(EndpointStage)))
        self._work_read["endpoints"] = (version, work, time.monotonic())
        return work

    def _unchanged(self, session: Any, key: str, *tables: Any) -> tuple[tuple[Any, ...], Any]:
        """(version, what the last read of ``key`` returned if the version is the same, else None).
        The version (``version_query``) is read in the same transaction as the rows: a reconciler
        ticking twice a second over two hundred idle endpoints reads two small numbers per table,
        not every row's JSON. The rows are read again after ``REREAD_SECONDS`` in any case."""
        version = tuple(session.execute(version_query(*tables)).one())
        last = self._work_read.get(key)
        fresh = last is not None and last[0] == version and time.monotonic() - last[2] < REREAD_SECONDS
        return version, (last[1] if fresh else None)

    def server_spec_of(self, resource_id: str) -> Any:
        with self.db.session() as session:
            return self.server_spec(session, session.get(StageResource, resource_id))

    # -- writes ----------------------------------------------------------------------
    def resource_started(self, resource_id: str, handle: dict[str, Any], pods: int, reason: str) -> bool:
        """The servers were asked for: CREATE IN PROGRESS with their handle. False when the
        resource was deleted meanwhile (the handle is kept, so the delete path stops them)."""
        with self.db.session() as session:
            row = session.get(StageResource, resource_id)
            if row is None or row.status != RS.CREATE_REQUESTED:
                if row is not None:
                    row.handle = handle
                return False
        return self.record("resource", resource_id, RS.CREATE_IN_PROGRESS, reason, handle=handle, pods_total=pods)

    def resource_routed(self, resource_id: str, addresses: list[str]) -> bool | None:
        """The ready servers' addresses a poll of an ACTIVE resource found; True when they
        changed (the gateway's routes must be rebuilt), None when it is no longer ACTIVE."""
        with self.db.session() as session:
            row = session.get(StageResource, resource_id)
            if row is None or row.status != RS.ACTIVE:
                return None
            moved = addresses != list(row.addresses or [])
            if moved:
                row.addresses = addresses
        return moved

    def resource_observed(self, resource_id: str, observed: dict[str, Any], reason: str) -> bool:
        """What else a poll of an ACTIVE resource found (pods ready and in all, nodes, why
        none is ready); False when it is no longer ACTIVE."""
        with self.db.session() as session:
            row = session.get(StageResource, resource_id)
            if row is None or row.status != RS.ACTIVE:
                return False
            for key, value in observed.items():
                setattr(row, key, value)
            row.status_reason = reason
        return True

    def resource_scaled_down(self, resource_id: str, handle: dict[str, Any], removed: list[str]) -> None:
        with self.db.session() as session:
            row = session.get(StageResource, resource_id)
            if row is not None:
                row.handle = handle
                row.addresses = [a for a in row.addresses or [] if a not in removed]

    def record_usages(self, samples: list[tuple[str, Any]]) -> None:
        """Usage samples of many resources in one transaction (a tick's)."""
        with self.db.session() as session:
            for resource_id, usage in samples:
                self.platform.logs.add_sample(session, resource_id, usage)

    def purge_resource_row(self, resource_id: str) -> StageResource | None:
        """Remove a resource whose servers are gone; the removed row, or None."""
        with self.db.session() as session:
            row = session.get(StageResource, resource_id)
            if row is None:
                return None
            self.purge_resource(session, row)
        self.events.publish("stage resource", row.id, change="deleted", stage_id=row.stage_id, endpoint_id=row.endpoint_id)
        return row

    def purge_stage_row(self, stage_id: str) -> None:
        with self.db.session() as session:
            row = session.get(EndpointStage, stage_id)
            if row is None:
                return
            self.purge_stage(session, row)
        self.events.publish("endpoint stage", row.id, change="deleted", endpoint_id=row.endpoint_id)

    def purge_endpoint_row(self, endpoint_id: str) -> None:
        with self.db.session() as session:
            row = session.get(Endpoint, endpoint_id)
            if row is None:
                return
            self.purge_endpoint(session, row)
        self.events.publish("endpoint", row.id, change="deleted", name=row.name)

"""Pipelines: an upload is read and checked (``ir.load_pipeline_file``) and stored
as CREATE REQUESTED; the controller draws its graph, lists its inputs, stores
its YAML and makes it ACTIVE (or CREATE FAILED with the reason). Its runs are
:mod:`runs` (``self.runs``); what other areas ask is here.
"""
from __future__ import annotations

import base64
import binascii
import os
import shutil
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jupyter_easymaker.areas.pipelines import ir
from jupyter_easymaker.areas.pipelines.runs import PipelineRuns
from jupyter_easymaker.areas.pipelines.schemas import (
    PipelineGraphOut,
    PipelineOut,
    PipelineUpload,
)
from jupyter_easymaker.areas.pipelines.statuses import (
    PIPELINE_MACHINE,
    PIPELINE_PENDING,
    PipelineStatus,
)
from jupyter_easymaker.areas.pipelines.tables import Pipeline, PipelineRun
from jupyter_easymaker.areas.pipelines.task_jobs import PipelineTaskJobs
from jupyter_easymaker.core.errors import Conflict, InvalidInput
from jupyter_easymaker.core.holding import Held
from jupyter_easymaker.core.resources import ListQuery, ResourceService, new_id, parse
from jupyter_easymaker.core.schemas import StatusEventOut
from jupyter_easymaker.core.tables import StatusEvent

P = PipelineStatus
PIPELINES_FOLDER = "pipelines"
YAML_FILE = "pipeline.yaml"


class PipelineService(ResourceService):
    table = Pipeline
    machine = PIPELINE_MACHINE
    kind = "pipeline"

    def __init__(self, platform: Any):
        super().__init__(platform)
        self.runs = PipelineRuns(platform, self)
        self.task_jobs = PipelineTaskJobs(platform)

    def holding(self) -> list[Held]:
        """Its runs' task jobs (a run's own executor holds no instance)."""
        return self.task_jobs.holding()

    def folder(self, pipeline_id: str) -> str:
        return self.settings.path(PIPELINES_FOLDER, pipeline_id)

    # -- what other areas ask ----------------------------------------------------------
    @staticmethod
    def lookup(session: Session, ref: str) -> Pipeline | None:
        """By id or name; None when there is none."""
        return session.get(Pipeline, ref) or session.scalar(select(Pipeline).where(Pipeline.name == ref))

    def lookup_pipeline(self, ref: str, session: Session | None = None) -> dict[str, Any] | None:
        """``{id, name, status, inputs, pipeline_name}`` of a pipeline (by name or id), or None."""
        def answer(s: Session) -> dict[str, Any] | None:
            row = self.lookup(s, ref)
            if row is None:
                return None
            inputs = row.inputs_json or (ir.pipeline_inputs(row.spec_json) if row.status != P.CREATE_FAILED else [])
            return {"id": row.id, "name": row.name, "status": row.status, "inputs": inputs, "pipeline_name": row.pipeline_name}

        if session is not None:
            return answer(session)
        with self.db.session() as own:
            return answer(own)

    def check_parameters(self, ref: str, parameters: dict[str, Any] | None) -> dict[str, Any]:
        """The run parameters of pipeline ``ref`` typed and with defaults filled; a 4xx naming
        ``parameters.<name>`` or ``pipeline_name`` (what a schedule checks before it stores)."""
        with self.db.session() as session:
            row = self.lookup(session, ref)
            if row is None:
                raise InvalidInput(f"pipeline_name: pipeline {ref!r} does not exist", field="pipeline_name")
            spec = row.spec_json
        return ir.check_run_parameters(spec, parameters or {})

    def names_in_experiment(self, session: Session, experiment_id: str) -> list[str]:
        """Up to six names of the experiment's pipeline runs (its deletion guard)."""
        return self.runs.names_in_experiment(session, experiment_id)

    def create_scheduled_run(self, session: Session | None = None, **fields: Any) -> str:
        """A run a pipeline schedule starts (see :meth:`PipelineRuns.create_scheduled_run`); its name."""
        return self.runs.create_scheduled_run(session, **fields)

    def schedule_job(self, **fields: Any) -> Any:
        """The job a schedule's CronJob starts, its files staged (see ``PipelineRuns.schedule_job``)."""
        return self.runs.schedule_job(**fields)

    def record_fired_run(self, **fields: Any) -> str | None:
        """A Job a schedule's CronJob started, recorded once as its run (``PipelineRuns.record_fired_run``)."""
        return self.runs.record_fired_run(**fields)

    def put_recurring_run(self, **fields: Any) -> str:
        """A schedule as a recurring run on the Kubeflow Pipelines server (``PipelineRuns.put_recurring_run``)."""
        return self.runs.put_recurring_run(**fields)

    def switch_recurring_run(self, recurring_run_id: str, enabled: bool) -> None:
        self.runs.switch_recurring_run(recurring_run_id, enabled)

    def delete_recurring_run(self, recurring_run_id: str) -> None:
        self.runs.delete_recurring_run(recurring_run_id)

    def record_recurring_runs(self, **fields: Any) -> list[tuple[str, Any]]:
        """The runs of a schedule's recurring run, recorded once each (``PipelineRuns.record_recurring_runs``)."""
        return self.runs.record_recurring_runs(**fields)

    def runs_backend(self, asked: str | None) -> str:
        """Where a run asking for ``asked`` runs: that backend, or "kfp" / the default without one."""
        return self.runs.backend_for(asked)

    def count_active_runs_for_schedule(self, schedule_id: str, session: Session | None = None) -> int:
        """The schedule's runs that have not ended (its max concurrency and deletion rule)."""
        return self.runs.count_active_runs_for_schedule(schedule_id, session)

    def runs_for_schedule(self, schedule_id: str, *, limit: int = 1000) -> list[dict[str, Any]]:
        return self.runs.runs_for_schedule(schedule_id, limit=limit)

    # -- answers ---------------------------------------------------------------------------
    def out(self, row: Pipeline, *, run_count: int = 0, history: list | None = None) -> PipelineOut:
        return PipelineOut(
            id=row.id, name=row.name, description=row.description, status=row.status, status_reason=row.status_reason,
            created_at=row.created_at, updated_at=row.updated_at, filename=row.filename, source_format=row.source_format,
            pipeline_name=row.pipeline_name, sdk_version=row.sdk_version, schema_version=row.schema_version,
            inputs=list(row.inputs_json or []), summary=dict(row.summary_json or {}), run_count=run_count,
            history=[StatusEventOut(status=e.status, reason=e.reason, at=e.at) for e in history] if history is not None else None,
        )

    @staticmethod
    def run_counts(session: Session, ids: list[str]) -> dict[str, int]:
        if not ids:
            return {}
        stmt = select(PipelineRun.pipeline_id, func.count()).where(PipelineRun.pipeline_id.in_(ids)).group_by(PipelineRun.pipeline_id)
        return dict(session.execute(stmt).all())

    def list(self, query: ListQuery) -> tuple[list[PipelineOut], int]:
        with self.db.session() as session:
            rows, total = query.page(session, Pipeline, select(Pipeline))
            counts = self.run_counts(session, [r.id for r in rows])
            return [self.out(r, run_count=counts.get(r.id, 0)) for r in rows], total

    def get(self, ref: str) -> PipelineOut:
        with self.db.session() as session:
            row = self.find(session, ref)
            return self.out(row, run_count=self.run_counts(session, [row.id]).get(row.id, 0),
                            history=self.history(session, row.id))

    def graph(self, ref: str) -> PipelineGraphOut:
        with self.db.session() as session:
            row = self.find(session, ref)
            graph, spec = row.graph_json, row.spec_json
        if not graph:
            if row.status == P.CREATE_FAILED:
                raise Conflict(f"pipeline {row.name!r} is CREATE FAILED ({row.status_reason}): it has no graph", field="status")
            graph = ir.pipeline_graph(spec)  # not drawn by the controller yet: drawn for this answer
        return PipelineGraphOut(pipeline_id=row.id, name=row.name, status=row.status, nodes=graph["nodes"], edges=graph["edges"])

    def download(self, ref: str) -> tuple[str, str]:
        """(file name, YAML text) of the pipeline as a KFP compiler writes it."""
        with self.db.session() as session:
            row = self.find(session, ref)
        path = os.path.join(self.folder(row.id), YAML_FILE)
        try:
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
        except OSError:
            text = ir.canonical_yaml(row.spec_json, row.platform_spec_json)
        return f"{row.name}.yaml", text

    # -- upload ------------------------------------------------------------------------------
    def create(self, body: Any) -> PipelineOut:
        """An upload: ``content`` (the file's text) or ``content_base64`` (its bytes, for a zip)."""
        data = parse(PipelineUpload, body)
        if data.content is not None:
            raw = data.content.encode("utf-8")
        else:
            try:
                raw = base64.b64decode(data.content_base64 or "", validate=True)
            except (binascii.Error, ValueError):
                raise InvalidInput("content_base64: is not base64", field="content_base64") from None
        loaded = ir.load_pipeline_file(raw, data.filename)
        spec = loaded.spec
        with self.db.session() as session:
            self.check_name_free(session, data.name)
            row = Pipeline(
                id=new_id(), name=data.name, description=data.description, filename=os.path.basename(data.filename)[:255],
                source_format=loaded.source_format, pipeline_name=str((spec.get("pipelineInfo") or {}).get("name") or "")[:255],
                sdk_version=str(spec.get("sdkVersion") or "")[:64], schema_version=str(spec.get("schemaVersion") or "")[:32],
                spec_json=spec, platform_spec_json=loaded.platform_spec, inputs_json=[], graph_json={}, summary_json={},
            )
            self.initial(session, row)
            session.add(row)
            out = self.out(row)
        self.publish(row, "created")
        return out

    def draw_pending(self) -> int:
        """The controller's work: each pipeline waiting to be created gets its inputs,
        graph and summary drawn and its YAML stored, then is ACTIVE (or CREATE FAILED)."""
        with self.db.session() as session:
            pending = list(session.scalars(select(Pipeline.id).where(Pipeline.status.in_(PIPELINE_PENDING))))
        for pipeline_id in pending:
            self.draw(pipeline_id)
        return len(pending)

    def draw(self, pipeline_id: str) -> None:
        with self.db.session() as session:
            row = session.get(Pipeline, pipeline_id)
            if row is None or row.status not in PIPELINE_PENDING:
                return
            if row.status == P.CREATE_REQUESTED:
                self.set_status(session, row, P.CREATE_IN_PROGRESS, "drawing the graph")
            spec, platform_spec, name = row.spec_json, row.platform_spec_json, row.name
        self.publish(row, "status")
        try:
            fields = {"inputs_json": ir.pipeline_inputs(spec), "graph_json": ir.pipeline_graph(spec),
                      "summary_json": ir.pipeline_summary(spec)}
            folder = self.folder(pipeline_id)
            os.makedirs(folder, exist_ok=True)
            tmp = os.path.join(folder, YAML_FILE + ".tmp")
            with open(tmp, "w", encoding="utf-8") as fh:
                fh.write(ir.canonical_yaml(spec, platform_spec))
            os.replace(tmp, os.path.join(folder, YAML_FILE))
            target, reason = P.ACTIVE, ""
        except Exception as exc:  # noqa: BLE001 - whatever it is, the pipeline says why it failed
            self.platform.log.warning("pipeline %s could not be created: %s", name, exc)
            fields, target = {}, P.CREATE_FAILED
            reason = f"the pipeline could not be stored or drawn: {getattr(exc, 'message', None) or exc}"
        with self.db.session() as session:
            row = session.get(Pipeline, pipeline_id)
            if row is None or row.status != P.CREATE_IN_PROGRESS:
                return
            for key, value in fields.items():
                setattr(row, key, value)
            self.set_status(session, row, target, reason)
        self.publish(row, "status")

    # -- changes ---------------------------------------------------------------------------
    def update(self, ref: str, body: Any) -> PipelineOut:
        with self.db.session() as session:
            row = self.rename(session, ref, body)
            out = self.out(row, run_count=self.run_counts(session, [row.id]).get(row.id, 0))
        self.publish(row, "updated")
        return out

    def delete(self, ref: str) -> None:
        with self.db.session() as session:
            row = self.find(session, ref)
            if row.status in PIPELINE_PENDING:
                raise Conflict(f"pipeline {row.name!r} is {row.status}: a pipeline being created cannot be deleted",
                               field="status")
            for label, found in self.platform.blockers(self.kind, session, row.id):
                shown = (", ".join(repr(n) for n in found[:5]) + (", ..." if len(found) > 5 else "")
                         if isinstance(found, (list, tuple)) else str(found))
                raise Conflict(f"pipeline {row.name!r} is used by {label} ({shown}): delete the {label} first, then the "
                               "pipeline")
            session.execute(StatusEvent.__table__.delete().where(StatusEvent.resource_id == row.id))
            session.delete(row)  # its runs keep their own copy of the spec; their pipeline_id becomes NULL
        shutil.rmtree(self.folder(row.id), ignore_errors=True)
        self.events.publish(self.kind, row.id, change="deleted", name=row.name)


"""Reconcilers of batch inferences and model evaluations, driven by the
controller's loop (``Controller.add``).

A batch inference is one backend job, handled like a training: submit,
observe, ingest its log (whose progress lines update the record counts),
stop, finish. A model evaluation follows the batch inference it owns, then
runs a metrics job and stores its result. Everything needed to go on after a
restart is in the store (handles, log offsets), as for trainings.
"""
from __future__ import annotations

import asyncio
import logging
import re
import time
from datetime import datetime, timezone
from typing import Any, Callable

from sqlalchemy import select

from jupyter_easymaker.backend.base import Backend, BackendError, CapacityUnavailable, JobPhase, JobState
from jupyter_easymaker.domain.batch import (
    BATCH_INFERENCE_ACTIVE,
    BATCH_INFERENCE_FINAL,
    MODEL_EVALUATION_ACTIVE,
    BatchInferenceStatus,
    ModelEvaluationStatus,
)
from jupyter_easymaker.store.batch_tables import BatchInference, ModelEvaluation

B, E = BatchInferenceStatus, ModelEvaluationStatus
LOG_CATEGORY = "easymaker.inference"
MAX_TIME_BACKSTOP_SECONDS = 30.0  # beyond the job's own limit, before the controller enforces it
PROGRESS = re.compile(r"^\[easymaker\] progress records=(\d+)/(\d+) errors=(\d+)(?: node=(\d+))?")
ERROR = re.compile(r"^\[easymaker\] ERROR: (.*)")


def _utc(ts: float | None) -> datetime | None:
    return datetime.fromtimestamp(ts, tz=timezone.utc) if ts else None


class JobTracker:
    """Store-side steps shared by every job-backed row (``JobColumns``): one
    instance per table. The row's own service decides the statuses."""

    def __init__(self, services, table: Any, service: Any, log_fields: Callable[[Any], dict[str, Any]],
                 on_line: Callable[[Any, str], None] | None = None):
        self.services, self.db, self.logs, self.settings = services, services.db, services.logs, services.settings
        self.table, self.service, self.log_fields, self.on_line = table, service, log_fields, on_line
        self._last_sample: dict[str, float] = {}

    def transition(self, row_id: str, target: str, reason: str, **fields: Any) -> None:
        with self.db.session() as session:
            row = session.get(self.table, row_id)
            if row is None or row.status == target:
                return
            self.service.set_status(session, row, target, reason)
            for key, value in fields.items():
                setattr(row, key, value)
        self.service.publish(row, "status")

    def update(self, row_id: str, **fields: Any) -> None:
        with self.db.session() as session:
            row = session.get(self.table, row_id)
            for key, value in fields.items():
                setattr(row, key, value)

    async def submit(self, row_id: str, backend: Backend, make_spec: Callable[[Any], Any]) -> tuple[dict | None, str]:
        """(handle, "") once submitted; (None, "") while waiting for capacity; (None, reason) when it cannot run."""
        try:
            with self.db.session() as session:
                spec = make_spec(session.get(self.table, row_id))
        except Exception as exc:  # noqa: BLE001 - e.g. its model is no longer servable
            return None, getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
        try:
            handle = await asyncio.to_thread(backend.submit, spec)
        except CapacityUnavailable as exc:
            with self.db.session() as session:
                row = session.get(self.table, row_id)
                if row.status_reason != str(exc):
                    row.status_reason = str(exc)
            return None, ""
        except BackendError as exc:
            return None, str(exc) or "the backend refused the job"
        self.update(row_id, handle=handle, log_offset=0)
        return handle, ""

    async def ingest(self, row_id: str, backend: Backend, handle: dict[str, Any], drain: bool = False) -> None:
        with self.db.session() as session:
            offset = session.get(self.table, row_id).log_offset
        while True:
            chunk = await asyncio.to_thread(backend.read_logs, handle, offset)
            if not chunk.text:
                return
            with self.db.session() as session:
                row = session.get(self.table, row_id)
                if row.log_offset != offset:
                    return  # another pass got there first
                if (row.spec or {}).get("log_enabled", True):
                    self.logs.ingest(session, row_id, chunk.text, category=LOG_CATEGORY, fields=self.log_fields(row), parse=_no_metrics)
                if self.on_line is not None:
                    for line in chunk.text.splitlines():
                        self.on_line(row, line)
                row.log_offset = offset = chunk.offset
            self.services.events.publish(self.service.kind, row_id, change="logs")
            if not drain:
                return

    async def sample_usage(self, row_id: str, backend: Backend, handle: dict[str, Any]) -> None:
        now = time.monotonic()
        if now - self._last_sample.get(row_id, 0.0) < self.settings.usage_sample_seconds:
            return
        self._last_sample[row_id] = now
        usage = await asyncio.to_thread(backend.usage, handle)
        if usage is not None:
            with self.db.session() as session:
                self.logs.add_sample(session, row_id, usage)

    async def stop_job(self, row_id: str, backend: Backend, handle: dict[str, Any]) -> None:
        if handle.get("stop_sent"):
            return
        await asyncio.to_thread(backend.stop, handle, self.settings.stop_grace_seconds)
        handle["stop_sent"] = True
        self.update(row_id, handle=dict(handle))

    def past_max_time(self, row: Any, backstop: float = 0.0) -> float | None:
        """The limit (seconds) when the row has run longer than it (plus ``backstop``)."""
        limit = (row.spec or {}).get("max_run_seconds")
        if not limit or row.started_at is None:
            return None
        return float(limit) if (datetime.now(timezone.utc) - row.started_at).total_seconds() > float(limit) + backstop else None


def _no_metrics(_line: str) -> dict[str, float]:
    """Inference logs carry no training metrics (a prediction printed as x=1 is not one)."""
    return {}


def _record_line(row: Any, line: str) -> None:
    """Progress lines update the record counts (summed over nodes); the last
    ERROR line is kept as the failure reason."""
    match = PROGRESS.match(line)
    if match:
        progress = dict(row.progress or {})
        nodes = dict(progress.get("nodes") or {})
        nodes[match.group(4) or "0"] = [int(match.group(1)), int(match.group(2)), int(match.group(3))]
        progress.update(nodes=nodes, records_done=sum(v[0] for v in nodes.values()), errors=sum(v[2] for v in nodes.values()))
        if len(nodes) == 1 or progress.get("records_total") is None:
            progress["records_total"] = sum(v[1] for v in nodes.values())
        row.progress = progress
        return
    match = ERROR.match(line)
    if match:
        row.progress = {**(row.progress or {}), "error": match.group(1)[:2000]}


class _JobReconciler:
    """What the batch inference and evaluation reconcilers share: adopting
    their jobs again after a restart and one pass over every active row."""

    table: Any
    active: frozenset
    noun: str
    db: Any
    backends: dict[str, Backend]
    log: logging.Logger

    def recover(self) -> None:
        with self.db.session() as session:
            rows = session.scalars(select(self.table).where(self.table.status.in_(self.active), self.table.handle.is_not(None))).all()
            for row in rows:
                backend = self.backends.get(row.backend)
                if backend is not None:
                    backend.adopt(row.handle)

    async def reconcile_once(self) -> None:
        with self.db.session() as session:
            ids = session.scalars(select(self.table.id).where(self.table.status.in_(self.active)).order_by(self.table.created_at)).all()
        for row_id in ids:
            try:
                await self.reconcile(row_id)
            except Exception:  # noqa: BLE001 - isolate rows from each other
                self.log.exception("easymaker: reconciling %s %s failed", self.noun, row_id)

    async def reconcile(self, row_id: str) -> None:
        raise NotImplementedError


class BatchInferenceReconciler(_JobReconciler):
    table, active, noun = BatchInference, BATCH_INFERENCE_ACTIVE, "batch inference"

    def __init__(self, services, backends: dict[str, Backend], *, log: logging.Logger | None = None):
        self.service = services.batch_inferences
        self.db = services.db
        self.backends = backends
        self.log = log or logging.getLogger("jupyter_easymaker.batch")
        self.jobs = JobTracker(services, BatchInference, self.service, lambda row: {"batchInferenceId": row.id}, _record_line)

    async def reconcile(self, batch_id: str) -> None:
        jobs = self.jobs
        with self.db.session() as session:
            row = session.get(BatchInference, batch_id)
            if row is None:
                return
            status, handle, backend_name = row.status, dict(row.handle) if row.handle else None, row.backend
        backend = self.backends.get(backend_name)
        if backend is None:
            if status == B.CREATE_REQUESTED:
                jobs.transition(batch_id, B.CREATE_FAILED, f"the {backend_name} backend is not configured on this server")
            return
        if handle is None:
            if status == B.STOP_IN_PROGRESS:
                jobs.transition(batch_id, B.STOPPED, "stopped before it started")
            elif status == B.CREATE_REQUESTED:
                handle, error = await jobs.submit(batch_id, backend, self.service.job_spec)
                if error:
                    jobs.transition(batch_id, B.CREATE_FAILED, error)
                elif handle is not None:
                    jobs.transition(batch_id, B.CREATE_IN_PROGRESS, f"submitted to the {backend.name} backend")
            return
        if status == B.CREATE_REQUESTED:  # the server stopped between submitting and recording it
            jobs.transition(batch_id, B.CREATE_IN_PROGRESS, f"submitted to the {backend.name} backend")
            status = B.CREATE_IN_PROGRESS
        if status == B.STOP_IN_PROGRESS:
            await jobs.stop_job(batch_id, backend, handle)
        state = await asyncio.to_thread(backend.status, handle)
        await jobs.ingest(batch_id, backend, handle)
        if status == B.CREATE_IN_PROGRESS and (state.phase == JobPhase.RUNNING or state.started_at):
            jobs.transition(batch_id, B.RUNNING, "", started_at=_utc(state.started_at) or _utc(time.time()))
        if state.terminal:
            await self._finish(batch_id, backend, handle, state)
        elif state.phase == JobPhase.RUNNING:
            await jobs.sample_usage(batch_id, backend, handle)
            with self.db.session() as session:
                limit = jobs.past_max_time(session.get(BatchInference, batch_id), MAX_TIME_BACKSTOP_SECONDS)
            if limit is not None and not handle.get("stop_sent"):
                await jobs.stop_job(batch_id, backend, handle)
                jobs.transition(batch_id, B.FAIL_BATCH_INFERENCE_IN_PROGRESS, f"maximum batch inference time of {limit:g} s exceeded")

    async def _finish(self, batch_id: str, backend: Backend, handle: dict[str, Any], state: JobState) -> None:
        jobs = self.jobs
        await jobs.ingest(batch_id, backend, handle, drain=True)
        with self.db.session() as session:
            row = session.get(BatchInference, batch_id)
            status, error = row.status, (row.progress or {}).get("error", "")
        finished = _utc(state.finished_at) or _utc(time.time())
        result: dict[str, Any] | None = None
        if state.phase == JobPhase.SUCCEEDED and status != B.FAIL_BATCH_INFERENCE_IN_PROGRESS:
            try:
                result = await asyncio.to_thread(self.service.read_summary, batch_id)
            except Exception as exc:  # noqa: BLE001 - the outputs are there; only the summary is not
                self.log.warning("batch inference %s: summary.json could not be read: %s", batch_id, exc)
                result = {}
        if status == B.FAIL_BATCH_INFERENCE_IN_PROGRESS:
            steps = [(B.FAIL_BATCH_INFERENCE, "")]
        elif status == B.COMPLETE_IN_PROGRESS:
            steps = [(B.COMPLETE, "")]
        elif result is not None:
            summary = f"{result.get('records', '?')} record(s), {result.get('errors', 0)} error(s)" if result else "summary.json missing"
            steps = [(B.COMPLETE_IN_PROGRESS, f"job finished: {summary}"), (B.COMPLETE, summary)]
        elif state.phase == JobPhase.STOPPED or status == B.STOP_IN_PROGRESS:
            steps = [(B.STOP_IN_PROGRESS, "job ended by a stop"), (B.STOPPED, state.reason or "stopped by request")]
        elif status == B.CREATE_IN_PROGRESS and not state.started_at:
            steps = [(B.CREATE_FAILED, error or state.reason or "the job could not be started")]
        else:
            reason = error or state.reason or "the job failed"
            steps = [(B.FAIL_BATCH_INFERENCE_IN_PROGRESS, reason), (B.FAIL_BATCH_INFERENCE, reason)]
        first, *rest = [s for s in steps if s[0] != status]
        fields: dict[str, Any] = {"exit_code": state.exit_code, "finished_at": finished}
        if result is not None:
            fields["result"] = result
            if result:
                fields["progress"] = {"records_total": result.get("records"), "records_done": result.get("records"),
                                      "errors": result.get("errors", 0)}
        jobs.transition(batch_id, first[0], first[1], **fields)
        await asyncio.to_thread(backend.release, handle)
        for target, reason in rest:
            jobs.transition(batch_id, target, reason)


class ModelEvaluationReconciler(_JobReconciler):
    """Follows each evaluation's batch inference, then runs its metrics job."""

    table, active, noun = ModelEvaluation, MODEL_EVALUATION_ACTIVE, "model evaluation"

    def __init__(self, services, backends: dict[str, Backend], *, log: logging.Logger | None = None):
        self.service = services.model_evaluations
        self.batch = services.batch_inferences
        self.db = services.db
        self.backends = backends
        self.log = log or logging.getLogger("jupyter_easymaker.evaluation")
        self.jobs = JobTracker(services, ModelEvaluation, self.service,
                               lambda row: {"modelEvaluationId": row.id, "batchInferenceId": row.batch_inference_id}, _record_error)

    async def reconcile(self, evaluation_id: str) -> None:
        jobs = self.jobs
        with self.db.session() as session:
            row = session.get(ModelEvaluation, evaluation_id)
            if row is None:
                return
            status, handle, backend_name = row.status, dict(row.handle) if row.handle else None, row.backend
            batch = session.get(BatchInference, row.batch_inference_id) if row.batch_inference_id else None
            batch_status, batch_reason = (batch.status, batch.status_reason) if batch is not None else (None, "")
            batch_started = batch.started_at if batch is not None else None
            over = jobs.past_max_time(row)
        backend = self.backends.get(backend_name)
        if status in (E.STOP_IN_PROGRESS, E.FAIL_MODEL_EVALUATION_IN_PROGRESS) and handle is None:
            # ending: stop the batch inference first, then record the end once it has ended
            if batch_status is not None and self.batch.machine.can(batch_status, B.STOP_IN_PROGRESS):
                self.batch.stop(batch.id)
            if batch_status is None or batch_status in BATCH_INFERENCE_FINAL:
                if status == E.STOP_IN_PROGRESS:
                    jobs.transition(evaluation_id, E.STOPPED, "stopped by request", finished_at=_utc(time.time()))
                else:
                    jobs.transition(evaluation_id, E.FAIL_MODEL_EVALUATION, "", finished_at=_utc(time.time()))
            return
        if over is not None and status not in (E.STOP_IN_PROGRESS, E.FAIL_MODEL_EVALUATION_IN_PROGRESS, E.COMPLETE_IN_PROGRESS):
            if handle is not None and backend is not None:
                await jobs.stop_job(evaluation_id, backend, handle)
            jobs.transition(evaluation_id, E.FAIL_MODEL_EVALUATION_IN_PROGRESS, f"maximum evaluation time of {over:g} s exceeded")
            return
        if handle is None:
            await self._follow_batch(evaluation_id, status, batch_status, batch_reason, batch_started, backend, backend_name)
            return
        if backend is None:
            return
        if status == E.STOP_IN_PROGRESS:
            await jobs.stop_job(evaluation_id, backend, handle)
        state = await asyncio.to_thread(backend.status, handle)
        await jobs.ingest(evaluation_id, backend, handle)
        if state.terminal:
            await self._finish_metrics(evaluation_id, backend, handle, state)
        elif state.phase == JobPhase.RUNNING:
            await jobs.sample_usage(evaluation_id, backend, handle)

    async def _follow_batch(self, evaluation_id: str, status: str, batch_status: str | None, batch_reason: str,
                            batch_started: datetime | None, backend: Backend | None, backend_name: str) -> None:
        jobs = self.jobs
        if batch_status is None:
            jobs.transition(evaluation_id, E.CREATE_FAILED if status in (E.CREATE_REQUESTED, E.CREATE_IN_PROGRESS)
                            else E.FAIL_MODEL_EVALUATION_IN_PROGRESS, "its batch inference no longer exists")
            return
        if batch_status == B.CREATE_FAILED:
            jobs.transition(evaluation_id, E.CREATE_FAILED, f"its batch inference could not be created: {batch_reason}")
            return
        if status == E.CREATE_REQUESTED and batch_status != B.CREATE_REQUESTED:
            jobs.transition(evaluation_id, E.CREATE_IN_PROGRESS, "batch inference submitted")
            status = E.CREATE_IN_PROGRESS
        if status == E.CREATE_IN_PROGRESS and (batch_started is not None or batch_status == B.COMPLETE):
            jobs.transition(evaluation_id, E.RUNNING, "batch inference running", started_at=batch_started or _utc(time.time()))
            status = E.RUNNING
        if batch_status == B.STOPPED:
            if status != E.STOP_IN_PROGRESS:
                jobs.transition(evaluation_id, E.STOP_IN_PROGRESS, "its batch inference was stopped")
            jobs.transition(evaluation_id, E.STOPPED, "its batch inference was stopped", finished_at=_utc(time.time()))
        elif batch_status == B.FAIL_BATCH_INFERENCE:
            reason = f"batch inference failed: {batch_reason}"
            jobs.transition(evaluation_id, E.FAIL_MODEL_EVALUATION_IN_PROGRESS, reason)
            jobs.transition(evaluation_id, E.FAIL_MODEL_EVALUATION, reason, finished_at=_utc(time.time()))
        elif batch_status == B.COMPLETE and status == E.RUNNING:
            if backend is None:
                jobs.transition(evaluation_id, E.FAIL_MODEL_EVALUATION_IN_PROGRESS, f"the {backend_name} backend is not configured on this server")
                return
            handle, error = await jobs.submit(evaluation_id, backend, self.service.job_spec)
            if error:
                jobs.transition(evaluation_id, E.FAIL_MODEL_EVALUATION_IN_PROGRESS, f"the metrics job could not start: {error}")
            elif handle is not None:
                with self.db.session() as session:
                    row = session.get(ModelEvaluation, evaluation_id)
                    row.status_reason = "computing metrics"
                self.service.publish(row, "status")

    async def _finish_metrics(self, evaluation_id: str, backend: Backend, handle: dict[str, Any], state: JobState) -> None:
        jobs = self.jobs
        await jobs.ingest(evaluation_id, backend, handle, drain=True)
        with self.db.session() as session:
            row = session.get(ModelEvaluation, evaluation_id)
            status, error = row.status, (row.result or {}).get("error", "")
        finished = _utc(state.finished_at) or _utc(time.time())
        if state.phase == JobPhase.SUCCEEDED and status in (E.RUNNING, E.STOP_IN_PROGRESS):
            try:
                result = await asyncio.to_thread(self.service.read_result, evaluation_id)
            except Exception as exc:  # noqa: BLE001
                reason = f"the metrics could not be read: {exc}"
                jobs.transition(evaluation_id, E.FAIL_MODEL_EVALUATION_IN_PROGRESS, reason, finished_at=finished)
                await asyncio.to_thread(backend.release, handle)
                jobs.transition(evaluation_id, E.FAIL_MODEL_EVALUATION, reason)
                return
            summary = ", ".join(f"{k} {v:.4g}" for k, v in (result.get("metrics") or {}).items() if isinstance(v, (int, float)))
            jobs.transition(evaluation_id, E.COMPLETE_IN_PROGRESS, "metrics computed", finished_at=finished, exit_code=state.exit_code,
                            metrics=result.get("metrics") or {}, result=result)
            await asyncio.to_thread(backend.release, handle)
            jobs.transition(evaluation_id, E.COMPLETE, summary)
            return
        if status == E.STOP_IN_PROGRESS:
            steps = [(E.STOPPED, "stopped by request")]
        elif status == E.FAIL_MODEL_EVALUATION_IN_PROGRESS:
            steps = [(E.FAIL_MODEL_EVALUATION, "")]
        else:
            reason = error or state.reason or "the metrics job failed"
            steps = [(E.FAIL_MODEL_EVALUATION_IN_PROGRESS, reason), (E.FAIL_MODEL_EVALUATION, reason)]
        first, *rest = steps
        jobs.transition(evaluation_id, first[0], first[1], finished_at=finished, exit_code=state.exit_code)
        await asyncio.to_thread(backend.release, handle)
        for target, reason in rest:
            jobs.transition(evaluation_id, target, reason)


def _record_error(row: Any, line: str) -> None:
    match = ERROR.match(line)
    if match:
        row.result = {**(row.result or {}), "error": match.group(1)[:2000]}

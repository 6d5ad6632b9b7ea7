"""Model evaluations: each follows the batch inference it owns, then runs its
metrics job on the shared job lifecycle (see :mod:`jupyter_easymaker.core.jobs`).

RUNNING covers both the batch inference and the metrics job; a stop or a
failure while the batch inference runs stops it first and ends the
evaluation once it has ended.
"""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone
from typing import Any

from jupyter_easymaker.areas.evaluations.statuses import ModelEvaluationStatus
from jupyter_easymaker.areas.evaluations.tables import ModelEvaluation
from jupyter_easymaker.core.jobs import JobLifecycle, Outcome

E = ModelEvaluationStatus


class ModelEvaluationReconciler:
    def __init__(self, platform: Any, *, log: logging.Logger | None = None):
        self.service = platform.service("evaluations")
        self.batch = platform.service("batch")
        self.backends = platform.backends
        self.log = log or logging.getLogger("jupyter_easymaker.evaluation")
        self.jobs = JobLifecycle(platform.backends, platform.settings, wake=platform.wake, log=self.log)

    def recover(self) -> None:
        self.jobs.adopt(self.service.running_rows())

    async def reconcile_once(self) -> None:
        for row in await asyncio.to_thread(self.service.job_rows):
            try:
                await asyncio.to_thread(self.step, row)
            except Exception:  # noqa: BLE001 - isolate rows from each other
                self.log.exception("easymaker: reconciling model evaluation %s failed", row.id)

    def step(self, row: ModelEvaluation) -> None:
        service, jobs = self.service, self.jobs
        backend = self.backends.get(row.backend)
        limit = (row.spec or {}).get("max_run_seconds")
        if (limit and row.started_at is not None and row.status in (E.CREATE_IN_PROGRESS, E.RUNNING)
                and (_now() - row.started_at).total_seconds() > float(limit)):
            if row.handle is not None and backend is not None:
                jobs.send_stop(service, row, backend)
            service.record_status(row, E.FAIL_MODEL_EVALUATION_IN_PROGRESS, f"maximum evaluation time of {float(limit):g} s exceeded")
        if row.handle is not None:  # the metrics job
            if backend is not None:
                jobs.advance(service, row, backend)
            return
        batch = self.batch.phase_of(row.batch_inference_id)
        if row.status in (E.STOP_IN_PROGRESS, E.FAIL_MODEL_EVALUATION_IN_PROGRESS):
            # ending: stop the batch inference first, then record the end once it has ended
            if batch is not None and not batch.ended:
                self.batch.stop_owned(row.batch_inference_id)
                return
            target, reason = (E.STOPPED, "stopped by request") if row.status == E.STOP_IN_PROGRESS else (E.FAIL_MODEL_EVALUATION, "")
            service.record_status(row, target, reason or row.status_reason, finished_at=_now())
            return
        self._follow(row, batch, backend)

    def _follow(self, row: ModelEvaluation, batch: Any, backend: Any) -> None:
        service = self.service
        if batch is None:
            target = E.CREATE_FAILED if row.status in (E.CREATE_REQUESTED, E.CREATE_IN_PROGRESS) else E.FAIL_MODEL_EVALUATION_IN_PROGRESS
            service.record_status(row, target, "its batch inference no longer exists")
            return
        if batch.phase == "create failed":
            service.record_status(row, E.CREATE_FAILED, f"its batch inference could not be created: {batch.reason}")
            return
        if row.status == E.CREATE_REQUESTED and batch.phase != "waiting":
            service.record_status(row, E.CREATE_IN_PROGRESS, "batch inference submitted")
        if row.status == E.CREATE_IN_PROGRESS and (batch.started_at is not None or batch.phase == "complete"):
            service.record_status(row, E.RUNNING, "batch inference running", started_at=batch.started_at or _now())
        if batch.phase == "stopped":
            service.record_status(row, E.STOP_IN_PROGRESS, "its batch inference was stopped")
            service.record_status(row, E.STOPPED, "its batch inference was stopped", finished_at=_now())
        elif batch.phase == "failed":
            reason = f"batch inference failed: {batch.reason}"
            service.record_status(row, E.FAIL_MODEL_EVALUATION_IN_PROGRESS, reason)
            service.record_status(row, E.FAIL_MODEL_EVALUATION, reason, finished_at=_now())
        elif batch.phase == "complete" and row.status == E.RUNNING:
            if backend is None:
                self.jobs.end(service, row, Outcome.NOT_STARTED, f"the {row.backend} backend is not configured on this server")
                return
            self.jobs.submit(service, row, backend)


def _now() -> datetime:
    return datetime.now(timezone.utc)

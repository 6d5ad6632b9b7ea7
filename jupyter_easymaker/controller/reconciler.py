"""The reconcile loop: makes stored intent true on the backends.

Every tick (and at once when a service publishes a change) the controller
looks at each experiment and training that has not reached a final status and
moves it one step: submit, observe, ingest logs and metrics, stop, clean up.
It keeps no state of its own beyond caches: everything it needs is in the
store (status, backend handle, log offset), so a server killed at any moment
finds every job again on restart.

Backend calls are blocking; they run in worker threads. Store writes happen
on the event loop, one unit of work per training per step.
"""
from __future__ import annotations

import asyncio
import logging
import os
import time
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select

from jupyter_easymaker.backend.base import Backend, BackendError, CapacityUnavailable, JobPhase, JobState
from jupyter_easymaker.domain.statuses import TRAINING_ACTIVE, ExperimentStatus, TrainingStatus
from jupyter_easymaker.store.tables import Experiment, Training

T = TrainingStatus
LOG_CATEGORY = "easymaker.training"
# beyond the job's own limit, how long before the controller enforces it itself
MAX_TIME_BACKSTOP_SECONDS = 30.0
RETENTION_CHECK_SECONDS = 3600.0


def _utc(ts: float | None) -> datetime | None:
    return datetime.fromtimestamp(ts, tz=timezone.utc) if ts else None


class Controller:
    def __init__(self, services, backends: dict[str, Backend], *, log: logging.Logger | None = None):
        self.services = services
        self.trainings = services.trainings
        self.experiments = services.experiments
        self.logs = services.logs
        self.db = services.db
        self.settings = services.settings
        self.backends = backends
        self.log = log or logging.getLogger("jupyter_easymaker.controller")
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._events_task: asyncio.Task | None = None
        self._last_sample: dict[str, float] = {}
        self._last_purge = 0.0
        self._running = False
        # reconcilers of other resource kinds (tunings, ...), driven by the same loop
        self.reconcilers: list[Any] = []

    def add(self, reconciler: Any) -> None:
        """Drive another kind's reconciler: it has ``recover()`` and ``async reconcile_once()``."""
        self.reconcilers.append(reconciler)

    # -- lifecycle ------------------------------------------------------------
    async def start(self) -> None:
        if self._running:
            return
        self.recover()
        self._running = True
        self._task = asyncio.create_task(self._loop(), name="easymaker-controller")
        self._events_task = asyncio.create_task(self._listen(), name="easymaker-controller-events")

    async def stop(self) -> None:
        self._running = False
        self._wake.set()
        for task in (self._task, self._events_task):
            if task is not None:
                task.cancel()
                try:
                    await task
                except (asyncio.CancelledError, Exception):  # noqa: BLE001 - shutting down
                    pass

    def wake(self) -> None:
        self._wake.set()

    async def _listen(self) -> None:
        queue = self.services.events.subscribe()
        try:
            while True:
                event = await queue.get()
                if event.get("change") in ("created", "status"):
                    self._wake.set()
        finally:
            self.services.events.unsubscribe(queue)

    async def _loop(self) -> None:
        while self._running:
            self._wake.clear()
            try:
                await self.reconcile_once()
            except Exception:  # noqa: BLE001 - one bad tick must not end the loop
                self.log.exception("easymaker controller tick failed")
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self.settings.controller_interval)
            except asyncio.TimeoutError:
                pass

    def recover(self) -> None:
        """After a restart: tell each backend which jobs it still owns."""
        with self.db.session() as session:
            rows = session.scalars(select(Training).where(Training.status.in_(TRAINING_ACTIVE), Training.handle.is_not(None))).all()
            for row in rows:
                backend = self.backends.get(row.backend)
                if backend is not None:
                    backend.adopt(row.handle)
        if rows:
            self.log.info("easymaker: re-attached to %d running training(s)", len(rows))
        for reconciler in self.reconcilers:
            reconciler.recover()

    # -- one pass -------------------------------------------------------------
    async def reconcile_once(self) -> None:
        if time.monotonic() - self._last_purge > RETENTION_CHECK_SECONDS:
            self._last_purge = time.monotonic()
            removed = await asyncio.to_thread(self.logs.purge_older_than_retention)
            if removed:
                self.log.info("easymaker: removed %d log records past the %d-day retention", removed, self.settings.retention_days)
        self._experiments()
        with self.db.session() as session:
            ids = session.scalars(select(Training.id).where(Training.status.in_(TRAINING_ACTIVE)).order_by(Training.created_at)).all()
        for training_id in ids:
            try:
                await self._training(training_id)
            except Exception:  # noqa: BLE001 - isolate trainings from each other
                self.log.exception("easymaker: reconciling training %s failed", training_id)
        for reconciler in self.reconcilers:
            try:
                await reconciler.reconcile_once()
            except Exception:  # noqa: BLE001 - one kind's failure must not stall the others
                self.log.exception("easymaker: %s failed", type(reconciler).__name__)

    def _experiments(self) -> None:
        service = self.experiments
        with self.db.session() as session:
            pending = session.scalars(
                select(Experiment).where(Experiment.status.in_([ExperimentStatus.CREATE_REQUESTED, ExperimentStatus.CREATE_IN_PROGRESS]))
            ).all()
            for row in pending:
                if row.status == ExperimentStatus.CREATE_REQUESTED:
                    service.set_status(session, row, ExperimentStatus.CREATE_IN_PROGRESS)
                try:
                    os.makedirs(service.tensorboard_dir(row.id), exist_ok=True)
                except OSError as exc:
                    service.set_status(session, row, ExperimentStatus.CREATE_FAILED, f"could not create its storage: {exc}")
                else:
                    service.set_status(session, row, ExperimentStatus.ACTIVE)
        for row in pending:
            service.publish(row, "status")

    async def _training(self, training_id: str) -> None:
        with self.db.session() as session:
            row = session.get(Training, training_id)
            if row is None:
                return
            status, handle, backend_name = row.status, dict(row.handle) if row.handle else None, row.backend
        backend = self.backends.get(backend_name)
        if backend is None:
            self._transition(training_id, T.FAIL_TRAIN_IN_PROGRESS, f"the {backend_name} backend is not configured on this server")
            self._transition(training_id, T.FAIL_TRAIN, "")
            return
        if handle is None:
            if status == T.STOP_IN_PROGRESS:
                self._transition(training_id, T.STOPPED, "stopped before it started")
            elif status == T.CREATE_REQUESTED:
                await self._submit(training_id, backend)
            return
        if status == T.STOP_IN_PROGRESS and not handle.get("stop_sent"):
            await asyncio.to_thread(backend.stop, handle, self.settings.stop_grace_seconds)
            handle["stop_sent"] = True
            self._update(training_id, handle=handle)
        state = await asyncio.to_thread(backend.status, handle)
        await self._ingest_logs(training_id, backend, handle)
        self._observe(training_id, status, state)
        if state.terminal:
            await self._finish(training_id, backend, handle, state)
        elif state.phase == JobPhase.RUNNING:
            await self._sample_usage(training_id, backend, handle)
            await self._max_time_backstop(training_id, backend, handle, state)

    async def _submit(self, training_id: str, backend: Backend) -> None:
        with self.db.session() as session:
            row = session.get(Training, training_id)
            spec = self.trainings.job_spec(row)
        try:
            handle = await asyncio.to_thread(backend.submit, spec)
        except CapacityUnavailable as exc:
            with self.db.session() as session:
                row = session.get(Training, training_id)
                if row.status_reason != str(exc):
                    row.status_reason = str(exc)
            return
        except BackendError as exc:
            self._transition(training_id, T.CREATE_FAILED, str(exc))
            return
        with self.db.session() as session:
            row = session.get(Training, training_id)
            row.handle = handle
            if row.status == T.CREATE_REQUESTED:
                self.trainings.set_status(session, row, T.CREATE_IN_PROGRESS, f"submitted to the {backend.name} backend")
            elif row.status == T.STOP_IN_PROGRESS:
                pass  # stopped while being submitted: the next pass stops the job
        self.trainings.publish(row, "status")

    def _observe(self, training_id: str, status: str, state: JobState) -> None:
        """Map what the backend says onto the training's statuses."""
        if status != T.CREATE_IN_PROGRESS:
            if state.started_at:
                self._update(training_id, started_at=_utc(state.started_at), only_if_missing=True)
            return
        # user code started (even if it has already ended again): it ran, so RUNNING belongs in the history
        if state.phase == JobPhase.RUNNING or state.started_at:
            self._transition(training_id, T.RUNNING, "", started_at=_utc(state.started_at) or _utc(time.time()))

    async def _finish(self, training_id: str, backend: Backend, handle: dict[str, Any], state: JobState) -> None:
        with self.db.session() as session:
            status = session.get(Training, training_id).status
        finished = _utc(state.finished_at) or _utc(time.time())
        if status == T.FAIL_TRAIN_IN_PROGRESS:  # already failing (the controller enforced the time limit)
            steps = [(T.FAIL_TRAIN, "")]
        elif status == T.COMPLETE_IN_PROGRESS:  # the server stopped during clean-up
            steps = [(T.COMPLETE, "")]
        elif state.phase == JobPhase.SUCCEEDED:
            steps = [(T.COMPLETE_IN_PROGRESS, "job finished, cleaning up"), (T.COMPLETE, "")]
        elif state.phase == JobPhase.STOPPED or (status == T.STOP_IN_PROGRESS and state.phase != JobPhase.SUCCEEDED):
            steps = [(T.STOP_IN_PROGRESS, "job ended by a stop"), (T.STOPPED, state.reason or "stopped by request")]
        elif status == T.CREATE_IN_PROGRESS and not state.started_at:
            steps = [(T.CREATE_FAILED, state.reason or "the job could not be started")]
        else:
            reason = state.reason or "the job failed"
            steps = [(T.FAIL_TRAIN_IN_PROGRESS, reason), (T.FAIL_TRAIN, reason)]
        # the first step is recorded before cleaning up, the last after
        first, *rest = [s for s in steps if s[0] != status]
        self._transition(training_id, first[0], first[1], exit_code=state.exit_code, finished_at=finished)
        await self._ingest_logs(training_id, backend, handle, drain=True)
        await asyncio.to_thread(backend.release, handle)
        for target, reason in rest:
            self._transition(training_id, target, reason)

    async def _ingest_logs(self, training_id: str, backend: Backend, handle: dict[str, Any], drain: bool = False) -> None:
        with self.db.session() as session:
            offset = session.get(Training, training_id).log_offset
        while True:
            chunk = await asyncio.to_thread(backend.read_logs, handle, offset)
            if not chunk.text:
                return
            with self.db.session() as session:
                row = session.get(Training, training_id)
                if row.log_offset != offset:
                    return  # another pass got there first
                self.logs.ingest(session, training_id, chunk.text, category=LOG_CATEGORY, fields={"trainingId": training_id})
                row.log_offset = offset = chunk.offset
            self.services.events.publish("training", training_id, change="logs")
            if not drain:
                return

    async def _sample_usage(self, training_id: str, backend: Backend, handle: dict[str, Any]) -> None:
        now = time.monotonic()
        if now - self._last_sample.get(training_id, 0.0) < self.settings.usage_sample_seconds:
            return
        self._last_sample[training_id] = now
        usage = await asyncio.to_thread(backend.usage, handle)
        if usage is not None:
            with self.db.session() as session:
                self.logs.add_sample(session, training_id, usage)

    async def _max_time_backstop(self, training_id: str, backend: Backend, handle: dict[str, Any], state: JobState) -> None:
        with self.db.session() as session:
            row = session.get(Training, training_id)
            limit = (row.spec or {}).get("max_run_seconds")
        if not limit or not state.started_at or handle.get("stop_sent"):
            return
        if time.time() - state.started_at > float(limit) + MAX_TIME_BACKSTOP_SECONDS:
            await asyncio.to_thread(backend.stop, handle, self.settings.stop_grace_seconds)
            handle["stop_sent"] = True
            self._update(training_id, handle=handle)
            self._transition(training_id, T.FAIL_TRAIN_IN_PROGRESS, f"maximum training time of {limit} s exceeded")

    # -- store helpers --------------------------------------------------------
    def _transition(self, training_id: str, target: str, reason: str, **fields: Any) -> None:
        with self.db.session() as session:
            row = session.get(Training, training_id)
            if row is None or row.status == target:
                return
            self.trainings.set_status(session, row, target, reason)
            for key, value in fields.items():
                setattr(row, key, value)
        self.trainings.publish(row, "status")

    def _update(self, training_id: str, *, only_if_missing: bool = False, **fields: Any) -> None:
        with self.db.session() as session:
            row = session.get(Training, training_id)
            for key, value in fields.items():
                if only_if_missing and getattr(row, key) is not None:
                    continue
                setattr(row, key, value)

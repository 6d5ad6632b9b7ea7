"""The base of services whose resources run as one backend job each
(``JobColumns`` rows: trainings, batch inferences, model evaluations, and the
kinds to come): the :class:`~jupyter_easymaker.core.jobs.JobStore` the job
lifecycle writes through, and the reconciler that drives such a kind.

Every write is one short transaction on the row; the detached row the
lifecycle holds is kept in step, so a pass reads each row once.
"""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from jupyter_easymaker.core.holding import Held
from jupyter_easymaker.core.jobs import JobLifecycle, JobStatuses, Outcome
from jupyter_easymaker.core.resources import ResourceService


class JobService(ResourceService):
    """A :class:`ResourceService` whose rows are jobs. Subclasses set ``statuses``
    (their :class:`JobStatuses`) and ``log_category``, and build ``job_spec``."""

    statuses: JobStatuses
    log_category: str = "easymaker.job"
    scrape_metrics: bool = True  # metric lines of the job's output become metric points

    # -- what the reconciler reads -------------------------------------------
    def job_rows(self) -> list[Any]:
        """Rows the lifecycle still has work on, oldest first (detached)."""
        with self.db.session() as session:
            return list(session.scalars(select(self.table).where(self.table.status.in_(self.statuses.active))
                                        .order_by(self.table.created_at)))

    def running_rows(self) -> list[Any]:
        """Active rows that hold a backend job (to adopt after a restart)."""
        with self.db.session() as session:
            return list(session.scalars(select(self.table).where(self.table.status.in_(self.statuses.active),
                                                                 self.table.handle.is_not(None))))

    def holding(self) -> list[Held]:
        """The jobs of this kind a backend runs now (submitted, running or stopping):
        what they hold, for the dashboard's resource usage."""
        st = self.statuses
        statuses = {s for s in (st.submitted, st.running, st.stopping) if s}
        with self.db.session() as session:
            rows = session.execute(select(self.table.id, self.table.name, self.table.spec, self.table.backend)
                                   .where(self.table.status.in_(statuses), self.table.handle.is_not(None))).all()
        return [Held(self.kind, rid, name, *self.held_instance(spec or {}), backend=backend or "local")
                for rid, name, spec, backend in rows]

    # -- hooks a kind may change -------------------------------------------
    def held_instance(self, spec: dict[str, Any]) -> tuple[str, int]:
        """(instance type, how many of it) a running job of this kind holds, from its stored spec."""
        units = spec.get("nodes") or spec.get("instance_count") or 1
        return spec.get("instance_type") or self.settings.default_instance_type, max(1, int(units))

    def job_spec(self, row: Any) -> Any:
        raise NotImplementedError

    def stop_requested(self, row: Any) -> bool:
        return row.status == self.statuses.stopping

    def log_fields(self, row: Any) -> dict[str, Any]:
        return {}

    def on_log_line(self, row: Any, line: str) -> None:
        """A line of the job's output, in the transaction that stores it (progress lines)."""

    def finished(self, row: Any, state: Any, outcome: Outcome) -> tuple[Outcome, str | None, dict[str, Any]]:
        """The job ended: its kind may read what it wrote (a summary, metrics) and
        change the outcome; returns (outcome, reason or None for the default, fields)."""
        return outcome, None, {}

    # -- the store the lifecycle writes through ---------------------------------
    def record_status(self, row: Any, target: str, reason: str, **fields: Any) -> bool:
        """``target`` with ``reason`` (and fields), unless the row is gone or already there."""
        with self.db.session() as session:
            stored = session.get(self.table, row.id)
            if stored is None or stored.status == target:
                return False
            self.set_status(session, stored, target, reason)
            for key, value in fields.items():
                setattr(stored, key, value)
        self._sync(row, stored, "status", *fields)
        self.publish(stored, "status")
        return True

    def record_waiting(self, row: Any, reason: str) -> None:
        if row.status_reason != reason:
            with self.db.session() as session:
                session.execute(update(self.table).where(self.table.id == row.id).values(status_reason=reason))
            row.status_reason = reason

    def record_submitted(self, row: Any, handle: dict[str, Any], reason: str) -> None:
        with self.db.session() as session:
            stored = session.get(self.table, row.id)
            stored.handle, stored.log_offset = handle, 0
            if stored.status == self.statuses.waiting and self.statuses.submitted != self.statuses.waiting:
                self.set_status(session, stored, self.statuses.submitted, reason)
            elif stored.status == self.statuses.submitted:
                stored.status_reason = reason
        self._sync(row, stored, "status", "handle", "log_offset")
        self.publish(stored, "status")

    def record_handle(self, row: Any, handle: dict[str, Any]) -> None:
        with self.db.session() as session:
            session.execute(update(self.table).where(self.table.id == row.id).values(handle=handle))
        row.handle = handle

    def record_started(self, row: Any, started_at: datetime) -> None:
        self.record_status(row, self.statuses.running, "", started_at=started_at)

    def record_logs(self, row: Any, text: str, offset: int) -> bool:
        with self.db.session() as session:
            stored = self._ingest(session, row, text, offset)
        if stored:
            self.events.publish(self.kind, row.id, change="logs")
        return stored

    def record_usage(self, row: Any, usage: Any) -> None:
        with self.db.session() as session:
            self.platform.logs.add_sample(session, row.id, usage)

    def record_end(self, row: Any, outcome: Outcome, steps: list[tuple[str, str]], fields: dict[str, Any],
                   lines: tuple[str, int] | None) -> list[tuple[str, str]]:
        """The job's last lines and the first end step in one transaction; the
        rest of the steps are left for after the job's release."""
        (first, reason), *rest = steps
        with self.db.session() as session:
            if lines is not None and lines[0]:
                self._ingest(session, row, *lines)
            stored = session.get(self.table, row.id)
            if stored is None:
                return []
            if fields.get("started_at") and stored.status == self.statuses.submitted != self.statuses.running:
                self.set_status(session, stored, self.statuses.running, "")  # it ran: RUNNING belongs in the history
            if stored.status != first:
                self.set_status(session, stored, first, reason)
            for key, value in fields.items():
                setattr(stored, key, value)
        self._sync(row, stored, "status", *fields)
        self.publish(stored, "status")
        return rest

    # -- helpers -------------------------------------------------------------------
    def _ingest(self, session: Any, row: Any, text: str, offset: int) -> bool:
        """Lines up to ``offset``, committed with the new offset; nothing when another pass stored them."""
        moved = session.execute(update(self.table).where(self.table.id == row.id, self.table.log_offset == row.log_offset)
                                .values(log_offset=offset)).rowcount
        if not moved:
            return False
        keep = (row.spec or {}).get("log_enabled", True)
        self.platform.logs.ingest(session, row.id, text, category=self.log_category, fields=self.log_fields(row),
                                  parse=None if self.scrape_metrics else _no_metrics, keep_records=keep)
        if type(self).on_log_line is not JobService.on_log_line:
            stored = session.get(self.table, row.id)
            for line in text.splitlines():
                self.on_log_line(stored, line)
            self._sync(row, stored, "progress", "result")
        row.log_offset = offset
        return True

    @staticmethod
    def _sync(row: Any, stored: Any, *names: str) -> None:
        """Carry what was written over to the lifecycle's detached row."""
        if row is stored:
            return
        for name in ("status", "status_reason", "updated_at", *names):
            if hasattr(stored, name):
                setattr(row, name, getattr(stored, name))


def _no_metrics(_line: str) -> dict[str, float]:
    """Output of the platform's own jobs carries no training metrics (a prediction printed as x=1 is not one)."""
    return {}


class JobReconciler:
    """Drives every active row of a :class:`JobService` through the job lifecycle,
    each row's step in a worker thread."""

    def __init__(self, platform: Any, service: JobService, *, log: logging.Logger | None = None):
        self.service = service
        self.log = log or logging.getLogger(f"jupyter_easymaker.{service.kind.replace(' ', '_')}")
        self.jobs = JobLifecycle(platform.backends, platform.settings, wake=platform.wake, log=self.log)

    def recover(self) -> None:
        n = self.jobs.adopt(self.service.running_rows())
        if n:
            self.log.info("easymaker: re-attached to %d running %s job(s)", n, self.service.kind)

    async def reconcile_once(self) -> None:
        # rows whose backend watches them are stepped when they changed or a look is due, changed ones first,
        # and a row whose objects change during the pass goes next
        for row in self.jobs.in_turn(await asyncio.to_thread(self.service.job_rows)):
            try:
                await asyncio.to_thread(self.step, row)
            except Exception:  # noqa: BLE001 - isolate rows from each other
                self.log.exception("easymaker: reconciling %s %s failed", self.service.kind, row.id)

    def step(self, row: Any) -> None:
        self.jobs.step_if_due(self.service, row)

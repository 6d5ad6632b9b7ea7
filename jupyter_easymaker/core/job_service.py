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
import threading
import time
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from jupyter_easymaker.core.db import REREAD_SECONDS, STORE_CHECK_SECONDS, version_query
from jupyter_easymaker.core.holding import Held
from jupyter_easymaker.core.jobs import JobLifecycle, JobStatuses, Outcome
from jupyter_easymaker.core.resources import ResourceService

ROWS_PER_READ = 500  # ids per IN (...) when whole rows are read (under SQLite's variable limit)


class JobService(ResourceService):
    """A :class:`ResourceService` whose rows are jobs. Subclasses set ``statuses``
    (their :class:`JobStatuses`) and ``log_category``, and build ``job_spec``."""

    statuses: JobStatuses
    log_category: str = "easymaker.job"
    scrape_metrics: bool = True  # metric lines of the job's output become metric points

    def __init__(self, platform: Any):
        super().__init__(platform)
        self._job_rows: dict[str, Any] = {}  # id -> the detached row the last job_rows() returned
        self._job_rows_lock = threading.Lock()
        self._version_query: Any = None

    # -- what the reconciler reads -------------------------------------------
    def job_rows(self) -> list[Any]:
        """Rows the lifecycle still has work on, oldest first (detached).

        A row whose ``updated_at`` is as at the last call is the object returned then
        (the lifecycle keeps its detached rows in step with what it writes, and any other
        write moves ``updated_at``), so a pass over a thousand idle jobs reads two columns
        of each, and whole rows (their JSON) only where something changed."""
        with self._job_rows_lock, self.db.read() as session:
            versions = session.execute(select(self.table.id, self.table.updated_at)
                                       .where(self.table.status.in_(self.statuses.active))
                                       .order_by(self.table.created_at)).all()
            known = self._job_rows
            stale = [rid for rid, at in versions if rid not in known or known[rid].updated_at != at]
            fresh: dict[str, Any] = {}
            for start in range(0, len(stale), ROWS_PER_READ):
                chunk = stale[start:start + ROWS_PER_READ]
                fresh.update((row.id, row) for row in session.scalars(select(self.table).where(self.table.id.in_(chunk))))
            stale_ids = set(stale)
            rows = [fresh[rid] if rid in stale_ids else known[rid] for rid, _ in versions
                    if rid in fresh or rid not in stale_ids]  # a stale row missing from fresh was deleted meanwhile
            self._job_rows = {row.id: row for row in rows}
        return rows

    def job_rows_version(self) -> tuple[Any, ...]:
        """What moves whenever an active row is written, added or removed: how many there are
        and the latest ``updated_at`` among them (every write sets it)."""
        if self._version_query is None:  # built once: it is asked every tick
            self._version_query = version_query((self.table, self.table.status.in_(sorted(self.statuses.active))))
        with self.db.read() as session:
            return tuple(session.execute(self._version_query).one())

    def running_rows(self) -> list[Any]:
        """Active rows that hold a backend job (to adopt after a restart)."""
        with self.db.read() as session:
            return list(session.scalars(select(self.table).where(self.table.status.in_(self.statuses.active),
                                                                 self.table.handle.is_not(None))))

    def holding(self) -> list[Held]:
        """The jobs of this kind a backend runs now (submitted, running or stopping):
        what they hold, for the dashboard's resource usage."""
        st = self.statuses
        statuses = {s for s in (st.submitted, st.running, st.stopping) if s}
        with self.db.read() as session:
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
        self._version: tuple[Any, ...] | None = None  # job_rows_version() when the last pass read its rows
        self._published = -1  # the event bus's count when the store was last asked
        self._checked_at = 0.0
        self._read_at = 0.0  # when the rows were last read

    def recover(self) -> None:
        n = self.jobs.adopt(self.service.running_rows())
        if n:
            self.log.info("easymaker: re-attached to %d running %s job(s)", n, self.service.kind)

    async def reconcile_once(self) -> None:
        # rows whose backend watches them are stepped when they changed or a look is due, changed ones first,
        # and a row whose objects change during the pass goes next
        rows = await asyncio.to_thread(self.rows_to_step)
        if rows is None:
            return
        for row in self.jobs.in_turn(rows):
            try:
                await asyncio.to_thread(self.step, row)
            except Exception:  # noqa: BLE001 - isolate rows from each other
                self.log.exception("easymaker: reconciling %s %s failed", self.service.kind, row.id)
        self.jobs.settle(rows, self.service.statuses.active)

    def rows_to_step(self) -> list[Any] | None:
        """This pass's rows; None (no pass) when the last pass left every row settled (watched,
        its next look not due), no watched object changed since, and no active row was written,
        added or removed since: a tick over a thousand idle jobs reads no rows. Whether a row
        was written is asked of the store (``job_rows_version``) when an event was published
        since the last time, and at least every ``STORE_CHECK_SECONDS`` for writes that
        publish none; the rows are read at least every ``REREAD_SECONDS`` in any case."""
        now = time.monotonic()
        if not self.jobs.settled() or now - self._read_at >= REREAD_SECONDS:
            return self._read()
        published = self.service.events.published
        if published == self._published and now - self._checked_at < STORE_CHECK_SECONDS:
            return None
        self._published, self._checked_at = published, now
        if self.service.job_rows_version() == self._version:
            return None
        return self._read()

    def _read(self) -> list[Any]:
        self._published, self._checked_at = self.service.events.published, time.monotonic()
        self._read_at = self._checked_at
        self._version = self.service.job_rows_version()  # before the rows: a write after it is seen next pass
        return self.service.job_rows()

    def step(self, row: Any) -> None:
        self.jobs.step_if_due(self.service, row)

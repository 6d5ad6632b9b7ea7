"""The one job lifecycle: every resource that runs as a backend job (a
training, a tuning trial, a batch inference, an evaluation's metrics job, and
the kinds to come) goes through it.

    waiting --submit--> submitted --user code starts--> running --the job ends--> one of the kind's ends

:func:`job_statuses` builds a kind's view of its own state machine: which of
its status words mean waiting, submitted, running and stopping, and the path
of words each way of ending takes (``COMPLETE IN PROGRESS`` then ``COMPLETE``
for a training); every step is checked against the machine once, when the
kind is defined. :class:`JobLifecycle` drives rows through it: submit (or
wait for capacity), observe the backend, ingest new log lines exactly once,
sample usage, stop on request, enforce the maximum run time, release, end,
and adopt running jobs after a restart. What is stored goes through the
kind's :class:`JobStore` (the area's service): the lifecycle never writes a
table itself.

Everything here is synchronous: backends block, so reconcilers call the
lifecycle from a worker thread, and the store publishes its events from there.
"""
from __future__ import annotations

import enum
import logging
import math
import os
import select
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Iterator, Mapping, Protocol

from jupyter_easymaker.backend.base import BackendError, CapacityUnavailable, changes_seen
from jupyter_easymaker.backend.jobs.base import Backend, JobPhase, JobState
from jupyter_easymaker.core.state_machine import StateMachine

# beyond a job's own time limit (which its launcher enforces), when the controller enforces it itself
MAX_TIME_BACKSTOP_SECONDS = 30.0
# how often a pass looks whether a watched object changed behind the row it steps (each look scans the rows left)
RECHECK_SECONDS = 0.2
# an unchanged watched job's next look falls on a grid of revisit_seconds / this (looks due together)
LOOK_GRID_STEPS = 10


class Outcome(str, enum.Enum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    STOPPED = "stopped"
    NOT_STARTED = "not started"  # it never ran: the backend refused it, or it failed before user code


@dataclass(frozen=True)
class JobStatuses:
    """A job kind's state machine seen from the lifecycle (build it with :func:`job_statuses`)."""

    machine: StateMachine
    waiting: str
    submitted: str
    running: str
    stopping: str | None  # None: a stop is a flag of the row, not a status (tuning trials)
    ends: Mapping[Outcome, tuple[str, ...]]
    time_limit: str  # how the reason names its time limit: "maximum training time"

    @property
    def active(self) -> frozenset[str]:
        """Statuses in which the lifecycle still has work to do on a row."""
        final = {path[-1] for path in self.ends.values()}
        return frozenset(s for s in self.machine.statuses if s not in final and s not in self.machine.settled)

    def remaining(self, current: str, outcome: Outcome) -> list[str]:
        """The steps of ``outcome``'s path still ahead of a row in ``current``."""
        path = list(self.ends[outcome])
        if current in path:
            return path[path.index(current) + 1:]
        return path

    def ending(self, current: str) -> Outcome | None:
        """The outcome whose path a row is already on (an in-between step such as
        COMPLETE IN PROGRESS), or None."""
        for outcome, path in self.ends.items():
            if current in path[:-1] and current != self.stopping:
                return outcome
        return None


def job_statuses(machine: StateMachine, *, waiting: str, submitted: str, running: str, stopping: str | None,
                 succeeded: tuple[str, ...], failed: tuple[str, ...], stopped: tuple[str, ...], not_started: tuple[str, ...],
                 time_limit: str) -> JobStatuses:
    """A kind's :class:`JobStatuses`, each step checked against its state machine."""
    ends = {Outcome.SUCCEEDED: succeeded, Outcome.FAILED: failed, Outcome.STOPPED: stopped, Outcome.NOT_STARTED: not_started}
    chain = [waiting, submitted, running]
    for a, b in zip(chain, chain[1:]):
        if a != b and not machine.can(a, b):
            raise ValueError(f"{machine.kind}: the lifecycle needs {a} -> {b}")
    # where a row can be when its job ends in each way
    starts = {Outcome.SUCCEEDED: (submitted, running), Outcome.FAILED: (submitted, running),
              Outcome.STOPPED: (waiting, submitted, running), Outcome.NOT_STARTED: (waiting, submitted)}
    for outcome, path in ends.items():
        if not path:
            raise ValueError(f"{machine.kind}: no statuses for a job that {outcome.value}")
        for a, b in zip(path, path[1:]):
            if not machine.can(a, b):
                raise ValueError(f"{machine.kind}: {outcome.value} needs {a} -> {b}")
        for start in starts[outcome]:
            if start != path[0] and not machine.can(start, path[0]):
                raise ValueError(f"{machine.kind}: a job that {outcome.value} needs {start} -> {path[0]}")
    return JobStatuses(machine, waiting, submitted, running, stopping, ends, time_limit)


class JobStore(Protocol):
    """What the lifecycle needs of the rows of one job kind; the area's service
    provides it (:class:`jupyter_easymaker.core.job_service.JobService` for rows
    with the shared job columns). Rows are detached snapshots: the store keeps
    the attributes it writes (status, handle, log_offset, ...) up to date on them."""

    statuses: JobStatuses

    def job_spec(self, row: Any) -> Any: ...
    def stop_requested(self, row: Any) -> bool: ...
    def record_waiting(self, row: Any, reason: str) -> None: ...
    def record_submitted(self, row: Any, handle: dict[str, Any], reason: str) -> None: ...
    def record_handle(self, row: Any, handle: dict[str, Any]) -> None: ...
    def record_started(self, row: Any, started_at: datetime) -> None: ...
    def record_logs(self, row: Any, text: str, offset: int) -> bool: ...
    def record_usage(self, row: Any, usage: Any) -> None: ...
    def record_end(self, row: Any, outcome: Outcome, steps: list[tuple[str, str]], fields: dict[str, Any],
                   lines: tuple[str, int] | None) -> list[tuple[str, str]]: ...
    def record_status(self, row: Any, target: str, reason: str, **fields: Any) -> bool: ...
    def finished(self, row: Any, state: JobState, outcome: Outcome) -> tuple[Outcome, str | None, dict[str, Any]]: ...


def utc(ts: float | None) -> datetime | None:
    return datetime.fromtimestamp(ts, tz=timezone.utc) if ts else None


@dataclass
class JobLifecycle:
    """Drives job rows through their lifecycle on the backends (see the module)."""

    backends: dict[str, Backend]
    settings: Any  # read at each use: stop_grace_seconds, usage_sample_seconds
    wake: Callable[[], None] | None = None  # the controller's: called the moment a watched local job exits
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("jupyter_easymaker.jobs"))
    _last_sample: dict[str, float] = field(default_factory=dict)
    _watched: set[str] = field(default_factory=set)
    _looked: dict[str, tuple[Any, float]] = field(default_factory=dict)  # row id -> (what it was, when to look again)
    _pass_changes: int = -1  # the watched changes seen when the last pass began
    _settled: tuple[int, float] = (-1, 0.0)  # (those changes, until when no row is due), see settle()

    # -- after a restart ---------------------------------------------------------
    def adopt(self, rows: list[Any]) -> int:
        """Tell each backend which of these rows' jobs it still owns (capacity accounting)."""
        n = 0
        for row in rows:
            backend = self.backends.get(row.backend)
            if backend is not None and row.handle:
                backend.adopt(dict(row.handle))
                n += 1
        return n

    # -- which rows a pass looks at -------------------------------------------------
    def in_turn(self, rows: list[Any]) -> Iterator[Any]:
        """The rows a pass should step, one at a time: all of them, unless a row's backend
        watches its objects (``change_mark``), and neither they nor the row changed since its
        last step, and its next look (logs, usage, time limit) is not due yet. Those whose
        objects or row changed come first (a status change is recorded before the pass reads
        the logs of jobs that are merely due a look). During the pass, when a watched backend
        has seen a change since the pass began, every row whose objects changed since it was
        sorted or stepped goes next, also one that was not due when the pass began (looked at
        a moment ago) or was stepped earlier in it, so that a status change is not recorded
        only after a long pass (first looks at a thousand jobs after a restart, or their
        periodic looks at logs) has read everyone's logs."""
        seen, checked = changes_seen(self.backends.values()), time.monotonic()
        self._pass_changes = seen
        marks = {id(row): self._mark(row) for row in rows}  # what each row's objects were when sorted or stepped
        left = deque(self._sorted(rows, marks))
        while left:
            now = time.monotonic()
            if now - checked >= RECHECK_SECONDS:
                checked = now
                changes = changes_seen(self.backends.values())
                if changes != seen:
                    seen = changes
                    moved = []
                    for row in rows:
                        mark = self._mark(row)
                        if mark != marks[id(row)]:
                            marks[id(row)] = mark
                            moved.append(row)
                    if moved:
                        first = {id(row) for row in moved}
                        left = deque(moved + [row for row in left if id(row) not in first])
            row = left.popleft()
            marks[id(row)] = self._mark(row)
            yield row

    def _mark(self, row: Any) -> Any:
        """What the row's watching backend has seen of its objects (None: not watched, or not yet)."""
        backend = self.backends.get(row.backend)
        change_mark = getattr(backend, "change_mark", None)
        return change_mark(dict(row.handle)) if change_mark is not None and row.handle else None

    @staticmethod
    def _seen_as(row: Any, mark: Any) -> tuple[Any, ...]:
        """What a step saw of a row: its objects' mark, its status and when it was last written."""
        return mark, row.status, getattr(row, "updated_at", None)

    def _sorted(self, rows: list[Any], marks: Mapping[int, Any]) -> list[Any]:
        """The due rows, changed ones first (``marks``: each row's :meth:`_mark`, by ``id``)."""
        now = time.monotonic()
        ranked = []
        for i, row in enumerate(rows):
            mark, looked = marks[id(row)], self._looked.get(row.id)
            if mark is None or looked is None or looked[0] != self._seen_as(row, mark):
                ranked.append((0, i, row))  # changed, or not watched
            elif now >= looked[1]:
                ranked.append((1, i, row))  # its next look is due
        return [row for _, _, row in sorted(ranked, key=lambda r: (r[0], r[1]))]

    def step_if_due(self, store: JobStore, row: Any) -> None:
        """:meth:`step`, noting what the row and its objects were for :meth:`in_turn`."""
        mark = self._mark(row)
        self.step(store, row)
        if mark is None or row.status not in store.statuses.active:
            self._looked.pop(row.id, None)
            return
        self.looked_at(row, mark)

    def looked_at(self, row: Any, mark: Any) -> None:
        """Note that a watched row was just stepped with its objects at ``mark``. Its next look
        is due ``revisit_seconds`` later, brought forward onto a grid of a tenth of that: the
        looks of many jobs fall due together, in a few passes, instead of one job in every pass
        (and a job looked at on a grid point is looked at again exactly a revisit later)."""
        revisit = float(getattr(self.backends.get(row.backend), "revisit_seconds", lambda: 0.0)())
        due = time.monotonic() + revisit
        if revisit > 0:
            grid = revisit / LOOK_GRID_STEPS
            due = math.floor(due / grid) * grid
        self._looked[row.id] = (self._seen_as(row, mark), due)

    # -- whether a pass has anything to do ----------------------------------------
    def settle(self, rows: list[Any], active: frozenset[str]) -> None:
        """After a pass over ``rows``: note until when the next one would step none of them,
        as long as neither their objects nor the rows change (see :meth:`settled`)."""
        until = math.inf
        for row in rows:
            if row.status not in active:
                continue  # it ended in this pass
            looked, mark = self._looked.get(row.id), self._mark(row)
            if mark is None or looked is None or looked[0] != self._seen_as(row, mark):
                until = 0.0  # not watched, changed since its step, or its step failed: the next pass looks
                break
            until = min(until, looked[1])
        self._settled = (self._pass_changes, until)
        present = {row.id for row in rows}
        for row_id in [i for i in self._looked if i not in present]:
            del self._looked[row_id]  # rows gone from the store (deleted, or ended elsewhere)

    def settled(self) -> bool:
        """Whether a pass now would step nothing: every row of the last one is watched and
        was looked at, no watched object changed since that pass began, and no look is due.
        (Whether the rows themselves changed is the store's to say.)"""
        changes, until = self._settled
        return changes == changes_seen(self.backends.values()) and time.monotonic() < until

    # -- one pass over one row ------------------------------------------------------
    def step(self, store: JobStore, row: Any) -> None:
        """The whole lifecycle of a plain job kind, one step of it per call."""
        words = store.statuses
        backend = self.backends.get(row.backend)
        if backend is None:
            self.end(store, row, Outcome.NOT_STARTED if row.handle is None else Outcome.FAILED,
                     f"the {row.backend} backend is not configured on this server")
            return
        if row.handle is None:
            if store.stop_requested(row):
                self.end(store, row, Outcome.STOPPED, "stopped before it started")
            elif row.status == words.waiting:
                self.submit(store, row, backend)
            return
        if row.status == words.waiting:  # the server stopped between submitting and recording it
            store.record_status(row, words.submitted, f"submitted to the {backend.name} backend")
        self.advance(store, row, backend)

    def submit(self, store: JobStore, row: Any, backend: Backend) -> bool:
        """Hand the job to the backend; False while it waits for capacity or when it could not run."""
        try:
            spec = store.job_spec(row)
        except Exception as exc:  # noqa: BLE001 - e.g. its model is no longer servable: the reason is shown
            self.end(store, row, Outcome.NOT_STARTED, getattr(exc, "message", None) or str(exc) or type(exc).__name__)
            return False
        try:
            handle = backend.submit(spec)
        except CapacityUnavailable as exc:
            store.record_waiting(row, str(exc))
            return False
        except BackendError as exc:
            self.end(store, row, Outcome.NOT_STARTED, str(exc) or "the backend refused the job")
            return False
        store.record_submitted(row, handle, f"submitted to the {backend.name} backend")
        self._watch(handle)
        return True

    def advance(self, store: JobStore, row: Any, backend: Backend) -> None:
        """A submitted job: forward a stop, observe, take new log lines, then end it
        or sample its usage and enforce its time limit."""
        self._watch(row.handle)
        if store.stop_requested(row):
            self.send_stop(store, row, backend)
        state = backend.status(dict(row.handle))
        if state.terminal:  # its last lines are stored with its first end step
            self.finish(store, row, backend, state)
            return
        self.ingest(store, row, backend)
        if store.stop_requested(row):  # the lines may have asked for it (early stopping)
            self.send_stop(store, row, backend)
        if row.status == store.statuses.submitted and (state.phase == JobPhase.RUNNING or state.started_at):
            store.record_started(row, utc(state.started_at) or datetime.now(timezone.utc))
        if state.phase == JobPhase.RUNNING:
            self.sample_usage(store, row, backend)
            self.enforce_time_limit(store, row, backend, state)

    def ingest(self, store: JobStore, row: Any, backend: Backend) -> None:
        """New log lines since the stored offset; stored once even if two passes meet."""
        chunk = backend.read_logs(dict(row.handle), row.log_offset)
        if chunk.text:
            store.record_logs(row, chunk.text, chunk.offset)

    def drain(self, row: Any, backend: Backend) -> tuple[str, int]:
        """Everything the job wrote after the stored offset."""
        text, offset = "", row.log_offset
        while True:
            chunk = backend.read_logs(dict(row.handle), offset)
            if not chunk.text:
                return text, offset
            text, offset = text + chunk.text, chunk.offset

    def send_stop(self, store: JobStore, row: Any, backend: Backend) -> None:
        handle = dict(row.handle)
        if handle.get("stop_sent"):
            return
        backend.stop(handle, self.settings.stop_grace_seconds)
        handle["stop_sent"] = True
        store.record_handle(row, handle)

    def sample_usage(self, store: JobStore, row: Any, backend: Backend) -> None:
        now = time.monotonic()
        if now - self._last_sample.get(row.id, 0.0) < self.settings.usage_sample_seconds:
            return
        self._last_sample[row.id] = now
        usage = backend.usage(dict(row.handle))
        if usage is not None:
            store.record_usage(row, usage)

    def enforce_time_limit(self, store: JobStore, row: Any, backend: Backend, state: JobState) -> None:
        """The launcher enforces a job's time limit; this is the backstop when it could not."""
        limit = (row.spec or {}).get("max_run_seconds")
        if not limit or not state.started_at or (row.handle or {}).get("stop_sent"):
            return
        if time.time() - state.started_at > float(limit) + MAX_TIME_BACKSTOP_SECONDS:
            self.send_stop(store, row, backend)
            failing = store.statuses.ends[Outcome.FAILED][0]
            store.record_status(row, failing, f"{store.statuses.time_limit} of {float(limit):g} s exceeded")

    # -- the end ------------------------------------------------------------------
    def finish(self, store: JobStore, row: Any, backend: Backend, state: JobState) -> None:
        """The job ended: its last lines and first end step together, then release, then the rest."""
        words = store.statuses
        outcome = words.ending(row.status)
        on_its_way = outcome is not None  # e.g. FAIL TRAIN IN PROGRESS after the time limit: its reason stands
        if outcome is None:
            if state.phase == JobPhase.SUCCEEDED:
                outcome = Outcome.SUCCEEDED
            elif state.phase == JobPhase.STOPPED or store.stop_requested(row):
                outcome = Outcome.STOPPED
            elif row.status == words.submitted and not state.started_at:
                outcome = Outcome.NOT_STARTED
            else:
                outcome = Outcome.FAILED
        lines = self.drain(row, backend)
        outcome, reason, fields = store.finished(row, state, outcome)
        fields.setdefault("exit_code", state.exit_code)
        fields.setdefault("finished_at", utc(state.finished_at) or datetime.now(timezone.utc))
        if state.started_at:  # it ran, even if it ended before a pass saw it running
            fields.setdefault("started_at", utc(state.started_at))
        default = row.status_reason if on_its_way else {
            Outcome.SUCCEEDED: "", Outcome.STOPPED: state.reason or "stopped by request",
            Outcome.NOT_STARTED: state.reason or "the job could not be started",
            Outcome.FAILED: state.reason or "the job failed"}[outcome]
        self._end(store, row, outcome, reason if reason is not None else default, fields, lines,
                  release=lambda: backend.release(dict(row.handle)))
        self._forget(row)

    def end(self, store: JobStore, row: Any, outcome: Outcome, reason: str, **fields: Any) -> None:
        """End a row whose job is not running (never submitted, or its backend is gone)."""
        fields.setdefault("finished_at", datetime.now(timezone.utc))
        self._end(store, row, outcome, reason, fields, None, release=None)
        self._forget(row)

    def _end(self, store: JobStore, row: Any, outcome: Outcome, reason: str, fields: dict[str, Any],
             lines: tuple[str, int] | None, release: Callable[[], None] | None) -> None:
        remaining = store.statuses.remaining(row.status, outcome)
        if not remaining:
            return
        # an in-between step (COMPLETE IN PROGRESS, STOP IN PROGRESS) says what happens; the last one why
        between = {Outcome.SUCCEEDED: f"job finished: {reason}" if reason else "job finished, cleaning up",
                   Outcome.STOPPED: "job ended by a stop"}.get(outcome, reason)
        steps = [(status, reason if i == len(remaining) - 1 else between) for i, status in enumerate(remaining)]
        rest = store.record_end(row, outcome, steps, fields, lines)
        if release is not None:
            release()
        for target, why in rest:
            store.record_status(row, target, why)

    def _forget(self, row: Any) -> None:
        self._last_sample.pop(row.id, None)
        self._looked.pop(row.id, None)
        job_id = (row.handle or {}).get("job_id")
        if job_id:
            self._watched.discard(job_id)

    # -- noticing a local job's end at once ------------------------------------------
    def _watch(self, handle: dict[str, Any] | None) -> None:
        """Wake the controller the moment a local job's process exits, instead of at
        the next tick (a pidfd becomes readable on exit, child or not)."""
        if not handle or self.wake is None or not hasattr(os, "pidfd_open"):
            return
        pid, job_id = handle.get("pid"), handle.get("job_id")
        if not pid or not job_id or job_id in self._watched:
            return
        try:
            fd = os.pidfd_open(int(pid))
        except OSError:
            return  # already gone: the next pass sees it
        self._watched.add(job_id)
        wake = self.wake

        def wait() -> None:
            try:
                poller = select.poll()
                poller.register(fd, select.POLLIN)
                poller.poll()
            except OSError:
                pass
            finally:
                os.close(fd)
            wake()

        threading.Thread(target=wait, name=f"easymaker-job-{job_id[:8]}", daemon=True).start()

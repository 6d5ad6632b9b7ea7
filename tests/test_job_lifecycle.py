"""The one job lifecycle (core/jobs.py) on its own: a kind's statuses are
checked against its state machine when they are defined, and a row goes
waiting -> submitted -> running -> its end path, whatever the backend says
along the way (capacity, refusal, a job that ends before it is seen running,
a stop, a lost backend). The backend is a stand-in for the process or the
cluster; the store keeps rows in memory and records every step."""
from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest

from jupyter_easymaker.areas.batch.statuses import BATCH_INFERENCE_JOB
from jupyter_easymaker.areas.trainings.statuses import TRAINING_JOB, TRAINING_MACHINE, TrainingStatus as T
from jupyter_easymaker.areas.tuning.statuses import TRIAL_JOB
from jupyter_easymaker.backend.base import BackendError, CapacityUnavailable, LogChunk
from jupyter_easymaker.backend.jobs.base import JobPhase, JobState
from jupyter_easymaker.core.jobs import JobLifecycle, Outcome, job_statuses


def test_a_path_the_state_machine_does_not_allow_is_refused_when_the_kind_is_defined():
    with pytest.raises(ValueError, match="COMPLETE"):
        job_statuses(TRAINING_MACHINE, waiting=T.CREATE_REQUESTED, submitted=T.CREATE_IN_PROGRESS, running=T.RUNNING,
                     stopping=T.STOP_IN_PROGRESS, succeeded=(T.COMPLETE,), failed=(T.FAIL_TRAIN_IN_PROGRESS, T.FAIL_TRAIN),
                     stopped=(T.STOP_IN_PROGRESS, T.STOPPED), not_started=(T.CREATE_FAILED,), time_limit="x")


def test_every_job_kind_is_consistent_with_its_machine():
    for words in (TRAINING_JOB, BATCH_INFERENCE_JOB, TRIAL_JOB):
        assert words.waiting in words.active and words.running in words.active
        for path in words.ends.values():
            assert path[-1] not in words.active
    assert TRAINING_JOB.remaining(T.FAIL_TRAIN_IN_PROGRESS, Outcome.FAILED) == [T.FAIL_TRAIN]
    assert TRAINING_JOB.ending(T.COMPLETE_IN_PROGRESS) == Outcome.SUCCEEDED
    assert TRAINING_JOB.ending(T.STOP_IN_PROGRESS) is None  # a job may still succeed while its stop is on the way


@dataclass
class Row:
    id: str = "job-1"
    status: str = T.CREATE_REQUESTED
    status_reason: str = ""
    handle: dict | None = None
    backend: str = "fake"
    log_offset: int = 0
    spec: dict = field(default_factory=dict)
    started_at: Any = None


class Store:
    """The trainings' words, rows in memory, every change in ``history``."""

    statuses = TRAINING_JOB

    def __init__(self):
        self.history: list[str] = []
        self.lines: list[str] = []
        self.samples = 0

    def job_spec(self, row):
        return SimpleNamespace(job_id=row.id)

    def stop_requested(self, row):
        return row.status == T.STOP_IN_PROGRESS

    def _to(self, row, status, reason=""):
        TRAINING_MACHINE.check(row.status, status)
        row.status, row.status_reason = status, reason
        self.history.append(status)

    def record_waiting(self, row, reason):
        row.status_reason = reason

    def record_submitted(self, row, handle, reason):
        row.handle = handle
        self._to(row, T.CREATE_IN_PROGRESS, reason)

    def record_handle(self, row, handle):
        row.handle = handle

    def record_started(self, row, started_at):
        self._to(row, T.RUNNING)

    def record_logs(self, row, text, offset):
        self.lines += text.splitlines()
        row.log_offset = offset
        return True

    def record_usage(self, row, usage):
        self.samples += 1

    def record_status(self, row, target, reason, **fields):
        if row.status == target:
            return False
        self._to(row, target, reason)
        return True

    def finished(self, row, state, outcome):
        return outcome, None, {}

    def record_end(self, row, outcome, steps, fields, lines):
        if lines and lines[0]:
            self.record_logs(row, *lines)
        if fields.get("started_at") and row.status == T.CREATE_IN_PROGRESS:
            self._to(row, T.RUNNING)
        (first, reason), *rest = steps
        self._to(row, first, reason)
        return rest


class Backend:
    name = "fake"

    def __init__(self, phases: list[JobState], logs: str = "", refuse: Exception | None = None):
        self.phases, self.logs, self.refuse = phases, logs, refuse
        self.released = self.stopped = 0

    def submit(self, spec):
        if self.refuse is not None:
            raise self.refuse
        return {"job_id": spec.job_id}

    def status(self, handle):
        return self.phases.pop(0) if len(self.phases) > 1 else self.phases[0]

    def read_logs(self, handle, offset=0, limit=1 << 20):
        return LogChunk(self.logs[offset:], len(self.logs))

    def stop(self, handle, grace_seconds=10.0):
        self.stopped += 1

    def usage(self, handle):
        return object()

    def release(self, handle):
        self.released += 1


def run(backend: Backend, row: Row | None = None, passes: int = 5, between=None) -> tuple[Row, Store]:
    row, store = row or Row(), Store()
    jobs = JobLifecycle({"fake": backend}, SimpleNamespace(stop_grace_seconds=1.0, usage_sample_seconds=0.0))
    for n in range(passes):
        if row.status not in TRAINING_JOB.active:
            break
        jobs.step(store, row)
        if between is not None:
            between(n, row)
    return row, store


def test_a_job_runs_to_complete_with_every_status_and_its_lines_once():
    backend = Backend([JobState(JobPhase.STARTING), JobState(JobPhase.RUNNING, started_at=1.0),
                       JobState(JobPhase.SUCCEEDED, started_at=1.0, finished_at=2.0, exit_code=0)], logs="a=1\nb=2\n")
    row, store = run(backend)
    assert store.history == [T.CREATE_IN_PROGRESS, T.RUNNING, T.COMPLETE_IN_PROGRESS, T.COMPLETE]
    assert store.lines == ["a=1", "b=2"] and backend.released == 1 and store.samples >= 1


def test_a_job_that_ends_before_it_is_seen_running_still_records_running():
    backend = Backend([JobState(JobPhase.SUCCEEDED, started_at=1.0, finished_at=1.1, exit_code=0)])
    _, store = run(backend)
    assert store.history == [T.CREATE_IN_PROGRESS, T.RUNNING, T.COMPLETE_IN_PROGRESS, T.COMPLETE]


def test_no_capacity_keeps_it_waiting_with_the_reason_and_a_refusal_is_create_failed():
    row, store = run(Backend([JobState(JobPhase.QUEUED)], refuse=CapacityUnavailable("no free GPU")), passes=3)
    assert row.status == T.CREATE_REQUESTED and row.status_reason == "no free GPU" and store.history == []
    row, store = run(Backend([JobState(JobPhase.QUEUED)], refuse=BackendError("no such image")))
    assert store.history == [T.CREATE_FAILED] and row.status_reason == "no such image"


def test_a_stop_is_forwarded_and_ends_stopped():
    backend = Backend([JobState(JobPhase.RUNNING, started_at=1.0), JobState(JobPhase.RUNNING, started_at=1.0),
                       JobState(JobPhase.STOPPED, started_at=1.0, reason="stopped by request")])

    def stop_after_start(n, row):
        if n == 1:
            row.status = T.STOP_IN_PROGRESS  # what the service records for the user's stop

    row, store = run(backend, between=stop_after_start)
    assert backend.stopped == 1 and row.status == T.STOPPED and store.history[-1] == T.STOPPED


def test_a_failure_and_a_missing_backend():
    row, store = run(Backend([JobState(JobPhase.RUNNING, started_at=1.0),
                              JobState(JobPhase.FAILED, started_at=1.0, exit_code=3, reason="exit code 3")]))
    assert store.history[-2:] == [T.FAIL_TRAIN_IN_PROGRESS, T.FAIL_TRAIN] and row.status_reason == "exit code 3"
    row, store = run(Backend([]), row=Row(backend="gone"))
    assert row.status == T.CREATE_FAILED and "not configured" in row.status_reason


def test_the_time_limit_is_enforced_when_the_job_overruns_it():
    backend = Backend([JobState(JobPhase.RUNNING, started_at=1.0), JobState(JobPhase.RUNNING, started_at=1.0),
                       JobState(JobPhase.STOPPED, started_at=1.0)])
    row, store = run(backend, row=Row(spec={"max_run_seconds": 5}))
    assert backend.stopped == 1
    assert store.history[-2:] == [T.FAIL_TRAIN_IN_PROGRESS, T.FAIL_TRAIN]
    assert row.status_reason == "maximum training time of 5 s exceeded"

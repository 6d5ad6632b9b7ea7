"""What a reconcile pass reads (``JobService.job_rows``): every active row each
pass, but whole rows only where something changed. A row nobody wrote since the
last pass is the same detached object (its JSON is not parsed again); one the
lifecycle wrote is kept in step; one written by anything else is read again."""
from __future__ import annotations

import pytest
from sqlalchemy import update

from jupyter_easymaker.areas import AREAS
from jupyter_easymaker.areas.experiments.tables import Experiment
from jupyter_easymaker.areas.trainings.statuses import TrainingStatus as T
from jupyter_easymaker.areas.trainings.tables import Training
from jupyter_easymaker.core.platform import Platform
from jupyter_easymaker.core.settings import Settings
from tests.change_counts import ChangeCounts


@pytest.fixture
def trainings(tmp_path):
    platform = Platform(Settings(data_dir=str(tmp_path / "data"), local_roots=[str(tmp_path)]), AREAS,
                        {"kubernetes": object()})
    service = platform.service("trainings")
    with platform.db.session() as session:
        session.add(Experiment(id="exp-1", name="exp-1", status="ACTIVE"))
    with platform.db.session() as session:
        for i, status in enumerate((T.RUNNING, T.RUNNING, T.RUNNING, T.COMPLETE)):
            session.add(Training(id=f"t-{i}", name=f"t-{i}", experiment_id="exp-1", status=status, backend="kubernetes",
                                 spec={"instance_type": "m2.c4m8"}, handle={"name": f"job-{i}"}))
    yield service
    platform.db.close()


def ids(rows):
    return [row.id for row in rows]


def test_unchanged_rows_are_not_read_again_and_changed_ones_are(trainings):
    first = trainings.job_rows()
    assert ids(first) == ["t-0", "t-1", "t-2"]
    again = trainings.job_rows()
    assert all(a is b for a, b in zip(first, again))  # nobody wrote: the same objects

    # the lifecycle's own write keeps its detached row in step: still the same object, with the new status
    assert trainings.record_status(first[0], T.STOP_IN_PROGRESS, "stop asked")
    # a write from elsewhere (a request, another process): that row is read again
    with trainings.db.session() as session:
        session.execute(update(Training).where(Training.id == "t-1").values(handle={"name": "job-1b"}))
    third = trainings.job_rows()
    assert ids(third) == ["t-0", "t-1", "t-2"]
    assert third[0] is first[0] and third[0].status == T.STOP_IN_PROGRESS
    assert third[1] is not first[1] and third[1].handle == {"name": "job-1b"}
    assert third[2] is first[2]

    # a row that ended leaves the pass; a new one joins it
    with trainings.db.session() as session:
        session.execute(update(Training).where(Training.id == "t-2").values(status=T.COMPLETE))
        session.add(Training(id="t-9", name="t-9", experiment_id="exp-1", status=T.CREATE_REQUESTED,
                             backend="kubernetes", spec={}))
    assert ids(trainings.job_rows()) == ["t-0", "t-1", "t-9"]


class WatchingBackend(ChangeCounts):
    """What of a watching job backend decides which rows a pass reads: its change counts
    and how long an unchanged job may go unlooked at."""

    name = "kubernetes"

    def __init__(self, revisit: float):
        super().__init__()
        self.revisit = revisit

    def revisit_seconds(self):
        return self.revisit


def a_pass(reconciler, stepped):
    """One pass as ``JobReconciler.reconcile_once`` makes it, each step only noted (as step_if_due does)."""
    rows = reconciler.rows_to_step()
    if rows is None:
        return None
    for row in reconciler.jobs.in_turn(rows):
        stepped.append(row.id)
        reconciler.jobs.looked_at(row, reconciler.jobs.backends[row.backend].change_mark(row.handle))
    reconciler.jobs.settle(rows, reconciler.service.statuses.active)
    return rows


def test_a_tick_with_nothing_changed_or_due_reads_no_rows(trainings):
    import time

    from jupyter_easymaker.core.job_service import JobReconciler

    backend = WatchingBackend(revisit=600.0)
    trainings.platform.backends["kubernetes"] = backend
    reconciler = JobReconciler(trainings.platform, trainings)
    stepped: list[str] = []
    assert ids(a_pass(reconciler, stepped)) == ["t-0", "t-1", "t-2"] and stepped == ["t-0", "t-1", "t-2"]
    assert a_pass(reconciler, stepped) is None  # all settled: no rows read, nothing stepped

    # a watched object changes: the next pass reads the rows and steps the changed job only
    stepped.clear()
    backend.change("job-1")
    assert ids(a_pass(reconciler, stepped)) == ["t-0", "t-1", "t-2"] and stepped == ["t-1"]
    assert a_pass(reconciler, stepped) is None

    # a row written elsewhere with an event (a stop asked through the API): read and stepped
    stepped.clear()
    with trainings.db.session() as session:
        session.execute(update(Training).where(Training.id == "t-2").values(status=T.STOP_IN_PROGRESS))
    trainings.events.publish(trainings.kind, "t-2", change="status")
    rows = a_pass(reconciler, stepped)
    assert rows[2].status == T.STOP_IN_PROGRESS and stepped == ["t-2"]

    # written without an event: seen when the store is asked anyway (at most STORE_CHECK_SECONDS later)
    stepped.clear()
    with trainings.db.session() as session:
        session.execute(update(Training).where(Training.id == "t-0").values(handle={"name": "job-0b"}))
    assert a_pass(reconciler, stepped) is None
    reconciler._checked_at -= 60  # as if STORE_CHECK_SECONDS had passed
    assert a_pass(reconciler, stepped)[0].handle == {"name": "job-0b"} and stepped == ["t-0"]

    # a look falls due: that pass steps the jobs due
    stepped.clear()
    backend.revisit = 0.3
    backend.change("job-0b")
    a_pass(reconciler, stepped)
    assert a_pass(reconciler, stepped) is None
    time.sleep(0.35)
    assert a_pass(reconciler, stepped) is not None and stepped == ["t-0", "t-0"]

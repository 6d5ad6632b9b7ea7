"""The Kubernetes backends' watch-fed caches (backend/kubernetes/informers.py)
against the kmock emulator: what they see, that status reads then make no
API calls however many jobs run, that a change wakes the controller, and that
a dropped watch is listed again.

kmock ignores label selectors and resourceVersions and starts every watch by
replaying each object as ADDED; the tests' cluster helpers publish the changes
they write, as the API server's watch would."""
from __future__ import annotations

import asyncio
import threading
import time
from types import SimpleNamespace

import kmock
import pytest

from jupyter_easymaker.backend.jobs.base import JobPhase
from jupyter_easymaker.backend.kubernetes.informers import JOBS as JOBS_KIND
from jupyter_easymaker.backend.kubernetes.informers import PODS as PODS_KIND
from jupyter_easymaker.core.jobs import RECHECK_SECONDS, JobLifecycle

try:
    from tests import kube_fixtures
    from tests.test_backend_kubernetes import backend_for, call, make_spec
except ImportError:
    import kube_fixtures
    from test_backend_kubernetes import backend_for, call, make_spec

cluster = kube_fixtures.cluster
JOBS, PODS = kube_fixtures.JOBS, kube_fixtures.PODS


async def until(check, timeout: float = 10.0) -> None:
    end = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < end, "condition not reached"
        await asyncio.sleep(0.02)


class Wakes:
    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()

    def __call__(self) -> None:
        with self._lock:
            self.count += 1


async def watching(cluster, **kwargs):
    backend = backend_for(cluster, **kwargs)
    wakes = Wakes()
    backend.watch_changes(wakes)
    for kind in (JOBS_KIND, PODS_KIND):
        assert await call(backend.informers.informer(kind).wait_synced, 10)
    return backend, wakes


def api_requests(cluster) -> int:
    return len(list(cluster.emulator))


@pytest.mark.asyncio
async def test_the_cache_sees_creates_status_changes_and_deletes(cluster):
    backend, wakes = await watching(cluster)
    try:
        jobs = backend.informers.informer(JOBS_KIND)
        handle = await call(backend.submit, make_spec(job_id="watched-1"))
        name = handle["name"]
        await until(lambda: jobs.get(name) is not None)
        assert wakes.count >= 1 and backend.change_mark(handle) >= 1

        mark = backend.change_mark(handle)
        cluster.add_pod(f"{name}-p", cluster.get(JOBS, name), phase="Running")
        cluster.set_status(JOBS, name, {"active": 1, "startTime": "2030-01-01T00:00:01Z"})
        await until(lambda: (jobs.get(name).get("status") or {}).get("active") == 1
                    and backend.informers.informer(PODS_KIND).get(f"{name}-p") is not None)
        assert backend.change_mark(handle) >= mark + 2

        before = api_requests(cluster)
        state = await call(backend.status, handle)
        assert state.phase == JobPhase.RUNNING and state.started_at is not None
        assert api_requests(cluster) == before  # read from the caches

        cluster.set_status(JOBS, name, {"active": 0, "succeeded": 1, "completionTime": "2030-01-01T00:10:00Z",
                                        "conditions": [{"type": "Complete", "status": "True"}]})
        await until(lambda: (jobs.get(name).get("status") or {}).get("succeeded") == 1)
        assert (await call(backend.status, handle)).phase == JobPhase.SUCCEEDED

        cluster.delete(JOBS, name)
        await until(lambda: jobs.get(name) is None)
        # gone from the cache: status reads the API, which confirms it is gone
        assert (await call(backend.status, handle)).phase == JobPhase.LOST
    finally:
        await call(backend.stop_watching)


@pytest.mark.asyncio
async def test_a_job_the_cache_has_not_seen_yet_is_read_directly(cluster):
    backend = backend_for(cluster)
    backend.informers.start()
    handle = await call(backend.submit, make_spec(job_id="fresh-1"))
    try:
        # the cache may not have the Job yet (its watch event is on the way): the read falls back to a GET
        state = await call(backend.status, handle)
        assert state.phase in (JobPhase.STARTING, JobPhase.QUEUED)
    finally:
        await call(backend.stop_watching)


@pytest.mark.parametrize("jobs", [5, 40])
@pytest.mark.asyncio
async def test_status_reads_make_no_requests_however_many_jobs_run(cluster, jobs):
    backend, _ = await watching(cluster)
    try:
        handles = [await call(backend.submit, make_spec(job_id=f"many-{i}")) for i in range(jobs)]
        informer = backend.informers.informer(JOBS_KIND)
        await until(lambda: all(informer.get(h["name"]) is not None for h in handles))
        before = api_requests(cluster)
        for _ in range(3):  # three reconcile passes over every job
            for handle in handles:
                assert (await call(backend.status, handle)).phase == JobPhase.STARTING
        assert api_requests(cluster) == before
        # an unchanged job is looked at again after a while that grows with the number of jobs
        assert backend.revisit_seconds() == max(backend.log_poll_seconds, jobs / backend.job_reads_per_second)
    finally:
        await call(backend.stop_watching)


async def running_rows(cluster, backend, prefix: str, n: int):
    """``n`` submitted jobs the cache has seen, a lifecycle over them, and their rows as a pass gets them."""
    handles = [await call(backend.submit, make_spec(job_id=f"{prefix}-{i}")) for i in range(n)]
    informer = backend.informers.informer(JOBS_KIND)
    await until(lambda: all(informer.get(h["name"]) is not None for h in handles))
    jobs = JobLifecycle({backend.name: backend}, SimpleNamespace(usage_sample_seconds=5.0, stop_grace_seconds=1.0))
    rows = [SimpleNamespace(id=h["job_id"], backend=backend.name, handle=h, status="RUNNING", updated_at=None)
            for h in handles]
    return jobs, handles, rows


async def fail_and_wait(cluster, backend, name: str) -> None:
    """The Job fails in the cluster; returns once the caches have seen it and a pass would recheck."""
    before = backend.changes_seen()
    cluster.set_status(JOBS, name, {"failed": 1, "conditions": [
        {"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded"}]})
    await until(lambda: backend.changes_seen() > before)
    await asyncio.sleep(RECHECK_SECONDS)


@pytest.mark.asyncio
async def test_a_job_that_changes_during_a_pass_is_stepped_next(cluster):
    """A pass of first looks at many jobs (after a restart: each a log read) takes the job
    whose objects change during it next, instead of after everyone else's logs."""
    backend, _ = await watching(cluster)
    try:
        jobs, handles, rows = await running_rows(cluster, backend, "turn", 12)
        order = jobs.in_turn(rows)
        await asyncio.sleep(RECHECK_SECONDS)
        assert [next(order), next(order)] == rows[:2]  # nothing changed: in their order
        await fail_and_wait(cluster, backend, handles[10]["name"])
        assert next(order) is rows[10]
        assert (await call(backend.status, handles[10])).phase == JobPhase.FAILED
        assert list(order) == rows[2:10] + rows[11:]  # the rest in their order, none twice
    finally:
        await call(backend.stop_watching)


@pytest.mark.asyncio
async def test_a_job_looked_at_a_moment_ago_that_changes_during_a_pass_is_stepped_in_it(cluster):
    """The periodic looks at unchanged jobs' logs make a long pass; a job that was not due
    when it began (looked at a moment ago) and changes during it is stepped next, not
    after the pass."""
    backend, _ = await watching(cluster, log_poll_seconds=600)
    try:
        jobs, handles, rows = await running_rows(cluster, backend, "quiet", 6)
        quiet = rows[5]  # stepped a moment ago: its next look ten minutes away
        jobs.looked_at(quiet, backend.change_mark(quiet.handle))
        order = jobs.in_turn(rows)
        assert next(order) is rows[0]
        await fail_and_wait(cluster, backend, handles[5]["name"])
        assert next(order) is quiet
        assert list(order) == rows[1:5]
        # a job stepped earlier in the pass that changes afterwards is stepped again in it
        order = jobs.in_turn(rows[:3])
        first = next(order)
        await fail_and_wait(cluster, backend, first.handle["name"])
        assert next(order) is first
    finally:
        await call(backend.stop_watching)


@pytest.mark.asyncio
async def test_usage_of_many_jobs_comes_from_one_metrics_list(cluster):
    backend, _ = await watching(cluster)
    try:
        cluster.emulator.resources[kube_fixtures.POD_METRICS] = {}
        handles = [await call(backend.submit, make_spec(job_id=f"use-{i}")) for i in range(4)]
        for h in handles:
            cluster.add_pod(f"{h['name']}-p", cluster.get(JOBS, h["name"]))
            cluster.emulator.objects[kube_fixtures.POD_METRICS, kube_fixtures.NAMESPACE, f"{h['name']}-p"] = {
                "metadata": {"name": f"{h['name']}-p", "namespace": kube_fixtures.NAMESPACE},
                "containers": [{"name": "c", "usage": {"cpu": "500m", "memory": "1Gi"}}]}
        pods = backend.informers.informer(PODS_KIND)
        await until(lambda: all(pods.get(f"{h['name']}-p") is not None for h in handles))
        before = len(cluster.requests("GET", r"/apis/metrics\.k8s\.io/"))
        usages = [await call(backend.usage, h) for h in handles]
        assert [u.cpu_percent for u in usages] == [pytest.approx(50.0)] * 4
        assert len(cluster.requests("GET", r"/apis/metrics\.k8s\.io/")) == before + 1
    finally:
        await call(backend.stop_watching)


@pytest.mark.asyncio
async def test_a_dropped_watch_is_listed_again_and_misses_nothing(cluster):
    backend, wakes = await watching(cluster)
    try:
        jobs = backend.informers.informer(JOBS_KIND)
        handle = await call(backend.submit, make_spec(job_id="relist-1"))
        name = handle["name"]
        await until(lambda: jobs.get(name) is not None)
        lists = jobs.lists
        # the next watch of Jobs is refused as too old (410 Gone), as an API server does after compaction
        cluster.emulator[kmock.action.WATCH, kmock.resource(JOBS)][:1] << kmock.KubernetesError(
            status=410, reason="Expired", message="too old resource version")
        jobs.drop_watch()  # the open watch drops
        # a change while no watch runs: only a new LIST can see it
        cluster.emulator.objects[JOBS, kube_fixtures.NAMESPACE, name].patch(
            {"status": {"failed": 1, "conditions": [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded"}]}})
        await until(lambda: jobs.lists > lists)
        await until(lambda: (jobs.get(name).get("status") or {}).get("failed") == 1)
        assert jobs.synced
        assert (await call(backend.status, handle)).phase == JobPhase.FAILED
    finally:
        await call(backend.stop_watching)


@pytest.mark.asyncio
async def test_without_watching_every_status_read_asks_the_api(cluster):
    backend = backend_for(cluster, watch=False)
    handle = await call(backend.submit, make_spec(job_id="polled-1"))
    before = api_requests(cluster)
    await call(backend.status, handle)
    assert api_requests(cluster) == before + 2  # the Job, its pods
    assert backend.change_mark(handle) is None and backend.revisit_seconds() == 0.0

"""What the endpoint reconciler reads every tick (``resource_work``, ``endpoint_work``):
the rows again only when a stage resource, stage or endpoint was written, added or
removed since the last read; otherwise the last answer, for two small numbers per table."""
from __future__ import annotations

import pytest
from sqlalchemy import delete, update

from jupyter_easymaker.areas import AREAS
from jupyter_easymaker.areas.endpoints.statuses import EndpointStatus, StageResourceStatus, StageStatus
from jupyter_easymaker.areas.endpoints.tables import Endpoint, EndpointStage, StageResource
from jupyter_easymaker.core.platform import Platform
from jupyter_easymaker.core.settings import Settings
from tests.change_counts import ChangeCounts


@pytest.fixture
def endpoints(tmp_path):
    platform = Platform(Settings(data_dir=str(tmp_path / "data"), local_roots=[str(tmp_path)]), AREAS)
    service = platform.service("endpoints")
    with platform.db.session() as session:
        for i in range(2):
            session.add(Endpoint(id=f"ep-{i}", name=f"ep-{i}", status=EndpointStatus.ACTIVE, default_stage_id=f"st-{i}"))
            session.add(EndpointStage(id=f"st-{i}", endpoint_id=f"ep-{i}", name="default", status=StageStatus.ACTIVE))
            session.add(StageResource(id=f"rs-{i}", endpoint_id=f"ep-{i}", stage_id=f"st-{i}", model_id="m", model_name="m",
                                      status=StageResourceStatus.ACTIVE, handle={"pid": i}))
    yield service
    service.gateway.process.stop()
    platform.db.close()


def test_the_resources_are_read_again_only_after_a_write(endpoints):
    first = endpoints.resource_work()
    assert [(rid, status) for rid, status, *_ in first] == [("rs-0", StageResourceStatus.ACTIVE),
                                                             ("rs-1", StageResourceStatus.ACTIVE)]
    assert endpoints.resource_work() is first  # nothing written: the last answer
    with endpoints.db.session() as session:
        session.execute(update(StageResource).where(StageResource.id == "rs-1")
                        .values(status=StageResourceStatus.DELETE_IN_PROGRESS))
    second = endpoints.resource_work()
    assert second is not first and second[1][1] == StageResourceStatus.DELETE_IN_PROGRESS
    with endpoints.db.session() as session:
        session.execute(delete(StageResource).where(StageResource.id == "rs-1"))
    assert [rid for rid, *_ in endpoints.resource_work()] == ["rs-0"]


def test_endpoints_and_stages_are_read_again_after_a_write_to_either(endpoints):
    first = endpoints.endpoint_work()
    assert [e.id for e in first[0]] == ["ep-0", "ep-1"] and len(first[1]) == 2
    assert endpoints.endpoint_work() is first
    with endpoints.db.session() as session:
        session.execute(update(EndpointStage).where(EndpointStage.id == "st-0").values(status=StageStatus.DEPLOY_IN_PROGRESS))
    second = endpoints.endpoint_work()
    assert second is not first and {s.id: s.status for s in second[1]}["st-0"] == StageStatus.DEPLOY_IN_PROGRESS
    with endpoints.db.session() as session:
        session.execute(update(Endpoint).where(Endpoint.id == "ep-1").values(status=EndpointStatus.UPDATE_IN_PROGRESS))
    assert {e.id: e.status for e in endpoints.endpoint_work()[0]}["ep-1"] == EndpointStatus.UPDATE_IN_PROGRESS


class WatchedServers(ChangeCounts):
    """What of a watching serving backend the reconciler's ticks ask: its change counts,
    each server's state when polled and its usage when sampled (each call noted)."""

    name = "watched"
    key = "server_id"
    autoscales_itself = True

    def __init__(self):
        super().__init__()
        self.polled, self.sampled, self.ready = [], [], True

    def status(self, handle):
        from jupyter_easymaker.backend.serving.base import PodState, ServerPhase, ServerState

        self.polled.append(handle["server_id"])
        pod = PodState("p", self.ready, f"http://127.0.0.1:{9000 + handle['pid']}")
        return ServerState(ServerPhase.READY if self.ready else ServerPhase.STARTING, pods=[pod], desired=1)

    def usage(self, handle):
        self.sampled.append(handle["server_id"])
        return []


def test_ticks_over_settled_endpoints_read_nothing_until_something_moves_or_falls_due(endpoints, monkeypatch):
    import asyncio
    import time

    from jupyter_easymaker.areas.endpoints import reconciler as module

    # an unchanged watched server is polled once an hour here, so that no such poll falls in the test
    monkeypatch.setattr(module, "UNCHANGED_POLL_SECONDS", 3600.0)
    with endpoints.db.session() as session:
        for i in range(2):
            session.execute(update(StageResource).where(StageResource.id == f"rs-{i}")
                            .values(backend="watched", handle={"pid": i, "server_id": f"rs-{i}"}))
    reconciler = module.EndpointReconciler(endpoints.platform)
    servers = reconciler.backends["watched"] = WatchedServers()
    passes = []
    read = endpoints.resource_work
    endpoints.resource_work = lambda: passes.append(time.monotonic()) or read()

    def tick():
        asyncio.run(reconciler.reconcile_once())

    def ticks_until(condition, seconds):
        deadline = time.monotonic() + seconds
        while not condition() and time.monotonic() < deadline:
            tick()
            time.sleep(0.05)
        return condition()

    tick()  # the first pass polls and samples both servers
    assert sorted(servers.polled) == ["rs-0", "rs-1"] and sorted(servers.sampled) == ["rs-0", "rs-1"]
    endpoints.settings.usage_sample_seconds = 1e6  # no sample falls due by chance below
    # then nothing moves and nothing is due before the next whole second: ticks read nothing
    time.sleep(max(0.0, module.next_on_grid(time.monotonic(), 1.0) - time.monotonic() - 0.9))
    n = len(passes)
    for _ in range(3):
        tick()
    assert len(passes) <= n + 1  # at most the pass the store check asks for at a grid boundary
    servers.polled.clear()

    # a watched object of rs-1 changes: a pass polls it (on the one-second grid), not rs-0
    servers.change("rs-1")
    assert ticks_until(lambda: servers.polled, 2.0) and servers.polled == ["rs-1"]
    # changed again at once: the pass that sees it cannot poll it before the next grid step, which does
    servers.polled.clear()
    servers.change("rs-1")
    assert ticks_until(lambda: servers.polled, 2.0) and servers.polled == ["rs-1"]

    # an event (a write through the API): the next tick is a pass; events of other kinds are no concern
    n = len(passes)
    tick()
    assert len(passes) == n  # settled again
    endpoints.events.publish("training", "t-1", change="logs")
    tick()
    assert len(passes) == n
    endpoints.events.publish("endpoint", "ep-0", change="updated")
    tick()
    assert len(passes) == n + 1

    # usage samples fall due on a grid: both servers are sampled in the same pass
    servers.sampled.clear()
    endpoints.settings.usage_sample_seconds = 1.0
    endpoints.events.publish("endpoint", "ep-0", change="updated")  # a pass, which sees the new period
    assert ticks_until(lambda: servers.sampled, 2.0) and sorted(servers.sampled) == ["rs-0", "rs-1"]
    endpoints.settings.usage_sample_seconds = 1e6

    # a resource on its way (servers starting, which publishes nothing) keeps every tick a pass
    servers.ready = False
    with endpoints.db.session() as session:
        session.execute(update(StageResource).where(StageResource.id == "rs-0")
                        .values(status=StageResourceStatus.CREATE_IN_PROGRESS))
    endpoints.events.publish("stage resource", "rs-0", change="status")
    n = len(passes)
    for _ in range(3):
        tick()
    assert len(passes) == n + 3
    # ready: ACTIVE (a status event, so one more pass), then settled
    servers.ready = True
    tick()
    with endpoints.db.session() as session:
        assert session.get(StageResource, "rs-0").status == StageResourceStatus.ACTIVE
    tick()
    n = len(passes)
    tick()
    assert len(passes) == n

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

"""What each kind of running work holds, as the dashboard counts it: rows in
the statuses where a backend runs them (stored as the services store them,
on a platform without a controller, so nothing moves them meanwhile)."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from jupyter_easymaker.areas import AREAS
from jupyter_easymaker.backend.base import InstanceType
from jupyter_easymaker.core.platform import Platform
from jupyter_easymaker.core.settings import DEFAULT_INSTANCE_TYPES, Settings


class Capacity:
    """A backend that reports no capacity: the dashboard sums what is held."""

    def capabilities(self) -> dict:
        return {"name": "local"}


@pytest.fixture
def platform(tmp_path):
    types = {**DEFAULT_INSTANCE_TYPES, "gpu-2": InstanceType(name="gpu-2", cpu=8, memory_mib=32768, gpu=2)}
    settings = Settings(data_dir=str(tmp_path / "data"), local_roots=[str(tmp_path)], instance_types=types)
    svc = Platform(settings, AREAS, {"local": Capacity()})
    yield svc
    svc.db.close()


def test_every_kind_of_running_work_is_counted_by_instance_type(platform):
    from jupyter_easymaker.areas.batch.tables import BatchInference
    from jupyter_easymaker.areas.endpoints.tables import Endpoint, EndpointStage, StageResource
    from jupyter_easymaker.areas.experiments.tables import Experiment
    from jupyter_easymaker.areas.llm.tables import LlmModel
    from jupyter_easymaker.areas.pipelines.tables import PipelineRun, PipelineTaskJob
    from jupyter_easymaker.areas.rag.tables import RagIngestion
    from jupyter_easymaker.areas.tuning.tables import HpoTrial, HyperparameterTuning

    for name in ("batch", "endpoints", "llm", "pipelines", "rag", "tuning", "trainings", "evaluations"):
        platform.service(name)
    handle = {"job": "x"}
    with platform.db.session() as s:
        s.add(Experiment(id="e1", name="e", status="ACTIVE"))
        s.flush()
        s.add(HyperparameterTuning(id="h1", name="h", status="RUNNING", experiment_id="e1",
                                   spec={"instance_type": "cpu-2"}))
        s.flush()
        s.add_all([
            HpoTrial(id="t1", tuning_id="h1", number=0, optuna_trial_id=0, name="h-trial-0", status="RUNNING", handle=handle),
            HpoTrial(id="t2", tuning_id="h1", number=1, optuna_trial_id=1, name="h-trial-1", status="SUCCEEDED", handle=handle),
            HpoTrial(id="t3", tuning_id="h1", number=2, optuna_trial_id=2, name="h-trial-2", status="RUNNING"),  # not submitted
            BatchInference(id="b1", name="b", status="RUNNING", model_id="m", handle=handle,
                           spec={"instance_type": "cpu-4", "nodes": 2}),
            BatchInference(id="b2", name="b-waiting", status="CREATE REQUESTED", model_id="m", spec={"instance_type": "cpu-4"}),
            Endpoint(id="ep", name="ep", status="ACTIVE"),
            LlmModel(id="l1", name="tuned", status="TRAINING", handle=handle, spec={"instance_type": "gpu-2"}),
            LlmModel(id="l2", name="smol", status="RUNNING", server_handle={"server_id": "s"}, loaded={"instance_type": "gpu-1"}),
            LlmModel(id="l3", name="idle", status="TRAINED"),
            PipelineRun(id="r1", name="run", status="RUNNING", experiment_id="e1", handle=handle, spec={"instance_type": "cpu-4"}),
            RagIngestion(id="i1", name="rag-ingest", status="RUNNING", rag_id="g", handle=handle, spec={}),
        ])
        s.flush()
        s.add(EndpointStage(id="st", endpoint_id="ep", name="default", status="ACTIVE",
                            spec={"instance_type": "cpu-2", "instance_count": 2}))
        s.add(PipelineTaskJob(id="k1", name="run-add-1", status="RUNNING", run_id="r1", request="a.json", task_id="add",
                              handle=handle, spec={"instance_type": "cpu-4"}))
        s.flush()
        s.add_all([StageResource(id=f"sr{i}", endpoint_id="ep", stage_id="st", model_id="m", model_name="m", status="ACTIVE")
                   for i in (1, 2)])
    with platform.db.session() as s:
        for rid, cpu in (("sr1", 30.0), ("sr2", 25.0), ("t1", 40.0), ("b1", 10.0)):
            platform.logs.add_sample(s, rid, SimpleNamespace(cpu_percent=cpu, memory_bytes=1 << 20, gpu_percent=None,
                                                             gpu_memory_bytes=None))
        platform.logs.add_sample(s, "l2", SimpleNamespace(cpu_percent=5.0, memory_bytes=1 << 20, gpu_percent=70.0,
                                                          gpu_memory_bytes=1 << 30))

    dashboard = platform.service("dashboard")
    held = {(h.kind, h.name): h for h in dashboard.holding()}
    assert set(held) == {("trial", "h-trial-0"), ("batch inference", "b"), ("endpoint stage", "ep/default"),
                         ("llm model", "tuned"), ("llm model server", "smol"), ("pipeline task", "run-add-1"),
                         ("rag ingestion", "rag-ingest")}
    assert held[("batch inference", "b")].units == 2 and held[("endpoint stage", "ep/default")].units == 2
    assert held[("rag ingestion", "rag-ingest")].instance_type == "cpu-1"  # the default type

    usage = dashboard.usage(dashboard.holding())
    rows = {r["instance_type"]: r for r in usage["by_instance_type"]}
    assert rows["cpu-2"]["by_kind"] == {"trial": 1, "endpoint stage": 1} and rows["cpu-2"]["cpu"] == 2 + 2 * 2
    assert rows["cpu-4"]["by_kind"] == {"batch inference": 1, "pipeline task": 1} and rows["cpu-4"]["cpu"] == 4 * 2 + 4
    assert rows["gpu-2"]["by_kind"] == {"llm model": 1} and rows["gpu-1"]["by_kind"] == {"llm model server": 1}
    assert usage["gpu"]["used"] == 3
    # a stage's usage is its pods' together; the busiest CPU resource is the stage, the GPU one the model server
    resources = {r["name"]: r for r in usage["resources"]}
    assert resources["ep/default"]["cpu_percent"] == 55.0 and resources["ep/default"]["memory_bytes"] == 2 << 20
    assert not resources["run-add-1"]["sampled"]
    top = {t["core_type"]: t for t in usage["top_by_core_type"]}
    assert (top["CPU"]["name"], top["CPU"]["metric"], top["CPU"]["value"]) == ("ep/default", "cpu_percent", 55.0)
    assert (top["GPU"]["name"], top["GPU"]["metric"], top["GPU"]["value"]) == ("smol", "gpu_percent", 70.0)

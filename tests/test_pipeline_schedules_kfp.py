"""Pipeline schedules with a Kubeflow Pipelines API server configured: a schedule
is a KFP recurring run (created through the official kfp.Client against an
in-process v2beta1 API server whose shapes are checked against kfp_server_api's
models), disabled / enabled / deleted with it, and the runs KFP starts for it are
recorded once each as the schedule's runs and mirrored like any run there; the
server's own timer starts none."""
from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from jupyter_easymaker.areas import AREAS
from jupyter_easymaker.core.errors import DomainError
from jupyter_easymaker.core.platform import Platform
from jupyter_easymaker.core.settings import Settings

pytest.importorskip("kfp", reason="kfp is not installed: the KFP recurring runs need it")

try:
    from tests.kfp_api_fake import FakeKfpServer, task_detail
except ImportError:
    from kfp_api_fake import FakeKfpServer, task_detail

SHARED = Path(os.environ.get("EASYMAKER_SHARED_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data")
ADD_NUMBERS = SHARED / "kfp-ir" / "valid" / "add_numbers.yaml"
needs_data = pytest.mark.skipif(not ADD_NUMBERS.is_file(), reason=f"the compiled KFP pipelines are not here ({ADD_NUMBERS.parent})")


@pytest.fixture
def kfp_platform(tmp_path, monkeypatch):
    import kfp.client.client as kfp_client

    monkeypatch.setattr(kfp_client.Client, "_LOCAL_KFP_CONTEXT", str(tmp_path / "kfp-context.json"))
    with FakeKfpServer(token="kfp-token") as kfp_api:
        settings = Settings(data_dir=str(tmp_path / "data"), local_roots=[str(tmp_path)], area_options={
            "pipelines": {"kfp_api_url": kfp_api.url, "kfp_token": "kfp-token"},
            "pipeline_schedules": {"recurring_poll_seconds": 0}})
        platform = Platform(settings, AREAS, {"local": object()})
        try:
            yield platform, kfp_api
        finally:
            platform.close()
            platform.db.close()
        assert kfp_api.unhandled == [], kfp_api.unhandled


@needs_data
def test_a_schedule_is_a_kfp_recurring_run_and_its_runs_are_recorded(kfp_platform):
    platform, kfp_api = kfp_platform
    pipelines, schedules = platform.service("pipelines"), platform.service("pipeline_schedules")
    runs = pipelines.runs
    pipelines.create({"name": "add", "filename": "add_numbers.yaml", "content": ADD_NUMBERS.read_text()})
    pipelines.draw_pending()
    start = datetime.now(UTC) - timedelta(hours=1)  # the server's own timer would start runs at once
    schedules.create({"name": "every-min", "pipeline_name": "add", "experiment_name": "sched-kfp",
                      "parameters": {"a": 1, "b": 2}, "max_concurrency": 2, "catch_up": False, "start_at": start.isoformat(),
                      "trigger": {"type": "cron", "expression": "30 * * * * *"}})
    schedules.tick()
    created = schedules.get("every-min")
    assert created.status == "ENABLED" and created.fired_by.startswith("recurring run ") and runs.remote_rows() == [], created
    assert kfp_api.recurring_runs, (created.last_error, created.fired_by)
    (recurring,) = kfp_api.recurring_runs.values()
    # the 6-field cron as it is, the pipeline inline, the parameters, concurrency and catch-up
    assert recurring["trigger"]["cron_schedule"]["cron"] == "30 * * * * *"
    assert recurring["trigger"]["cron_schedule"]["start_time"].startswith(start.strftime("%Y-%m-%dT%H:%M:%S"))
    assert recurring["runtime_config"]["parameters"] == {"a": 1, "b": 2}
    assert (recurring["max_concurrency"], recurring["no_catchup"], recurring["mode"]) == ("2", True, "ENABLE")
    assert recurring["pipeline_spec"]["pipelineInfo"]["name"]
    assert created.fired_by == f"recurring run {recurring['recurring_run_id']} on Kubeflow Pipelines"
    [experiment] = kfp_api.experiments.values()
    assert experiment["display_name"] == "sched-kfp" and recurring["experiment_id"] == experiment["experiment_id"]

    # disable / enable switch the recurring run's mode
    schedules.disable("every-min")
    assert recurring["mode"] == "DISABLE"
    schedules.enable("every-min")
    assert recurring["mode"] == "ENABLE"

    # a run KFP started is recorded once as the schedule's run, then mirrored
    fired_at = datetime(2030, 1, 2, 3, 4, 30, tzinfo=UTC)
    remote = kfp_api.fire(recurring["recurring_run_id"], fired_at)
    schedules.tick()
    schedules.tick()
    (run,) = schedules.runs("every-min").items
    assert run["remote_run_id"] == remote["run_id"] and run["schedule_id"] == created.id and run["backend"] == "kfp"
    assert run["status"] == "CREATE IN PROGRESS" and run["parameters"] == {"a": 1, "b": 2}
    kfp_api.set_run(remote["run_id"], "SUCCEEDED", tasks=[
        task_detail("root", "add-numbers", "SUCCEEDED", started_at=fired_at, ended_at=fired_at),
        task_detail("t1", "add-numbers", "SUCCEEDED", started_at=fired_at, ended_at=fired_at, parent_task_id="root")])
    for row in runs.remote_rows():
        runs.remote_step(row)
    done = runs.get(run["name"])
    assert done.status == "COMPLETE" and [(t.task_id, t.state) for t in runs.tasks(run["name"]).items] == \
        [("add-numbers", "SUCCEEDED")]
    assert not kfp_api.received("POST", "/apis/v2beta1/runs")  # nothing was submitted by this server
    after = schedules.get("every-min")
    assert after.run_count == 1 and after.last_run_name == run["name"] and after.last_scheduled_at == fired_at

    # deleted with the schedule (its runs stay, here and there)
    schedules.delete("every-min")
    assert kfp_api.recurring_runs == {} and remote["run_id"] in kfp_api.runs


@needs_data
def test_an_unreachable_kfp_server_leaves_the_schedule_as_it_was(kfp_platform):
    platform, kfp_api = kfp_platform
    pipelines, schedules = platform.service("pipelines"), platform.service("pipeline_schedules")
    pipelines.create({"name": "add", "filename": "add_numbers.yaml", "content": ADD_NUMBERS.read_text()})
    pipelines.draw_pending()
    schedules.create({"name": "hourly", "pipeline_name": "add", "experiment_name": "sched-kfp",
                      "parameters": {"a": 1, "b": 2}, "trigger": {"type": "interval", "every": 2, "unit": "hours"}})
    schedules.tick()
    (recurring,) = kfp_api.recurring_runs.values()
    assert recurring["trigger"]["periodic_schedule"]["interval_second"] == "7200"
    kfp_api.fail_next("POST", "/apis/v2beta1/recurringruns/", 14, "unavailable")
    with pytest.raises(DomainError) as refused:
        schedules.disable("hourly")
    assert refused.value.http_status == 502 and "could not be suspended" in str(refused.value)
    assert schedules.get("hourly").status == "ENABLED" and recurring["mode"] == "ENABLE"

"""The platform's rules, through a real server: areas load on first use
(a request that arrives first waits for its area), store work never blocks
the event loop, a job's log management setting is honoured, and the logType
of structured logs is configurable."""
from __future__ import annotations

import asyncio
import time

import pytest
from tests.server_config import with_options

SCRIPT = "import time\nfor step in range(3):\n    print(f'step={step} loss={1.0 / (step + 1):.3f}')\n    time.sleep(0.05)\n"


@pytest.fixture
def jp_server_config(jp_server_config):
    return with_options(jp_server_config, log_type="NHNCloud-AIEasyMaker")


def platform_of(jp_serverapp):
    return jp_serverapp.web_app.settings["easymaker"]


async def test_areas_load_on_first_use(api, jp_serverapp):
    platform = platform_of(jp_serverapp)
    await api.get("")  # the handshake loads no area
    assert "models" not in platform.loaded()
    page = await api.get("models")  # the first request of an area waits for it, then answers
    assert page["total"] == 0
    assert "models" in platform.loaded()
    assert "batch" not in platform.loaded()  # nothing else came with it


async def test_store_work_does_not_block_the_event_loop(api, jp_serverapp, jp_fetch):
    """A slow store call of one request leaves the server answering others (its
    handler runs in a worker thread)."""
    trainings = platform_of(jp_serverapp).service("trainings")
    original = trainings.list

    def slow_list(*args, **kwargs):
        time.sleep(1.0)
        return original(*args, **kwargs)

    trainings.list = slow_list
    try:
        slow = asyncio.ensure_future(api.get("trainings"))
        await asyncio.sleep(0.1)
        start = time.monotonic()
        response = await jp_fetch("api", "status")
        answered = time.monotonic() - start
        assert response.code == 200
        assert answered < 0.5, f"/api/status took {answered:.2f} s while a list request slept in the store"
        assert (await slow)["total"] == 0
    finally:
        del trainings.list


async def test_log_management_off_keeps_metrics_but_no_log_records(api, write_script):
    source = write_script(SCRIPT)
    body = {"name": "quiet", "experiment_name": "e", "log_enabled": False,
            "algorithm": {"type": "custom", "source_dir": source, "entry_point": "train.py"}}
    await api.post("trainings", body, expect=201)
    done = await api.wait_status("quiet")
    assert done["status"] == "COMPLETE"
    assert (await api.get("trainings/quiet/logs"))["records"] == []
    metrics = (await api.get("trainings/quiet/metrics"))["metrics"]
    assert [m["last"] for m in metrics if m["name"] == "loss"] == [pytest.approx(0.333)]


async def test_log_management_off_for_a_tuning(api, write_script):
    source = write_script(SCRIPT)
    await api.post("hyperparameter-tunings", {
        "name": "quiet-hpo", "experiment_name": "e", "log_enabled": False, "strategy": "Random", "random_seed": 0,
        "algorithm": {"type": "custom", "source_dir": source, "entry_point": "train.py"},
        "parameters": [{"name": "x", "type": "double", "min": 0, "max": 1}],
        "objective_metric": "loss", "goal": "minimize", "max_trials": 2,
    }, expect=201)
    deadline = time.monotonic() + 60
    while (tuning := await api.get("hyperparameter-tunings/quiet-hpo"))["status"] not in ("COMPLETE", "FAIL HYPERPARAMETER TUNING"):
        assert time.monotonic() < deadline, tuning
        await asyncio.sleep(0.2)
    assert tuning["status"] == "COMPLETE", tuning
    assert tuning["best_trial"]["objective_value"] == pytest.approx(0.333)  # the metrics still reached the study
    trials = (await api.get("hyperparameter-tunings/quiet-hpo/trials"))["items"]
    for trial in trials:
        assert (await api.get(f"hyperparameter-tunings/quiet-hpo/trials/{trial['number']}/logs"))["records"] == []


async def test_log_type_is_configurable(api, write_script):
    source = write_script(SCRIPT)
    await api.post("trainings", {"name": "typed", "experiment_name": "e",
                                 "algorithm": {"type": "custom", "source_dir": source, "entry_point": "train.py"}}, expect=201)
    await api.wait_status("typed")
    records = (await api.get("trainings/typed/logs"))["records"]
    assert records and {r["logType"] for r in records} == {"NHNCloud-AIEasyMaker"}
    found = (await api.get("logs", params={"query": 'logType:NHNCloud-AIEasyMaker category:"easymaker.training"'}))["records"]
    assert len(found) == len(records)

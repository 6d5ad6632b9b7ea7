"""Trainings through the REST API of a real Jupyter server: lifecycle,
validation, guards, stop, time limits and concurrency."""
from __future__ import annotations

import asyncio
import json

from conftest import TERMINAL

HAPPY = "import sys\nprint('args', sys.argv[1:])\nfor i in range(3):\n    print(f'step={i} loss={1.0 / (i + 1)}')\n"


def body(source: str, name: str = "t1", **extra):
    return {"name": name, "experiment_name": "exp", "algorithm": {"type": "custom", "source_dir": source, "entry_point": "train.py"}, **extra}


def statuses(training: dict) -> list[str]:
    return [event["status"] for event in training["history"]]


async def test_complete_path_records_every_status(api, write_script):
    source = write_script(HAPPY)
    await api.post("trainings", body(source, hyperparameters={"epochs": 3, "lr": 0.1}), expect=201)
    done = await api.wait_status("t1")
    assert statuses(done) == ["CREATE REQUESTED", "CREATE IN PROGRESS", "RUNNING", "COMPLETE IN PROGRESS", "COMPLETE"]
    assert done["exit_code"] == 0 and done["elapsed_seconds"] is not None
    logs = await api.get("trainings/t1/logs")
    assert any("args ['--epochs', '3', '--lr', '0.1']" in r["body"] for r in logs["records"])
    assert all(r["category"] == "easymaker.training" and r["trainingId"] == done["id"] for r in logs["records"])
    metrics = await api.get("trainings/t1/metrics")
    loss = next(m for m in metrics["metrics"] if m["name"] == "loss")
    assert loss["steps"] == [0, 1, 2] and loss["values"] == [1.0, 0.5, 1 / 3]
    experiment = await api.get("experiments/exp")
    assert experiment["status"] == "ACTIVE" and experiment["training_count"] == 1


async def test_failing_code_ends_in_fail_train(api, write_script):
    source = write_script("print('about to fail')\nraise SystemExit(3)\n")
    await api.post("trainings", body(source), expect=201)
    done = await api.wait_status("t1")
    assert statuses(done)[-2:] == ["FAIL TRAIN IN PROGRESS", "FAIL TRAIN"]
    assert done["exit_code"] == 3 and "3" in done["status_reason"]


async def test_failed_preparation_is_create_failed(api, write_script):
    source = write_script(HAPPY)
    with open(f"{source}/requirements.txt", "w") as fh:
        fh.write("this-package-does-not-exist-anywhere==0.0.0\n")
    await api.post("trainings", body(source), expect=201)
    done = await api.wait_status("t1", timeout=120)
    assert done["status"] == "CREATE FAILED", done
    assert "requirements" in done["status_reason"]


async def test_instance_types_fit_the_host_and_more_than_it_is_create_failed(api, write_script):
    # the server's types are cut to what the local backend may hand out (64 CPUs here, no GPU)
    types = {t["name"]: t for t in (await api.get("instance-types"))["items"]}
    assert {"cpu-1", "cpu-2", "cpu-64"} <= set(types) and not any(t["gpu"] for t in types.values())
    assert max(t["cpu"] for t in types.values()) == 64
    await api.post("trainings", body(source := write_script(HAPPY), instance_type="gpu-1"), expect=422)
    await api.post("trainings", body(source, instance_type="cpu-64", nodes=2), expect=201)
    done = await api.wait_status("t1")
    assert done["status"] == "CREATE FAILED" and "CPU" in done["status_reason"]


async def test_env_contract(api, write_script, tmp_path):
    data = tmp_path / "data" / "train"
    data.mkdir(parents=True)
    source = write_script(
        "import json, os\n"
        "keys = ['EM_SOURCE_DIR','EM_ENTRY_POINT','EM_DATASET_TRAIN','EM_DATASETS','EM_MODEL_DIR','EM_CHECKPOINT_INPUT_DIR',"
        "'EM_CHECKPOINT_DIR','EM_HPS','EM_TENSORBOARD_LOG_DIR','EM_REGION','EM_APPKEY','EM_HP_LEARNING_RATE']\n"
        "print('ENV ' + json.dumps({k: os.environ.get(k) for k in keys}))\n"
        "open(os.path.join(os.environ['EM_MODEL_DIR'], 'model.txt'), 'w').write('ok')\n"
    )
    await api.post("trainings", body(source, hyperparameters={"learning-rate": "0.01"}, datasets=[{"name": "train", "path": str(data)}]), expect=201)
    done = await api.wait_status("t1")
    assert done["status"] == "COMPLETE"
    logs = await api.get("trainings/t1/logs")
    import json

    env = json.loads(next(r["body"] for r in logs["records"] if r["body"].startswith("ENV "))[4:])
    assert env["EM_SOURCE_DIR"] == source and env["EM_ENTRY_POINT"] == "train.py"
    assert env["EM_DATASET_TRAIN"] == str(data) and json.loads(env["EM_DATASETS"]) == {"train": str(data)}
    assert json.loads(env["EM_HPS"]) == {"learning-rate": "0.01"} and env["EM_HP_LEARNING_RATE"] == "0.01"
    assert env["EM_MODEL_DIR"] == done["model_dir"] and env["EM_TENSORBOARD_LOG_DIR"] == done["tensorboard_log_dir"]
    assert env["EM_CHECKPOINT_DIR"] and env["EM_REGION"] == "local"
    with open(f"{done['model_dir']}/model.txt") as fh:
        assert fh.read() == "ok"


async def test_stop_running_training(api, write_script):
    source = write_script("import time\nprint('started', flush=True)\ntime.sleep(60)\n")
    await api.post("trainings", body(source), expect=201)
    await api.wait_status("t1", "RUNNING")
    stopped = await api.post("trainings/t1/stop", expect=200)
    assert stopped["status"] == "STOP IN PROGRESS"
    done = await api.wait_status("t1", timeout=20)
    assert done["status"] == "STOPPED"
    assert statuses(done)[-2:] == ["STOP IN PROGRESS", "STOPPED"]
    again = await api.post("trainings/t1/stop", expect=409)
    assert again["field"] == "status"


async def test_max_run_time_ends_the_training(api, write_script):
    source = write_script("import time\nprint('working', flush=True)\ntime.sleep(60)\n")
    await api.post("trainings", body(source, max_run_seconds=1), expect=201)
    done = await api.wait_status("t1", timeout=20)
    assert done["status"] == "FAIL TRAIN" and "maximum" in done["status_reason"]
    assert done["elapsed_seconds"] < 10


async def test_data_storage_reaches_the_job(api, write_script, easymaker_data):
    source = write_script("import os\nprint('tmp', os.environ['TMPDIR'], flush=True)\n")
    created = await api.post("trainings", body(source, data_storage_gb=1), expect=201)
    assert created["spec"]["data_storage_gb"] == 1
    done = await api.wait_status("t1")
    assert done["status"] == "COMPLETE", done
    specs = [json.loads(p.read_text()) for p in easymaker_data.rglob("spec.json")]
    assert [s["data_storage_gb"] for s in specs if s["job_id"] == created["id"]] == [1]
    # the job's temporary files are in its data directory (they count against its data storage)
    text = "\n".join(r["body"] for r in (await api.get("logs", params={"query": f"trainingId:{created['id']}"}))["records"])
    work_dir = next(s["work_dir"] for s in specs if s["job_id"] == created["id"])
    assert f"tmp {work_dir}/tmp" in text, text


async def test_delete_guards(api, write_script):
    source = write_script("import time\ntime.sleep(60)\n")
    await api.post("trainings", body(source), expect=201)
    await api.wait_status("t1", "RUNNING")
    refused = await api.call("DELETE", "trainings/t1", expect=409)
    assert "stop it" in refused["error"]
    experiment = await api.call("DELETE", "experiments/exp", expect=409)
    assert "'t1'" in experiment["error"]
    await api.post("trainings/t1/stop", expect=200)
    await api.wait_status("t1", "STOPPED", timeout=20)
    await api.call("DELETE", "trainings/t1", expect=204)
    await api.get("trainings/t1", expect=404)
    await api.call("DELETE", "experiments/exp", expect=204)


async def test_copy_prefills_a_create_body(api, write_script):
    source = write_script(HAPPY)
    await api.post("trainings", body(source, hyperparameters={"a": 1}, max_run_seconds=600), expect=201)
    copy = await api.get("trainings/t1/copy")
    assert copy["name"] == "t1-copy" and copy["hyperparameters"] == {"a": 1} and copy["max_run_seconds"] == 600
    created = await api.post("trainings", copy, expect=201)
    assert created["spec"] == (await api.get("trainings/t1"))["spec"]


async def test_fifty_concurrent_submissions_are_all_recorded(api, write_script):
    source = write_script("print('ok')\n")
    answers = await asyncio.gather(*(api.call("POST", "trainings", body(source, name=f"c{i}")) for i in range(50)))
    assert len({a["id"] for a in answers}) == 50
    page = await api.get("trainings", params={"limit": "100"})
    assert page["total"] == 50
    for i in range(50):
        done = await api.wait_status(f"c{i}", timeout=120)
        assert done["status"] == "COMPLETE", done


async def test_list_filters_sorting_and_pagination(api, write_script):
    source = write_script("print('ok')\n")
    for name in ("b-run", "a-run", "c-other"):
        await api.post("trainings", body(source, name=name), expect=201)
    for name in ("b-run", "a-run", "c-other"):
        await api.wait_status(name)
    page = await api.get("trainings", params={"sort": "name", "limit": "2"})
    assert [t["name"] for t in page["items"]] == ["a-run", "b-run"] and page["total"] == 3
    page = await api.get("trainings", params={"sort": "name", "offset": "2"})
    assert [t["name"] for t in page["items"]] == ["c-other"]
    page = await api.get("trainings", params={"name": "run", "status": "COMPLETE"})
    assert page["total"] == 2
    page = await api.get("trainings", params={"experiment_id": "exp"})
    assert page["total"] == 3
    bad = await api.get("trainings", params={"sort": "nope"}, expect=422)
    assert bad["field"] == "sort"


async def test_logs_follow_streams_until_the_end(api, write_script):
    source = write_script("import time\nfor i in range(5):\n    print(f'line {i}', flush=True)\n    time.sleep(0.2)\n")
    await api.post("trainings", body(source), expect=201)
    code, text = await api.call("GET", "trainings/t1/logs", params={"follow": "true"}, raw=True)
    assert code == 200
    lines = [line for line in text.splitlines() if line.startswith("data: ") and "line " in line]
    assert len(lines) == 5
    assert "event: end" in text and '"status": "COMPLETE"' in text
    code, text = await api.call("GET", "trainings/t1/logs", params={"format": "text"}, raw=True)
    assert "line 4\n" in text


async def test_rename_training(api, write_script):
    source = write_script(HAPPY)
    await api.post("trainings", body(source), expect=201)
    renamed = await api.call("PATCH", "trainings/t1", {"name": "t2", "description": "better"}, expect=200)
    assert renamed["name"] == "t2" and renamed["description"] == "better"
    refused = await api.call("PATCH", "trainings/t2", {"spec": {}}, expect=422)
    assert refused["field"] == "spec"
    await api.wait_status("t2", TERMINAL)


async def test_copies_and_templates_of_inline_code_outlive_the_original(api):
    files = {"main.py": "import helper\nprint('value', helper.VALUE)\n", "helper.py": "VALUE = 7\n"}
    await api.post("trainings", {"name": "orig", "experiment_name": "exp",
                                 "algorithm": {"type": "custom", "entry_point": "main.py", "source_files": files}}, expect=201)
    await api.wait_status("orig")
    copy = await api.get("trainings/orig/copy")
    assert copy["algorithm"]["source_files"] == files
    await api.post("trainings/orig/template", {"name": "tpl"}, expect=201)
    await api.call("DELETE", "trainings/orig", expect=204)
    await api.post("trainings", copy, expect=201)
    await api.post("trainings", {"name": "from-tpl", "experiment_name": "exp", "template_id": "tpl"}, expect=201)
    for name in (copy["name"], "from-tpl"):
        done = await api.wait_status(name)
        logs = [r["body"] for r in (await api.get(f"trainings/{name}/logs"))["records"]]
        assert done["status"] == "COMPLETE" and "value 7" in logs, logs

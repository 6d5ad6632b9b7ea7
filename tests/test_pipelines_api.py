"""Pipelines and pipeline runs through the REST API of a real server: every
compiled KFP pipeline of the shared ``kfp-ir`` folder uploaded (YAML, JSON,
zip; JSON bodies and multipart forms) and drawn, KFP's invalid files refused
naming the problem, runs on the local backend executing real pipelines
(add_numbers 5 + 5 = 10, a failing one, a stopped one, artifacts), the
guide's deletion rules, copy, task logs, the client and the magics."""
from __future__ import annotations

import asyncio
import base64
import importlib.util
import io
import json
import os
import time
import uuid
import zipfile
from datetime import UTC
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from jupyter_easymaker.areas import AREAS
from jupyter_easymaker.core.errors import Conflict
from jupyter_easymaker.core.platform import Platform
from jupyter_easymaker.core.settings import Settings

try:
    from tests.test_magics import client, line, magics, run, server_url, shell
except ImportError:
    from test_magics import client, line, magics, run, server_url, shell  # noqa: F401 - fixtures

SHARED = Path(os.environ.get("EASYMAKER_SHARED_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data")
KFP_IR = SHARED / "kfp-ir"
needs_data = pytest.mark.skipif(not KFP_IR.is_dir(), reason=f"the compiled KFP pipelines are not here ({KFP_IR}); "
                                                            "set EASYMAKER_SHARED_DATA to the shared data folder")
SETTLED = {"ACTIVE", "CREATE FAILED"}
RUN_FINAL = {"COMPLETE", "FAIL PIPELINE RUN", "STOPPED", "CREATE FAILED"}
INVALID_FIELDS = {"empty_file.yaml": "file", "empty_zip.zip": "file", "invalid-zip.zip": None, "invalid_yaml.yaml": None,
                  "no_name.yaml": "pipelineInfo.name"}


def ir_file(name: str) -> Path:
    return KFP_IR / "valid" / name


def upload_body(path: Path, name: str) -> dict:
    data = path.read_bytes()
    body = {"name": name, "description": f"from {path.name}", "filename": path.name}
    if path.suffix == ".zip":
        body["content_base64"] = base64.b64encode(data).decode()
    else:
        body["content"] = data.decode()
    return body


def multipart(fields: dict[str, str], filename: str, data: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    out = io.BytesIO()
    for key, value in fields.items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode())
    out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
              "Content-Type: application/octet-stream\r\n\r\n".encode())
    out.write(data + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


async def post_form(jp_fetch, fields: dict[str, str], path: Path) -> tuple[int, dict]:
    from tornado.httpclient import HTTPClientError

    body, content_type = multipart(fields, path.name, path.read_bytes())
    try:
        response = await jp_fetch("easymaker", "api", "v1", "pipelines", method="POST", body=body,
                                  headers={"Content-Type": content_type})
    except HTTPClientError as exc:
        return exc.code, json.loads(exc.response.body.decode())
    return response.code, json.loads(response.body.decode())


async def wait_for(api, path: str, statuses: set[str], timeout: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        row = await api.get(path)
        if row["status"] in statuses:
            return row
        assert time.monotonic() < deadline, f"{path} stayed {row['status']} ({row['status_reason']})"
        await asyncio.sleep(0.1)


async def uploaded(api, file: str, name: str) -> dict:
    await api.post("pipelines", upload_body(ir_file(file), name), expect=201)
    pipeline = await wait_for(api, f"pipelines/{name}", SETTLED)
    assert pipeline["status"] == "ACTIVE", pipeline
    return pipeline


async def finished_run(api, name: str, timeout: float = 180.0) -> dict:
    return await wait_for(api, f"pipeline-runs/{name}", RUN_FINAL, timeout)


async def task_map(api, run_name: str) -> dict[str, dict]:
    return {t["task_id"]: t for t in (await api.get(f"pipeline-runs/{run_name}/tasks"))["items"]}


def output_values(task: dict) -> dict:
    outputs = task.get("outputs") or {}
    return outputs.get("parameters") if isinstance(outputs.get("parameters"), dict) else outputs


# -- upload -------------------------------------------------------------------------------------------
@needs_data
async def test_every_shared_pipeline_uploads_and_draws(api, jp_fetch):
    files = sorted((KFP_IR / "valid").iterdir()) + sorted((KFP_IR / "legacy-2.0.0").iterdir())
    names = {}
    for path in files:
        name = ("legacy-" if path.parent.name.startswith("legacy") else "") + path.stem.replace(".", "-")
        if path.suffix in (".zip", ".json"):
            name += path.suffix.replace(".", "-")
        names[path] = name[:50]
    # the zip and two YAML files as multipart forms (the panel's upload), the rest as JSON bodies
    as_form = {KFP_IR / "valid" / "arguments_parameters.zip", KFP_IR / "valid" / "hello_world.yaml",
               KFP_IR / "valid" / "pipeline_with_importer.json"}
    for path, name in names.items():
        if path in as_form:
            code, created = await post_form(jp_fetch, {"name": name, "description": "a form upload"}, path)
            assert code == 201, (path.name, created)
            assert created["description"] == "a form upload"
        else:
            created = await api.post("pipelines", upload_body(path, name), expect=201)
        assert created["status"] in ("CREATE REQUESTED", "CREATE IN PROGRESS", "ACTIVE"), created
        assert created["source_format"] == {".zip": "zip", ".json": "json"}.get(path.suffix, "yaml")
    for path, name in names.items():
        pipeline = await wait_for(api, f"pipelines/{name}", SETTLED)
        assert pipeline["status"] == "ACTIVE", (path.name, pipeline)
        assert [e["status"] for e in pipeline["history"]] == ["CREATE REQUESTED", "CREATE IN PROGRESS", "ACTIVE"]
        graph = await api.get(f"pipelines/{name}/graph")
        assert graph["nodes"], path.name
        ids = {n["id"] for n in graph["nodes"]}
        assert all(e["source"] in ids and e["target"] in ids for e in graph["edges"]), path.name
        assert pipeline["summary"]["task_count"] >= 1 and pipeline["pipeline_name"] and pipeline["sdk_version"].startswith("kfp-")
        code, text = await api.call("GET", f"pipelines/{name}/download", raw=True)
        assert code == 200 and text.startswith("# PIPELINE DEFINITION")
        assert next(yaml.safe_load_all(text))["root"], path.name
    pipeline = await api.get("pipelines/add_numbers")
    assert [(i["name"], i["type"]) for i in pipeline["inputs"]] == [("a", "NUMBER_INTEGER"), ("b", "NUMBER_INTEGER")]
    assert (await api.get("pipelines", params={"limit": "100"}))["total"] == len(names)
    # the JSON upload draws the same graph as its YAML twin
    twin = await api.get("pipelines/pipeline_with_importer/graph")
    assert (await api.get("pipelines/pipeline_with_importer-json/graph"))["nodes"] == twin["nodes"]

    # KFP's invalid files: 400 naming what is wrong; nothing stored
    for path in sorted((KFP_IR / "invalid").iterdir()):
        refused = await api.post("pipelines", upload_body(path, "bad-" + path.stem.replace("_", "-")), expect=400)
        assert refused["error"] and refused.get("field"), (path.name, refused)
        if INVALID_FIELDS.get(path.name):
            assert refused["field"] == INVALID_FIELDS[path.name], (path.name, refused)
    code, refused = await post_form(jp_fetch, {"name": "bad-form"}, KFP_IR / "invalid" / "empty_zip.zip")
    assert code == 400 and refused["field"] == "file", refused
    assert (await api.get("pipelines", params={"limit": "100"}))["total"] == len(names)

    # the body's own rules
    body = upload_body(ir_file("add_numbers.yaml"), "add_numbers")
    assert (await api.post("pipelines", body, expect=409))["field"] == "name"
    assert (await api.post("pipelines", {**body, "name": "bad name!"}, expect=422))["field"] == "name"
    both = {**body, "name": "both", "content_base64": "eA=="}
    assert (await api.post("pipelines", both, expect=422))["field"] == "body"
    not_b64 = {"name": "nb", "filename": "p.zip", "content_base64": "!!!"}
    assert (await api.post("pipelines", not_b64, expect=422))["field"] == "content_base64"
    wrong_type = {**body, "name": "png", "filename": "pipeline.png"}
    assert (await api.post("pipelines", wrong_type, expect=400))["field"] == "file"
    code, refused = await post_form(jp_fetch, {"name": "no-file-name"}, ir_file("add_numbers.yaml"))
    assert code == 201 and refused["filename"] == "add_numbers.yaml"

    # rename, then delete; the folder goes with it
    renamed = await api.call("PATCH", "pipelines/hello_world", {"name": "hello", "description": "echo"}, expect=200)
    assert renamed["name"] == "hello" and renamed["description"] == "echo"
    await api.call("DELETE", "pipelines/hello", expect=204)
    await api.get("pipelines/hello", expect=404)


def test_pipeline_rules_without_the_controller(tmp_path):
    """A pipeline cannot be deleted while it is being created (the guide's rule), and one
    the controller cannot store ends CREATE FAILED with the reason (then it can be deleted)."""
    if not KFP_IR.is_dir():
        pytest.skip(f"the compiled KFP pipelines are not here ({KFP_IR})")
    settings = Settings(data_dir=str(tmp_path / "data"), local_roots=[str(tmp_path)])
    platform = Platform(settings, AREAS, {"local": object()})
    try:
        pipelines = platform.service("pipelines")
        created = pipelines.create(upload_body(ir_file("flip_coin.yaml"), "flip"))
        assert created.status == "CREATE REQUESTED" and created.inputs == []
        with pytest.raises(Conflict, match="a pipeline being created cannot be deleted"):
            pipelines.delete("flip")
        graph = pipelines.graph("flip")  # drawn for the answer before the controller did it
        assert {n["id"] for n in graph.nodes} >= {"flip-coin", "condition-1"}
        assert pipelines.draw_pending() == 1
        assert pipelines.get("flip").status == "ACTIVE"
        assert pipelines.lookup_pipeline("flip")["inputs"] == []
        # where the pipeline's YAML would be stored is taken by a file: CREATE FAILED, and why
        blocked = pipelines.create(upload_body(ir_file("add_numbers.yaml"), "blocked"))
        os.makedirs(settings.path("pipelines"), exist_ok=True)
        with open(settings.path("pipelines", blocked.id), "w") as fh:
            fh.write("not a folder")
        pipelines.draw_pending()
        failed = pipelines.get("blocked")
        assert failed.status == "CREATE FAILED" and "could not be stored or drawn" in failed.status_reason
        assert pipelines.lookup_pipeline("blocked")["status"] == "CREATE FAILED"
        with pytest.raises(Conflict, match="CREATE FAILED"):
            pipelines.graph("blocked")
        pipelines.delete("blocked")

        # artifacts past the retention period: the run's folder goes, the run stays
        runs = pipelines.runs
        run_row = runs.create({"name": "flip-1", "pipeline_name": "flip", "experiment_name": "e"})
        run_dir = Path(settings.path("pipeline-runs", run_row.id))
        assert (run_dir / "pipeline_spec.json").is_file() and (run_dir / "run.json").is_file()
        assert runs.purge_expired_artifacts() == 0
        from datetime import timedelta

        from jupyter_easymaker.areas.pipelines.tables import PipelineRun
        from jupyter_easymaker.core.times import utcnow

        with platform.db.session() as session:
            session.get(PipelineRun, run_row.id).artifacts_expire_at = utcnow() - timedelta(seconds=1)
        assert runs.purge_expired_artifacts() == 1 and not run_dir.exists()
        assert runs.get("flip-1").artifacts_purged and runs.artifacts("flip-1")["purged"]
        assert runs.purge_expired_artifacts() == 0
        pipelines.delete("flip")  # its run keeps the name it ran
        assert pipelines.lookup_pipeline("flip") is None and runs.get("flip-1").pipeline_name == "flip"
    finally:
        platform.close()
        platform.db.close()


# -- runs ---------------------------------------------------------------------------------------------------
@needs_data
async def test_run_add_numbers_copy_and_the_rules_around_runs(api, easymaker_data):
    await uploaded(api, "add_numbers.yaml", "add")
    base = {"name": "add-1", "pipeline_name": "add", "experiment_name": "pipes", "experiment_description": "pipeline runs",
            "parameters": {"a": 5, "b": 5}}

    # bad input: 4xx naming the field, nothing stored
    for body, code, field in [
        ({**base, "parameters": {"a": "x", "b": 5}}, 400, "parameters.a"),
        ({**base, "parameters": {"a": 5}}, 400, "parameters.b"),
        ({**base, "parameters": {"a": 5, "b": 5, "c": 1}}, 400, "parameters.c"),
        ({**base, "parameters": {"a": 5.5, "b": 5}}, 400, "parameters.a"),
        ({**base, "pipeline_name": "nope"}, 422, "pipeline_name"),
        ({**base, "instance_type": "huge"}, 422, "instance_type"),
        ({**base, "instance_count": 0}, 422, "instance_count"),
        ({**base, "nas": [{"mount_dir_name": "data", "nas_path": "/tmp"}]}, 422, "nas[0].nas_path"),
        ({**base, "nas": [{"mount_dir_name": "data", "nas_path": "nas://nope:/x"}]}, 422, "nas[0].nas_path"),
        ({k: v for k, v in base.items() if k != "experiment_name"}, 422, "body"),
        ({**base, "name": "bad name"}, 422, "name"),
        ({**base, "colour": "red"}, 422, "colour"),
    ]:
        refused = await api.post("pipeline-runs", body, expect=code)
        assert refused["field"] == field, (body, refused)
    assert (await api.get("pipeline-runs"))["total"] == 0
    await api.get("experiments/pipes", expect=404)

    # a=5, b=5 (the second as text: integral text is an integer) -> 10
    created = await api.post("pipeline-runs", {**base, "parameters": {"a": 5, "b": "5"}}, expect=201)
    assert created["status"] == "CREATE REQUESTED" and created["parameters"] == {"a": 5, "b": 5}
    assert created["experiment_name"] == "pipes" and created["backend"] == "local"
    assert (await api.post("pipeline-runs", base, expect=409))["field"] == "name"
    experiment = await api.get("experiments/pipes")
    assert experiment["description"] == "pipeline runs"
    run_dir = easymaker_data / "pipeline-runs" / created["id"]
    assert json.loads((run_dir / "run.json").read_text())["parameters"] == {"a": 5, "b": 5}
    assert json.loads((run_dir / "pipeline_spec.json").read_text())["pipelineInfo"]["name"] == "add-numbers"
    done = await finished_run(api, "add-1")
    assert done["status"] == "COMPLETE", done
    assert [e["status"] for e in done["history"]][-2:] == ["COMPLETE IN PROGRESS", "COMPLETE"]
    assert done["tasks"]["total"] == 1 and done["tasks"]["by_state"] == {"SUCCEEDED": 1}
    assert [n["id"] for n in done["graph"]["nodes"]] == ["add-numbers"]
    assert done["result"]["state"] == "SUCCEEDED" and done["artifacts_expire_at"]
    tasks = await task_map(api, "add-1")
    task = tasks["add-numbers"]
    assert task["state"] == "SUCCEEDED" and task["name"] == "add-numbers" and task["parent"] is None
    assert 10 in output_values(task).values(), task
    assert task["started_at"] and task["ended_at"] and task["ended_at"] >= task["started_at"]
    # the task ran as a job of its own on the job lifecycle, asked for through the run's folder
    [job] = task["jobs"]
    assert (job["status"], job["exit_code"], job["attempt"]) == ("SUCCEEDED", 0, 1), job
    assert job["started_at"] and job["finished_at"]
    job_dir, request, answer = sorted((run_dir / "task-jobs").iterdir())  # the job's own folder, the request, the answer
    assert request.name.startswith("add-numbers.a1.") and json.loads(request.read_text())["task_id"] == "add-numbers"
    assert (job_dir / "output.log").read_text().count("Wrote executor output") == 1
    assert json.loads(answer.read_text()) == {"outcome": "succeeded", "exit_code": 0, "reason": ""}
    logs = await api.get("pipeline-runs/add-1/tasks/add-numbers/logs")
    assert isinstance(logs["lines"], list) and logs["next_offset"] is None
    code, text = await api.call("GET", "pipeline-runs/add-1/tasks/add-numbers/logs", params={"format": "text"}, raw=True)
    assert code == 200 and text == "".join(f"{line}\n" for line in logs["lines"])
    assert (await api.get("pipeline-runs/add-1/tasks/nope/logs", expect=404))["field"] == "task_id"
    # a task id is looked up, never joined to a path as given: a traversal names no task
    assert (await api.get("pipeline-runs/add-1/tasks/..%2F..%2Fjob/logs", expect=404))["field"] == "task_id"
    assert (await api.get("pipeline-runs/add-1/logs"))["status"] == "COMPLETE"
    listed = await api.get("pipeline-runs", params={"pipeline_name": "add"})
    assert [r["name"] for r in listed["items"]] == ["add-1"] and listed["items"][0]["tasks"]["total"] == 1
    assert (await api.get("pipelines/add"))["run_count"] == 1

    # the experiment cannot be deleted while it has pipeline runs
    refused = await api.call("DELETE", "experiments/pipes", expect=409)
    assert "pipeline runs" in refused["error"] and "add-1" in refused["error"], refused

    # copy: the form pre-filled, and a new run with the same settings
    form = await api.get("pipeline-runs/add-1/copy")
    assert form["name"] == "add-1-copy" and form["parameters"] == {"a": 5, "b": 5} and form["experiment_name"] == "pipes"
    copy = await api.post("pipeline-runs/add-1/copy", {"name": "add-2"}, expect=201)
    assert copy["parameters"] == {"a": 5, "b": 5} and copy["pipeline_id"] == done["pipeline_id"]
    assert (await finished_run(api, "add-2"))["status"] == "COMPLETE"
    assert 10 in output_values((await task_map(api, "add-2"))["add-numbers"]).values()

    # a COMPLETE run cannot be stopped; deleting it removes its folder
    assert (await api.post("pipeline-runs/add-1/stop", expect=409))["field"] == "status"
    await api.call("DELETE", "pipeline-runs/add-1", expect=204)
    assert not run_dir.exists()
    await api.get("pipeline-runs/add-1", expect=404)
    # the pipeline can go while a run of it stays (the run keeps its own spec)
    await api.call("DELETE", "pipelines/add", expect=204)
    kept = await api.get("pipeline-runs/add-2")
    assert kept["pipeline_id"] is None and kept["pipeline_name"] == "add" and kept["graph"]["nodes"]
    await api.call("DELETE", "pipeline-runs/add-2", expect=204)
    await api.call("DELETE", "experiments/pipes", expect=204)


@needs_data
async def test_failing_pipeline_and_artifacts(api):
    await uploaded(api, "fail_v2.yaml", "fail")
    await api.post("pipeline-runs", {"name": "fails", "pipeline_name": "fail", "experiment_name": "e"}, expect=201)
    failed = await finished_run(api, "fails")
    assert failed["status"] == "FAIL PIPELINE RUN", failed
    assert [e["status"] for e in failed["history"]][-2:] == ["FAIL PIPELINE RUN IN PROGRESS", "FAIL PIPELINE RUN"]
    tasks = await task_map(api, "fails")
    assert [t["state"] for t in tasks.values()] == ["FAILED"], tasks
    failed_task = next(iter(tasks))
    assert failed_task in failed["status_reason"], failed["status_reason"]
    assert failed["exit_code"] not in (0, None)

    # artifacts: listed, downloaded (a folder as a zip), the path checked
    await uploaded(api, "lightweight_python_functions_pipeline.yaml", "light")
    await api.post("pipeline-runs", {"name": "light-1", "pipeline_name": "light", "experiment_name": "e",
                                     "parameters": {"message": "hello"}}, expect=201)
    done = await finished_run(api, "light-1")
    assert done["status"] == "COMPLETE", done
    tasks = await task_map(api, "light-1")
    assert {t: v["state"] for t, v in tasks.items()} == {"preprocess": "SUCCEEDED", "train": "SUCCEEDED"}
    listing = await api.get("pipeline-runs/light-1/artifacts")
    paths = [f["path"] for f in listing["files"]]
    dataset = next(p for p in paths if p.startswith("preprocess/outputs/output_dataset_one"))
    code, text = await api.call("GET", "pipeline-runs/light-1/artifacts", params={"path": dataset}, raw=True)
    assert code == 200 and "hello" in text
    code, _ = await api.call("GET", "pipeline-runs/light-1/artifacts", params={"path": "preprocess/outputs"}, raw=True)
    assert code == 200
    for bad in ("../run.json", "/etc/passwd", "preprocess/../../run.json", "..", "a\\..\\b"):
        refused = await api.get("pipeline-runs/light-1/artifacts", params={"path": bad}, expect=422)
        assert refused["field"] == "path", (bad, refused)
    assert (await api.get("pipeline-runs/light-1/artifacts", params={"path": "preprocess/outputs/nope"},
                          expect=404))["field"] == "path"


async def test_stop_a_long_run_from_the_client(api, client, tmp_path):
    """A pipeline compiled from a @dsl.pipeline function by the client, run, refused
    deletion while running, stopped: STOPPED, its running task CANCELED."""
    pytest.importorskip("kfp.dsl", reason="kfp compiles the pipeline")
    # in a module of its own: kfp reads the component's source and its real (not postponed) annotations
    source = tmp_path / "sleepy_pipeline.py"
    source.write_text(
        "from kfp import dsl\n\n\n"
        "@dsl.component(base_image='python:3.11')\n"
        "def sleeper(seconds: int) -> int:\n"
        "    import time\n\n"
        "    time.sleep(seconds)\n"
        "    return seconds\n\n\n"
        "@dsl.pipeline(name='sleepy')\n"
        "def sleepy(seconds: int = 1):\n"
        "    sleeper(seconds=seconds)\n"
    )
    spec = importlib.util.spec_from_file_location("sleepy_pipeline", source)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    pipeline = await run(client.upload_pipeline, module.sleepy)
    assert pipeline["status"] == "ACTIVE" and pipeline["name"] == "sleepy", pipeline
    assert [i["name"] for i in pipeline["inputs"]] == ["seconds"]
    started = await run(client.create_pipeline_run, "sleepy", name="long", parameters={"seconds": 300}, experiment="e")
    assert started["experiment_name"] == "e"
    deadline = time.monotonic() + 120
    while (await task_map(api, "long")).get("sleeper", {}).get("state") != "RUNNING":
        assert time.monotonic() < deadline, await api.get("pipeline-runs/long")
        await asyncio.sleep(0.1)
    refused = await api.call("DELETE", "pipeline-runs/long", expect=409)
    assert "in progress cannot be deleted" in refused["error"]
    stopping = await run(client.stop_pipeline_run, "long")
    assert stopping["status"] == "STOP IN PROGRESS"
    stopped = await run(client.wait_pipeline_run, "long", 60)
    assert stopped["status"] == "STOPPED", stopped
    tasks = await run(client.pipeline_run_tasks, "long")
    assert [t["state"] for t in tasks] == ["CANCELED"]
    assert [j["status"] for j in tasks[0]["jobs"]] == ["CANCELED"]  # the task's job was stopped with the run
    assert (await api.post("pipeline-runs/long/stop", expect=409))["field"] == "status"
    await run(client.delete_pipeline_run, "long")
    assert not (await run(client.list_pipeline_runs, pipeline="sleepy"))


@needs_data
async def test_client_and_magics(api, client, shell, magics, capsys, tmp_path, jp_serverapp):
    path = ir_file("add_numbers.yaml")
    await line(shell, f"pipeline upload {path} --name m-add --description 'from the magic'")
    out = capsys.readouterr().out
    assert "pipeline m-add: ACTIVE; inputs: a, b" in out, out
    await line(shell, "pipeline list")
    assert "m-add" in capsys.readouterr().out
    await line(shell, "pipeline show m-add")
    assert "input a: NUMBER_INTEGER" in capsys.readouterr().out
    await line(shell, "pipeline graph m-add")
    assert "add-numbers (python)" in capsys.readouterr().out

    result = await line(shell, "pipeline run m-add --name m-run --param a=2 --param b=3 --experiment mexp --wait --no-widget")
    out = capsys.readouterr().out
    assert result is not None and result["status"] == "COMPLETE", (result, out)
    assert "task add-numbers: SUCCEEDED -> " in out and "5" in out and "pipeline run m-run: COMPLETE" in out, out
    from IPython.lib.pretty import pretty

    assert pretty(result).startswith("<pipeline run m-run: COMPLETE")
    await line(shell, "pipeline runs")
    assert "m-run" in capsys.readouterr().out
    await line(shell, "pipeline status m-run")
    assert "task add-numbers: SUCCEEDED" in capsys.readouterr().out
    described = await run(client.update_pipeline_run, "m-run", description="two and three")
    assert (described["name"], described["description"]) == ("m-run", "two and three")
    monitoring = await run(client.pipeline_run_monitoring, "m-run")
    assert monitoring["pipeline_run_id"] == described["id"] and monitoring["status"] == "COMPLETE"
    await line(shell, "pipeline logs m-run add-numbers")
    capsys.readouterr()
    # the run's own log records (no TASK), its usage samples, renaming it, the pipeline's YAML and renaming the pipeline
    records = (await run(client.pipeline_run_logs, "m-run"))["records"]
    await line(shell, "pipeline logs m-run")
    out = capsys.readouterr().out
    assert records and all(r["body"] in out for r in records), (records, out)
    platform = jp_serverapp.web_app.settings["easymaker"]
    with platform.db.session() as session:
        platform.logs.add_sample(session, described["id"], SimpleNamespace(cpu_percent=37.5, memory_bytes=96 << 20,
                                                                           gpu_percent=None, gpu_memory_bytes=None))
    await line(shell, "pipeline monitoring m-run")
    out = capsys.readouterr().out
    assert "pipeline run m-run: COMPLETE" in out and "37.5" in out and "96.0" in out, out
    await line(shell, "pipeline update-run m-run --name m-run-2 --description 'renamed'")
    assert "pipeline run m-run-2: renamed" in capsys.readouterr().out
    assert (await run(client.get_pipeline_run, described["id"]))["name"] == "m-run-2"
    assert await line(shell, "pipeline update-run m-run-2") is None
    assert "give --name and/or --description" in capsys.readouterr().err
    await line(shell, "pipeline download m-add")
    printed = capsys.readouterr().out
    assert printed.startswith("# PIPELINE DEFINITION") and "add-numbers" in printed
    written = tmp_path / "m-add.yaml"
    await line(shell, f"pipeline download m-add {written}")
    assert f"written to {written}" in capsys.readouterr().out
    assert yaml.safe_load(written.read_text())["pipelineInfo"] == yaml.safe_load(printed)["pipelineInfo"]
    await line(shell, "pipeline update m-add --description 'adds two numbers'")
    assert "pipeline m-add: adds two numbers" in capsys.readouterr().out
    assert (await run(client.get_pipeline, "m-add"))["description"] == "adds two numbers"
    await run(client.update_pipeline_run, described["id"], name="m-run")
    await line(shell, "pipeline run --help")
    assert "--param KEY=VALUE" in capsys.readouterr().out
    assert await line(shell, "pipeline run m-add --param a") is None
    assert "expected KEY=VALUE" in capsys.readouterr().err
    assert await line(shell, "pipeline run m-add --param a=x --param b=1 --no-widget") is None
    assert capsys.readouterr().err.startswith("error: parameters.a:")
    assert await line(shell, "pipeline frobnicate") is None
    assert "invalid choice" in capsys.readouterr().err
    # `pipeline schedule ...` is the pipeline schedules' command
    await line(shell, "pipeline schedule list")
    captured = capsys.readouterr()
    assert "no pipeline schedules" in captured.out and not captured.err, captured

    # the client
    assert [p["name"] for p in await run(client.list_pipelines)] == ["m-add"]
    assert (await run(client.pipeline_graph, "m-add"))["nodes"][0]["id"] == "add-numbers"
    assert (await run(client.download_pipeline, "m-add")).startswith("# PIPELINE DEFINITION")
    zipped = tmp_path / "add.zip"
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.write(path, "nested/add_numbers.yaml")
    from_zip = await run(client.upload_pipeline, str(zipped), "zipped")
    assert from_zip["status"] == "ACTIVE" and from_zip["source_format"] == "zip"
    second = await run(client.create_pipeline_run, "zipped", parameters={"a": 20, "b": 22}, experiment="mexp")
    assert second["name"].startswith("zipped-run-")
    watched = [(r["status"], [t["state"] for t in tasks]) for r, tasks in await run(lambda: list(client.watch_pipeline_run(second["id"], 0.1)))]
    assert watched[-1] == ("COMPLETE", ["SUCCEEDED"]), watched
    task = (await run(client.pipeline_run_tasks, second["id"]))[0]
    assert 42 in output_values(task).values()
    assert isinstance(await run(client.pipeline_task_logs, second["id"], "add-numbers"), list)
    copy = await run(client.copy_pipeline_run, second["id"], "zipped-copy")
    assert (await run(client.wait_pipeline_run, copy["id"], 120))["status"] == "COMPLETE"
    assert {r["name"] for r in await run(client.list_pipeline_runs, pipeline="zipped")} == {second["name"], "zipped-copy"}
    from jupyter_easymaker.client import EasyMakerError

    with pytest.raises(EasyMakerError) as refused:
        await run(client.delete_pipeline, "nope")
    assert refused.value.status == 404

    # the live view: each task's state, a task's log picked, the Stop button gone once ended
    from jupyter_easymaker.areas.pipelines.widgets import PipelineRunView
    from jupyter_easymaker.status_colors import STATUS_COLORS

    third = await run(client.create_pipeline_run, "zipped", name="viewed", parameters={"a": 1, "b": 2}, experiment="mexp")
    view = await run(PipelineRunView, client, third, poll=0.2)
    final = await run(view.wait, 120)
    assert final["status"] == "COMPLETE" and view.done
    assert STATUS_COLORS["COMPLETE"]["bg"] in view.header_html.value and ">viewed<" in view.header_html.value
    assert "pipeline zipped" in view.header_html.value
    assert "<code>add-numbers</code>" in view.tasks_html.value and "SUCCEEDED" in view.tasks_html.value
    assert view.stop_button.layout.display == "none"
    await run(setattr, view.task_picker, "value", "add-numbers")  # it reads the log (blocking) on change
    assert "easymaker-log" in view.log_html.value
    view.close()



@needs_data
def test_runs_on_a_kubeflow_pipelines_server(tmp_path, monkeypatch):
    """With kfp_api_url configured, runs go to Kubeflow Pipelines (the official kfp.Client
    against an in-process v2beta1 API server) and its run and task states are mirrored."""
    pytest.importorskip("kfp", reason="kfp runs the pipelines remotely")
    import kfp.client.client as kfp_client

    try:
        from tests.kfp_api_fake import FakeKfpServer, task_detail
    except ImportError:
        from kfp_api_fake import FakeKfpServer, task_detail
    from datetime import datetime

    monkeypatch.setattr(kfp_client.Client, "_LOCAL_KFP_CONTEXT", str(tmp_path / "kfp-context.json"))
    started = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    with FakeKfpServer(token="kfp-token") as kfp_api:
        settings = Settings(data_dir=str(tmp_path / "data"), local_roots=[str(tmp_path)],
                            area_options={"pipelines": {"kfp_api_url": kfp_api.url, "kfp_token": "kfp-token"}})
        platform = Platform(settings, AREAS, {"local": object()})
        try:
            pipelines = platform.service("pipelines")
            runs = pipelines.runs
            pipelines.create(upload_body(ir_file("add_numbers.yaml"), "add"))
            pipelines.draw_pending()

            def step() -> None:
                for row in runs.remote_rows():
                    runs.remote_step(row)

            def tasks(name: str) -> dict[str, tuple[str, str | None]]:
                return {t.task_id: (t.state, t.error) for t in runs.tasks(name).items}

            created = runs.create({"name": "r1", "pipeline_name": "add", "experiment_name": "remote-exp",
                                   "parameters": {"a": 5, "b": 5}})
            assert created.backend == "kfp" and created.status == "CREATE REQUESTED"
            step()
            submitted = runs.get("r1")
            assert submitted.status == "CREATE IN PROGRESS" and submitted.remote_run_id
            remote = kfp_api.run_named("r1")
            assert remote["run_id"] == submitted.remote_run_id
            assert remote["runtime_config"]["parameters"] == {"a": 5, "b": 5}
            assert [e["display_name"] for e in kfp_api.experiments.values()] == ["remote-exp"]
            root = task_detail("root", "add-numbers", "RUNNING", started_at=started)
            kfp_api.set_run(remote["run_id"], "RUNNING", tasks=[
                root, task_detail("t1", "add-numbers", "RUNNING", started_at=started, parent_task_id="root")])
            step()
            assert runs.get("r1").status == "RUNNING" and tasks("r1") == {"add-numbers": ("RUNNING", None)}
            kfp_api.set_run(remote["run_id"], "SUCCEEDED", tasks=[
                task_detail("root", "add-numbers", "SUCCEEDED", started_at=started, ended_at=started),
                task_detail("t1", "add-numbers", "SUCCEEDED", started_at=started, ended_at=started, parent_task_id="root")])
            step()
            done = runs.get("r1")
            assert done.status == "COMPLETE" and done.result["state"] == "SUCCEEDED" and done.artifacts_expire_at
            assert tasks("r1") == {"add-numbers": ("SUCCEEDED", None)}
            assert runs.remote_rows() == []

            # a stop is forwarded (KFP terminates), then mirrored as STOPPED
            runs.create({"name": "r2", "pipeline_name": "add", "experiment_name": "remote-exp", "parameters": {"a": 1, "b": 2}})
            step()
            second = kfp_api.run_named("r2")["run_id"]
            kfp_api.set_run(second, "RUNNING", tasks=[root, task_detail("t2", "add-numbers", "RUNNING", started_at=started,
                                                                         parent_task_id="root")])
            step()
            assert runs.stop("r2").status == "STOP IN PROGRESS"
            step()
            assert second in kfp_api.terminated and runs.get("r2").status == "STOP IN PROGRESS"
            kfp_api.set_run(second, "CANCELED")
            step()
            assert runs.get("r2").status == "STOPPED" and tasks("r2") == {"add-numbers": ("CANCELED", None)}

            # a failure says why
            runs.create({"name": "r3", "pipeline_name": "add", "experiment_name": "remote-exp", "parameters": {"a": 1, "b": 2}})
            step()
            third = kfp_api.run_named("r3")["run_id"]
            kfp_api.set_run(third, "FAILED", error="task add-numbers exited 1", tasks=[
                task_detail("t3", "add-numbers", "FAILED", started_at=started, ended_at=started, error="exit status 1",
                            parent_task_id="root3"), task_detail("root3", "add-numbers", "FAILED")])
            step()
            failed = runs.get("r3")
            assert failed.status == "FAIL PIPELINE RUN" and failed.status_reason == "task add-numbers exited 1", failed
            assert tasks("r3") == {"add-numbers": ("FAILED", "exit status 1")}

            # deleting a run deletes it on the server too
            runs.delete("r1")
            assert submitted.remote_run_id in kfp_api.deleted
            assert kfp_api.unhandled == []

            # an unreachable server: the run waits with the reason and is submitted once it answers
            kfp_api.stop()
            runs._remote = None  # a new connection, as after a server restart
            runs.create({"name": "r4", "pipeline_name": "add", "experiment_name": "remote-exp", "parameters": {"a": 1, "b": 2}})
            step()
            waiting = runs.get("r4")
            assert waiting.status == "CREATE REQUESTED" and "cannot reach Kubeflow Pipelines" in waiting.status_reason, waiting
        finally:
            platform.close()
            platform.db.close()

"""A pipeline run on the Kubernetes backend through the whole server, against
the kmock API server: the run is a batch/v1 Job running the image's pipeline
run entry point on the run's folder (on storage the pod mounts), its task
progress lines from the pod's log become the run's tasks, and every manifest
is valid for Kubernetes 1.37."""
from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path

import pytest

from jupyter_easymaker.catalogs.jobs import (
    IMAGE_JOBS_DIR,
    PIPELINE_RUN_ENTRY,
    PIPELINE_RUNNER_SERVICE_ACCOUNT,
    PIPELINE_TASK_JOBS_ENV,
    format_pipeline_task,
)
from jupyter_easymaker.runtime.pipelines.kube_tasks import task_job
from jupyter_easymaker.runtime.pipelines.launch import Launch

try:
    from tests import kube_fixtures
    from tests.test_api_kubernetes import job_of, jp_server_config, threaded_cluster
except ImportError:
    import kube_fixtures
    from test_api_kubernetes import job_of, jp_server_config, threaded_cluster  # noqa: F401 - fixtures

SHARED = Path(os.environ.get("EASYMAKER_SHARED_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data")
ADD_NUMBERS = SHARED / "kfp-ir" / "valid" / "add_numbers.yaml"
JOBS, SECRETS = kube_fixtures.JOBS, kube_fixtures.SECRETS


async def wait_for(api, path: str, check, timeout: float = 20.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        row = await api.get(path)
        if check(row):
            return row
        assert time.monotonic() < deadline, f"{path}: {row}"
        await asyncio.sleep(0.05)


@pytest.mark.skipif(not ADD_NUMBERS.is_file(), reason=f"the compiled KFP pipelines are not here ({ADD_NUMBERS.parent})")
async def test_pipeline_run_job_on_kubernetes(api, threaded_cluster, easymaker_data):
    cluster = threaded_cluster
    await api.post("pipelines", {"name": "add", "filename": "add_numbers.yaml", "content": ADD_NUMBERS.read_text()}, expect=201)
    await wait_for(api, "pipelines/add", lambda p: p["status"] == "ACTIVE")
    created = await api.post("pipeline-runs", {"name": "k-add", "pipeline_name": "add", "experiment_name": "e",
                                               "backend": "kubernetes", "parameters": {"a": 5, "b": 5},
                                               "instance_type": "cpu-2", "max_run_seconds": 900}, expect=201)
    await wait_for(api, "pipeline-runs/k-add", lambda r: r["status"] == "CREATE IN PROGRESS")
    name = job_of(cluster, created["id"])
    job = cluster.get(JOBS, name)
    kube_fixtures.validate_manifest(job)
    assert job["spec"]["activeDeadlineSeconds"] == 900 and job["spec"].get("completions", 1) == 1
    container = job["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e.get("value") for e in container["env"]}
    run_dir = str(easymaker_data / "pipeline-runs" / created["id"])
    assert env["EM_PIPELINE_RUN_DIR"] == run_dir and json.loads(env["EM_NAS_MOUNTS"]) == {}
    spec = json.loads(cluster.get(SECRETS, name)["stringData"]["job-spec.json"])
    assert (spec["source_dir"], spec["entry_point"], spec["kind"]) == (IMAGE_JOBS_DIR, PIPELINE_RUN_ENTRY, "pipeline-run")
    assert spec["instance_type"]["name"] == "cpu-2" and spec["nodes"] == 1
    # the run's folder is on the volume the pod mounts (the data dir is under tmp_path)
    assert any(m["mountPath"] == str(Path(run_dir).parents[2]) for m in container["volumeMounts"]), container["volumeMounts"]
    assert json.loads((Path(run_dir) / "run.json").read_text())["parameters"] == {"a": 5, "b": 5}
    # its executor creates one Job per task: it runs as the runner account, with the tasks' Job template
    assert job["spec"]["template"]["spec"]["serviceAccountName"] == PIPELINE_RUNNER_SERVICE_ACCOUNT
    assert "automountServiceAccountToken" not in job["spec"]["template"]["spec"]
    template = json.loads(env[PIPELINE_TASK_JOBS_ENV])
    task = task_job(template, "em-task-x-0123abcd-1-beef", Launch(task_id="add-numbers", attempt=1, argv=["python3", "-c", "1"],
                                                                  env={}, cwd=f"{run_dir}/tasks/add-numbers", log_path="", image="python:3.11"))
    kube_fixtures.validate_manifest(task)
    task_pod = task["spec"]["template"]["spec"]
    assert task["metadata"]["namespace"] == "default" and task_pod["automountServiceAccountToken"] is False
    assert task_pod["containers"][0]["volumeMounts"] == [m for m in container["volumeMounts"] if m["name"].startswith("storage-")]
    assert task_pod["containers"][0]["resources"] == container["resources"]  # the run's instance type

    # the pod runs the executor: its progress lines become the run's tasks
    pod = f"{name}-abcde"
    cluster.add_pod(pod, job, phase="Running")
    cluster.logs[pod] = "[easymaker] starting\n" + format_pipeline_task(
        {"task": "add-numbers", "name": "add-numbers", "state": "RUNNING", "attempt": 1, "started_at": 1_900_000_000.0,
         "ended_at": None, "outputs": {}, "error": None}) + "\n"
    cluster.set_status(JOBS, name, {"active": 1, "ready": 1, "startTime": "2030-01-01T00:00:01Z"})
    await wait_for(api, "pipeline-runs/k-add", lambda r: r["status"] == "RUNNING" and r["tasks"]["by_state"] == {"RUNNING": 1})
    cluster.logs[pod] += format_pipeline_task(
        {"task": "add-numbers", "name": "add-numbers", "state": "SUCCEEDED", "attempt": 1, "started_at": 1_900_000_000.0,
         "ended_at": 1_900_000_002.5, "outputs": {"parameters": {"Output": 10}}, "error": None}) + "\n"
    (Path(run_dir) / "result.json").write_text(json.dumps({"state": "SUCCEEDED", "outputs": {"parameters": {"Output": 10}},
                                                           "error": None}))
    cluster.add_pod(pod, job, phase="Succeeded", container_state={"terminated": {"exitCode": 0, "startedAt": "2030-01-01T00:00:05Z"}})
    cluster.set_status(JOBS, name, {"active": 0, "succeeded": 1, "completionTime": "2030-01-01T00:10:00Z",
                                    "conditions": [{"type": "Complete", "status": "True"}]})
    done = await wait_for(api, "pipeline-runs/k-add", lambda r: r["status"] == "COMPLETE")
    assert done["result"]["outputs"] == {"parameters": {"Output": 10}} and done["backend"] == "kubernetes"
    task = (await api.get("pipeline-runs/k-add/tasks"))["items"][0]
    assert task["state"] == "SUCCEEDED" and task["outputs"] == {"parameters": {"Output": 10}}
    assert task["started_at"].startswith("2030-03-17") and task["ended_at"] > task["started_at"]
    records = (await api.get("pipeline-runs/k-add/logs"))["records"]
    assert any("pipeline-task" in r["body"] and r.get("pipelineRunId") == created["id"] and r["category"] == "easymaker.pipeline" for r in records)
    deadline = time.monotonic() + 15
    while name in cluster.names(JOBS):  # released once finished
        assert time.monotonic() < deadline, "the Job was not deleted"
        await asyncio.sleep(0.05)
    assert cluster.validate_created() >= 2

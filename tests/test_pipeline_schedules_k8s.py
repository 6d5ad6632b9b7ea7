"""Pipeline schedules on the Kubernetes backend, through the whole server against
the kmock API server: an ENABLED schedule is a CronJob (valid for Kubernetes
1.37) whose Jobs run the pipeline run's executor with the same image, service
account and storage as a run's Job; it is suspended while DISABLED, resumed when
ENABLED and deleted with the schedule; a trigger a CronJob cannot express is a
422 naming the field; a Job the CronJob started is recorded once as a run of the
schedule and runs on the job lifecycle (tasks, result), and the server's own
timer starts nothing for it."""
from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path

import pytest

from jupyter_easymaker.catalogs.jobs import (
    FIRED_JOB_NAME_ENV,
    IMAGE_JOBS_DIR,
    PIPELINE_RUNNER_SERVICE_ACCOUNT,
    PIPELINE_SCHEDULE_DIR_ENV,
    SCHEDULED_PIPELINE_RUN_ENTRY,
    format_pipeline_task,
)
from jupyter_easymaker.runtime.pipelines import fired as fired_runtime

try:
    from tests import kube_fixtures
    from tests.test_api_kubernetes import jp_server_config, threaded_cluster  # noqa: F401 - fixtures
except ImportError:
    import kube_fixtures
    from test_api_kubernetes import jp_server_config, threaded_cluster  # noqa: F401 - fixtures

SHARED = Path(os.environ.get("EASYMAKER_SHARED_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data")
ADD_NUMBERS = SHARED / "kfp-ir" / "valid" / "add_numbers.yaml"
needs_data = pytest.mark.skipif(not ADD_NUMBERS.is_file(), reason=f"the compiled KFP pipelines are not here ({ADD_NUMBERS.parent})")
JOBS, SECRETS, NS = kube_fixtures.JOBS, kube_fixtures.SECRETS, kube_fixtures.NAMESPACE
CRONJOBS = "batch/v1/cronjobs"
SCHEDULE_LABEL = "easymaker/pipeline-schedule"


async def until(fetch, check, timeout: float = 20.0, what: str = "") -> dict:
    deadline = time.monotonic() + timeout
    while True:
        value = await fetch()
        if check(value):
            return value
        assert time.monotonic() < deadline, f"{what}: {value}"
        await asyncio.sleep(0.05)


def cronjob_of(cluster, schedule_id: str) -> str:
    names = [n for n in cluster.names(CRONJOBS)
             if cluster.get(CRONJOBS, n)["metadata"]["annotations"].get("easymaker/pipeline-schedule-id") == schedule_id]
    assert len(names) == 1, cluster.names(CRONJOBS)
    return names[0]


def fire(emulator_objects, cron: dict, scheduled: str, *, minutes: int) -> str:
    """A Job as the CronJob controller makes it from the CronJob's template (name: the CronJob's and
    the scheduled time in minutes; the scheduled-timestamp annotation)."""
    name = f"{cron['metadata']['name']}-{minutes}"
    template = cron["spec"]["jobTemplate"]
    emulator_objects[JOBS, NS, name] = {
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": name, "namespace": NS, "uid": f"uid-{name}", "creationTimestamp": scheduled,
                     "labels": dict(template["metadata"]["labels"]),
                     "annotations": {**template["metadata"]["annotations"],
                                     "batch.kubernetes.io/cronjob-scheduled-timestamp": scheduled},
                     "ownerReferences": [{"apiVersion": "batch/v1", "kind": "CronJob", "name": cron["metadata"]["name"],
                                          "uid": "cron-uid", "controller": True}]},
        "spec": template["spec"],
    }
    return name


def play_fired_pod(cluster, job_name: str, schedule_dir: str, output: int) -> str:
    """The fired Job's pod: the real runtime makes its run's folder; the executor's lines and result are written
    as test_pipelines_k8s plays them. The pod's name."""
    job = cluster.get(JOBS, job_name)
    run_dir = fired_runtime.prepare(schedule_dir, job_name)
    pod = f"{job_name}-xyz12"
    cluster.add_pod(pod, job, phase="Succeeded", extra_labels={"batch.kubernetes.io/job-name": job_name},
                    container_state={"terminated": {"exitCode": 0, "startedAt": "2030-01-01T00:00:05Z"}})
    cluster.logs[pod] = "".join(format_pipeline_task(r) + "\n" for r in (
        {"task": "add-numbers", "name": "add-numbers", "state": "RUNNING", "attempt": 1, "started_at": 1_900_000_000.0},
        {"task": "add-numbers", "name": "add-numbers", "state": "SUCCEEDED", "attempt": 1, "started_at": 1_900_000_000.0,
         "ended_at": 1_900_000_002.0, "outputs": {"parameters": {"Output": output}}}))
    Path(run_dir, "result.json").write_text(json.dumps({"state": "SUCCEEDED", "outputs": {"parameters": {"Output": output}}}))
    cluster.set_status(JOBS, job_name, {"succeeded": 1, "startTime": "2030-01-01T00:00:01Z",
                                        "completionTime": "2030-01-01T00:01:00Z",
                                        "conditions": [{"type": "Complete", "status": "True"}]})
    return run_dir


@needs_data
async def test_a_schedule_on_kubernetes_is_a_cronjob(api, threaded_cluster, easymaker_data):
    cluster = threaded_cluster
    await api.post("pipelines", {"name": "add", "filename": "add.yaml", "content": ADD_NUMBERS.read_text()}, expect=201)
    await until(lambda: api.get("pipelines/add"), lambda p: p["status"] == "ACTIVE", what="pipeline")
    base = {"pipeline_name": "add", "experiment_name": "e", "backend": "kubernetes", "parameters": {"a": 2, "b": 3},
            "instance_type": "cpu-2"}

    # what a CronJob cannot say is refused, naming the field
    error = await api.post("pipeline-schedules", {**base, "name": "secs", "trigger": {"type": "cron", "expression": "*/10 * * * * *"}},
                           expect=422)
    assert error["field"] == "trigger.expression" and "whole minutes" in error["error"], error
    error = await api.post("pipeline-schedules", {**base, "name": "seven", "trigger": {"type": "interval", "every": 7, "unit": "minutes"}},
                           expect=422)
    assert error["field"] == "trigger.every" and "divides 60" in error["error"], error

    created = await api.post("pipeline-schedules", {**base, "name": "nightly", "max_concurrency": 1, "catch_up": False,
                                                    "trigger": {"type": "cron", "expression": "0 30 2 * * *"}}, expect=201)
    schedule = await until(lambda: api.get("pipeline-schedules/nightly"), lambda s: s["status"] == "ENABLED", what="schedule")
    name = cronjob_of(cluster, created["id"])
    assert schedule["fired_by"] == f"CronJob {name} on the kubernetes backend"
    cron = cluster.get(CRONJOBS, name)
    kube_fixtures.validate_manifest(cron)
    spec = cron["spec"]
    assert (spec["schedule"], spec["timeZone"], spec["suspend"], spec["concurrencyPolicy"],
            spec["startingDeadlineSeconds"]) == ("30 2 * * *", "Etc/UTC", False, "Forbid", 60)
    job = spec["jobTemplate"]
    assert job["metadata"]["labels"][SCHEDULE_LABEL] == created["id"]
    pod = job["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == PIPELINE_RUNNER_SERVICE_ACCOUNT
    env = {e["name"]: e for e in pod["containers"][0]["env"]}
    schedule_dir = env[PIPELINE_SCHEDULE_DIR_ENV]["value"]
    assert schedule_dir == str(easymaker_data / "pipeline-schedules" / created["id"])
    assert env[FIRED_JOB_NAME_ENV]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.labels['batch.kubernetes.io/job-name']"
    job_spec = json.loads(cluster.get(SECRETS, name)["stringData"]["job-spec.json"])
    assert (job_spec["source_dir"], job_spec["entry_point"], job_spec["kind"]) == (IMAGE_JOBS_DIR, SCHEDULED_PIPELINE_RUN_ENTRY,
                                                                                   "pipeline-run")
    # the pod reads what it needs from the schedule's folder, on the volume it mounts
    assert json.loads(Path(schedule_dir, "run.json").read_text())["parameters"] == {"a": 2, "b": 3}
    assert Path(schedule_dir, "pipeline_spec.json").is_file()
    assert any(schedule_dir.startswith(m["mountPath"]) for m in pod["containers"][0]["volumeMounts"])

    # disable suspends it, enable resumes it
    assert (await api.post("pipeline-schedules/nightly/disable", expect=200))["status"] == "DISABLED"
    assert cluster.get(CRONJOBS, name)["spec"]["suspend"] is True
    assert (await api.post("pipeline-schedules/nightly/enable", expect=200))["status"] == "ENABLED"
    assert cluster.get(CRONJOBS, name)["spec"]["suspend"] is False

    # a Job the CronJob started becomes the schedule's run, once, and runs on the job lifecycle
    fired = fire(cluster.emulator.objects, cluster.get(CRONJOBS, name), "2030-01-02T02:30:00Z", minutes=29_000_010)
    run_dir = play_fired_pod(cluster, fired, schedule_dir, output=5)
    runs = await until(lambda: api.get("pipeline-schedules/nightly/runs"),
                       lambda r: r["total"] == 1 and r["items"][0]["status"] == "COMPLETE", what="the fired run")
    run = runs["items"][0]
    assert run["name"] == "nightly-20300102023000" and run["schedule_id"] == created["id"] and run["backend"] == "kubernetes"
    assert run["result"]["outputs"] == {"parameters": {"Output": 5}} and run["parameters"] == {"a": 2, "b": 3}
    tasks = (await api.get(f"pipeline-runs/{run['name']}/tasks"))["items"]
    assert [(t["task_id"], t["state"], t["outputs"]) for t in tasks] == [("add-numbers", "SUCCEEDED", {"parameters": {"Output": 5}})]
    assert json.loads(Path(run_dir, "run.json").read_text())["run_name"] == fired
    await until(lambda: asyncio.sleep(0, cluster.exists(JOBS, fired)), lambda present: not present, what="Job released")
    await asyncio.sleep(0.5)  # more passes: no second record, no run of the server's own timer
    schedule = await api.get("pipeline-schedules/nightly")
    assert (await api.get("pipeline-schedules/nightly/runs"))["total"] == 1 and schedule["run_count"] == 1
    assert schedule["last_scheduled_at"].startswith("2030-01-02T02:30:00")

    # deleted with the schedule
    await api.call("DELETE", "pipeline-schedules/nightly", expect=204)
    assert not cluster.exists(CRONJOBS, name) and not cluster.exists(SECRETS, name)
    assert cluster.validate_created() >= 2


@needs_data
async def test_an_interval_schedule_becomes_a_cron_on_its_anchor_minute(api, threaded_cluster):
    cluster = threaded_cluster
    await api.post("pipelines", {"name": "add", "filename": "add.yaml", "content": ADD_NUMBERS.read_text()}, expect=201)
    await until(lambda: api.get("pipelines/add"), lambda p: p["status"] == "ACTIVE", what="pipeline")
    created = await api.post("pipeline-schedules", {
        "name": "every15", "pipeline_name": "add", "experiment_name": "e", "backend": "kubernetes", "max_concurrency": 3, "parameters": {"a": 1, "b": 1},
        "trigger": {"type": "interval", "every": 15, "unit": "minutes"}, "start_at": "2030-01-01T10:07:23Z"}, expect=201)
    await until(lambda: api.get("pipeline-schedules/every15"), lambda s: s["status"] == "ENABLED", what="schedule")
    cron = cluster.get(CRONJOBS, cronjob_of(cluster, created["id"]))
    kube_fixtures.validate_manifest(cron)
    assert (cron["spec"]["schedule"], cron["spec"]["concurrencyPolicy"]) == ("7/15 * * * *", "Allow")
    assert "startingDeadlineSeconds" not in cron["spec"]  # catch-up on: a late start still runs

    # a Job started before the start time ran nothing: deleted once it ended, and not recorded
    early = fire(cluster.emulator.objects, cron, "2029-12-31T23:00:00Z", minutes=28_000_000)
    cluster.set_status(JOBS, early, {"succeeded": 1, "conditions": [{"type": "Complete", "status": "True"}]})
    await until(lambda: asyncio.sleep(0, cluster.exists(JOBS, early)), lambda present: not present, what="early Job deleted")
    assert (await api.get("pipeline-schedules/every15/runs"))["total"] == 0


def test_a_fired_pod_outside_the_schedules_window_runs_nothing(tmp_path, monkeypatch, capsys):
    schedule_dir = tmp_path / "schedule"
    schedule_dir.mkdir()
    (schedule_dir / "schedule.json").write_text(json.dumps({"start_at": "2999-01-01T00:00:00+00:00", "end_at": None}))
    monkeypatch.setenv(PIPELINE_SCHEDULE_DIR_ENV, str(schedule_dir))
    monkeypatch.setenv(FIRED_JOB_NAME_ENV, "em-schedule-x-123")
    assert fired_runtime.main() == 0
    assert "no run: the schedule starts at 2999-01-01" in capsys.readouterr().out
    assert not (schedule_dir / "runs").exists()
    # inside the window the run's folder is made from the staged files, once
    (schedule_dir / "schedule.json").write_text(json.dumps({"start_at": None, "end_at": None}))
    (schedule_dir / "pipeline_spec.json").write_text("{}")
    (schedule_dir / "run.json").write_text(json.dumps({"parameters": {"a": 1}, "run_name": "s", "job_id": "s"}))
    run_dir = Path(fired_runtime.prepare(str(schedule_dir), "em-schedule-x-123"))
    assert run_dir == schedule_dir / "runs" / "em-schedule-x-123" and (run_dir / "pipeline_spec.json").is_file()
    assert json.loads((run_dir / "run.json").read_text()) == {"parameters": {"a": 1}, "run_name": "em-schedule-x-123",
                                                              "job_id": "em-schedule-x-123"}
    (schedule_dir / "run.json").write_text(json.dumps({"parameters": {"a": 2}}))
    assert fired_runtime.prepare(str(schedule_dir), "em-schedule-x-123") == str(run_dir)  # a retried pod: the same folder
    assert json.loads((run_dir / "run.json").read_text())["parameters"] == {"a": 1}


# -- the server is down when the CronJob fires --------------------------------------------------
def wait_json(server, path: str, check, timeout: float = 30.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        value = server.request("GET", path)
        if check(value):
            return value
        assert time.monotonic() < deadline, f"{path}: {value}"
        time.sleep(0.1)


@needs_data
def test_a_run_the_cronjob_started_while_the_server_was_down_is_picked_up_after_restart(threaded_cluster, tmp_path):
    try:
        from tests.server_config import kubeconfig_file, server_config
        from tests.server_process import ServerProcess
    except ImportError:
        from server_config import kubeconfig_file, server_config
        from server_process import ServerProcess
    cluster = threaded_cluster
    data = tmp_path / "data"
    config = server_config(data, tmp_path, kubernetes_enabled=True, kubernetes={
        "kubeconfig": str(kubeconfig_file(str(cluster.server.url), tmp_path)), "namespace": NS, "pytorchjob": False,
        "volume_mounts": {str(tmp_path): {"persistentVolumeClaim": {"claimName": "workspace"}}}})
    config_file = tmp_path / "server_config.json"
    config_file.write_text(json.dumps(config))
    extra = [f"--config={config_file}"]
    (tmp_path / "root").mkdir()
    started = time.time()
    server = ServerProcess(str(tmp_path / "root"), str(data), extra=extra).start()
    try:
        server.request("POST", "pipelines", {"name": "add", "filename": "add.yaml", "content": ADD_NUMBERS.read_text()})
        wait_json(server, "pipelines/add", lambda p: p["status"] == "ACTIVE")
        # every minute since an hour ago with catch-up: the server's own timer would start runs at once
        start = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started - 3600))
        created = server.request("POST", "pipeline-schedules", {
            "name": "minutely", "pipeline_name": "add", "experiment_name": "e", "backend": "kubernetes",
            "parameters": {"a": 1, "b": 2}, "catch_up": True, "max_concurrency": 5, "start_at": start,
            "trigger": {"type": "cron", "expression": "0 * * * * *"}})
        wait_json(server, "pipeline-schedules/minutely", lambda s: s["status"] == "ENABLED" and "CronJob em-" in s["fired_by"])
        time.sleep(1.0)
        assert server.request("GET", "pipeline-schedules/minutely/runs")["total"] == 0  # the timer started nothing
    finally:
        server.kill()
    name = cronjob_of(cluster, created["id"])
    schedule_dir = str(data / "pipeline-schedules" / created["id"])

    # the cluster goes on while the server is gone: the CronJob starts a Job, its pod runs the pipeline
    scheduled = time.strftime("%Y-%m-%dT%H:%M:00Z", time.gmtime(started))
    fired = fire(cluster.emulator.objects, cluster.get(CRONJOBS, name), scheduled, minutes=int(started // 60))
    play_fired_pod(cluster, fired, schedule_dir, output=3)

    restarted = ServerProcess(str(tmp_path / "root"), str(data), port=server.port, extra=extra).start()
    try:
        runs = wait_json(restarted, "pipeline-schedules/minutely/runs",
                         lambda r: r["total"] >= 1 and r["items"][0]["status"] == "COMPLETE")
        (run,) = runs["items"]
        assert run["schedule_id"] == created["id"] and run["result"]["outputs"] == {"parameters": {"Output": 3}}
        tasks = restarted.request("GET", f"pipeline-runs/{run['name']}/tasks")["items"]
        assert [(t["task_id"], t["state"]) for t in tasks] == [("add-numbers", "SUCCEEDED")]
        time.sleep(1.0)  # later passes record it no second time and start nothing of their own
        assert restarted.request("GET", "pipeline-schedules/minutely/runs")["total"] == 1
        assert not cluster.exists(JOBS, fired)  # released once recorded and ended
        restarted.request("DELETE", "pipeline-schedules/minutely")
        assert not cluster.exists(CRONJOBS, name)
    finally:
        restarted.stop()

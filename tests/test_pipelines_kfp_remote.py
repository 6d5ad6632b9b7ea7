"""Pipeline runs on a Kubeflow Pipelines server, at the HTTP boundary.

The real ``kfp.Client`` (inside ``KfpRemote``) talks to ``FakeKfpServer``, an
in-process v2beta1 API server whose request and response shapes are checked
against kfp_server_api's swagger models. A real pipeline compiled by kfp's own
compiler travels through it.
"""

import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

pytest.importorskip("kfp", reason="kfp is not installed (pip install kfp): the KFP remote runner needs it")

import kfp_server_api
import yaml
from kfp import compiler, dsl
from kfp_api_fake import FakeKfpServer, task_detail

from jupyter_easymaker.areas.pipelines.kfp_remote import (
    FINAL_STATES,
    RUN_STATES,
    KfpRemote,
    RemoteError,
    map_state,
)

TOKEN = "kfp-test-token"
PARAMETERS = {"a": 7, "b": 0.5, "message": "héllo wörld", "verbose": True, "items": [1, "two", 3.0],
              "config": {"lr": 0.01, "layers": [64, 32], "name": "x"}}


@dsl.component(base_image="python:3.11")
def add(a: int, b: float) -> float:
    return a + b


@dsl.container_component
def echo(message: str):
    return dsl.ContainerSpec(image="alpine:3.20", command=["echo"], args=[message])


@dsl.pipeline(name="kfp-remote-test", description="two steps")
def two_steps(a: int = 1, b: float = 2.5, message: str = "hi", verbose: bool = False, items: list = [],  # noqa: B006
              config: dict = {}):  # noqa: B006
    total = add(a=a, b=b)
    echo(message=message).after(total)


@pytest.fixture(scope="module")
def pipeline_yaml(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("compiled") / "two_steps.yaml"
    compiler.Compiler().compile(two_steps, str(path))
    return path.read_text()


@pytest.fixture(autouse=True)
def no_local_kfp_context(tmp_path, monkeypatch):
    # kfp.Client reads (and in-cluster may write) ~/.config/kfp/context.json: keep the tests off the real one
    import kfp.client.client as kfp_client

    monkeypatch.setattr(kfp_client.Client, "_LOCAL_KFP_CONTEXT", str(tmp_path / "kfp-context.json"))


@pytest.fixture
def kfp_api():
    with FakeKfpServer(token=TOKEN) as server:
        yield server
        assert server.unhandled == [], f"kfp.Client called routes the fake does not serve: {server.unhandled}"


@pytest.fixture
def remote(kfp_api) -> KfpRemote:
    return KfpRemote(kfp_api.url, token=TOKEN)


def at(seconds: int) -> datetime:
    return datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC) + timedelta(seconds=seconds)


# --------------------------------------------------------------------------------------------
# submit


def test_submit_sends_the_pipeline_and_parameters_intact(kfp_api, remote, pipeline_yaml):
    run_id = remote.submit("nightly-1", pipeline_yaml, PARAMETERS, "forecasting")

    [experiment] = kfp_api.experiments.values()
    assert experiment["display_name"] == "forecasting"
    [create] = kfp_api.received("POST", "/apis/v2beta1/runs")
    body = create["json"]
    assert body["display_name"] == "nightly-1"
    assert body["experiment_id"] == experiment["experiment_id"]
    assert body["pipeline_spec"] == yaml.safe_load(pipeline_yaml)
    assert body["runtime_config"]["parameters"] == PARAMETERS
    assert type(body["runtime_config"]["parameters"]["a"]) is int
    assert "pipeline_version_reference" not in body
    assert create["headers"]["authorization"] == f"Bearer {TOKEN}"
    assert kfp_api.runs[run_id]["display_name"] == "nightly-1"
    # the pipeline went inline with the run: nothing was uploaded as a pipeline resource
    assert not [r for r in kfp_api.requests if r["path"].startswith("/apis/v2beta1/pipelines")]


def test_submit_keeps_the_platform_spec_document(kfp_api, remote, pipeline_yaml):
    platform = {"platforms": {"kubernetes": {"deploymentSpec": {"executors": {
        "exec-add": {"nodeSelector": {"labels": {"pool": "gpu"}}}}}}}}
    run_id = remote.submit("with-platform", pipeline_yaml + "---\n" + yaml.safe_dump(platform), {}, "forecasting")

    sent = kfp_api.runs[run_id]["pipeline_spec"]
    assert sent["pipeline_spec"] == yaml.safe_load(pipeline_yaml)
    assert sent["platform_spec"] == platform


def test_submit_reuses_the_experiment_by_name(kfp_api, remote, pipeline_yaml):
    first = remote.submit("run-a", pipeline_yaml, {}, "shared")
    second = remote.submit("run-b", pipeline_yaml, {}, "shared")

    assert first != second
    assert len(kfp_api.experiments) == 1
    assert len(kfp_api.received("POST", "/apis/v2beta1/experiments")) == 1
    assert {r["experiment_id"] for r in kfp_api.runs.values()} == set(kfp_api.experiments)


def test_resubmit_of_the_same_run_name_creates_no_second_run(kfp_api, remote, pipeline_yaml):
    run_id = remote.submit("retry-me", pipeline_yaml, {"a": 1}, "exp")
    again = KfpRemote(kfp_api.url, token=TOKEN).submit("retry-me", pipeline_yaml, {"a": 1}, "exp")

    assert again == run_id
    assert len(kfp_api.runs) == 1
    assert len(kfp_api.received("POST", "/apis/v2beta1/runs")) == 1


def test_resubmit_after_a_lost_answer_finds_the_run_the_server_made(kfp_api, remote, pipeline_yaml):
    # the server creates the run, then the connection drops before the answer (a crash mid-submit)
    kfp_api.drop_next("POST", "/apis/v2beta1/runs")
    with pytest.raises(RemoteError) as lost:
        remote.submit("crashy", pipeline_yaml, {"a": 2}, "exp")
    assert kfp_api.url in str(lost.value)
    [made] = kfp_api.runs.values()

    assert remote.submit("crashy", pipeline_yaml, {"a": 2}, "exp") == made["run_id"]
    assert len(kfp_api.runs) == 1
    assert len(kfp_api.received("POST", "/apis/v2beta1/runs")) == 1


def test_submit_in_a_namespace_of_a_multi_user_server(pipeline_yaml):
    with FakeKfpServer(multi_user=True) as kfp_api:
        run_id = KfpRemote(kfp_api.url, namespace="ml-research").submit("ns-run", pipeline_yaml, {}, "exp")
        [experiment] = kfp_api.experiments.values()
        assert experiment["namespace"] == "ml-research"
        assert kfp_api.runs[run_id]["experiment_id"] == experiment["experiment_id"]
        assert kfp_api.unhandled == []


def test_a_package_kfp_cannot_read_is_a_remote_error_and_creates_nothing(kfp_api, remote):
    with pytest.raises(RemoteError) as bad:
        remote.submit("broken", "pipelineInfo: {name: x}\nnotAField: 1\n", {}, "exp")
    assert "creating run 'broken'" in str(bad.value)
    assert kfp_api.runs == {}


def test_a_server_error_on_create_is_a_remote_error_with_its_status(kfp_api, remote, pipeline_yaml):
    kfp_api.fail_next("POST", "/apis/v2beta1/runs", 13, "Internal error: failed to create the workflow")
    with pytest.raises(RemoteError) as failed:
        remote.submit("doomed", pipeline_yaml, {}, "exp")
    error = failed.value
    assert error.status == 500
    assert error.url == kfp_api.url
    assert kfp_api.url in error.message and "HTTP 500" in error.message
    assert "failed to create the workflow" in error.message
    assert error.http_status == 502


def test_a_wrong_token_is_a_remote_error_401(kfp_api):
    with pytest.raises(RemoteError) as refused:
        KfpRemote(kfp_api.url, token="wrong").submit("r", "x: 1", {}, "exp")
    assert refused.value.status == 401
    assert kfp_api.url in str(refused.value)


# --------------------------------------------------------------------------------------------
# poll


def test_poll_follows_pending_running_succeeded_with_tasks(kfp_api, remote, pipeline_yaml):
    run_id = remote.submit("progress", pipeline_yaml, {}, "exp")
    kfp_api.script(run_id, [
        {"state": "PENDING"},
        {"state": "RUNNING", "tasks": [
            task_detail("t-root", "root", "RUNNING", started_at=at(0)),
            task_detail("t-add", "add", "RUNNING", started_at=at(1), parent_task_id="t-root"),
            task_detail("t-echo", "echo", "PENDING", parent_task_id="t-root"),
        ]},
        {"state": "SUCCEEDED", "tasks": [
            task_detail("t-root", "root", "SUCCEEDED", started_at=at(0), ended_at=at(9)),
            task_detail("t-add", "add", "SUCCEEDED", started_at=at(1), ended_at=at(4), parent_task_id="t-root"),
            task_detail("t-echo", "echo", "SUCCEEDED", started_at=at(5), ended_at=at(8), parent_task_id="t-root"),
        ]},
    ])

    pending = remote.poll(run_id)
    assert (pending.state, pending.tasks, pending.error, pending.done) == ("PENDING", [], None, False)

    running = remote.poll(run_id)
    assert running.state == "RUNNING"
    assert running.tasks == [
        {"task_id": "t-root", "name": "root", "parent_task_id": None, "state": "RUNNING",
         "started_at": at(0), "ended_at": None, "error": None},
        {"task_id": "t-add", "name": "add", "parent_task_id": "t-root", "state": "RUNNING",
         "started_at": at(1), "ended_at": None, "error": None},
        {"task_id": "t-echo", "name": "echo", "parent_task_id": "t-root", "state": "PENDING",
         "started_at": None, "ended_at": None, "error": None},
    ]

    done = remote.poll(run_id)
    assert (done.state, done.error, done.done) == ("SUCCEEDED", None, True)
    assert [(t["name"], t["state"], t["started_at"], t["ended_at"]) for t in done.tasks] == [
        ("root", "SUCCEEDED", at(0), at(9)), ("add", "SUCCEEDED", at(1), at(4)), ("echo", "SUCCEEDED", at(5), at(8))]
    assert done.tasks[0]["started_at"].tzinfo is not None
    # the last step stays
    assert remote.poll(run_id).state == "SUCCEEDED"


def test_poll_of_a_failed_run_reports_its_error(kfp_api, remote, pipeline_yaml):
    run_id = remote.submit("fails", pipeline_yaml, {}, "exp")
    kfp_api.set_run(run_id, "FAILED", error="task add failed: exit status 1", tasks=[
        task_detail("t-add", "add", "FAILED", started_at=at(0), ended_at=at(2), error="exit status 1"),
        task_detail("t-echo", "echo", "SKIPPED"),
    ])

    failed = remote.poll(run_id)
    assert (failed.state, failed.error, failed.done) == ("FAILED", "task add failed: exit status 1", True)
    assert [(t["name"], t["state"], t["error"]) for t in failed.tasks] == [
        ("add", "FAILED", "exit status 1"), ("echo", "SKIPPED", None)]


def test_a_failed_run_without_a_run_error_names_its_failed_task(kfp_api, remote, pipeline_yaml):
    run_id = remote.submit("fails-quietly", pipeline_yaml, {}, "exp")
    kfp_api.set_run(run_id, "FAILED", tasks=[task_detail("t-add", "add", "FAILED", error="OOMKilled")])

    assert remote.poll(run_id).error == "task add failed: OOMKilled"


def test_poll_of_an_unknown_run_is_a_remote_error_404(kfp_api, remote):
    with pytest.raises(RemoteError) as missing:
        remote.poll("no-such-run")
    assert missing.value.status == 404
    assert kfp_api.url in str(missing.value) and "HTTP 404" in str(missing.value)
    assert "no-such-run" in str(missing.value)


def test_every_v2beta1_runtime_state_maps_into_the_run_states():
    # the generated client's enum is the swagger's: the source of truth for the names
    for raw in kfp_server_api.V2beta1RuntimeState.allowable_values:
        assert map_state(raw) in RUN_STATES
    assert {map_state(s) for s in RUN_STATES} == set(RUN_STATES)
    assert set(RUN_STATES) | {"RUNTIME_STATE_UNSPECIFIED"} == set(kfp_server_api.V2beta1RuntimeState.allowable_values)
    assert map_state("RUNTIME_STATE_UNSPECIFIED") == "PENDING"
    assert map_state(None) == "PENDING"
    assert map_state("SOMETHING_NEWER") == "RUNNING"  # keep polling rather than end a live run
    assert FINAL_STATES == {"SUCCEEDED", "FAILED", "CANCELED", "SKIPPED"}


# --------------------------------------------------------------------------------------------
# stop and delete


def test_stop_terminates_the_run(kfp_api, remote, pipeline_yaml):
    run_id = remote.submit("to-stop", pipeline_yaml, {}, "exp")
    kfp_api.set_run(run_id, "RUNNING")

    remote.stop(run_id)
    assert kfp_api.terminated == [run_id]
    assert kfp_api.received("POST", f"/apis/v2beta1/runs/{run_id}:terminate")
    assert remote.poll(run_id).state == "CANCELING"
    kfp_api.set_run(run_id, "CANCELED")
    assert remote.poll(run_id).state == "CANCELED"


def test_stop_of_a_run_that_already_ended_is_quiet(kfp_api, remote, pipeline_yaml):
    run_id = remote.submit("ended", pipeline_yaml, {}, "exp")
    kfp_api.set_run(run_id, "SUCCEEDED")

    remote.stop(run_id)  # KFP answers 400 "Row not found" for a run past terminating
    assert kfp_api.terminated == [run_id]
    assert remote.poll(run_id).state == "SUCCEEDED"


def test_stop_of_an_unknown_run_is_a_remote_error_404(kfp_api, remote):
    with pytest.raises(RemoteError) as missing:
        remote.stop("gone")
    assert missing.value.status == 404


def test_delete_removes_the_run_and_tolerates_it_gone(kfp_api, remote, pipeline_yaml):
    run_id = remote.submit("to-delete", pipeline_yaml, {}, "exp")
    remote.delete(run_id)
    assert run_id not in kfp_api.runs
    remote.delete(run_id)  # already gone: 404, counted as deleted
    assert kfp_api.deleted == [run_id]
    assert len(kfp_api.received("DELETE", f"/apis/v2beta1/runs/{run_id}")) == 2


# --------------------------------------------------------------------------------------------
# an unreachable or silent server


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_server_that_is_down_is_a_remote_error_naming_the_url(pipeline_yaml):
    url = f"http://127.0.0.1:{_free_port()}"
    remote = KfpRemote(url)
    started = time.monotonic()
    for call in (lambda: remote.submit("r", pipeline_yaml, {}, "exp"), lambda: remote.poll("abc"),
                 lambda: remote.stop("abc"), lambda: remote.delete("abc")):
        with pytest.raises(RemoteError) as down:
            call()
        assert url in str(down.value)
        assert down.value.status is None
        assert "cannot reach" in str(down.value)
    assert time.monotonic() - started < 20  # no kfp.Client healthz retry loop (5 x 5 s)


def test_a_server_that_goes_down_after_connecting_is_a_remote_error(kfp_api, remote, pipeline_yaml):
    run_id = remote.submit("then-down", pipeline_yaml, {}, "exp")
    kfp_api.stop()
    with pytest.raises(RemoteError) as down:
        remote.poll(run_id)
    assert kfp_api.url in str(down.value) and down.value.status is None


def test_a_server_that_never_answers_times_out():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)  # connections complete in the kernel; nothing ever reads or answers
    held: list[socket.socket] = []
    accepting = threading.Thread(target=lambda: held.append(listener.accept()[0]), daemon=True)
    accepting.start()
    try:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        started = time.monotonic()
        with pytest.raises(RemoteError) as silent:
            KfpRemote(url, timeout=0.3).poll("abc")
        assert url in str(silent.value)
        assert time.monotonic() - started < 15
    finally:
        listener.close()
        for conn in held:
            conn.close()


def test_a_server_that_stops_answering_mid_run_times_out(kfp_api, pipeline_yaml):
    remote = KfpRemote(kfp_api.url, token=TOKEN, timeout=0.3)
    run_id = remote.submit("stalls", pipeline_yaml, {}, "exp")
    # every try of the read (urllib3 retries a GET 3 times) waits longer than the timeout
    kfp_api.stall_next("GET", f"/apis/v2beta1/runs/{run_id}", 2.0, times=4)
    started = time.monotonic()
    with pytest.raises(RemoteError) as silent:
        remote.poll(run_id)
    assert time.monotonic() - started < 8
    assert kfp_api.url in str(silent.value) and "timed out" in str(silent.value)


def test_a_url_without_a_scheme_is_refused():
    with pytest.raises(RemoteError) as bad:
        KfpRemote("kfp.example.com:8888")
    assert "http://" in str(bad.value)


def test_the_module_imports_without_kfp():
    code = ("import importlib, sys; m = importlib.import_module('jupyter_easymaker.areas.pipelines.kfp_remote'); "
            "assert 'kfp' not in sys.modules and 'kfp_server_api' not in sys.modules, sorted(sys.modules); "
            "m.KfpRemote('http://127.0.0.1:1'); assert 'kfp' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)

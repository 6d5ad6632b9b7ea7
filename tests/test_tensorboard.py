"""TensorBoard servers through the REST API and the authenticated proxy,
behind pytest-jupyter's non-default base URL (/a%40b/)."""
from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time

import pytest
from tornado.httpclient import AsyncHTTPClient

from jupyter_easymaker.areas.tensorboard import service as tb_service

pytest.importorskip("tensorboard")

SCALARS_SCRIPT = """
import os, time
from tensorboard.compat.proto.event_pb2 import Event
from tensorboard.compat.proto.summary_pb2 import Summary
from tensorboard.summary.writer.event_file_writer import EventFileWriter

writer = EventFileWriter(os.environ["EM_TENSORBOARD_LOG_DIR"])
for step in range(3):
    value = Summary.Value(tag="loss", simple_value=1.0 / (step + 1))
    writer.add_event(Event(wall_time=time.time(), step=step, summary=Summary(value=[value])))
writer.close()
print("loss=0.33 step=2")
"""


def manager_of(jp_serverapp):
    return jp_serverapp.web_app.settings["easymaker"].service("tensorboard")


async def proxy(jp_fetch, board, *path, **kwargs):
    kwargs.setdefault("raise_error", False)
    return await jp_fetch("easymaker", "tensorboard", board["id"], *path, **kwargs)


async def proxy_json(jp_fetch, board, *path, want=None, timeout=20.0, **kwargs):
    """TensorBoard loads event files in the background: poll until ``want`` holds."""
    deadline = time.monotonic() + timeout
    while True:
        response = await proxy(jp_fetch, board, *path, **kwargs)
        assert response.code == 200, (response.code, response.body[:300])
        data = json.loads(response.body)
        if want is None or want(data) or time.monotonic() > deadline:
            return data
        await asyncio.sleep(0.3)


async def test_tensorboard_of_training_and_experiment_through_proxy(
    api, jp_fetch, jp_serverapp, jp_base_url, jp_http_port, jp_auth_header, http_server_client, write_script
):
    source = write_script(SCALARS_SCRIPT)
    await api.post("trainings", {
        "name": "tb-run", "experiment_name": "tb-exp",
        "algorithm": {"type": "custom", "source_dir": source, "entry_point": "train.py"},
    }, expect=201)
    done = await api.wait_status("tb-run")
    assert done["status"] == "COMPLETE", done

    board = await api.post("tensorboards", {"training_id": "tb-run"}, expect=200)
    assert board["status"] == "running"
    assert board["url"] == f"{jp_base_url}easymaker/tensorboard/{board['id']}/"
    assert board["logdir"] == done["tensorboard_log_dir"]
    assert board["training_id"] == done["id"] and not board["reused"]

    # the training's own log dir is the run "."
    runs = await proxy_json(jp_fetch, board, "data", "runs", want=lambda r: "." in r)
    assert runs == ["."]
    tags = await proxy_json(jp_fetch, board, "data", "plugin", "scalars", "tags", want=lambda t: "loss" in t.get(".", {}))
    assert "loss" in tags["."]
    # a POST with a form body and the query string go through, as TensorBoard's frontend sends them
    response = await proxy(jp_fetch, board, "data", "plugin", "scalars", "scalars_multirun", method="POST",
                           body="tag=loss&runs=.", headers={"Content-Type": "application/x-www-form-urlencoded", "X-XSRF-Protected": "1"})
    assert response.code == 200, response.body
    assert [p[1:] for p in json.loads(response.body)["."]] == [[0, 1.0], [1, 0.5], [2, pytest.approx(1 / 3)]]
    response = await proxy(jp_fetch, board, "data", "plugin", "scalars", "scalars", params={"run": ".", "tag": "loss"})
    assert response.code == 200 and len(json.loads(response.body)) == 3
    assert response.headers["Content-Type"].startswith("application/json")
    # the page itself, framable by JupyterLab only
    base = f"http://127.0.0.1:{jp_http_port}{jp_base_url}easymaker/tensorboard/{board['id']}"
    page = await AsyncHTTPClient().fetch(base + "/", headers=jp_auth_header, raise_error=False)
    assert page.code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert "frame-ancestors 'self'" in page.headers["Content-Security-Policy"]
    redirect = await AsyncHTTPClient().fetch(base + "?x=1", headers=jp_auth_header, follow_redirects=False, raise_error=False)
    assert redirect.headers["Location"].endswith(f"/easymaker/tensorboard/{board['id']}/?x=1")
    assert redirect.code == 302

    # one server per log dir
    again = await api.post("tensorboards", {"training_id": done["id"]}, expect=200)
    assert again["id"] == board["id"] and again["reused"]

    # an experiment's board shows every training of it as a run
    exp_board = await api.post("tensorboards", {"experiment_id": "tb-exp"}, expect=200)
    assert exp_board["id"] != board["id"] and exp_board["experiment_id"] == done["experiment_id"]
    runs = await proxy_json(jp_fetch, exp_board, "data", "runs", want=lambda r: "tb-run" in r)
    assert "tb-run" in runs
    tags = await proxy_json(jp_fetch, exp_board, "data", "plugin", "scalars", "tags", want=lambda t: "tb-run" in t)
    assert "loss" in tags["tb-run"]

    listed = await api.get("tensorboards")
    assert {b["id"] for b in listed["items"]} == {board["id"], exp_board["id"]}
    assert (await api.get(f"tensorboards/{board['id']}"))["status"] == "running"

    # no token: refused, API and proxy alike
    url = f"{jp_base_url}easymaker/tensorboard/{board['id']}/data/runs"
    response = await http_server_client.fetch(url, raise_error=False, request_timeout=5)
    assert response.code == 403
    response = await http_server_client.fetch(url, method="POST", body="", raise_error=False, request_timeout=5)
    assert response.code == 403

    # DELETE stops the process
    manager = manager_of(jp_serverapp)
    process = manager._servers[board["id"]].process
    await api.call("DELETE", f"tensorboards/{board['id']}", expect=204)
    assert process.poll() is not None
    assert (await proxy(jp_fetch, board, "data", "runs")).code == 404
    await api.call("DELETE", f"tensorboards/{board['id']}", expect=404)
    await api.get(f"tensorboards/{board['id']}", expect=404)

    # idle servers are stopped by the controller loop
    process = manager._servers[exp_board["id"]].process
    manager.idle_seconds = 0.3
    deadline = time.monotonic() + 15
    while process.poll() is None and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    assert process.poll() is not None
    assert (await api.get("tensorboards"))["items"] == []


async def test_tensorboard_requests_are_validated(api):
    bad = await api.post("tensorboards", {}, expect=422)
    assert bad["field"] == "training_id"
    bad = await api.post("tensorboards", {"training_id": "a", "experiment_id": "b"}, expect=422)
    assert bad["field"] == "training_id"
    bad = await api.post("tensorboards", {"training_id": "no-such-training"}, expect=404)
    assert bad["field"] == "training_id"
    bad = await api.post("tensorboards", {"experiment_id": "no-such-experiment"}, expect=404)
    assert bad["field"] == "experiment_id"
    bad = await api.post("tensorboards", {"training_id": "x", "port": 1}, expect=422)
    assert bad["field"] == "port"


async def test_missing_tensorboard_package_answers_with_the_pip_extra(api, monkeypatch):
    await api.post("experiments", {"name": "no-tb"}, expect=201)
    monkeypatch.setattr(tb_service, "tensorboard_available", lambda: False)
    answer = await api.post("tensorboards", {"experiment_id": "no-tb"}, expect=501)
    assert "pip install 'jupyter-easymaker[ml]'" in answer["error"]
    assert (await api.get(""))["capabilities"]["tensorboard"] is False
    monkeypatch.undo()
    assert (await api.get(""))["capabilities"]["tensorboard"] is True


async def test_a_server_that_fails_to_start_is_reported(api, jp_serverapp, monkeypatch):
    await api.post("experiments", {"name": "tb-fail"}, expect=201)
    manager = manager_of(jp_serverapp)
    monkeypatch.setattr(manager, "_command", lambda server: [sys.executable, "-c", "import sys; print('no luck here'); sys.exit(3)"])
    answer = await api.post("tensorboards", {"experiment_id": "tb-fail"}, expect=502)
    assert "exited with code 3" in answer["error"] and "no luck here" in answer["error"]
    assert (await api.get("tensorboards"))["items"] == []


async def test_stop_all_and_orphans_of_a_crashed_server(api, jp_serverapp, easymaker_data):
    await api.post("experiments", {"name": "tb-stop"}, expect=201)
    manager = manager_of(jp_serverapp)
    board = await api.post("tensorboards", {"experiment_id": "tb-stop", "wait": False}, expect=200)
    assert board["status"] in ("starting", "running")
    process = manager._servers[board["id"]].process
    manager.stop_all()  # what stop_extension and atexit call
    assert process.poll() is not None
    assert (await api.get("tensorboards"))["items"] == []

    # a state file left by a server that died: recover() kills its process
    orphan = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "tensorboard"], start_new_session=True)
    dead_owner = subprocess.Popen([sys.executable, "-c", "pass"])
    dead_owner.wait()
    import psutil

    state_dir = easymaker_data / "tensorboard-servers"
    state_dir.mkdir(exist_ok=True)
    (state_dir / "0123456789ab.json").write_text(json.dumps({
        "pid": orphan.pid, "create_time": psutil.Process(orphan.pid).create_time(), "owner_pid": dead_owner.pid, "logdir": "x",
    }))
    manager.recover()
    assert orphan.wait(timeout=5) != 0
    assert not os.path.exists(state_dir / "0123456789ab.json")


async def test_client_open_tensorboard(api, jp_serverapp, jp_http_port, jp_base_url):
    from jupyter_easymaker.client import Client

    await api.post("experiments", {"name": "tb-client"}, expect=201)
    client = Client(f"http://127.0.0.1:{jp_http_port}{jp_base_url}", jp_serverapp.identity_provider.token, timeout=30)
    board = await asyncio.to_thread(client.open_tensorboard, experiment="tb-client")
    assert board["status"] == "running" and board["experiment_id"]
    assert board["link"] == f"http://127.0.0.1:{jp_http_port}{jp_base_url}easymaker/tensorboard/{board['id']}/"
    with pytest.raises(ValueError):
        client.open_tensorboard()


TRIAL_SCALARS_SCRIPT = """
import os, time
from tensorboard.compat.proto.event_pb2 import Event
from tensorboard.compat.proto.summary_pb2 import Summary
from tensorboard.summary.writer.event_file_writer import EventFileWriter

x = int(os.environ["EM_HP_X"])
writer = EventFileWriter(os.environ["EM_TENSORBOARD_LOG_DIR"])
value = Summary.Value(tag="loss", simple_value=float(x * x))
writer.add_event(Event(wall_time=time.time(), step=0, summary=Summary(value=[value])))
writer.close()
print(f"loss={x * x}")
"""


async def test_tensorboard_of_a_tuning_shows_every_trial_as_a_run(api, jp_fetch, jp_serverapp, jp_http_port, jp_base_url, write_script):
    from jupyter_easymaker.client import Client

    source = write_script(TRIAL_SCALARS_SCRIPT)
    await api.post("hyperparameter-tunings", {
        "name": "tb-hpo", "experiment_name": "tb-hpo-exp",
        "algorithm": {"type": "custom", "source_dir": source, "entry_point": "train.py"},
        "strategy": "Grid", "parameters": [{"name": "x", "type": "int", "min": 1, "max": 3, "step": 1}],
        "objective_metric": "loss", "parallel_trials": 2,
    }, expect=201)
    deadline = time.monotonic() + 60
    while (tuning := await api.get("hyperparameter-tunings/tb-hpo"))["status"] != "COMPLETE":
        assert time.monotonic() < deadline and "FAIL" not in tuning["status"], tuning
        await asyncio.sleep(0.2)
    trials = (await api.get("hyperparameter-tunings/tb-hpo/trials"))["items"]
    names = sorted(os.path.basename(t["tensorboard_log_dir"]) for t in trials)
    assert len(names) == 3 and all(n.startswith("trial-") for n in names)

    board = await api.post("tensorboards", {"hyperparameter_tuning_id": "tb-hpo"}, expect=200)
    assert board["hyperparameter_tuning_id"] == tuning["id"] and board["training_id"] is None and board["experiment_id"] is None
    assert board["logdir"] == tuning["tensorboard_log_dir"]
    # each trial is a run named after it, with its own scalars
    runs = await proxy_json(jp_fetch, board, "data", "runs", want=lambda r: len(r) == 3)
    assert sorted(runs) == names
    tags = await proxy_json(jp_fetch, board, "data", "plugin", "scalars", "tags", want=lambda t: len(t) == 3)
    assert all("loss" in tags[n] for n in names)
    by_x = {}
    for t in trials:
        run = os.path.basename(t["tensorboard_log_dir"])
        response = await proxy(jp_fetch, board, "data", "plugin", "scalars", "scalars", params={"run": run, "tag": "loss"})
        by_x[t["parameters"]["x"]] = [p[2] for p in json.loads(response.body)]
    assert by_x == {1: [1.0], 2: [4.0], 3: [9.0]}

    # one server per log dir, by id or name; the Python client reaches the same one
    again = await api.post("tensorboards", {"hyperparameter_tuning_id": tuning["id"]}, expect=200)
    assert again["id"] == board["id"] and again["reused"]
    client = Client(f"http://127.0.0.1:{jp_http_port}{jp_base_url}", jp_serverapp.identity_provider.token, timeout=30)
    through_client = await asyncio.to_thread(client.open_tensorboard, tuning="tb-hpo")
    assert through_client["id"] == board["id"] and through_client["link"].endswith(f"/easymaker/tensorboard/{board['id']}/")
    with pytest.raises(ValueError):
        client.open_tensorboard(training="a", tuning="b")

    bad = await api.post("tensorboards", {"hyperparameter_tuning_id": "no-such-tuning"}, expect=404)
    assert bad["field"] == "hyperparameter_tuning_id"
    bad = await api.post("tensorboards", {"experiment_id": "tb-hpo-exp", "hyperparameter_tuning_id": "tb-hpo"}, expect=422)
    assert bad["field"] == "training_id"

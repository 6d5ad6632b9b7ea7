"""kill -9 of the Jupyter server while an endpoint serves: its model servers
keep serving, the restarted server finds the same processes again (no second
start), routes to them, and stops them when the endpoint is deleted."""
from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request

import psutil

from server_process import ServerProcess
from tests import model_builders as mb

IRIS = [[6.8, 2.8, 4.8, 1.4]]


def wait(server, path, check, timeout=60.0):
    end = time.monotonic() + timeout
    while True:
        try:
            row = server.request("GET", path)
        except urllib.error.HTTPError as exc:
            row = {"http_status": exc.code}
        if check(row):
            return row
        assert time.monotonic() < end, row
        time.sleep(0.1)


def pods(data):
    found = []
    for root, _dirs, files in os.walk(os.path.join(data, "endpoints")):
        if "server.json" in files:
            found += [(p["pid"], p["port"]) for p in json.load(open(os.path.join(root, "server.json")))["pods"]]
    return found


def predict(port, key):
    request = urllib.request.Request(f"http://127.0.0.1:{port}/easymaker/inference/ep/iris/v1/models/iris/predict",
                                     data=json.dumps({"instances": IRIS}).encode(), method="POST",
                                     headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def test_kill_9_then_restart_finds_the_model_servers_again(tmp_path):
    folder = mb.iris_sklearn(str(tmp_path / "iris"))
    data = str(tmp_path / "data")
    server = ServerProcess(str(tmp_path), data).start()
    try:
        server.request("POST", "models", {"name": "iris", "framework": "scikit-learn", "artifact_path": folder,
                                          "validate_artifact": False})
        key = server.request("POST", "endpoints", {"name": "ep", "resources": [{"model": "iris", "cpu": 0.3}]})["api_key"]["key"]
        wait(server, "endpoints/ep", lambda r: r["status"] == "ACTIVE")
        assert predict(server.port, key) == {"predictions": [1]}
        before = pods(data)
        assert len(before) == 1
    finally:
        server.kill()
    pid = before[0][0]
    assert psutil.pid_exists(pid)  # the model server outlives the Jupyter server

    restarted = ServerProcess(str(tmp_path), data, port=server.port).start()
    try:
        assert predict(restarted.port, key) == {"predictions": [1]}  # routes rebuilt from the store at start
        assert pods(data) == before  # the same process, not a second one
        history = restarted.request("GET", f"endpoints/ep/stages/default/resources/"
                                           f"{restarted.request('GET', 'endpoints/ep')['stages'][0]['resources'][0]['id']}")["history"]
        assert [h["status"] for h in history].count("CREATE IN PROGRESS") == 1
        restarted.request("DELETE", "endpoints/ep")
        wait(restarted, "endpoints/ep", lambda r: r.get("http_status") == 404)
        end = time.monotonic() + 10
        while psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
            assert time.monotonic() < end, "the model server was not stopped"
            time.sleep(0.1)
    finally:
        restarted.stop()
        if psutil.pid_exists(pid):
            os.killpg(pid, 9)

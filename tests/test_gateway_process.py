"""The inference gateway in a process of its own: its own port beside the
Jupyter port's stage URLs (which relay to it), the same API-key checks,
statistics and inference logs written to the store by the gateway process,
draining asked over the control channel, a killed gateway started again on
the same port, server-sent events through both URLs, and a gateway that
outlives a killed Jupyter server and is found again (not started twice)."""
from __future__ import annotations

import asyncio
import json
import os
import signal
import time
import urllib.error
import urllib.request

import psutil
import pytest
from server_process import ServerProcess

from tests import model_builders as mb
from tests.server_config import server_config
from tests.test_api_endpoints import wait_for

IRIS = {"instances": [[6.8, 2.8, 4.8, 1.4]]}
PREDICT = "iris/v1/models/iris/predict"


@pytest.fixture
def jp_server_config(easymaker_data, tmp_path):
    return server_config(easymaker_data, tmp_path, serving={"stats_flush_seconds": 0.2, "start_timeout_seconds": 60.0})


def call(url: str, body=None, *, key: str | None = None, headers: dict | None = None) -> tuple[int, dict, dict]:
    request = urllib.request.Request(url, data=json.dumps(body).encode() if body is not None else None,
                                     method="POST" if body is not None else "GET",
                                     headers={"Content-Type": "application/json", **(headers or {}),
                                              **({"Authorization": f"Bearer {key}"} if key else {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null"), dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null"), dict(exc.headers)


async def deploy(api, tmp_path, name="gw", model="iris", folder=None, framework="scikit-learn", timeout=60.0):
    folder = folder or mb.iris_sklearn(str(tmp_path / model))
    await api.post("models", {"name": model, "framework": framework, "artifact_path": folder, "validate_artifact": False},
                   expect=201)
    key = (await api.post("endpoints", {"name": name, "resources": [{"model": model}]}, expect=201))["api_key"]["key"]

    async def active():
        row = await api.get(f"endpoints/{name}")
        assert row["status"] != "CREATE FAILED", row
        return row if row["status"] == "ACTIVE" else None

    return key, await wait_for(active, timeout, f"endpoint {name} ACTIVE")


def read_json(path: str):
    with open(path) as f:
        return json.load(f)


def gateway_processes(config_file: str) -> list[int]:
    found = []
    for proc in psutil.process_iter(["pid", "cmdline"]):
        if config_file in (proc.info["cmdline"] or []):
            found.append(proc.info["pid"])
    return found


async def test_gateway_port_keys_statistics_logs_draining_and_a_killed_gateway(api, tmp_path, jp_serverapp, jp_http_port,
                                                                               jp_base_url):
    key, endpoint = await deploy(api, tmp_path)
    service = jp_serverapp.web_app.settings["easymaker"].service("endpoints")
    process = service.gateway.process
    pid = process.pid()
    assert pid and pid != os.getpid() and gateway_processes(process.config_file) == [pid]  # a process of its own

    # the REST answers show both URLs: the gateway's own port and the Jupyter port's
    direct = endpoint["default_stage_gateway_url"]
    assert direct == f"http://127.0.0.1:{process.port}/easymaker/inference/gw"
    stage = endpoint["stages"][0]
    assert stage["gateway_url"] == f"{direct}/default"
    assert stage["url"].endswith(f"{jp_base_url}easymaker/inference/gw/default")
    settings = await api.get("endpoints/gw/stages/default/gateway")
    assert settings["gateway_url"] == stage["gateway_url"] and settings["default_stage_gateway_url"] == direct
    assert settings["routable"] and list(settings["models"]) == ["iris"] and settings["in_flight"] == {"iris": 0}
    address = settings["models"]["iris"][0]

    jupyter = f"http://127.0.0.1:{jp_http_port}{jp_base_url}easymaker/inference/gw"
    code, data, headers = await asyncio.to_thread(call, f"{direct}/{PREDICT}", IRIS, key=key,
                                                  headers={"X-Inference-Id": "through-the-gateway-port"})
    assert (code, data) == (200, {"predictions": [1]}) and headers["X-Easymaker-Stage"] == "default"
    assert headers["X-Inference-Id"] == "through-the-gateway-port"
    code, data, headers = await asyncio.to_thread(call, f"{jupyter}/{PREDICT}", IRIS, key=key)
    assert (code, data) == (200, {"predictions": [1]}) and headers["X-Easymaker-Stage"] == "default"
    assert headers["X-Inference-Id"]  # decided by the gateway process, relayed
    # the API key is checked at the gateway port
    code, data, headers = await asyncio.to_thread(call, f"{direct}/{PREDICT}", IRIS)
    assert code == 401 and "API key is required" in data["error"] and headers["WWW-Authenticate"].startswith("Bearer")
    code, data, _ = await asyncio.to_thread(call, f"{direct}/{PREDICT}", IRIS, key=key + "x")
    assert code == 401 and "not a valid key" in data["error"]
    assert (await asyncio.to_thread(call, f"{direct}/default", key=key))[1]["models"] == ["iris"]

    # statistics and inference logs reach the store from the gateway process (the Jupyter server has no gateway)
    stats = await api.get("endpoints/gw/stages/default/statistics")
    assert stats["totals"]["calls"] == 5 and stats["totals"]["failure"] == 2
    logs = (await api.get("endpoints/gw/stages/default/logs"))["records"]
    mine = [r for r in logs if r["inferenceId"] == "through-the-gateway-port"]
    assert len(mine) == 1 and mine[0]["modelName"] == "iris" and mine[0]["status"] == 200
    assert [r["status"] for r in logs].count(401) == 2
    keys = (await api.get("endpoints/gw/api-keys"))["items"]
    assert keys[0]["last_used_at"] is not None  # the key's use, written by the gateway process
    # the gateway process indexes what it wrote for the log search itself, within a tick or two
    # (the Jupyter server's controller would wait 6 s of an unmoved index first)
    index = jp_serverapp.web_app.settings["easymaker"].logs.index
    deadline = time.monotonic() + 5
    while index.behind() and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    assert index.behind() == 0

    # big bodies both ways, through both URLs (and a client that waits for "100 Continue", as curl does)
    many = {"instances": IRIS["instances"] * 40000}  # about 1 MB of request, 120 KB of answer
    for url in (direct, jupyter):
        code, data, _ = await asyncio.to_thread(call, f"{url}/{PREDICT}", many, key=key, headers={"Expect": "100-continue"})
        assert code == 200 and len(data["predictions"]) == 40000 and set(data["predictions"]) == {1}

    # draining, asked over the control channel: no new request reaches the server; back after undrain
    await asyncio.to_thread(service.gateway.drain, [address])
    code, data, _ = await asyncio.to_thread(call, f"{direct}/{PREDICT}", IRIS, key=key)
    assert code == 503 and "no server" in data["error"]
    assert await asyncio.to_thread(service.gateway.in_flight, addresses=[address]) == 0
    await asyncio.to_thread(service.gateway.undrain, [address])
    await asyncio.to_thread(service.gateway.reload)
    assert (await asyncio.to_thread(call, f"{direct}/{PREDICT}", IRIS, key=key))[0] == 200

    # a killed gateway is started again, on the same port, by the reconciler
    port = process.port
    os.kill(pid, signal.SIGKILL)

    async def restarted():
        return process.pid() not in (None, pid) and process.alive()

    await wait_for(restarted, 30, "gateway started again")
    assert process.port == port and process.starts == 2 and gateway_processes(process.config_file) == [process.pid()]
    code, data, _ = await asyncio.to_thread(call, f"{direct}/{PREDICT}", IRIS, key=key)
    assert (code, data) == (200, {"predictions": [1]})
    assert (await asyncio.to_thread(call, f"{jupyter}/{PREDICT}", IRIS, key=key))[0] == 200

    await api.call("DELETE", "endpoints/gw", expect=204)

    async def gone():
        return (await asyncio.to_thread(call, f"{direct}/{PREDICT}", IRIS, key=key))[0] == 404

    await wait_for(gone, 30, "endpoint no longer routed")


def sse_events(url: str, key: str) -> list[bytes]:
    """The raw ``data:`` lines of a streamed chat completion, read as they arrive."""
    body = {"model": "tiny-llm", "messages": [{"role": "user", "content": "hello"}], "max_tokens": 6, "temperature": 0,
            "stream": True}
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"})
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.headers["Content-Type"].startswith("text/event-stream")
        return [line.strip() for line in response if line.startswith(b"data:")]


async def test_server_sent_events_stream_through_both_urls(api, tmp_path, jp_http_port, jp_base_url):
    folder = mb.tiny_llama(str(tmp_path / "llama"))
    key, endpoint = await deploy(api, tmp_path, name="chat", model="tiny-llm", folder=folder, framework="huggingface",
                                 timeout=90)
    path = "tiny-llm/openai/v1/chat/completions"
    direct = await asyncio.to_thread(sse_events, f"{endpoint['default_stage_gateway_url']}/{path}", key)
    relayed = await asyncio.to_thread(
        sse_events, f"http://127.0.0.1:{jp_http_port}{jp_base_url}easymaker/inference/chat/{path}", key)
    for events in (direct, relayed):
        assert len(events) > 3 and events[-1] == b"data: [DONE]"
        assert all(json.loads(e[5:])["object"] == "chat.completion.chunk" for e in events[:-1])
    assert len(direct) == len(relayed)  # greedy: the same answer through both
    await api.call("DELETE", "endpoints/chat", expect=204)


def test_the_gateway_outlives_a_killed_server_and_is_found_again(tmp_path):
    folder = mb.iris_sklearn(str(tmp_path / "iris"))
    data = str(tmp_path / "data")
    server = ServerProcess(str(tmp_path), data).start()
    state_file = os.path.join(data, "gateway", "process.json")
    try:
        server.request("POST", "models", {"name": "iris", "framework": "scikit-learn", "artifact_path": folder,
                                          "validate_artifact": False})
        key = server.request("POST", "endpoints", {"name": "ep", "resources": [{"model": "iris", "cpu": 0.3}]})["api_key"]["key"]
        end = time.monotonic() + 60
        while (endpoint := server.request("GET", "endpoints/ep"))["status"] != "ACTIVE":
            assert time.monotonic() < end, endpoint
            time.sleep(0.1)
        direct = endpoint["default_stage_gateway_url"]
        assert call(f"{direct}/{PREDICT}", IRIS, key=key)[:2] == (200, {"predictions": [1]})
        before = read_json(state_file)
    finally:
        server.kill()
    # the Jupyter server is gone: the gateway port keeps serving
    assert call(f"{direct}/{PREDICT}", IRIS, key=key)[:2] == (200, {"predictions": [1]})

    restarted = ServerProcess(str(tmp_path), data, port=server.port).start()
    try:
        jupyter = f"http://127.0.0.1:{restarted.port}/easymaker/inference/ep"
        assert call(f"{jupyter}/{PREDICT}", IRIS, key=key)[:2] == (200, {"predictions": [1]})  # relayed to the same one
        assert read_json(state_file) == before  # found again, not started twice
        assert gateway_processes(os.path.join(data, "gateway", "config.json")) == [before["pid"]]
        assert restarted.request("GET", "endpoints/ep")["default_stage_gateway_url"] == direct
        restarted.request("DELETE", "endpoints/ep")
    finally:
        restarted.stop()

"""Endpoints over REST with real model servers on the local backend: the
guide's statuses, validation, API keys, OIP v1/v2 through the gateway, API
statistics, inference logs, deletion rules, and a default-stage change under
continuous load that loses no request."""
from __future__ import annotations

import asyncio
import glob
import json
import os
import time

import psutil
import pytest
from tornado.httpclient import AsyncHTTPClient, HTTPRequest

from tests import model_builders as mb
from tests.server_config import server_config

IRIS = [[6.8, 2.8, 4.8, 1.4], [6.0, 3.4, 4.5, 1.6]]


@pytest.fixture
def jp_server_config(easymaker_data, tmp_path):
    return server_config(easymaker_data, tmp_path, serving={
        "stats_flush_seconds": 0.2, "drain_timeout_seconds": 10.0, "start_timeout_seconds": 60.0, "max_restarts": 1})


@pytest.fixture
def server_pids(easymaker_data):
    """Model server pids this test started (from the servers' state files); any left at the end are killed."""
    def pids() -> set[int]:
        found = set()
        for path in glob.glob(str(easymaker_data / "endpoints" / "*" / "servers" / "*" / "server.json")):
            state = json.load(open(path))
            for pod in state["pods"]:
                try:
                    if abs(psutil.Process(pod["pid"]).create_time() - pod["create_time"]) < 0.01:
                        found.add(pod["pid"])
                except psutil.NoSuchProcess:
                    pass
        return found

    yield pids
    for pid in pids():
        try:
            os.killpg(pid, 9)
        except ProcessLookupError:
            pass


async def wait_for(check, timeout=60.0, what="condition"):
    end = time.monotonic() + timeout
    while True:
        value = await check()
        if value:
            return value
        assert time.monotonic() < end, f"{what} not reached"
        await asyncio.sleep(0.1)


async def wait_endpoint(api, name, status="ACTIVE", timeout=60.0):
    async def check():
        row = await api.get(f"endpoints/{name}")
        assert row["status"] not in ("CREATE FAILED", "UPDATE FAILED") or status in ("CREATE FAILED", "UPDATE FAILED"), row
        return row if row["status"] == status else None

    return await wait_for(check, timeout, f"endpoint {name} {status}")


async def register(api, tmp_path, name="iris", **params):
    folder = mb.iris_sklearn(str(tmp_path / name))
    body = {"name": name, "framework": "scikit-learn", "artifact_path": folder}
    if params:
        body["parameters"] = params
    return await api.post("models", body, expect=201)


class Gateway:
    """Calls to the inference gateway, with or without an API key."""

    def __init__(self, port: int, base_url: str):
        self.root = f"http://127.0.0.1:{port}{base_url}easymaker/inference/"
        self.client = AsyncHTTPClient(force_instance=True, max_clients=64)

    async def call(self, path: str, body=None, *, key: str | None = None, header: str = "bearer", method: str | None = None):
        headers = {"Content-Type": "application/json"}
        if key and header == "bearer":
            headers["Authorization"] = f"Bearer {key}"
        elif key:
            headers["x-api-key"] = key
        request = HTTPRequest(self.root + path, method=method or ("POST" if body is not None else "GET"), headers=headers,
                              body=json.dumps(body) if body is not None else None, request_timeout=30)
        response = await self.client.fetch(request, raise_error=False)
        text = response.body.decode() if response.body else ""
        try:
            data = json.loads(text)
        except ValueError:
            data = text
        return response.code, data, response.headers


@pytest.fixture
def gateway(jp_http_port, jp_base_url, jp_fetch):
    g = Gateway(jp_http_port, jp_base_url)
    yield g
    g.client.close()


async def test_endpoint_lifecycle_keys_oip_statistics_logs_and_deletion_rules(api, tmp_path, gateway, server_pids):
    await register(api, tmp_path)
    # bad input: 4xx naming the field, nothing stored
    for body, field in [
        ({"name": "e1"}, "resources"),
        ({"name": "e1", "resources": [{"model": "nope"}]}, "resources[0].model"),
        ({"name": "e1", "resources": [{"model": "iris", "cpu": 64}]}, "resources[0].cpu"),
        ({"name": "e1", "resources": [{"model": "iris", "pod_count": 40, "cpu": 0.5}]}, "resources[0].cpu"),
        ({"name": "e1", "instance_type": "huge", "resources": [{"model": "iris"}]}, "instance_type"),
        ({"name": "bad name", "resources": [{"model": "iris"}]}, "name"),
        ({"name": "e1", "resources": [{"model": "iris", "memory": "lots"}]}, "resources[0].memory"),
        ({"name": "e1", "resources": [{"model": "iris", "pod_autoscaler": {"enabled": True, "metric": "gpu"}}]},
         "resources[0].pod_autoscaler.metric"),
        ({"name": "e1", "node_autoscaler": {"enabled": True, "min_nodes": 3, "max_nodes": 2}, "resources": [{"model": "iris"}]},
         "node_autoscaler"),
        ({"name": "e1", "resources": [{"model": "iris"}], "backend": "mainframe"}, "backend"),
    ]:
        error = await api.post("endpoints", body)
        assert error.get("field") == field, (body, error)
    assert (await api.get("endpoints"))["total"] == 0

    created = await api.post("endpoints", {"name": "iris-ep", "description": "flowers", "instance_type": "cpu-2",
                                           "node_autoscaler": {"enabled": True, "min_nodes": 1, "max_nodes": 3},
                                           "resources": [{"model": "iris", "pod_count": 2, "allocation_percent": 40}]}, expect=201)
    key = created["api_key"]["key"]
    assert key.startswith("emk_") and created["status"] == "CREATE REQUESTED"
    assert created["default_stage_url"].endswith("/easymaker/inference/iris-ep")
    resource = created["stages"][0]["resources"][0]
    assert resource["allocation"]["cpu"] == pytest.approx(0.76) and resource["pod_count"] == 2
    endpoint = await wait_endpoint(api, "iris-ep")
    assert [h["status"] for h in endpoint["history"]] == ["CREATE REQUESTED", "CREATE IN PROGRESS", "ACTIVE"]
    assert endpoint["gateway_status"] == "ACTIVE"
    stage = await api.get("endpoints/iris-ep/stages/default")
    assert stage["is_default"] and stage["status"] == "ACTIVE" and stage["pods_ready"] == 2 and stage["nodes"] == 1
    assert [h["status"] for h in stage["history"]] == ["CREATE REQUESTED", "CREATE IN PROGRESS", "DEPLOY IN PROGRESS", "ACTIVE"]
    assert stage["node_autoscaler"]["max_nodes"] == 3 and stage["instance_type"] == "cpu-2"
    assert stage["resources"][0]["resource_path"].endswith("/easymaker/inference/iris-ep/default/iris")
    assert len(server_pids()) == 2

    # the API key is required; OIP v1 and v2 through the default stage URL and the stage URL
    predict = "iris-ep/iris/v1/models/iris/predict"
    assert (await gateway.call(predict, {"instances": IRIS}))[0] == 401
    assert (await gateway.call(predict, {"instances": IRIS}, key=key + "x"))[0] == 401
    assert (await gateway.call(predict, {"instances": IRIS}, key="emk_00000000_nothing"))[0] == 401
    code, data, headers = await gateway.call(predict, {"instances": IRIS}, key=key)
    assert code == 200 and data["predictions"] == [1, 1], data
    assert headers["X-Inference-Id"]
    code, data, _ = await gateway.call("iris-ep/default/iris/v1/models/iris/predict", {"instances": IRIS}, key=key, header="x-api-key")
    assert code == 200 and data["predictions"] == [1, 1]
    infer = {"inputs": [{"name": "input-0", "shape": [2, 4], "datatype": "FP32", "data": IRIS}]}
    code, data, _ = await gateway.call("iris-ep/iris/v2/models/iris/infer", infer, key=key)
    assert code == 200 and data["model_name"] == "iris" and data["outputs"][0]["data"] == [1, 1], data
    for path in ("iris/v1/models", "iris/v1/models/iris", "iris/v2", "iris/v2/health/live", "iris/v2/health/ready",
                 "iris/v2/models/iris", "iris/v2/models/iris/ready"):
        code, data, _ = await gateway.call(f"iris-ep/{path}", key=key)
        assert code == 200, (path, data)
    code, data, _ = await gateway.call("iris-ep/default", key=key)
    assert code == 200 and data == {"endpoint": "iris-ep", "stage": "default", "default": True, "models": ["iris"]}
    assert (await gateway.call("iris-ep/other/v1/models", key=key))[0] == 404
    assert (await gateway.call("nope/iris/v1/models", key=key))[0] == 404

    # keys: listed masked, a second one works, a revoked one stops working at once
    second = await api.post("endpoints/iris-ep/api-keys", {"name": "ci"}, expect=201)
    keys = (await api.get("endpoints/iris-ep/api-keys"))["items"]
    assert [k["name"] for k in keys] == ["default", "ci"] and all(k["key"] is None for k in keys)
    assert keys[1]["masked"].endswith(second["key"][-4:]) and second["key"] not in json.dumps(keys)
    assert keys[0]["last_used_at"] is not None
    assert (await gateway.call(predict, {"instances": IRIS}, key=second["key"]))[0] == 200
    revoked = await api.call("DELETE", f"endpoints/iris-ep/api-keys/{second['id']}", expect=200)
    assert revoked["revoked_at"]
    assert (await gateway.call(predict, {"instances": IRIS}, key=second["key"]))[0] == 401
    assert (await gateway.call(predict, {"instances": IRIS}, key=key))[0] == 200

    # statistics: 18 calls to the stage, 4 answered 401 and one 404 (failures), latency percentiles
    stats = await api.get("endpoints/iris-ep/stages/default/statistics", params={"interval": "60"})
    totals = stats["totals"]
    assert totals["calls"] == 18 and totals["failure"] == 5 and totals["success"] == 13, totals
    assert 0 < totals["latency_ms"]["p50"] <= totals["latency_ms"]["p99"] <= totals["latency_ms"]["max"] * 1.0001
    assert sum(p["calls"] for p in stats["points"]) == 18
    assert (await api.get("endpoints/iris-ep/statistics"))["stages"][0]["calls"] == 18
    assert (await api.get("endpoints/iris-ep/stages/default/statistics", params={"interval": "61"}))["field"] == "interval"
    dashboard = await api.get("dashboard")
    assert dashboard["counts"]["active_endpoints"] == 1
    (top,) = dashboard["top_endpoints"]
    assert top["name"] == "iris-ep" and top["stages"][0] == {**top["stages"][0], "name": "default", "success": 13, "failure": 5}

    # inference logs with the guide's fields, searchable like Log & Crash Search
    logs = await api.get("endpoints/iris-ep/stages/default/logs")
    record = logs["records"][-1]
    assert record["category"] == "easymaker.inference" and record["action"] == "Endpoint.Model"
    assert record["endpointId"] == endpoint["id"] and record["endpointStageId"] == stage["id"] and record["modelName"] == "iris"
    assert record["inferenceId"] and record["logLevel"] == "INFO"
    found = await api.get("logs", params={"query": f'category:"easymaker.inference" endpointId:{endpoint["id"]} logLevel:WARNING'})
    assert len(found["records"]) == 5  # the 401s and the 404

    monitoring = await api.get("endpoints/iris-ep/stages/default/monitoring")
    assert monitoring["resources"][0]["pods_ready"] == 2
    config = await api.get("endpoints/iris-ep/stages/default/gateway")
    assert config["routable"] and config["default"] and len(config["models"]["iris"]) == 2

    # deletion rules: the default stage cannot go; an endpoint with other stages cannot go; a model in use cannot go
    assert (await api.call("DELETE", "endpoints/iris-ep/stages/default", expect=409))["field"] == "stage"
    await api.post("endpoints/iris-ep/stages", {"name": "canary", "resources": [{"model": "iris", "cpu": 0.2, "memory": "256Mi"}]},
                   expect=201)
    assert (await api.get("endpoints/iris-ep"))["status"] == "UPDATE IN PROGRESS"
    blocked = await api.call("DELETE", "endpoints/iris-ep", expect=409)
    assert "canary" in blocked["error"]
    assert "endpoint" in (await api.call("DELETE", "models/iris", expect=409))["error"]
    bad_stage = await api.post("endpoints/iris-ep/stages", {"name": "iris", "resources": [{"model": "iris"}]})
    assert bad_stage["field"] == "name"
    await wait_endpoint(api, "iris-ep")
    code, data, _ = await gateway.call("iris-ep/canary/iris/v1/models/iris/predict", {"instances": IRIS}, key=key)
    assert code == 200 and data["predictions"] == [1, 1]
    await api.call("DELETE", "endpoints/iris-ep/stages/canary", expect=204)
    await wait_for(lambda: _gone(api, "endpoints/iris-ep/stages/canary"), 30, "canary deleted")
    await wait_endpoint(api, "iris-ep")

    # a model that cannot be served: its stage fails, the endpoint is UPDATE FAILED; retry; delete the stage
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "model.joblib").write_bytes(b"not a pickle")
    await api.post("models", {"name": "broken", "framework": "scikit-learn", "artifact_path": str(broken),
                              "validate_artifact": False}, expect=201)
    await api.post("endpoints/iris-ep/stages", {"name": "bad", "resources": [{"model": "broken", "cpu": 0.2}]}, expect=201)
    failed = await wait_endpoint(api, "iris-ep", "UPDATE FAILED")
    assert "bad" in failed["status_reason"]
    bad = await api.get("endpoints/iris-ep/stages/bad")
    assert bad["status"] == "CREATE FAILED" and bad["gateway_status"] == "STAGE DEPLOY FAIL"
    assert bad["resources"][0]["status"] == "CREATE FAILED" and "before it was ready" in bad["resources"][0]["status_reason"]
    server_log = await api.call("GET", f"endpoints/iris-ep/stages/bad/resources/{bad['resources'][0]['id']}/logs", raw=True)
    assert server_log[0] == 200 and "pod-0" in server_log[1]
    retried = await api.post("endpoints/iris-ep/stages/bad/retry", expect=200)
    assert retried["status"] == "CREATE REQUESTED" and retried["resources"][0]["status"] == "CREATE REQUESTED"
    await wait_endpoint(api, "iris-ep", "UPDATE FAILED")
    await api.call("DELETE", "endpoints/iris-ep/stages/bad", expect=204)
    await wait_endpoint(api, "iris-ep")
    await api.call("DELETE", "endpoints/iris-ep", expect=204)
    assert (await gateway.call(predict, {"instances": IRIS}, key=key))[0] == 404  # routes go at once
    await wait_for(lambda: _gone(api, "endpoints/iris-ep"), 30, "endpoint deleted")
    assert not server_pids()
    await api.call("DELETE", "models/iris", expect=204)


async def _in_flight(api, stage, n):
    described = await api.get(f"endpoints/swap/stages/{stage}/gateway")
    return sum(described.get("in_flight", {}).values()) >= n


async def _gone(api, path):
    code, _ = await api.call("GET", path, raw=True)
    return code == 404


async def test_default_stage_change_under_continuous_load_loses_no_request(api, tmp_path, gateway, server_pids):
    """The guide's way to change what an endpoint serves without downtime: a new
    stage next to the default one, then the new stage becomes the default."""
    await register(api, tmp_path, "iris")
    created = await api.post("endpoints", {"name": "swap", "resources": [{"model": "iris", "cpu": 0.3}]}, expect=201)
    key = created["api_key"]["key"]
    await wait_endpoint(api, "swap")
    await api.post("endpoints/swap/stages", {"name": "next", "instance_type": "cpu-2",
                                             "resources": [{"model": "iris", "cpu": 0.5, "pod_count": 2}]}, expect=201)
    await wait_endpoint(api, "swap")
    old_pids = server_pids()
    assert len(old_pids) == 3

    results: list[tuple[int, str]] = []
    per_client: list[list[str]] = [[] for _ in range(4)]
    stop = asyncio.Event()

    async def client(seen: list[str]):
        while not stop.is_set():
            code, data, headers = await gateway.call("swap/iris/v1/models/iris/predict", {"instances": IRIS}, key=key)
            results.append((code, headers.get("X-Easymaker-Stage", "")))
            seen.append(headers.get("X-Easymaker-Stage", ""))
            assert code != 200 or data["predictions"] == [1, 1]

    workers = [asyncio.create_task(client(seen)) for seen in per_client]
    await asyncio.sleep(1.0)
    before = len(results)
    # a long request in flight on the old default when the pointer moves: it must finish there
    big = asyncio.create_task(gateway.call("swap/iris/v1/models/iris/predict", {"instances": IRIS * 200000}, key=key))
    await wait_for(lambda: _in_flight(api, "default", 5), 30, "the long request in flight")  # 4 clients at most + it
    started = time.monotonic()
    swapped = await api.post("endpoints/swap/default-stage", {"stage": "next"}, expect=200)
    switch_ms = (time.monotonic() - started) * 1000
    assert swapped["default_stage_name"] == "next"
    assert [s["status"] for s in swapped["stages"] if s["name"] == "default"] == ["DELETE IN PROGRESS"]
    if not big.done():  # (on a very busy machine it may already be over: then there was nothing to drain)
        assert (await api.get("endpoints/swap/stages/default"))["status"] == "DELETE IN PROGRESS"  # waiting for it
    code, data, headers = await big
    assert code == 200 and len(data["predictions"]) == 400000 and headers["X-Easymaker-Stage"] == "default"
    await wait_for(lambda: _gone(api, "endpoints/swap/stages/default"), 30, "old default stage removed")
    await asyncio.sleep(0.5)
    stop.set()
    await asyncio.gather(*workers)
    assert before > 10 and len(results) > before + 10, len(results)
    assert [r for r in results if r[0] != 200] == [], "requests failed during the swap"
    for stages in per_client:  # each client's requests in order: the old default until the switch, then the new one
        switch = stages.index("next")
        assert set(stages[:switch]) == {"default"} and set(stages[switch:]) == {"next"}, "traffic moved once, for good"
    print(f"\nswap under load: {len(results)} requests, 0 failed, switch call {switch_ms:.0f} ms")
    endpoint = await wait_endpoint(api, "swap")
    assert endpoint["default_stage_name"] == "next" and endpoint["stage_count"] == 1
    assert len(server_pids()) == 2 and not (server_pids() - old_pids)
    await api.call("DELETE", "endpoints/swap", expect=204)
    await wait_for(lambda: _gone(api, "endpoints/swap"), 30, "endpoint deleted")
    assert not server_pids()


async def test_openai_client_through_the_gateway_against_a_generative_model(api, tmp_path, jp_http_port, jp_base_url,
                                                                            server_pids):
    import openai

    folder = mb.tiny_llama(str(tmp_path / "llama"))
    await api.post("models", {"name": "tiny-llm", "framework": "huggingface", "artifact_path": folder,
                              "validate_artifact": False}, expect=201)
    created = await api.post("endpoints", {"name": "chat", "resources": [{"model": "tiny-llm"}]}, expect=201)
    key = created["api_key"]["key"]
    await wait_endpoint(api, "chat", timeout=90)
    base = f"http://127.0.0.1:{jp_http_port}{jp_base_url}easymaker/inference/chat/tiny-llm/openai/v1"

    def use_openai():
        client = openai.OpenAI(base_url=base, api_key=key, max_retries=0, timeout=30, _strict_response_validation=True)
        chat = client.chat.completions.create(model="tiny-llm", messages=[{"role": "user", "content": "hello"}],
                                              max_tokens=5, temperature=0)
        stream = client.chat.completions.create(model="tiny-llm", messages=[{"role": "user", "content": "hello"}],
                                                max_tokens=5, temperature=0, stream=True)
        chunks = list(stream)
        text = client.completions.create(model="tiny-llm", prompt="the cat", max_tokens=4, temperature=0)
        denied = openai.OpenAI(base_url=base, api_key="emk_00000000_wrong", max_retries=0, timeout=30)
        with pytest.raises(openai.AuthenticationError):
            denied.chat.completions.create(model="tiny-llm", messages=[{"role": "user", "content": "hi"}], max_tokens=2)
        return chat, chunks, text

    chat, chunks, text = await asyncio.to_thread(use_openai)
    assert chat.object == "chat.completion" and chat.choices[0].message.role == "assistant"
    assert chat.choices[0].finish_reason in ("stop", "length") and chat.usage.completion_tokens <= 5
    assert len(chunks) > 2 and all(c.object == "chat.completion.chunk" for c in chunks)  # streamed through, chunk by chunk
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == chat.choices[0].message.content
    assert text.object == "text_completion" and isinstance(text.choices[0].text, str)
    stats = await api.get("endpoints/chat/stages/default/statistics")
    assert stats["totals"]["calls"] == 4 and stats["totals"]["failure"] == 1
    await api.call("DELETE", "endpoints/chat", expect=204)
    await wait_for(lambda: _gone(api, "endpoints/chat"), 30, "endpoint deleted")
    assert not server_pids()

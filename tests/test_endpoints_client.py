"""Endpoints from a notebook: ``%easymaker deploy`` / ``predict`` / ``endpoints``
and the client's endpoint methods against a real server, and the local pod
autoscaler adding a pod under load and removing it after the cool-down."""
from __future__ import annotations

import asyncio
import json

import pytest

from tests import model_builders as mb
from tests.test_api_endpoints import IRIS, Gateway, server_pids, wait_for  # noqa: F401 - server_pids is a fixture
from tests.test_magics import shell  # noqa: F401 - the IPython shell fixture

from jupyter_easymaker.client import Client, EasyMakerError
from tests.server_config import server_config


def run(fn, *args, **kwargs):
    return asyncio.to_thread(fn, *args, **kwargs)


@pytest.fixture
def jp_server_config(easymaker_data, tmp_path):
    return server_config(easymaker_data, tmp_path, serving={
        "stats_flush_seconds": 0.2, "autoscale_interval_seconds": 0.5, "scale_down_cooldown_seconds": 1.5})


@pytest.fixture
def client(jp_fetch, jp_http_port, jp_base_url, jp_serverapp):
    return Client(f"http://127.0.0.1:{jp_http_port}{jp_base_url}", jp_serverapp.identity_provider.token, timeout=10)


@pytest.fixture
def magics(shell, client):  # noqa: F811
    m = shell.magics_manager.registry["EasyMakerMagics"]
    m.client = client
    return m


async def test_deploy_and_predict_magics_and_client_methods(shell, magics, client, tmp_path, capsys, server_pids):  # noqa: F811
    folder = mb.iris_sklearn(str(tmp_path / "iris"))
    await run(client.create_model, name="iris", framework="scikit-learn", artifact_path=folder)
    endpoint = await run(shell.run_line_magic, "easymaker", "deploy iris --cpu 0.3 --wait")
    out = capsys.readouterr().out
    assert endpoint["name"] == "iris-ep" and endpoint["status"] == "ACTIVE", out
    assert "default stage URL:" in out and "API key (shown once" in out and "is ACTIVE" in out
    answer = await run(shell.run_line_magic, "easymaker", "predict iris-ep '[[6.8, 2.8, 4.8, 1.4]]'")
    assert answer == {"predictions": [1]}
    body = tmp_path / "body.json"
    body.write_text(json.dumps({"inputs": [{"name": "input-0", "shape": [2, 4], "datatype": "FP32", "data": IRIS}]}))
    answer = await run(shell.run_line_magic, "easymaker", f"predict iris-ep @{body}")
    assert answer["outputs"][0]["data"] == [1, 1]
    assert await run(shell.run_line_magic, "easymaker", "predict iris-ep not-json") is None
    assert "not JSON" in capsys.readouterr().err

    # a second stage from the magic, then the client's view of it
    await run(shell.run_line_magic, "easymaker", "deploy iris --endpoint iris-ep --stage canary --cpu 0.3 --wait")
    assert "new stage canary" in capsys.readouterr().out
    stages = await run(client.list_stages, "iris-ep")
    assert [s["name"] for s in stages] == ["default", "canary"]
    assert await run(client.predict, "iris-ep", IRIS, stage="canary") == {"predictions": [1, 1]}

    # a second model on the canary stage (DEPLOY IN PROGRESS -> ACTIVE), then removed again
    await run(client.create_model, name="proba", framework="scikit-learn", artifact_path=folder, validate_artifact=False,
              parameters={"method": "predict_proba"})
    added = await run(client.add_stage_resource, "iris-ep", "canary", "proba", cpu=0.2)
    assert added["status"] == "CREATE REQUESTED" and added["resource_path"].endswith("/iris-ep/canary/proba")
    assert (await run(client.get_stage, "iris-ep", "canary"))["status"] == "DEPLOY IN PROGRESS"

    async def stage_active():
        return (await run(client.get_stage, "iris-ep", "canary"))["status"] == "ACTIVE"

    await wait_for(stage_active, 60, "canary deployed the second model")
    probabilities = (await run(client.predict, "iris-ep", IRIS, stage="canary", model="proba"))["predictions"]
    assert len(probabilities) == 2 and len(probabilities[0]) == 3
    with pytest.raises(ValueError, match="2 models"):
        await run(client.predict, "iris-ep", IRIS, stage="canary")
    await run(client.delete_stage_resource, "iris-ep", "canary", added["id"])
    await wait_for(stage_active, 30, "canary without the second model")
    assert [r["model_name"] for r in await run(client.list_stage_resources, "iris-ep", "canary")] == ["iris"]
    with pytest.raises(EasyMakerError) as err:
        await run(client.predict, "iris-ep", IRIS, stage="canary", model="proba")
    assert err.value.status == 404
    await run(shell.run_line_magic, "easymaker", "endpoints")
    listing = capsys.readouterr().out
    assert "iris-ep" in listing and "ACTIVE" in listing and "/easymaker/inference/iris-ep" in listing

    # a fresh client (another kernel) holds no key: it makes one named "notebook"
    other = Client(client.url, client.token, timeout=10)
    assert await run(other.predict, "iris-ep", IRIS) == {"predictions": [1, 1]}
    keys = await run(client.list_api_keys, "iris-ep")
    assert sorted(k["name"] for k in keys) == ["default", "notebook"]
    with pytest.raises(EasyMakerError) as err:
        await run(other.predict, "iris-ep", IRIS, api_key="emk_00000000_wrong")
    assert err.value.status == 401
    stats = await run(client.stage_statistics, "iris-ep", "default")
    assert stats["totals"]["calls"] == 4 and stats["totals"]["failure"] == 1
    moved = await run(client.set_default_stage, "iris-ep", "canary")
    assert moved["default_stage_name"] == "canary"
    assert await run(client.predict, "iris-ep", IRIS) == {"predictions": [1, 1]}
    await run(client.delete_endpoint, "iris-ep")

    async def gone():
        try:
            await run(client.get_endpoint, "iris-ep")
        except EasyMakerError as exc:
            return exc.status == 404
        return False

    await wait_for(gone, 30, "endpoint deleted")
    assert not server_pids()


async def test_local_pod_autoscaler_adds_a_pod_under_load_and_removes_it_after_the_cool_down(client, tmp_path, server_pids,
                                                                                              jp_http_port, jp_base_url):  # noqa: F811
    folder = mb.iris_sklearn(str(tmp_path / "iris"))
    await run(client.create_model, name="iris", framework="scikit-learn", artifact_path=folder, validate_artifact=False)
    # half a core: serving requests back to back is far over 20% of it; an idle server's few percent of a
    # core far under (with 0.1 core, an idle server's background work on a busy machine was near 20%)
    created = await run(client.create_endpoint, "auto", "iris", cpu=0.5,
                        autoscaler={"enabled": True, "metric": "cpu", "threshold": 20, "min_pods": 1, "max_pods": 2})
    key = created["api_key"]["key"]
    await run(client.wait_endpoint, "auto", timeout=60)
    gateway = Gateway(jp_http_port, jp_base_url)
    stop = asyncio.Event()
    codes: list[int] = []

    async def load():
        while not stop.is_set():
            code, _, _ = await gateway.call("auto/iris/v1/models/iris/predict", {"instances": IRIS * 50}, key=key)
            codes.append(code)

    workers = [asyncio.create_task(load()) for _ in range(3)]

    async def pods(n):
        stage = await run(client.get_stage, "auto", "default")
        return stage["pods_ready"] == n and stage["resources"][0]["pods_total"] == n

    try:
        await wait_for(lambda: pods(2), 40, "scaled up to 2 pods")
    finally:
        stop.set()
        await asyncio.gather(*workers)
    assert codes and set(codes) == {200}, set(codes)
    await wait_for(lambda: pods(1), 40, "scaled back to 1 pod after the cool-down")
    assert len(server_pids()) == 1
    await run(client.delete_endpoint, "auto")
    gateway.client.close()

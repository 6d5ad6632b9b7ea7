"""``%easymaker endpoints ACTION``: stages, the default stage, stage resources,
the gateway settings, statistics, monitoring, logs and API keys of an endpoint,
through a real IPython shell against a real server serving a real model."""
from __future__ import annotations

import asyncio

from tests import model_builders as mb
from tests.test_api_endpoints import IRIS, server_pids, wait_for  # noqa: F401 - server_pids is a fixture
from tests.test_endpoints_client import client, jp_server_config, magics  # noqa: F401 - fixtures
from tests.test_magics import shell  # noqa: F401 - the IPython shell fixture


def run(fn, *args, **kwargs):
    return asyncio.to_thread(fn, *args, **kwargs)


def line(shell, text):  # noqa: F811
    return run(shell.run_line_magic, "easymaker", text)


async def test_endpoint_stage_and_resource_magics(shell, magics, client, tmp_path, capsys, server_pids):  # noqa: F811
    folder = mb.iris_sklearn(str(tmp_path / "iris"))
    await run(client.create_model, name="iris", framework="scikit-learn", artifact_path=folder)
    await run(client.create_model, name="proba", framework="scikit-learn", artifact_path=folder, validate_artifact=False,
              parameters={"method": "predict_proba"})
    await line(shell, "deploy iris --cpu 0.3 --wait")
    await line(shell, "deploy iris --endpoint iris-ep --stage canary --cpu 0.3 --wait")
    assert await run(client.predict, "iris-ep", IRIS) == {"predictions": [1, 1]}
    capsys.readouterr()

    stages = await line(shell, "endpoints stages iris-ep")
    assert [s["name"] for s in stages] == ["default", "canary"] and "canary" in capsys.readouterr().out
    stage = await line(shell, "endpoints stage iris-ep --stage canary")
    assert stage["status"] == "ACTIVE" and "canary" in capsys.readouterr().out
    gateway = await line(shell, "endpoints gateway iris-ep")  # the default stage's settings
    assert gateway == await run(client.stage_gateway, "iris-ep", "default") and capsys.readouterr().out.startswith("{")
    described = await line(shell, "endpoints stage-describe iris-ep --stage canary --description 'the new model'")
    assert described["description"] == "the new model"
    stats = await line(shell, "endpoints stage-statistics iris-ep")
    assert stats["totals"]["calls"] == 1
    assert (await line(shell, "endpoints statistics iris-ep")) == await run(client.endpoint_statistics, "iris-ep")
    await line(shell, "endpoints monitoring iris-ep --stage canary")
    await line(shell, "endpoints logs iris-ep")
    capsys.readouterr()

    # a second model on the canary stage, shown, its server's output read, then removed
    added = await line(shell, "endpoints resource-add iris-ep --stage canary --model proba")
    assert added["model_name"] == "proba" and "added proba to stage canary" in capsys.readouterr().out

    async def canary_active():
        return (await run(client.get_stage, "iris-ep", "canary"))["status"] == "ACTIVE"

    await wait_for(canary_active, 60, "canary serves the second model")
    resources = await line(shell, "endpoints resources iris-ep --stage canary")
    assert sorted(r["model_name"] for r in resources) == ["iris", "proba"]
    shown = await line(shell, f"endpoints resource iris-ep --stage canary --resource {added['id']}")
    assert shown["id"] == added["id"]
    text = await line(shell, f"endpoints resource-logs iris-ep --stage canary --resource {added['id']}")
    assert isinstance(text, str)
    capsys.readouterr()
    await line(shell, f"endpoints resource-delete iris-ep --stage canary --resource {added['id']}")
    assert "would remove resource" in capsys.readouterr().out
    await line(shell, f"endpoints resource-delete iris-ep --stage canary --resource {added['id']} --yes")
    assert "removed resource" in capsys.readouterr().out
    await wait_for(canary_active, 30, "canary without the second model")

    # API keys, the default stage moved, a stage deleted, the endpoint renamed and deleted
    key = await line(shell, "endpoints api-key-create iris-ep --new-name ci")
    assert key["key"] and key["key"] in capsys.readouterr().out
    keys = await line(shell, "endpoints api-keys iris-ep")
    assert "ci" in [k["name"] for k in keys]
    await line(shell, f"endpoints api-key-revoke iris-ep --key {key['id']}")
    listed = await run(client.list_api_keys, "iris-ep")
    assert next(k for k in listed if k["id"] == key["id"])["revoked_at"]
    moved = await line(shell, "endpoints default-stage iris-ep --stage canary")
    assert moved["default_stage_name"] == "canary"
    capsys.readouterr()
    await line(shell, "endpoints stage-delete iris-ep --stage default --yes")
    assert "deleted stage default of endpoint iris-ep" in capsys.readouterr().out

    async def one_stage():
        return [s["name"] for s in await run(client.list_stages, "iris-ep")] == ["canary"]

    await wait_for(one_stage, 30, "the old default stage removed")
    renamed = await line(shell, "endpoints rename iris-ep --new-name iris-prod")
    assert renamed["name"] == "iris-prod"
    await line(shell, "endpoints show iris-prod")
    assert "canary" in capsys.readouterr().out
    await line(shell, "endpoints delete iris-prod --yes")
    assert "deleted endpoint iris-prod" in capsys.readouterr().out

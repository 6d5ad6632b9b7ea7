"""Experiments, templates, server info, OpenAPI and authentication."""
from __future__ import annotations

import os

from tornado.httpclient import HTTPClientError

from jupyter_easymaker.api import routes

ROUTES = routes()


async def test_experiment_lifecycle_and_retry(api, easymaker_data):
    # a file where the experiment's TensorBoard folder must go makes creation fail
    (easymaker_data / "tensorboard").write_text("in the way")
    created = await api.post("experiments", {"name": "e1", "description": "first"}, expect=201)
    assert created["status"] == "CREATE REQUESTED"
    failed = await _wait_experiment(api, "e1", {"CREATE FAILED"})
    assert "storage" in failed["status_reason"]
    (easymaker_data / "tensorboard").unlink()
    retried = await api.post("experiments/e1/retry", expect=200)
    assert retried["status"] == "CREATE REQUESTED"
    active = await _wait_experiment(api, "e1", {"ACTIVE"})
    assert os.path.isdir(active["tensorboard_log_dir"])
    await api.post("experiments/e1/retry", expect=409)
    renamed = await api.call("PATCH", "experiments/e1", {"name": "e2"}, expect=200)
    assert renamed["name"] == "e2"
    assert (await api.get("experiments/e2/copy")) == {"name": "e2-copy", "description": "first"}
    await api.call("DELETE", "experiments/e2", expect=204)


async def _wait_experiment(api, ref, wanted, timeout=10.0):
    import asyncio
    import time

    end = time.monotonic() + timeout
    while True:
        row = await api.get(f"experiments/{ref}")
        if row["status"] in wanted:
            return row
        assert time.monotonic() < end, row
        await asyncio.sleep(0.05)


async def test_templates_save_use_override_copy(api, write_script):
    source = write_script("import sys\nprint(sys.argv[1:])\n")
    await api.post("trainings", {"name": "t1", "experiment_name": "e", "hyperparameters": {"lr": "0.1", "epochs": "2"},
                                 "algorithm": {"type": "custom", "source_dir": source, "entry_point": "train.py"}, "max_run_seconds": 300}, expect=201)
    template = await api.post("trainings/t1/template", {"name": "tpl", "description": "from t1"}, expect=201)
    assert template["hyperparameter_names"] == ["epochs", "lr"] and template["spec"]["max_run_seconds"] == 300
    created = await api.post("trainings", {"name": "t2", "experiment_name": "e", "template_id": "tpl", "hyperparameters": {"lr": "0.5"}}, expect=201)
    assert created["template_id"] == template["id"]
    assert created["spec"]["hyperparameters"] == {"lr": "0.5"} and created["spec"]["max_run_seconds"] == 300
    done = await api.wait_status("t2")
    logs = await api.get("trainings/t2/logs")
    assert any("['--lr', '0.5']" in r["body"] for r in logs["records"]), done
    copy = await api.get("training-templates/tpl/copy")
    assert copy["name"] == "tpl-copy" and copy["hyperparameters"] == {"lr": "0.1", "epochs": "2"}
    await api.post("training-templates", copy, expect=201)
    changed = await api.call("PATCH", "training-templates/tpl-copy", {"nodes": 2, "description": "two nodes"}, expect=200)
    assert changed["spec"]["nodes"] == 2 and changed["description"] == "two nodes"
    bad = await api.call("PATCH", "training-templates/tpl-copy", {"nodes": 0}, expect=422)
    assert bad["field"] == "nodes"
    assert (await api.get("training-templates/tpl-copy"))["spec"]["nodes"] == 2
    page = await api.get("training-templates")
    assert page["total"] == 2
    await api.call("DELETE", "training-templates/tpl-copy", expect=204)


async def test_server_info_and_openapi(api):
    info = await api.get("")
    assert info["version"] and "local" in info["capabilities"]["backends"]
    doc = await api.get("openapi.json")
    assert doc["openapi"].startswith("3.")
    assert any(path.endswith("/easymaker/api/v1/trainings") for path in doc["paths"])
    assert "TrainingCreate" in doc["components"]["schemas"]
    for route in ROUTES:
        assert any(p.endswith(f"/easymaker/api/v1/{route.path}".rstrip("/")) or p.endswith("/easymaker/api/v1/") for p in doc["paths"])


async def test_every_route_requires_authentication(jp_serverapp, jp_base_url, http_server_client):
    """Without the token, every method of every route is refused."""
    client = http_server_client
    base = f"{jp_base_url}easymaker/api/v1/"
    checked = 0
    for route in ROUTES:
        path = route.path.replace("{ref}", "some-id")
        for method in route.ops:
            body = "{}" if method in ("post", "patch", "put") else None
            try:
                response = await client.fetch(base + path, method=method.upper(), body=body, raise_error=False, request_timeout=5)
                code = response.code
            except HTTPClientError as exc:
                code = exc.code
            assert code == 403, f"{method.upper()} {path} answered {code} without a token"
            checked += 1
    assert checked >= 25

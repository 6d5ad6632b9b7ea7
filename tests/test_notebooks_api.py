"""Notebooks through the real server: each notebook is a real Jupyter server
process, opened through the authenticated proxy (HTTP and a kernel's
websocket), stopped, started, health-checked, adopted after a restart."""
from __future__ import annotations

import asyncio
import json
import os
import signal
import time
import uuid

import psutil
import pytest
from tornado.httpclient import HTTPClientError, HTTPRequest
from tornado.websocket import websocket_connect

from tests.notebook_fixtures import jp_server_config, no_notebook_left  # noqa: F401 - fixtures

N_STATE = "server.json"


async def wait_notebook(api, ref: str, statuses: set[str] | str, timeout: float = 90.0) -> dict:
    wanted = {statuses} if isinstance(statuses, str) else set(statuses)
    deadline = time.monotonic() + timeout
    while True:
        row = await api.get(f"notebooks/{ref}")
        if row["status"] in wanted:
            return row
        if time.monotonic() > deadline:
            raise AssertionError(f"notebook {ref} stayed {row['status']} ({row['status_reason']})")
        await asyncio.sleep(0.1)


def server_state(easymaker_data, notebook_id: str) -> dict | None:
    path = easymaker_data / "notebooks" / notebook_id / N_STATE
    return json.loads(path.read_text()) if path.exists() else None


def data_dir(easymaker_data, notebook_id: str):
    return easymaker_data / "notebooks" / notebook_id / "data"


async def proxy_fetch(jp_fetch, notebook, *path, **kwargs):
    kwargs.setdefault("raise_error", False)
    return await jp_fetch("easymaker", "notebooks", notebook["id"], "proxy", *path, **kwargs)


async def run_in_kernel_through_proxy(jp_fetch, jp_http_port, jp_base_url, jp_auth_header, notebook, code: str) -> str:
    """Start a kernel with jupyter_server's REST API and run ``code`` over its websocket, all through the proxy."""
    response = await proxy_fetch(jp_fetch, notebook, "api", "kernels", method="POST", body=json.dumps({"name": "python3"}))
    assert response.code == 201, (response.code, response.body[:300])
    kernel = json.loads(response.body)
    url = f"ws://127.0.0.1:{jp_http_port}{jp_base_url}easymaker/notebooks/{notebook['id']}/proxy/api/kernels/{kernel['id']}/channels"
    conn = await websocket_connect(HTTPRequest(url, headers=dict(jp_auth_header)))
    msg_id = uuid.uuid4().hex
    conn.write_message(json.dumps({
        "header": {"msg_id": msg_id, "username": "test", "session": uuid.uuid4().hex, "msg_type": "execute_request", "version": "5.3"},
        "parent_header": {}, "metadata": {}, "channel": "shell",
        "content": {"code": code, "silent": False, "store_history": False, "user_expressions": {}, "allow_stdin": False},
    }))
    result = None
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            raw = await asyncio.wait_for(conn.read_message(), timeout=60)
            assert raw is not None, "the websocket closed"
            msg = json.loads(raw)
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "execute_result":
                result = msg["content"]["data"]["text/plain"]
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle" and result is not None:
                break
    finally:
        conn.close()
    await proxy_fetch(jp_fetch, notebook, "api", "kernels", kernel["id"], method="DELETE")
    return result


async def test_notebook_lifecycle_through_proxy(api, jp_fetch, jp_serverapp, jp_http_port, jp_base_url, jp_auth_header, easymaker_data):
    nb = await api.post("notebooks", {"name": "nb-one", "instance_type": "cpu-1", "boot_storage_gb": 10,
                                      "data_storage_gb": 20}, expect=201)
    assert nb["status"] == "CREATE REQUESTED"
    nb = await wait_notebook(api, nb["id"], {"ACTIVE (HEALTHY)", "CREATE FAILED"})
    assert nb["status"] == "ACTIVE (HEALTHY)", nb["status_reason"]
    assert nb["url"].endswith(f"easymaker/notebooks/{nb['id']}/proxy/")
    # the dashboard counts it, and what it holds
    dashboard = await api.get("dashboard")
    assert dashboard["counts"]["active_notebooks"] == 1
    held = {r["name"]: r for r in dashboard["resource_usage"]["resources"]}
    assert (held["nb-one"]["kind"], held["nb-one"]["instance_type"]) == ("notebook", "cpu-1")
    state = server_state(easymaker_data, nb["id"])
    assert psutil.pid_exists(state["pid"])

    # HTTP through the proxy reaches the notebook's server (the proxy adds its token)
    response = await proxy_fetch(jp_fetch, nb, "api", "status")
    assert response.code == 200, response.body[:300]
    assert "started" in json.loads(response.body)
    # the token stays with this server: the notebook's server refuses a request without it
    from tornado.httpclient import AsyncHTTPClient
    direct = await AsyncHTTPClient().fetch(f"http://127.0.0.1:{state['port']}{nb['url']}api/contents", raise_error=False)
    assert direct.code == 403
    # a kernel through the proxy's websocket
    assert await run_in_kernel_through_proxy(jp_fetch, jp_http_port, jp_base_url, jp_auth_header, nb, "1+1") == "2"

    # user storage: a file in the data dir and an env under custom-conda-envs survive stop/start
    data = data_dir(easymaker_data, nb["id"])
    (data / "kept.txt").write_text("still here")
    env = data / "custom-conda-envs" / "easymaker_env" / "bin"
    env.mkdir(parents=True)
    (env / "python").write_text("#!/bin/sh\n")
    boot_marker = easymaker_data / "notebooks" / nb["id"] / "boot" / "scratch.txt"
    boot_marker.write_text("gone after a start")

    await api.post(f"notebooks/{nb['id']}/stop", expect=200)
    nb = await wait_notebook(api, nb["id"], {"STOPPED", "STOP FAILED"})
    assert nb["status"] == "STOPPED" and nb["url"] == ""
    assert not psutil.pid_exists(state["pid"]) or psutil.Process(state["pid"]).status() == psutil.STATUS_ZOMBIE
    blocked = await proxy_fetch(jp_fetch, nb, "api", "status")
    assert blocked.code == 409

    # the instance type changes only while STOPPED and within the core type; storage never
    code, text = await api.call("PATCH", f"notebooks/{nb['id']}", {"instance_type": "gpu-1"}, raw=True)
    assert code == 400 and json.loads(text)["field"] == "instance_type"
    code, text = await api.call("PATCH", f"notebooks/{nb['id']}", {"data_storage_gb": 40}, raw=True)
    assert code == 400 and json.loads(text)["field"] == "data_storage_gb"
    nb = await api.call("PATCH", f"notebooks/{nb['id']}", {"instance_type": "cpu-2", "name": "nb-renamed"}, expect=200)
    assert nb["instance_type"] == "cpu-2" and nb["name"] == "nb-renamed"

    await api.post(f"notebooks/{nb['id']}/start", expect=200)
    nb = await wait_notebook(api, nb["id"], {"ACTIVE (HEALTHY)", "START FAILED"})
    assert nb["status"] == "ACTIVE (HEALTHY)", nb["status_reason"]
    assert (data / "kept.txt").read_text() == "still here"
    assert (env / "python").exists()
    assert not boot_marker.exists()
    response = await proxy_fetch(jp_fetch, nb, "api", "contents", "kept.txt")
    assert response.code == 200 and json.loads(response.body)["content"] == "still here"

    # the instance type cannot change while it runs
    code, text = await api.call("PATCH", f"notebooks/{nb['id']}", {"instance_type": "cpu-4"}, raw=True)
    assert code == 409 and json.loads(text)["field"] == "instance_type"

    # health: a stopped process is ACTIVE (UNHEALTHY), and HEALTHY again when it continues
    pid = server_state(easymaker_data, nb["id"])["pid"]
    os.kill(pid, signal.SIGSTOP)
    try:
        nb = await wait_notebook(api, nb["id"], "ACTIVE (UNHEALTHY)", timeout=30)
    finally:
        os.kill(pid, signal.SIGCONT)
    nb = await wait_notebook(api, nb["id"], "ACTIVE (HEALTHY)", timeout=30)

    # reboot: a new process
    await api.post(f"notebooks/{nb['id']}/reboot", expect=200)
    nb = await wait_notebook(api, nb["id"], {"ACTIVE (HEALTHY)", "REBOOT FAILED"})
    assert nb["status"] == "ACTIVE (HEALTHY)", nb["status_reason"]
    new_pid = server_state(easymaker_data, nb["id"])["pid"]
    assert new_pid != pid and not psutil.pid_exists(pid)

    # monitoring: CPU and memory samples of the running server
    deadline = time.monotonic() + 20
    while not (await api.get(f"notebooks/{nb['id']}/monitoring"))["usage"]:
        assert time.monotonic() < deadline, "no usage sample"
        await asyncio.sleep(0.3)
    sample = (await api.get(f"notebooks/{nb['id']}/monitoring"))["usage"][-1]
    assert sample["memory_bytes"] > 10 * 1024 * 1024

    # delete: DELETE IN PROGRESS, the process stopped, the storage removed
    deleted = await api.call("DELETE", f"notebooks/{nb['id']}", expect=202)
    assert deleted["status"] == "DELETE IN PROGRESS"
    deadline = time.monotonic() + 30
    while (await api.call("GET", f"notebooks/{nb['id']}", raw=True))[0] != 404:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.1)
    assert not (easymaker_data / "notebooks" / nb["id"]).exists()
    assert not psutil.pid_exists(new_pid) or psutil.Process(new_pid).status() == psutil.STATUS_ZOMBIE


SCRIPT_OK = "#!/bin/sh\necho \"{name} ran\" >> \"$EASYMAKER_DATA_DIR/order.txt\"\necho out-{name}\n"


async def test_startup_scripts_run_in_order_and_a_failing_one_fails_the_start(api, jp_fetch, jp_serverapp, easymaker_data, tmp_path):
    nas = tmp_path / "nas1" / "shared"
    nas.mkdir(parents=True)
    (nas / "on-nas.txt").write_text("nas data")
    nb = await api.post("notebooks", {"name": "nb-scripts", "nas_mount_name": "team", "nas_path": "nas://nas1:/shared"}, expect=201)
    nb = await wait_notebook(api, nb["id"], {"ACTIVE (HEALTHY)", "CREATE FAILED"})
    assert nb["status"] == "ACTIVE (HEALTHY)", nb["status_reason"]
    await api.post(f"notebooks/{nb['id']}/stop")
    await wait_notebook(api, nb["id"], "STOPPED")

    scripts = data_dir(easymaker_data, nb["id"]) / "cont-init.d"
    scripts.mkdir()
    for name in ("20-second.sh", "10-first.sh"):
        (scripts / name).write_text(SCRIPT_OK.format(name=name))
        (scripts / name).chmod(0o755)
    (scripts / "15-not-executable.sh").write_text(SCRIPT_OK.format(name="15-not-executable.sh"))
    (scripts / "16-no-shebang.sh").write_text("echo no shebang >> \"$EASYMAKER_DATA_DIR/order.txt\"\n")
    (scripts / "16-no-shebang.sh").chmod(0o755)

    await api.post(f"notebooks/{nb['id']}/start")
    nb = await wait_notebook(api, nb["id"], {"ACTIVE (HEALTHY)", "START FAILED"})
    assert nb["status"] == "ACTIVE (HEALTHY)", nb["status_reason"]
    data = data_dir(easymaker_data, nb["id"])
    assert (data / "order.txt").read_text().splitlines() == ["10-first.sh ran", "20-second.sh ran"]
    assert (scripts / "10-first.sh.exitcode").read_text().strip() == "0"
    assert (scripts / "20-second.sh.output").read_text() == "out-20-second.sh\n"
    assert not (scripts / "15-not-executable.sh.exitcode").exists()
    assert "out-10-first.sh" in (data / "cont-init.output").read_text()
    results = await api.get(f"notebooks/{nb['id']}/startup-scripts")
    by_name = {s["name"]: s for s in results["scripts"]}
    assert by_name["10-first.sh"]["exit_code"] == 0 and by_name["10-first.sh"]["output"] == "out-10-first.sh\n"
    assert by_name["15-not-executable.sh"]["runnable"] is False and by_name["16-no-shebang.sh"]["runnable"] is False
    assert "out-20-second.sh" in results["run_log"]
    # the NAS is mounted under its name in the notebook's home
    response = await proxy_fetch(jp_fetch, nb, "api", "contents")
    assert response.code == 200

    await api.post(f"notebooks/{nb['id']}/stop")
    await wait_notebook(api, nb["id"], "STOPPED")
    (scripts / "30-fails.sh").write_text("#!/bin/sh\necho broken\nexit 3\n")
    (scripts / "30-fails.sh").chmod(0o755)
    await api.post(f"notebooks/{nb['id']}/start")
    nb = await wait_notebook(api, nb["id"], {"ACTIVE (HEALTHY)", "START FAILED"})
    assert nb["status"] == "START FAILED"
    assert "30-fails.sh" in nb["status_reason"] and "3" in nb["status_reason"]
    assert (scripts / "30-fails.sh.exitcode").read_text().strip() == "3"
    assert server_state(easymaker_data, nb["id"]) is None  # no server started

    # delete never touches the NAS
    await api.call("DELETE", f"notebooks/{nb['id']}", expect=202)
    deadline = time.monotonic() + 30
    while (await api.call("GET", f"notebooks/{nb['id']}", raw=True))[0] != 404:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.1)
    assert (nas / "on-nas.txt").read_text() == "nas data"


async def test_bad_input_names_the_field(api, jp_serverapp):
    cases = [
        ({"name": "bad name!"}, "name"),
        ({"name": "x", "instance_type": "cpu-99"}, "instance_type"),
        ({"name": "x", "boot_storage_gb": 0}, "boot_storage_gb"),
        ({"name": "x", "data_storage_gb": "big"}, "data_storage_gb"),
        ({"name": "x", "nas_mount_name": "m"}, "nas_path"),
        ({"name": "x", "nas_mount_name": "m", "nas_path": "nas://nope:/a"}, "nas_path"),
        ({"name": "x", "nas_mount_name": "m", "nas_path": "/tmp/a"}, "nas_path"),
        ({"name": "x", "unknown": 1}, "unknown"),
    ]
    for body, field in cases:
        code, text = await api.call("POST", "notebooks", body, raw=True)
        assert 400 <= code < 500, (body, code, text)
        assert json.loads(text).get("field") == field, (body, text)
    page = await api.get("notebooks")
    assert page["total"] == 0
    code, _ = await api.call("POST", "notebooks/missing/start", raw=True)
    assert code == 404


async def test_proxy_refuses_unauthenticated(jp_fetch, jp_serverapp, jp_http_port, jp_base_url):
    from tornado.httpclient import AsyncHTTPClient

    url = f"http://127.0.0.1:{jp_http_port}{jp_base_url}easymaker/notebooks/{uuid.uuid4()}/proxy/api/status"
    response = await AsyncHTTPClient().fetch(url, raise_error=False, follow_redirects=False)
    assert response.code in (302, 403)
    with pytest.raises(HTTPClientError) as info:
        await AsyncHTTPClient().fetch(HTTPRequest(url.replace("http", "ws", 1).replace("/api/status", "/api/kernels/x/channels"),
                                                  headers={"Upgrade": "websocket", "Connection": "Upgrade",
                                                           "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
                                                           "Sec-WebSocket-Version": "13"}).url.replace("ws", "http", 1),
                                      method="GET", headers={"Upgrade": "websocket", "Connection": "Upgrade",
                                                             "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
                                                             "Sec-WebSocket-Version": "13"})
    assert info.value.code == 403

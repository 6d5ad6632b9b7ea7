"""A Jupyter server killed with SIGKILL and started again finds its running
notebook servers again: the same process (no orphan, no second one), still
reached through the proxy."""
from __future__ import annotations

import json
import os
import signal
import time
import urllib.request

import psutil

from tests.server_process import ServerProcess


def wait(server, path, check, timeout=90.0):
    end = time.monotonic() + timeout
    while True:
        row = server.request("GET", path)
        if check(row):
            return row
        assert time.monotonic() < end, f"{path}: {row.get('status')} {row.get('status_reason')}"
        time.sleep(0.2)


def notebook_processes(data_dir: str) -> list[int]:
    """Pids of the notebook servers running with their root in this data dir."""
    out = []
    for proc in psutil.process_iter(["pid", "cmdline"]):
        cmdline = " ".join(proc.info.get("cmdline") or [])
        if f"--ServerApp.root_dir={data_dir}" in cmdline:
            out.append(proc.info["pid"])
    return out


def proxied_status(server, notebook) -> int:
    request = urllib.request.Request(f"http://127.0.0.1:{server.port}{notebook['url']}api/status",
                                     headers={"Authorization": f"token {server.token}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        json.loads(response.read())
        return response.status


def test_kill_9_then_restart_adopts_the_running_notebook(tmp_path):
    data = str(tmp_path / "data")
    server = ServerProcess(str(tmp_path), data).start()
    try:
        nb = server.request("POST", "notebooks", {"name": "survivor"})
        nb = wait(server, f"notebooks/{nb['id']}", lambda r: r["status"] in ("ACTIVE (HEALTHY)", "CREATE FAILED"))
        assert nb["status"] == "ACTIVE (HEALTHY)", nb["status_reason"]
        notebook_data = os.path.join(data, "notebooks", nb["id"], "data")
        before = notebook_processes(notebook_data)
        assert len(before) == 1
    finally:
        server.kill()
    pid = before[0]
    assert psutil.pid_exists(pid)  # the notebook outlives the Jupyter server

    restarted = ServerProcess(str(tmp_path), data, port=server.port).start()
    try:
        time.sleep(2.0)  # a few controller passes
        nb = wait(restarted, f"notebooks/{nb['id']}", lambda r: r["status"] == "ACTIVE (HEALTHY)")
        assert notebook_processes(notebook_data) == before  # the same process, not a second one
        assert proxied_status(restarted, nb) == 200
        restarted.request("DELETE", f"notebooks/{nb['id']}")
        end = time.monotonic() + 30
        while psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
            assert time.monotonic() < end, "the notebook server was not stopped"
            time.sleep(0.1)
        while any(n["id"] == nb["id"] for n in restarted.request("GET", "notebooks")["items"]):  # DELETE IN PROGRESS
            assert time.monotonic() < end, "the notebook was not deleted"
            time.sleep(0.1)
        assert not os.path.exists(os.path.join(data, "notebooks", nb["id"]))
    finally:
        restarted.stop()
        for left in notebook_processes(notebook_data):
            os.killpg(left, signal.SIGKILL)

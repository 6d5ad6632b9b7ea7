"""The dashboard's counts and resource usage through a real server."""
from __future__ import annotations

import asyncio
import json
import time


async def test_dashboard_counts_and_usage(api, jp_fetch, write_script):
    empty = await api.get("dashboard")
    assert empty["counts"] == {
        "active_notebooks": 0, "complete_trainings": 0, "running_trainings": 0, "failed_trainings": 0,
        "complete_hpo": 0, "active_endpoints": 0,
    }
    assert empty["training_statuses"] == {}
    assert empty["top_endpoints"] == []
    usage = empty["resource_usage"]
    assert "local" in usage["backends"] and usage["cpu"] == {"used": 0.0, "total": 64.0}
    assert {r["instance_type"] for r in usage["by_instance_type"]} >= {"cpu-1", "gpu-1"}

    ok = write_script("print('ok')\n", folder="ok")
    bad = write_script("raise SystemExit(2)\n", folder="bad")
    slow = write_script("import time\nprint('started', flush=True)\ntime.sleep(60)\n", folder="slow")
    for name, source in (("d-ok", ok), ("d-bad", bad)):
        await api.post("trainings", {"name": name, "experiment_name": "dash",
                                     "algorithm": {"type": "custom", "source_dir": source, "entry_point": "train.py"}}, expect=201)
    await api.post("trainings", {"name": "d-slow", "experiment_name": "dash", "instance_type": "cpu-2", "nodes": 2,
                                 "algorithm": {"type": "custom", "source_dir": slow, "entry_point": "train.py"}}, expect=201)
    await api.wait_status("d-ok")
    await api.wait_status("d-bad")
    await api.wait_status("d-slow", "RUNNING")

    # a kernel is an active notebook
    kernel = json.loads((await jp_fetch("api", "kernels", method="POST", body="{}")).body)
    try:
        summary = await api.get("dashboard")
    finally:
        await jp_fetch("api", "kernels", kernel["id"], method="DELETE")
    counts = summary["counts"]
    assert counts["active_notebooks"] == 1
    assert (counts["complete_trainings"], counts["failed_trainings"], counts["running_trainings"]) == (1, 1, 1)
    assert summary["training_statuses"] == {"COMPLETE": 1, "FAIL TRAIN": 1, "RUNNING": 1}
    rows = {r["instance_type"]: r for r in summary["resource_usage"]["by_instance_type"]}
    assert rows["cpu-2"] == {"instance_type": "cpu-2", "cpu": 4.0, "gpu": 0, "memory_mib": 8192, "running": 1}
    assert rows["cpu-1"]["running"] == 0
    assert summary["resource_usage"]["cpu"] == {"used": 4.0, "total": 64.0}
    gpu = summary["resource_usage"]["gpu"]
    assert gpu["used"] == 0 and gpu["total"] >= 0  # a number even without GPUs, for the meter

    await api.post("trainings/d-slow/stop")
    await api.wait_status("d-slow")
    deadline = time.monotonic() + 10
    while (await api.get("dashboard"))["resource_usage"]["cpu"]["used"] and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    after = await api.get("dashboard")
    assert after["resource_usage"]["cpu"]["used"] == 0
    assert after["counts"]["running_trainings"] == 0

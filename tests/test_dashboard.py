"""The dashboard's counts and resource usage through a real server."""
from __future__ import annotations

import asyncio
import json
import time


async def test_dashboard_counts_and_usage(api, jp_fetch, jp_serverapp, write_script):
    jp_serverapp.web_app.settings["easymaker"].settings.usage_sample_seconds = 0.2
    empty = await api.get("dashboard")
    assert empty["counts"] == {
        "active_notebooks": 0, "complete_trainings": 0, "running_trainings": 0, "failed_trainings": 0,
        "complete_hpo": 0, "active_endpoints": 0,
    }
    assert empty["top_endpoints"] == []
    usage = empty["resource_usage"]
    assert "local" in usage["backends"] and usage["cpu"] == {"used": 0.0, "total": 64.0}
    assert {(r["instance_type"], r["core_type"]) for r in usage["by_instance_type"]} >= {("cpu-1", "CPU"), ("cpu-64", "CPU")}
    assert usage["resources"] == [] and usage["top_by_core_type"] == []

    ok = write_script("print('ok')\n", folder="ok")
    bad = write_script("raise SystemExit(2)\n", folder="bad")
    slow = write_script("import time\nprint('started', flush=True)\ntime.sleep(60)\n", folder="slow")
    busy = write_script("import time\nend = time.time() + 60\nwhile time.time() < end:\n    pass\n", folder="busy")
    for name, source in (("d-ok", ok), ("d-bad", bad)):
        await api.post("trainings", {"name": name, "experiment_name": "dash",
                                     "algorithm": {"type": "custom", "source_dir": source, "entry_point": "train.py"}}, expect=201)
    await api.post("trainings", {"name": "d-slow", "experiment_name": "dash", "instance_type": "cpu-2", "nodes": 2,
                                 "algorithm": {"type": "custom", "source_dir": slow, "entry_point": "train.py"}}, expect=201)
    await api.post("trainings", {"name": "d-busy", "experiment_name": "dash", "instance_type": "cpu-1",
                                 "algorithm": {"type": "custom", "source_dir": busy, "entry_point": "train.py"}}, expect=201)
    await api.wait_status("d-ok")
    await api.wait_status("d-bad")
    await api.wait_status("d-slow", "RUNNING")
    await api.wait_status("d-busy", "RUNNING")

    # a kernel of this server is not a notebook of the guide's (those are counted by test_notebooks_api)
    kernel = json.loads((await jp_fetch("api", "kernels", method="POST", body="{}")).body)
    try:
        summary = await api.get("dashboard")
    finally:
        await jp_fetch("api", "kernels", kernel["id"], method="DELETE")
    counts = summary["counts"]
    assert counts["active_notebooks"] == 0
    assert (counts["complete_trainings"], counts["failed_trainings"], counts["running_trainings"]) == (1, 1, 2)
    rows = {r["instance_type"]: r for r in summary["resource_usage"]["by_instance_type"]}
    assert rows["cpu-2"] == {"instance_type": "cpu-2", "core_type": "CPU", "cpu": 4.0, "gpu": 0, "memory_mib": 8192,
                             "running": 1, "by_kind": {"training": 1}}
    assert rows["cpu-1"]["running"] == 1 and rows["cpu-1"]["by_kind"] == {"training": 1}
    assert summary["resource_usage"]["cpu"] == {"used": 5.0, "total": 64.0}
    gpu = summary["resource_usage"]["gpu"]
    assert gpu["used"] == 0 and gpu["total"] >= 0  # a number even without GPUs, for the meter
    held = {r["name"]: r for r in summary["resource_usage"]["resources"]}
    assert set(held) == {"d-slow", "d-busy"}
    assert (held["d-slow"]["kind"], held["d-slow"]["units"], held["d-slow"]["core_type"]) == ("training", 2, "CPU")

    # the guide's resource usage: the busiest resource of each core type, once measured
    deadline = time.monotonic() + 30
    while True:
        top = (await api.get("dashboard"))["resource_usage"]["top_by_core_type"]
        if top and top[0]["name"] == "d-busy" and top[0]["value"] > 30 or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.3)
    assert [t["core_type"] for t in top] == ["CPU"]  # no GPU work runs
    assert top[0]["name"] == "d-busy" and top[0]["metric"] == "cpu_percent" and top[0]["value"] > 30, top
    assert top[0]["sampled"] and top[0]["sampled_at"] and top[0]["memory_bytes"] > 0

    await api.post("trainings/d-busy/stop")
    await api.post("trainings/d-slow/stop")
    await api.wait_status("d-slow")
    deadline = time.monotonic() + 10
    while (await api.get("dashboard"))["resource_usage"]["cpu"]["used"] and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    after = await api.get("dashboard")
    assert after["resource_usage"]["cpu"]["used"] == 0
    assert after["counts"]["running_trainings"] == 0

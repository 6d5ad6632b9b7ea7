"""Pipeline schedules through the REST API of a real server, with the
schedules' clock driven by a file (the area's ``clock_file`` option): catch-up
on across a server restart, catch-up off, max concurrency with runs that wait
on a gate file, the end time, cron triggers, the refusals that name their
field, the guide's deletion rules, enable / disable, copy, the runs of a
schedule, the client and the magics."""
from __future__ import annotations

import asyncio
import json
import os
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from tests.server_config import with_options

try:
    from tests.test_magics import client, line, magics, run, server_url, shell  # noqa: F401 - fixtures
except ImportError:
    from test_magics import client, line, magics, run, server_url, shell  # noqa: F401 - fixtures

SHARED = Path(os.environ.get("EASYMAKER_SHARED_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data")
ADD_NUMBERS = SHARED / "kfp-ir" / "valid" / "add_numbers.yaml"
needs_data = pytest.mark.skipif(not ADD_NUMBERS.is_file(), reason=f"the compiled KFP pipelines are not here "
                                f"({ADD_NUMBERS.parent}); set EASYMAKER_SHARED_DATA to the shared data folder")
T0 = datetime(2026, 3, 1, tzinfo=timezone.utc)
RUN_FINAL = {"COMPLETE", "FAIL PIPELINE RUN", "STOPPED", "CREATE FAILED"}

# A one-task pipeline whose task waits until the file named by its `gate` parameter exists: runs
# that stay RUNNING for exactly as long as a test wants (written in the shape KFP compiles).
GATE_PIPELINE = """\
# PIPELINE DEFINITION
# Name: wait-for-gate
# Inputs:
#    gate: str
components:
  comp-wait-for-gate:
    executorLabel: exec-wait-for-gate
    inputDefinitions:
      parameters:
        gate:
          parameterType: STRING
deploymentSpec:
  executors:
    exec-wait-for-gate:
      container:
        command:
        - sh
        - -c
        - 'while [ ! -e "$0" ]; do sleep 0.05; done; echo gate open'
        - '{{$.inputs.parameters[''gate'']}}'
        image: busybox:1.36
pipelineInfo:
  name: wait-for-gate
root:
  dag:
    tasks:
      wait-for-gate:
        cachingOptions:
          enableCache: false
        componentRef:
          name: comp-wait-for-gate
        inputs:
          parameters:
            gate:
              componentInputParameter: gate
        taskInfo:
          name: wait-for-gate
  inputDefinitions:
    parameters:
      gate:
        parameterType: STRING
schemaVersion: 2.1.0
sdkVersion: kfp-2.14.6
"""


def stamp(t: datetime) -> str:
    return t.strftime("%Y%m%d%H%M%S")


class Clock:
    """The schedules' "now": the ISO time in a file the server reads at every pass."""

    def __init__(self, path: Path, now: datetime):
        self.path = path
        self.set(now)

    def set(self, now: datetime) -> None:
        self.now = now
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(now.isoformat())
        os.replace(tmp, self.path)  # never half a time

    def advance(self, delta: timedelta) -> None:
        self.set(self.now + delta)


@pytest.fixture
def clock(tmp_path):
    return Clock(tmp_path / "clock.txt", T0)


@pytest.fixture
def jp_server_config(jp_server_config, clock):
    return with_options(jp_server_config, area_options={"pipeline_schedules": {"clock_file": str(clock.path)}})


async def until(fetch, check, timeout: float = 60.0, what: str = "the condition"):
    """Poll ``fetch()`` until ``check(value)``; the last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = await fetch()
        if check(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen: {value}")
        await asyncio.sleep(0.1)


async def passes(seconds: float = 0.8) -> None:
    """Let several controller passes (0.1 s apart) go by."""
    await asyncio.sleep(seconds)


async def upload(api, name: str, content: str, filename: str = "pipeline.yaml") -> dict:
    await api.post("pipelines", {"name": name, "filename": filename, "content": content}, expect=201)
    return await until(lambda: api.get(f"pipelines/{name}"), lambda p: p["status"] in ("ACTIVE", "CREATE FAILED"),
                       what=f"pipeline {name} settling")


async def create(api, name: str, pipeline: str, trigger: dict, **fields) -> dict:
    body = {"name": name, "pipeline_name": pipeline, "experiment_name": "sched-exp", "trigger": trigger, **fields}
    created = await api.post("pipeline-schedules", body, expect=201)
    assert created["status"] == "CREATE REQUESTED"
    return await until(lambda: api.get(f"pipeline-schedules/{name}"), lambda s: s["status"] != "CREATE REQUESTED",
                       what=f"schedule {name} being created")


async def run_names(api, schedule: str) -> list[str]:
    return sorted(r["name"] for r in (await api.get(f"pipeline-schedules/{schedule}/runs"))["items"])


HOURLY = {"type": "interval", "every": 1, "unit": "hours"}


# -- refusals ------------------------------------------------------------------------------------
@needs_data
async def test_bad_schedules_are_refused_naming_the_field(api, clock):
    await upload(api, "adder", ADD_NUMBERS.read_text())
    good = {"name": "s", "pipeline_name": "adder", "experiment_name": "e", "trigger": HOURLY,
            "parameters": {"a": 1, "b": 2}}
    cases = [
        ({"trigger": {"type": "cron", "expression": "*/5 * * * *"}}, "trigger.expression", "add the seconds field first"),
        ({"trigger": {"type": "cron", "expression": "0 0 0 30 2 *"}}, "trigger.expression", "never matches"),
        ({"trigger": {"type": "cron", "expression": "0 61 * * * *"}}, "trigger.expression", "out of range"),
        ({"trigger": {"type": "interval", "every": 1, "unit": "months"}}, "trigger.unit", "'minutes', 'hours', 'days' or 'weeks'"),
        ({"trigger": {"type": "interval", "every": 0, "unit": "hours"}}, "trigger.every", "greater than or equal to 1"),
        ({"trigger": {"type": "hourly"}}, "trigger", "'interval', 'cron'"),
        ({"max_concurrency": 0}, "max_concurrency", "greater than or equal to 1"),
        ({"max_concurrency": 11}, "max_concurrency", "less than or equal to 10"),
        ({"start_at": "2026-03-02T00:00:00Z", "end_at": "2026-03-01T23:59:59Z"}, "end_at", "must be after start_at"),
        ({"start_at": "2026-03-02T00:00:00Z", "end_at": "2026-03-02T00:00:00Z"}, "end_at", "must be after start_at"),
        ({"start_at": "next tuesday"}, "start_at", "datetime"),
        ({"name": "n" * 36}, "name", "at most 35 characters"),
        ({"pipeline_name": "nope"}, "pipeline_name", "does not exist"),
        ({"parameters": {"a": 1, "b": 2, "c": 3}}, "parameters.c", ""),
        ({"parameters": {"a": 1}}, "parameters.b", ""),
        ({"instance_type": "huge"}, "instance_type", "unknown instance type"),
        ({"catch_up": "sometimes"}, "catch_up", "boolean"),
        ({"schedule": "daily"}, "schedule", "not a known field"),
    ]
    for change, field, words in cases:
        body = {**good, **change}
        code, text = await api.post("pipeline-schedules", body, raw=True)
        error = json.loads(text)
        assert code in (400, 422) and error["field"] == field, (change, code, error)
        assert words in error["error"], (change, error)
    missing_experiment = {k: v for k, v in good.items() if k != "experiment_name"}
    assert "experiment_id or experiment_name" in (await api.post("pipeline-schedules", missing_experiment, expect=422))["error"]
    assert (await api.get("pipeline-schedules"))["total"] == 0  # nothing was stored
    # a valid one; its name is then taken
    await create(api, "s", "adder", HOURLY, parameters={"a": 1, "b": 2})
    assert (await api.post("pipeline-schedules", good, expect=409))["field"] == "name"
    assert (await api.get("pipeline-schedules/missing", expect=404))["field"] == "id"


# -- catch-up off, runs, enable / disable, copy, deletion rules ----------------------------------------
@needs_data
async def test_catch_up_off_runs_only_the_latest_period(api, clock):
    await upload(api, "adder", ADD_NUMBERS.read_text())
    s = await create(api, "latest", "adder", HOURLY, catch_up=False, start_at=T0.isoformat(),
                     parameters={"a": 2, "b": 3}, max_concurrency=3, description="only the newest")
    assert s["status"] == "ENABLED" and s["trigger_text"] == "every 1 hour" and not s["catch_up"]
    assert s["next_run_at"].startswith("2026-03-01T01:00:00") and s["parameters"] == {"a": 2, "b": 3}
    await passes()
    assert await run_names(api, "latest") == []  # nothing is due before the first period

    clock.set(T0 + timedelta(hours=3, minutes=10))  # periods 1:00, 2:00 and 3:00 are due
    runs = await until(lambda: run_names(api, "latest"), lambda r: len(r) >= 1, what="the latest period's run")
    await passes()
    assert await run_names(api, "latest") == [f"latest-{stamp(T0 + timedelta(hours=3))}"]
    s = await api.get("pipeline-schedules/latest")
    assert s["run_count"] == 1 and s["skipped_count"] == 2 and s["last_scheduled_at"].startswith("2026-03-01T03:00:00")
    assert s["next_run_at"].startswith("2026-03-01T04:00:00") and s["last_run_name"] == runs[0]
    run_row = await api.get(f"pipeline-runs/{runs[0]}")
    assert run_row["schedule_name"] == "latest" and run_row["schedule_id"] == s["id"]
    assert run_row["experiment_name"] == "sched-exp" and run_row["parameters"] == {"a": 2, "b": 3}
    done = await until(lambda: api.get(f"pipeline-runs/{runs[0]}"), lambda r: r["status"] in RUN_FINAL, timeout=120,
                       what="the scheduled run ending")
    assert done["status"] == "COMPLETE", done
    by_filter = await api.get("pipeline-runs", params={"schedule_name": "latest"})
    assert [r["name"] for r in by_filter["items"]] == runs

    # disabled: periods pass without runs; enabled again without catch-up: only the latest
    assert (await api.post("pipeline-schedules/latest/disable", expect=200))["status"] == "DISABLED"
    assert (await api.post("pipeline-schedules/latest/disable", expect=200))["status"] == "DISABLED"  # idempotent
    clock.set(T0 + timedelta(hours=7, minutes=30))
    await passes()
    assert len(await run_names(api, "latest")) == 1
    assert (await api.get("pipeline-schedules/latest"))["next_run_at"] is None
    enabled = await api.post("pipeline-schedules/latest/enable", expect=200)
    assert enabled["status"] == "ENABLED" and enabled["next_run_at"].startswith("2026-03-01T07:00:00")
    await until(lambda: run_names(api, "latest"), lambda r: len(r) == 2, what="the run after enabling")
    await passes()
    assert await run_names(api, "latest") == sorted([runs[0], f"latest-{stamp(T0 + timedelta(hours=7))}"])
    history = [e["status"] for e in (await api.get("pipeline-schedules/latest"))["history"]]
    assert history == ["CREATE REQUESTED", "ENABLED", "DISABLED", "ENABLED"]

    # copy: the same settings under a new name, periods counted from the copy's own start time
    body = await api.get("pipeline-schedules/latest/copy")
    assert body["name"] == "latest-copy" and body["trigger"] == HOURLY and body["catch_up"] is False
    assert body["max_concurrency"] == 3 and body["parameters"] == {"a": 2, "b": 3} and body["experiment_name"] == "sched-exp"
    copied = await api.post("pipeline-schedules/latest/copy", {"name": "latest2"}, expect=201)
    assert copied["name"] == "latest2" and copied["trigger"] == HOURLY and copied["description"] == "only the newest"
    assert (await api.post("pipeline-schedules/latest/copy", {}, expect=201))["name"] == "latest-copy"

    # the pipeline and the experiment are kept while schedules use them
    error = await api.call("DELETE", "pipelines/adder", expect=409)
    assert "pipeline schedules" in error["error"] and "'latest'" in error["error"], error
    error = await api.call("DELETE", "experiments/sched-exp", expect=409)
    assert "pipeline" in error["error"], error
    listed = await api.get("pipeline-schedules", params={"pipeline_name": "adder"})
    assert sorted(s["name"] for s in listed["items"]) == ["latest", "latest-copy", "latest2"]
    for name in ("latest", "latest-copy", "latest2"):
        # disabled first: an enabled copy may start its first period's run between the wait and the delete;
        # a copy is created on the schedules' own loop, so it is CREATE REQUESTED for a moment
        await until(lambda name=name: api.get(f"pipeline-schedules/{name}"), lambda s: s["status"] != "CREATE REQUESTED",
                    what=f"{name} being created")
        await api.post(f"pipeline-schedules/{name}/disable", expect=200)
        await until(lambda name=name: api.get(f"pipeline-schedules/{name}"), lambda s: s["active_runs"] == 0,
                    timeout=120, what=f"{name}'s runs ending")
        await api.call("DELETE", f"pipeline-schedules/{name}", expect=204)
    await api.get("pipeline-schedules/latest", expect=404)
    # its runs stay, still naming the schedule that started them
    assert (await api.get(f"pipeline-runs/{runs[0]}"))["schedule_name"] == "latest"


@needs_data
async def test_enable_and_disable_refuse_what_they_cannot_change_and_rename(api, clock):
    await upload(api, "adder", ADD_NUMBERS.read_text())
    await create(api, "sw", "adder", HOURLY, parameters={"a": 1, "b": 1})
    # the experiment made inline is created on its own loop: only once ACTIVE does the schedule's hold decide
    await until(lambda: api.get("experiments/sched-exp"), lambda e: e["status"] == "ACTIVE", what="experiment sched-exp")
    error = await api.call("DELETE", "experiments/sched-exp", expect=409)  # it has no run yet: the schedule keeps it
    assert "pipeline schedules ('sw')" in error["error"], error
    assert (await api.post("pipeline-schedules/sw/enable", expect=200))["status"] == "ENABLED"  # already: a no-op
    renamed = await api.call("PATCH", "pipeline-schedules/sw", {"name": "sw2", "description": "d"}, expect=200)
    assert renamed["name"] == "sw2" and renamed["description"] == "d"
    error = await api.call("PATCH", "pipeline-schedules/sw2", {"name": "x" * 36}, expect=422)
    assert error["field"] == "name"
    await api.post("pipeline-schedules/sw/enable", expect=404)


@needs_data
async def test_a_run_name_already_taken_gets_a_numbered_suffix(api, clock):
    await upload(api, "adder", ADD_NUMBERS.read_text())
    await create(api, "dup", "adder", HOURLY, parameters={"a": 1, "b": 1}, start_at=T0.isoformat())
    taken = f"dup-{stamp(T0 + timedelta(hours=1))}"
    await api.post("pipeline-runs", {"name": taken, "pipeline_name": "adder", "experiment_name": "sched-exp",
                                     "parameters": {"a": 0, "b": 0}}, expect=201)
    clock.set(T0 + timedelta(hours=1, seconds=1))
    s = await until(lambda: api.get("pipeline-schedules/dup"), lambda s: s["run_count"] == 1, what="the period's run")
    assert s["last_run_name"] == f"{taken}-2" and s["last_error"] is None
    assert await run_names(api, "dup") == [f"{taken}-2"]  # the hand-made run is not the schedule's


# -- catch-up on with max concurrency ----------------------------------------------------------------
@needs_data
async def test_catch_up_starts_every_missed_period_within_max_concurrency(api, clock, tmp_path):
    gate = tmp_path / "gate-open"
    await upload(api, "gated", GATE_PIPELINE)
    await create(api, "every-minute", "gated", {"type": "interval", "every": 1, "unit": "minutes"},
                 max_concurrency=2, parameters={"gate": str(gate)}, cache=False)
    clock.advance(timedelta(minutes=5, seconds=30))  # five periods are due at once
    due = [f"every-minute-{stamp(T0 + timedelta(minutes=m))}" for m in range(1, 6)]

    names = await until(lambda: run_names(api, "every-minute"), lambda r: len(r) >= 2, what="the first runs")
    assert names == due[:2]  # the oldest periods first
    await until(lambda: api.get("pipeline-schedules/every-minute"), lambda s: s["active_runs"] == 2)
    running = await until(lambda: api.get(f"pipeline-runs/{due[0]}"), lambda r: r["status"] == "RUNNING", timeout=60,
                          what="the first run running")
    assert running["schedule_name"] == "every-minute"
    await passes(1.0)
    assert await run_names(api, "every-minute") == due[:2]  # the other three wait for a slot
    s = await api.get("pipeline-schedules/every-minute")
    assert s["run_count"] == 2 and s["next_run_at"].startswith("2026-03-01T00:03:00")  # overdue, waiting

    # the guide: a schedule whose run is in progress cannot be deleted; nor the pipeline it uses
    error = await api.call("DELETE", "pipeline-schedules/every-minute", expect=409)
    assert "in progress" in error["error"], error
    error = await api.call("DELETE", "pipelines/gated", expect=409)
    assert "pipeline schedules" in error["error"] and "every-minute" in error["error"], error

    # the gate opens: the waiting periods run in order, never more than two at a time
    gate.write_text("open")
    most = 0

    async def observe() -> list[dict]:
        nonlocal most
        items = (await api.get("pipeline-schedules/every-minute/runs"))["items"]
        most = max(most, sum(r["status"] not in RUN_FINAL for r in items))
        return items

    items = await until(observe, lambda rows: len(rows) == 5 and all(r["status"] in RUN_FINAL for r in rows),
                        timeout=180, what="all five runs ending")
    assert most <= 2
    assert sorted(r["name"] for r in items) == due
    assert {r["status"] for r in items} == {"COMPLETE"}, [(r["name"], r["status"], r["status_reason"]) for r in items]
    created = [r["name"] for r in sorted(items, key=lambda r: (r["created_at"], r["name"]))]
    assert created == due  # started oldest period first
    await passes()
    s = await api.get("pipeline-schedules/every-minute")
    assert s["run_count"] == 5 and s["active_runs"] == 0 and s["skipped_count"] == 0
    assert s["last_scheduled_at"].startswith("2026-03-01T00:05:00") and s["next_run_at"].startswith("2026-03-01T00:06:00")
    await api.call("DELETE", "pipeline-schedules/every-minute", expect=204)
    await api.call("DELETE", "pipelines/gated", expect=204)


# -- end time, cron -----------------------------------------------------------------------------
@needs_data
async def test_end_time_expires_the_schedule_after_its_last_period(api, clock):
    await upload(api, "adder", ADD_NUMBERS.read_text())
    await create(api, "short", "adder", HOURLY, start_at=T0.isoformat(), end_at=(T0 + timedelta(hours=2)).isoformat(),
                 parameters={"a": 1, "b": 1}, max_concurrency=5)
    clock.set(T0 + timedelta(hours=1, minutes=1))
    await until(lambda: run_names(api, "short"), lambda r: len(r) == 1, what="the first period's run")
    assert (await api.get("pipeline-schedules/short"))["status"] == "ENABLED"
    clock.set(T0 + timedelta(hours=6))  # past the end: the 2:00 period still runs, nothing after it
    s = await until(lambda: api.get("pipeline-schedules/short"), lambda s: s["status"] == "ENABLED(EXPIRED)",
                    what="the schedule expiring")
    assert "end time" in s["status_reason"] and s["next_run_at"] is None
    await passes()
    assert await run_names(api, "short") == [f"short-{stamp(T0 + timedelta(hours=h))}" for h in (1, 2)]
    # disabled, then enabled again: still past its end, it expires again and starts nothing
    assert (await api.post("pipeline-schedules/short/disable", expect=200))["status"] == "DISABLED"
    await api.post("pipeline-schedules/short/enable", expect=200)
    await until(lambda: api.get("pipeline-schedules/short"), lambda s: s["status"] == "ENABLED(EXPIRED)")
    assert len(await run_names(api, "short")) == 2


@needs_data
async def test_cron_trigger_fires_at_its_matches_in_utc(api, clock):
    await upload(api, "adder", ADD_NUMBERS.read_text())
    clock.set(datetime(2026, 1, 30, 12, tzinfo=timezone.utc))
    s = await create(api, "month-end", "adder", {"type": "cron", "expression": "0 0 6 L * *"}, max_concurrency=5,
                     parameters={"a": 1, "b": 1})
    assert s["trigger_text"] == "cron '0 0 6 L * *'" and s["next_run_at"].startswith("2026-01-31T06:00:00")
    clock.set(datetime(2026, 4, 1, tzinfo=timezone.utc))  # 31 Jan, 28 Feb and 31 Mar are due
    await until(lambda: run_names(api, "month-end"), lambda r: len(r) == 3, what="three month ends")
    await passes()
    assert await run_names(api, "month-end") == ["month-end-20260131060000", "month-end-20260228060000",
                                                 "month-end-20260331060000"]
    assert (await api.get("pipeline-schedules/month-end"))["next_run_at"].startswith("2026-04-30T06:00:00")


# -- a restart ---------------------------------------------------------------------------------
@needs_data
def test_catch_up_across_a_server_restart_runs_each_missed_period_once(tmp_path):
    from server_process import ServerProcess

    clock = Clock(tmp_path / "clock.txt", T0 + timedelta(minutes=30))
    data = tmp_path / "data"
    options = [f"--EasyMakerExtension.area_options={{'pipeline_schedules': {{'clock_file': '{clock.path}'}}}}",
               "--EasyMakerExtension.local_cpu=16"]

    def wait(server, path, check, timeout=60.0):
        end = time.monotonic() + timeout
        while True:
            row = server.request("GET", path)
            if check(row):
                return row
            assert time.monotonic() < end, row
            time.sleep(0.1)

    def names(server):
        return sorted(r["name"] for r in server.request("GET", "pipeline-schedules/nightly/runs")["items"])

    server = ServerProcess(str(tmp_path), str(data), extra=options).start()
    try:
        server.request("POST", "pipelines", {"name": "adder", "filename": "add_numbers.yaml", "content": ADD_NUMBERS.read_text()})
        wait(server, "pipelines/adder", lambda p: p["status"] == "ACTIVE")
        server.request("POST", "pipeline-schedules", {
            "name": "nightly", "pipeline_name": "adder", "experiment_name": "restarts", "trigger": HOURLY,
            "start_at": T0.isoformat(), "catch_up": True, "max_concurrency": 5, "parameters": {"a": 20, "b": 22},
            "cache": False})  # each run computes its own sum
        wait(server, "pipeline-schedules/nightly", lambda s: s["status"] == "ENABLED")
        clock.set(T0 + timedelta(hours=1, minutes=5))
        wait(server, "pipeline-schedules/nightly", lambda s: s["run_count"] == 1)
        assert names(server) == [f"nightly-{stamp(T0 + timedelta(hours=1))}"]
    finally:
        server.kill()  # no goodbye: what survives is what was committed

    clock.advance(timedelta(hours=3))  # 2:00, 3:00 and 4:00 come due while the server is down
    restarted = ServerProcess(str(tmp_path), str(data), port=server.port, extra=options).start()
    try:
        want = [f"nightly-{stamp(T0 + timedelta(hours=h))}" for h in range(1, 5)]
        wait(restarted, "pipeline-schedules/nightly", lambda s: s["run_count"] == 4, timeout=90)
        time.sleep(1.0)  # more passes start nothing more
        assert names(restarted) == want
        s = restarted.request("GET", "pipeline-schedules/nightly")
        assert s["run_count"] == 4 and s["last_scheduled_at"].startswith("2026-03-01T04:00:00")
        runs = restarted.request("GET", "pipeline-runs?schedule_name=nightly")["items"]
        assert sorted(r["name"] for r in runs) == want  # one run per period, none twice
        for name in want:
            done = wait(restarted, f"pipeline-runs/{name}", lambda r: r["status"] in RUN_FINAL, timeout=120)
            assert done["status"] == "COMPLETE", done
            assert done["result"]["state"] == "SUCCEEDED", done["result"]
            task = restarted.request("GET", f"pipeline-runs/{name}/tasks")["items"][0]
            assert task["state"] == "SUCCEEDED" and "42" in json.dumps(task["outputs"]), task  # 20 + 22
    finally:
        restarted.stop()


# -- the client and the magics ----------------------------------------------------------------------
@needs_data
async def test_client_and_magics(shell, magics, client, capsys, api, clock):
    await upload(api, "adder", ADD_NUMBERS.read_text())
    created = await run(client.create_pipeline_schedule, name="c1", pipeline="adder", experiment="client-exp",
                        every="30m", parameters={"a": 1, "b": 2}, start_at=T0, catch_up=False)
    assert created["trigger"] == {"type": "interval", "every": 30, "unit": "minutes"}
    settled = await run(client.wait_pipeline_schedule, "c1")
    assert settled["status"] == "ENABLED" and settled["experiment_name"] == "client-exp"
    assert [s["name"] for s in await run(client.list_pipeline_schedules, pipeline="adder")] == ["c1"]
    assert (await run(client.disable_pipeline_schedule, "c1"))["status"] == "DISABLED"
    assert (await run(client.enable_pipeline_schedule, "c1"))["status"] == "ENABLED"
    copy = await run(client.copy_pipeline_schedule, "c1", name="c2")
    assert copy["name"] == "c2" and copy["trigger"] == created["trigger"]
    clock.set(T0 + timedelta(minutes=31))
    runs = await until(lambda: run(client.pipeline_schedule_runs, "c1"), lambda r: len(r) == 1)
    assert runs[0]["name"] == f"c1-{stamp(T0 + timedelta(minutes=30))}"

    await line(shell, "pipeline-schedule create m1 --pipeline adder --cron '0 0 * * * *' --param a=4 --param b=5 "
                      "--max-concurrency 2 --no-catch-up")
    out = capsys.readouterr().out
    assert "m1: ENABLED" in out and "cron '0 0 * * * *'" in out and "catch-up off" in out, out
    await line(shell, "pipeline-schedule list")
    out = capsys.readouterr().out
    assert "m1" in out and "c1" in out and "NEXT" in out, out
    await line(shell, "pipeline schedule disable m1")  # the pipelines command hands it over
    assert "m1: DISABLED" in capsys.readouterr().out
    renamed = await line(shell, "pipeline-schedule rename m1 --description nightly")
    assert (renamed["name"], renamed["description"]) == ("m1", "nightly") and renamed["pipeline_name"] == "adder"
    assert "pipeline schedule m1 is now m1: nightly" in capsys.readouterr().out
    await line(shell, "pipeline-schedule runs c1")
    assert f"c1-{stamp(T0 + timedelta(minutes=30))}" in capsys.readouterr().out
    await line(shell, "pipeline-schedule create m2 --pipeline adder --cron '*/5 * * * *' --param a=1 --param b=1")
    captured = capsys.readouterr()
    assert "add the seconds field first" in captured.out + captured.err
    assert [s["name"] for s in await run(client.list_pipeline_schedules, name="m2")] == []
    for name in ("c1", "c2"):  # the copy started its own run for the same period: both end before deletion
        await until(lambda: run(client.get_pipeline_schedule, name), lambda s: s["active_runs"] == 0, timeout=120)
    for name in ("m1", "c1", "c2"):
        await line(shell, f"pipeline-schedule delete {name}")
    assert (await run(client.list_pipeline_schedules)).total == 0


def test_a_schedule_takes_every_field_of_a_run():
    """The areas are independent (no import between them), so the run form is written
    in both; this keeps the two from drifting apart."""
    from jupyter_easymaker.areas.pipeline_schedules.schemas import NasMount, PipelineScheduleFields
    from jupyter_easymaker.areas.pipelines.schemas import PipelineNasMount, PipelineRunFields

    def shape(model):
        return {name: (f.annotation if name != "nas" else list, f.default, repr(f.metadata))
                for name, f in model.model_fields.items()}

    run, schedule = shape(PipelineRunFields), shape(PipelineScheduleFields)
    assert {name: schedule.get(name) for name in run} == run
    assert shape(NasMount) == shape(PipelineNasMount)

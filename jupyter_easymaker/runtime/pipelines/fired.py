"""A run a pipeline schedule's CronJob started on Kubernetes, with no server
involved: the pod makes the run's folder from what the server staged in the
schedule's folder, named after the pod's Job (so a retried pod carries on in
the same folder and the server finds it by the Job's name), then runs the
executor on it. A Job started outside the schedule's start / end time runs
nothing (a CronJob knows neither)."""
from __future__ import annotations

import datetime
import json
import os
import shutil
import sys
from typing import Any

from jupyter_easymaker.catalogs.jobs import (
    FIRED_JOB_NAME_ENV,
    FIRED_RUNS_FOLDER,
    PIPELINE_SCHEDULE_DIR_ENV,
    SCHEDULE_WINDOW_FILE,
)
from jupyter_easymaker.runtime.pipelines import executor

COPIED = ("pipeline_spec.json", "platform_spec.json")


def _utc(text: str | None) -> datetime.datetime | None:
    if not text:
        return None
    value = datetime.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=datetime.timezone.utc)


def outside_window(window: dict[str, Any], now: datetime.datetime) -> str | None:
    """Why ``now`` is outside the schedule's start / end time, or None."""
    start, end = _utc(window.get("start_at")), _utc(window.get("end_at"))
    if start is not None and now < start:
        return f"the schedule starts at {start.isoformat()}"
    if end is not None and now > end:
        return f"the schedule ended at {end.isoformat()}"
    return None


def prepare(schedule_dir: str, job_name: str) -> str:
    """The run's folder for the Job ``job_name`` (made once; a retried pod finds it)."""
    run_dir = os.path.join(schedule_dir, FIRED_RUNS_FOLDER, job_name)
    if os.path.isfile(os.path.join(run_dir, "run.json")):
        return run_dir
    os.makedirs(run_dir, exist_ok=True)
    for name in COPIED:
        if os.path.isfile(os.path.join(schedule_dir, name)):
            shutil.copyfile(os.path.join(schedule_dir, name), os.path.join(run_dir, name))
    with open(os.path.join(schedule_dir, "run.json"), encoding="utf-8") as fh:
        run = json.load(fh)
    run.update({"run_name": job_name, "job_id": job_name})
    tmp = os.path.join(run_dir, f".run.json.{os.getpid()}")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(run, fh)
    os.replace(tmp, os.path.join(run_dir, "run.json"))  # last: its presence says the folder is whole
    return run_dir


def main() -> int:
    schedule_dir, job_name = os.environ.get(PIPELINE_SCHEDULE_DIR_ENV, ""), os.environ.get(FIRED_JOB_NAME_ENV, "")
    if not schedule_dir or not os.path.isdir(schedule_dir) or not job_name:
        print(f"[easymaker] ERROR: the schedule's folder {schedule_dir!r} or the Job's name {job_name!r} is missing",
              flush=True)
        return 2
    try:
        with open(os.path.join(schedule_dir, SCHEDULE_WINDOW_FILE), encoding="utf-8") as fh:
            window = json.load(fh)
    except FileNotFoundError:
        window = {}
    why = outside_window(window, datetime.datetime.now(datetime.timezone.utc))
    if why:
        print(f"[easymaker] no run: {why}", flush=True)
        return 0
    run_dir = prepare(schedule_dir, job_name)
    os.environ["EM_PIPELINE_RUN_DIR"] = run_dir
    print(f"[easymaker] pipeline schedule run {job_name} in {run_dir}", flush=True)
    return executor.main([])


if __name__ == "__main__":
    sys.exit(main())

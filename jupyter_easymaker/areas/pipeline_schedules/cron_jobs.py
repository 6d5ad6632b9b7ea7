"""Pipeline schedules on a Kubernetes backend: each schedule is also a CronJob,
so its runs start while the server is down; the server records them later.
With a Kubeflow Pipelines API server configured, a schedule whose runs go
there is a KFP recurring run instead (the pipelines area's
``put_recurring_run``), and its runs are recorded the same way.

The CronJob's Jobs are the pipeline run Job of today (same image, service
account, storage); its pod makes the run's folder from the files staged in the
schedule's folder and runs the executor (``runtime/pipelines/fired.py``).
Suspended while the schedule is DISABLED or ENABLED(EXPIRED), deleted with it.
A schedule's ``run_spec["cluster"]`` says where it lives:
``{"backend", "cron", "name"}`` (``name`` once the CronJob was created).

Pick-up: every controller pass lists the Jobs the CronJobs started and records
each one once as a run of its schedule (its id is derived from the Job's uid),
on the shared job lifecycle from then on. A Job started outside the schedule's
start / end time ran nothing (its pod checks) and is deleted unrecorded.
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any

from jupyter_easymaker.areas.pipeline_schedules import timing
from jupyter_easymaker.areas.pipeline_schedules.tables import PipelineSchedule

log = logging.getLogger("jupyter_easymaker.pipeline_schedules")

# the pipelines area's word for runs on a Kubeflow Pipelines server: there a schedule is a recurring run
KFP_BACKEND = "kfp"
# catch-up off: a run the cluster could not start within this long after its time is left out
NO_CATCH_UP_DEADLINE_SECONDS = 60


def concurrency_policy(max_concurrency: int) -> str:
    """One run at a time: Forbid (a period whose predecessor still runs is skipped). More: Allow
    (a CronJob has no cap of N; the cluster does not hold the N+1st back)."""
    return "Forbid" if max_concurrency <= 1 else "Allow"


def placement(backend: Any, trigger: dict[str, Any], anchor: datetime, backend_name: str) -> dict[str, Any] | None:
    """``run_spec["cluster"]`` of a schedule whose runs go to ``backend`` (None: the server's timer);
    ClusterTriggerError when the trigger cannot be a CronJob's schedule."""
    if backend_name == KFP_BACKEND:  # KFP reads the 6-field cron and the interval as they are
        return {"backend": KFP_BACKEND}
    if not hasattr(backend, "put_schedule"):
        return None
    return {"backend": backend_name, "cron": timing.cronjob_schedule(trigger, anchor)}


def cron_settings(row: PipelineSchedule, *, suspend: bool) -> dict[str, Any]:
    return {"schedule_id": row.id, "cron": row.run_spec["cluster"]["cron"], "suspend": suspend,
            "concurrency_policy": concurrency_policy(row.max_concurrency),
            "starting_deadline_seconds": None if row.catch_up else NO_CATCH_UP_DEADLINE_SECONDS}


def in_window(row: PipelineSchedule, at: datetime | None) -> bool:
    if at is None:
        return True
    return (row.start_at is None or at >= row.start_at) and (row.end_at is None or at <= row.end_at)


def next_time(cron: str, after: datetime) -> datetime | None:
    """The CronJob's first time strictly after ``after`` (UTC)."""
    from croniter import croniter
    from croniter.croniter import CroniterBadDateError

    try:
        return croniter(cron, after.astimezone(timezone.utc)).get_next(datetime).astimezone(timezone.utc)
    except CroniterBadDateError:
        return None


def fired_by(row: PipelineSchedule) -> str:
    """Who starts the schedule's runs, in words."""
    cluster = (row.run_spec or {}).get("cluster")
    if not cluster:
        return "the server's timer"
    if cluster["backend"] == KFP_BACKEND:
        return f"recurring run {cluster.get('name') or '(not created yet)'} on Kubeflow Pipelines"
    return f"CronJob {cluster.get('name') or '(not created yet)'} on the {cluster['backend']} backend"


def what(row: PipelineSchedule) -> str:
    cluster = (row.run_spec or {}).get("cluster") or {}
    return "recurring run on Kubeflow Pipelines" if cluster.get("backend") == KFP_BACKEND else "CronJob"

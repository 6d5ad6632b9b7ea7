"""``%easymaker pipeline-schedule create|list|show|rename|enable|disable|copy|delete|runs``
(also reached as ``%easymaker pipeline schedule ...``, which the pipelines area
hands over to this command).

Standard library and IPython only."""
from __future__ import annotations

import argparse
import json
from typing import Any

from jupyter_easymaker.areas.pipeline_schedules.client import parse_every
from jupyter_easymaker.magics import resource_actions
from jupyter_easymaker.magics.arguments import (
    BACKENDS,
    MagicUsageError,
    arg,
    duration,
    key_value,
    positive_int,
)
from jupyter_easymaker.magics.formatting import created, table
from jupyter_easymaker.magics.registry import command

ACTIONS = ("create", "list", "show", "rename", "enable", "disable", "copy", "delete", "runs")
DEFAULT_EXPERIMENT = "notebook"


def parameter_value(text: str) -> Any:
    """A parameter's value: JSON when it reads as JSON ('3', 'true', '[1,2]'), else the text."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def create_body(args: argparse.Namespace) -> dict[str, Any]:
    usage = "%easymaker pipeline-schedule create NAME --pipeline P (--every '5 minutes' | --cron '0 */5 * * * *')"
    if not args.name or not args.pipeline:
        raise MagicUsageError(usage)
    if bool(args.every) == bool(args.cron):
        raise MagicUsageError(f"{usage}: give one trigger, --every or --cron")
    if args.every:
        try:
            trigger = parse_every(args.every)
        except ValueError as exc:
            raise MagicUsageError(f"%easymaker pipeline-schedule create: --every: {exc}") from None
    else:
        trigger = {"type": "cron", "expression": args.cron}
    body: dict[str, Any] = {
        "name": args.name, "description": args.description or "", "pipeline_name": args.pipeline, "trigger": trigger,
        "experiment_name": args.experiment or DEFAULT_EXPERIMENT, "catch_up": not args.no_catch_up,
        "parameters": {k: parameter_value(v) for k, v in args.param},
        "log_management": not args.no_log, "cache": not args.no_cache,
    }
    if args.nas:
        body["nas"] = [{"mount_dir_name": name, "nas_path": path} for name, path in args.nas]
    for key, value in (("max_concurrency", args.max_concurrency), ("start_at", args.start), ("end_at", args.end),
                       ("instance_type", args.instance_type), ("instance_count", args.instances),
                       ("boot_storage_gb", args.boot_storage), ("max_run_seconds", args.max_time),
                       ("backend", args.backend)):
        if value is not None:
            body[key] = value
    return body


def schedule_line(s: dict) -> str:
    window = ""
    if s.get("start_at") or s.get("end_at"):
        window = f", {created(s.get('start_at')) or '...'} → {created(s.get('end_at')) or '...'}"
    return (f"{s['name']}: {s['status']} — {s['pipeline_name']} {s['trigger_text']}, at most {s['max_concurrency']} "
            f"at a time, catch-up {'on' if s['catch_up'] else 'off'}{window}")


def print_schedules(client: Any, args: argparse.Namespace) -> None:
    page = client.list_pipeline_schedules(pipeline=args.pipeline, status=args.status, limit=args.limit)
    if not page:
        print("no pipeline schedules")
        return
    rows = [[s["name"], s["status"], s["pipeline_name"], s["trigger_text"], f"{s['active_runs']}/{s['max_concurrency']}",
             "on" if s["catch_up"] else "off", str(s["run_count"]), created(s.get("next_run_at")) or "-",
             created(s.get("created_at"))] for s in page]
    print(table(rows, ["NAME", "STATUS", "PIPELINE", "TRIGGER", "ACTIVE", "CATCH-UP", "RUNS", "NEXT", "CREATED"]))


def print_runs(client: Any, name: str) -> list[dict]:
    runs = client.pipeline_schedule_runs(name)
    if not runs:
        print(f"pipeline schedule {name} has started no runs yet")
        return runs
    rows = [[r["name"], r["status"], created(r.get("created_at")), created(r.get("finished_at")) or "-"] for r in runs]
    print(table(rows, ["RUN", "STATUS", "CREATED", "FINISHED"]))
    return runs


@command("pipeline-schedule", "Pipeline schedules: " + ", ".join(ACTIONS) + ". Runs of a pipeline on an interval "
         "(--every '5 minutes') or a 6-field cron (--cron '0 */5 * * * *', seconds first, UTC).",
         arg("action", choices=ACTIONS),
         arg("name", nargs="?", metavar="NAME", help="the schedule (all but list)"),
         arg("--pipeline", help="create: the pipeline (name or id); list: only its schedules"),
         arg("--every", metavar="INTERVAL", help="create: '30 minutes', '1 hour', '2 days', '1 week' (or 30m, 1h, 2d, 1w)"),
         arg("--cron", metavar="EXPRESSION", help="create: 6 fields, seconds first, e.g. '0 0 3 * * *'"),
         arg("--experiment", help=f"create: experiment name (created when missing; default {DEFAULT_EXPERIMENT!r})"),
         arg("--param", action="append", default=[], type=key_value, metavar="KEY=VALUE",
             help="create: a run parameter (repeatable); the value is read as JSON when it is JSON"),
         arg("--max-concurrency", type=positive_int, help="create: runs at the same time (1-10, default 1)"),
         arg("--start", metavar="ISO_TIME", help="create: start time (UTC when it has no offset)"),
         arg("--end", metavar="ISO_TIME", help="create: end time"),
         arg("--no-catch-up", action="store_true", help="create: run only the latest missed period"),
         arg("--instance-type"), arg("--instances", type=positive_int, help="instance count"),
         arg("--boot-storage", type=positive_int, metavar="GB"),
         arg("--nas", action="append", default=[], type=key_value, metavar="DIR=nas://ID:/PATH"),
         arg("--no-log", action="store_true"), arg("--no-cache", action="store_true"),
         arg("--max-time", type=duration, metavar="DURATION", help="create: maximum time of each run"),
         arg("--backend", choices=BACKENDS),
         arg("--description", default=None),
         arg("--copy-name", metavar="NAME", help="copy: the new schedule's name (default NAME-copy)"),
         arg("--new-name", metavar="NAME", help="rename: the new name (with --description: the new description)"),
         arg("--status", help="list: only these statuses (comma-separated)"),
         arg("--limit", type=positive_int, default=50))
def pipeline_schedule_command(magics: Any, args: argparse.Namespace, _cell: Any) -> Any:
    client = magics.client
    if args.action == "list":
        return print_schedules(client, args)
    if not args.name:
        raise MagicUsageError(f"%easymaker pipeline-schedule {args.action} NAME")
    if args.action == "create":
        schedule = client.create_pipeline_schedule(create_body(args))
        if schedule["status"] == "CREATE REQUESTED":
            schedule = client.wait_pipeline_schedule(schedule["id"])
        print(schedule_line(schedule) + (f" ({schedule['status_reason']})" if schedule.get("status_reason") else ""))
        return schedule
    if args.action == "show":
        schedule = client.get_pipeline_schedule(args.name)
        print(schedule_line(schedule))
        print(f"  {schedule['run_count']} run(s) started, {schedule['active_runs']} active; last period "
              f"{created(schedule.get('last_scheduled_at')) or '-'}, next {created(schedule.get('next_run_at')) or '-'}")
        if schedule.get("last_error"):
            print(f"  last error: {schedule['last_error']}")
        return schedule
    if args.action == "rename":
        return resource_actions.rename("pipeline schedule", args, client.update_pipeline_schedule)
    if args.action in ("enable", "disable"):
        change = client.enable_pipeline_schedule if args.action == "enable" else client.disable_pipeline_schedule
        schedule = change(args.name)
        print(schedule_line(schedule))
        return schedule
    if args.action == "copy":
        schedule = client.copy_pipeline_schedule(args.name, name=args.copy_name)
        print(f"copied to {schedule['name']}: {schedule['status']}")
        return schedule
    if args.action == "delete":
        client.delete_pipeline_schedule(args.name)
        print(f"pipeline schedule {args.name} deleted")
        return None
    return print_runs(client, args.name)

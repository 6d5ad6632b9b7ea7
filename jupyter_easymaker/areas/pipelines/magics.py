"""``%easymaker pipeline upload|list|show|graph|download|update|delete|run|runs|
status|logs|artifacts|monitoring|update-run|stop|copy|delete-run|schedule ...``: pipelines and their runs from
the notebook (``run`` follows the run live: a widget in a kernel, its task
states as lines elsewhere). ``schedule`` hands the rest of the line to the
``pipeline-schedule`` command of the pipeline schedules.

Standard library and IPython only until a command runs (ipywidgets loads for
the live view)."""
from __future__ import annotations

import argparse
import json
import shlex
import sys
from typing import Any

from jupyter_easymaker.areas.pipelines.watch import RunWatcher, follow_text, task_line
from jupyter_easymaker.magics.arguments import (
    BACKENDS,
    HelpShown,
    MagicUsageError,
    _Parser,
    arg,
    duration,
    key_value,
    positive_int,
)
from jupyter_easymaker.magics.formatting import OneLine, created, format_elapsed, table
from jupyter_easymaker.magics.registry import COMMANDS, command

DEFAULT_EXPERIMENT = "notebook"
SCHEDULE_COMMAND = "pipeline-schedule"
ACTIONS = {
    "upload": "upload a compiled pipeline (.yaml, .yml, .json or .zip)",
    "list": "list pipelines",
    "show": "a pipeline's inputs and summary",
    "graph": "a pipeline's tasks as a tree",
    "download": "a pipeline's YAML, written to a file or printed",
    "update": "rename a pipeline or change its description",
    "delete": "delete a pipeline",
    "run": "run a pipeline and follow its tasks",
    "runs": "list pipeline runs",
    "status": "a run's status and its tasks",
    "logs": "one task's log (without TASK: the run's log records)",
    "artifacts": "a run's artifact files",
    "monitoring": "a run's CPU and memory samples",
    "update-run": "rename a run or change its description",
    "stop": "stop a run",
    "copy": "start a new run with a run's settings",
    "delete-run": "delete an ended run",
    # (argparse formats help with %: the sign is doubled)
    "schedule": f"pipeline schedules (the rest of the line goes to %%easymaker {SCHEDULE_COMMAND})",
}


def action_parser(action: str) -> _Parser:
    """The arguments of one action (``%easymaker pipeline ACTION --help``)."""
    parser = _Parser(prog=f"%easymaker pipeline {action}", description=ACTIONS[action])
    if action == "upload":
        parser.add_argument("path", metavar="PATH")
        parser.add_argument("--name", help="pipeline name (default: the file's name)")
        parser.add_argument("--description", default="")
        parser.add_argument("--no-wait", action="store_true", help="answer at once instead of once it is ACTIVE")
    elif action in ("show", "graph", "delete"):
        parser.add_argument("pipeline", metavar="PIPELINE")
    elif action == "download":
        parser.add_argument("pipeline", metavar="PIPELINE")
        parser.add_argument("path", metavar="PATH", nargs="?", help="file to write (default: print the YAML)")
    elif action in ("update", "update-run"):
        parser.add_argument("pipeline" if action == "update" else "run", metavar="PIPELINE" if action == "update" else "RUN")
        parser.add_argument("--name", help="the new name")
        parser.add_argument("--description", help="the new description")
    elif action == "run":
        parser.add_argument("pipeline", metavar="PIPELINE")
        parser.add_argument("--name", help="run name (default: PIPELINE-run-YYYYmmdd-HHMMSS)")
        parser.add_argument("--description", default="")
        parser.add_argument("--param", action="append", default=[], type=key_value, metavar="KEY=VALUE",
                            help="a run parameter (repeatable); the value is read as JSON when it is JSON")
        parser.add_argument("--experiment", help=f"experiment name (created when missing; default {DEFAULT_EXPERIMENT!r})")
        parser.add_argument("--instance-type")
        parser.add_argument("--instances", type=positive_int, help="instance count")
        parser.add_argument("--boot-storage", type=positive_int, metavar="GB")
        parser.add_argument("--nas", action="append", default=[], type=key_value, metavar="DIR=nas://ID:/PATH",
                            help="attach an NHN Cloud NAS as directory DIR (repeatable)")
        parser.add_argument("--no-log", action="store_true", help="do not keep the run's log records")
        parser.add_argument("--no-cache", action="store_true", help="run every task even if its outputs are cached")
        parser.add_argument("--max-time", type=duration, metavar="DURATION")
        parser.add_argument("--backend", choices=BACKENDS)
        parser.add_argument("--wait", action="store_true", help="block until the run ends")
        parser.add_argument("--no-widget", action="store_true", help="print task states instead of the live widget")
    elif action == "runs":
        parser.add_argument("--pipeline")
        parser.add_argument("--schedule")
        parser.add_argument("--status", help="only these statuses (comma-separated)")
        parser.add_argument("--limit", type=positive_int, default=20)
    elif action in ("status", "artifacts", "stop", "delete-run"):
        parser.add_argument("run", metavar="RUN")
    elif action == "logs":
        parser.add_argument("run", metavar="RUN")
        parser.add_argument("task", metavar="TASK", nargs="?",
                            help="task id, e.g. condition-1/print-msg (default: the run's own log records)")
    elif action == "monitoring":
        parser.add_argument("run", metavar="RUN")
        parser.add_argument("--last", type=positive_int, default=20, metavar="N", help="show the last N samples")
    elif action == "copy":
        parser.add_argument("run", metavar="RUN")
        parser.add_argument("--name", help="the new run's name (default: RUN-copy)")
    return parser


def parameter_value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def run_body(args: argparse.Namespace) -> dict[str, Any]:
    body: dict[str, Any] = {"pipeline_name": args.pipeline, "description": args.description,
                            "parameters": {k: parameter_value(v) for k, v in args.param},
                            "experiment_name": args.experiment or DEFAULT_EXPERIMENT,
                            "log_management": not args.no_log, "cache": not args.no_cache}
    if args.name:
        body["name"] = args.name
    if args.nas:
        body["nas"] = [{"mount_dir_name": name, "nas_path": path} for name, path in args.nas]
    for key, value in (("instance_type", args.instance_type), ("instance_count", args.instances),
                       ("boot_storage_gb", args.boot_storage), ("max_run_seconds", args.max_time), ("backend", args.backend)):
        if value is not None:
            body[key] = value
    return body


class RunResult(OneLine):
    """The final run, shown as one line; ``tasks()`` lists its tasks."""

    client: Any = None

    def summary(self) -> str:
        counts = (self.get("tasks") or {}).get("by_state") or {}
        shown = ", ".join(f"{n} {s.lower()}" for s, n in sorted(counts.items()))
        reason = f" ({self['status_reason']})" if self.get("status_reason") and self["status"] != "COMPLETE" else ""
        return f"<pipeline run {self['name']}: {self['status']}{reason}; {shown or 'no tasks'}>"

    def tasks(self) -> list[dict]:
        return self.client.pipeline_run_tasks(self["id"])


def result(client: Any, run: dict | None) -> RunResult | None:
    if run is None:
        return None
    out = RunResult(run)
    out.client = client
    return out


# -- the actions -----------------------------------------------------------------------------
def print_pipelines(client: Any) -> None:
    page = client.list_pipelines(limit=100)
    if not page:
        print("no pipelines")
        return
    rows = [[p["name"], p["status"], p["pipeline_name"], str((p.get("summary") or {}).get("task_count", "")),
             ", ".join(i["name"] for i in p.get("inputs") or []), str(p.get("run_count", 0)), created(p.get("created_at"))]
            for p in page]
    print(table(rows, ["NAME", "STATUS", "KFP NAME", "TASKS", "INPUTS", "RUNS", "CREATED"]))


def print_pipeline(client: Any, ref: str) -> dict:
    p = client.get_pipeline(ref)
    summary = p.get("summary") or {}
    print(f"{p['name']}: {p['status']} {p['status_reason']}".rstrip())
    print(f"  {p['pipeline_name']} ({p['sdk_version']}, schema {p['schema_version']}), {summary.get('task_count', '?')} task(s); "
          f"features: {', '.join(summary.get('features') or []) or '-'}")
    for i in p.get("inputs") or []:
        default = "" if i.get("default") is None else f" = {json.dumps(i['default'])}"
        print(f"  input {i['name']}: {i['type']}{default}{' (optional)' if i.get('optional') else ''}")
    return p


def print_graph(client: Any, ref: str) -> dict:
    graph = client.pipeline_graph(ref)
    children: dict[Any, list[dict]] = {}
    for node in graph["nodes"]:
        children.setdefault(node.get("parent"), []).append(node)
    upstream: dict[str, list[str]] = {}
    for edge in graph["edges"]:
        upstream.setdefault(edge["target"], []).append(edge["source"].rsplit("/", 1)[-1])

    def walk(parent: Any, level: int) -> None:
        for node in children.get(parent, []):
            control = f" [{node['control']}]" if node.get("control") else ""
            after = f" <- {', '.join(sorted(set(upstream[node['id']])))}" if node["id"] in upstream else ""
            print(f"{'  ' * level}{node['name']} ({node['kind']}){control}{after}")
            walk(node["id"], level + 1)

    walk(None, 0)
    return graph


def print_runs(client: Any, args: argparse.Namespace) -> None:
    page = client.list_pipeline_runs(pipeline=args.pipeline, schedule=args.schedule, status=args.status, limit=args.limit)
    if not page:
        print("no pipeline runs")
        return
    rows = []
    for r in page:
        counts = (r.get("tasks") or {}).get("by_state") or {}
        done = sum(n for s, n in counts.items() if s in ("SUCCEEDED", "CACHED", "SKIPPED"))
        rows.append([r["name"], r["status"], r["pipeline_name"], r.get("experiment_name") or "",
                     f"{done}/{(r.get('tasks') or {}).get('total', 0)}", format_elapsed(r.get("elapsed_seconds")),
                     created(r.get("created_at"))])
    print(table(rows, ["NAME", "STATUS", "PIPELINE", "EXPERIMENT", "TASKS DONE", "ELAPSED", "CREATED"]))


def print_status(client: Any, ref: str) -> RunResult | None:
    watcher = RunWatcher(client, ref)
    watcher.poll()
    print(watcher.summary())
    for task in sorted(watcher.tasks, key=lambda t: t["task_id"]):
        print(task_line(task))
    return result(client, watcher.run)


def download(client: Any, ref: str, path: str | None) -> str:
    text = client.download_pipeline(ref)
    if path is None:
        print(text, end="" if text.endswith("\n") else "\n")
    else:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
        print(f"pipeline {ref} written to {path}")
    return text


def changes(args: argparse.Namespace, what: str) -> dict[str, str]:
    fields = {k: v for k, v in (("name", args.name), ("description", args.description)) if v is not None}
    if not fields:
        raise MagicUsageError(f"%easymaker pipeline {what}: give --name and/or --description")
    return fields


def print_run_logs(client: Any, ref: str) -> None:
    """The run's own log records (what the platform wrote about it), oldest first."""
    after, shown = 0, 0
    while True:
        page = client.pipeline_run_logs(ref, after=after, limit=1000)
        for record in page["records"]:
            print(record["body"])
        shown += len(page["records"])
        if not page["records"]:
            if not shown:
                print(f"no log records of pipeline run {ref} (a task's log: %easymaker pipeline logs {ref} TASK)")
            return
        after = page["next_after"]


def print_monitoring(client: Any, ref: str, last: int) -> dict:
    answer = client.pipeline_run_monitoring(ref)
    samples = (answer.get("usage") or [])[-last:]

    def number(value: Any, scale: float = 1.0) -> str:
        return "" if value is None else f"{value / scale:.1f}"

    rows = [[s["time"], number(s.get("cpu_percent")), number(s.get("memory_bytes"), 1 << 20), number(s.get("gpu_percent")),
             number(s.get("gpu_memory_bytes"), 1 << 20)] for s in samples]
    print(f"pipeline run {ref}: {answer['status']}")
    print(table(rows, ["TIME", "CPU %", "MEMORY MiB", "GPU %", "GPU MEMORY MiB"]) if rows else "no usage samples yet")
    return answer


def start_run(magics: Any, args: argparse.Namespace) -> Any:
    client = magics.client
    run = client.create_pipeline_run(body=run_body(args))
    if not args.no_widget and magics._widgets_available():
        from IPython.display import display

        from jupyter_easymaker.areas.pipelines.widgets import PipelineRunView

        view = PipelineRunView(client, run)
        if not args.wait:
            return view
        display(view)
        return result(client, view.wait())
    print(f"started pipeline run {run['name']} ({run['id']}) of pipeline {run['pipeline_name']}")
    if not args.wait:
        print(f"follow it with: %easymaker pipeline status {run['name']}, or Client().wait_pipeline_run({run['name']!r})")
        return None
    try:
        return result(client, follow_text(RunWatcher(client, run)))
    except KeyboardInterrupt:
        print(f"stopped waiting; pipeline run {run['name']} keeps running", file=sys.stderr)
        return None


def schedule(magics: Any, rest: list[str]) -> Any:
    if SCHEDULE_COMMAND not in COMMANDS:
        raise MagicUsageError(f"%easymaker pipeline schedule: pipeline schedules are not available here "
                              f"(no %easymaker {SCHEDULE_COMMAND} command)")
    return magics.easymaker(shlex.join([SCHEDULE_COMMAND, *rest]))


@command("pipeline", "Pipelines (Kubeflow Pipelines v2) and their runs: " + ", ".join(ACTIONS) +
         ". `%%easymaker pipeline ACTION --help` shows an action's options.",
         arg("action", choices=tuple(ACTIONS), metavar="ACTION", help="one of: " + ", ".join(ACTIONS)),
         arg("rest", nargs=argparse.REMAINDER, help="the action's arguments"))
def pipeline_command(magics: Any, args: argparse.Namespace, _cell: Any) -> Any:
    if args.action == "schedule":
        return schedule(magics, list(args.rest))
    try:
        sub = action_parser(args.action).parse_args(list(args.rest))
    except HelpShown:
        return None
    client = magics.client
    if args.action == "upload":
        pipeline = client.upload_pipeline(sub.path, name=sub.name, description=sub.description, wait=not sub.no_wait)
        inputs = ", ".join(i["name"] for i in pipeline.get("inputs") or [])
        reason = f" ({pipeline['status_reason']})" if pipeline.get("status_reason") else ""
        print(f"pipeline {pipeline['name']}: {pipeline['status']}{reason}" + (f"; inputs: {inputs}" if inputs else ""))
        return pipeline
    if args.action == "list":
        return print_pipelines(client)
    if args.action == "show":
        return print_pipeline(client, sub.pipeline)
    if args.action == "graph":
        return print_graph(client, sub.pipeline)
    if args.action == "download":
        download(client, sub.pipeline, sub.path)
        return None
    if args.action == "update":
        pipeline = client.update_pipeline(sub.pipeline, **changes(sub, "update"))
        print(f"pipeline {pipeline['name']}: {pipeline['description'] or '(no description)'}")
        return None
    if args.action == "update-run":
        run = client.update_pipeline_run(sub.run, **changes(sub, "update-run"))
        print(f"pipeline run {run['name']}: {run['description'] or '(no description)'}")
        return None
    if args.action == "monitoring":
        print_monitoring(client, sub.run, sub.last)
        return None
    if args.action == "delete":
        client.delete_pipeline(sub.pipeline)
        print(f"pipeline {sub.pipeline} deleted")
        return None
    if args.action == "run":
        return start_run(magics, sub)
    if args.action == "runs":
        return print_runs(client, sub)
    if args.action == "status":
        return print_status(client, sub.run)
    if args.action == "logs" and sub.task is None:
        return print_run_logs(client, sub.run)
    if args.action == "logs":
        for line in client.iter_pipeline_task_logs(sub.run, sub.task):
            print(line)
        return None
    if args.action == "artifacts":
        files = client.pipeline_artifacts(sub.run)
        print(table([[f["path"], str(f["size_bytes"])] for f in files], ["PATH", "BYTES"]) if files else "no artifacts")
        return files
    if args.action == "stop":
        run = client.stop_pipeline_run(sub.run)
        print(f"pipeline run {run['name']}: {run['status']}")
        return None
    if args.action == "copy":
        run = client.copy_pipeline_run(sub.run, name=sub.name)
        print(f"started pipeline run {run['name']} with the settings of {sub.run}")
        return None
    client.delete_pipeline_run(sub.run)
    print(f"pipeline run {sub.run} deleted")
    return None

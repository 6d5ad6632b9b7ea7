"""``%%easymaker train`` (the cell as a training) and the training line magics:
``list``, ``status``, ``logs``, ``stop``, ``copy`` and ``delete``. Standard
library only at import; following a training is ``watch.py`` (text) and
``widgets.py`` (the live view, with ipywidgets)."""
from __future__ import annotations

import argparse
import sys
import time
from collections import deque
from typing import Any

from jupyter_easymaker.areas.trainings.client import FINAL_TRAINING_STATUSES
from jupyter_easymaker.areas.trainings.watch import TrainingWatcher, follow_text
from jupyter_easymaker.client.transport import EasyMakerError
from jupyter_easymaker.magics import resource_actions
from jupyter_easymaker.magics.arguments import (
    BACKENDS,
    MagicUsageError,
    arg,
    duration,
    key_value,
    names_list,
    positive_int,
    scalar,
)
from jupyter_easymaker.magics.formatting import (
    OneLine,
    created,
    format_elapsed,
    format_value,
    metric_summary,
    sparkline,
    table,
)
from jupyter_easymaker.magics.log_search import print_search
from jupyter_easymaker.magics.registry import command


class TrainingResult(OneLine):
    """The final training dict, shown as one line instead of the whole spec."""

    def summary(self) -> str:
        return f"<training {self.get('name')}: {self.get('status')}, elapsed {format_elapsed(self.get('elapsed_seconds'))}, id {self.get('id')}>"


# -- %%easymaker train ----------------------------------------------------------------------
@command(
    "train", "Submit the cell body as a training (its entry point main.py).",
    arg("--name", help="training name (default: cell-YYYYmmdd-HHMMSS)"),
    arg("--experiment", metavar="NAME", help="experiment name, created when missing (default: notebook)"),
    arg("--description", default="", help="training description"),
    arg("--hp", nargs="+", action="extend", type=key_value, default=[], metavar="KEY=VALUE",
        help="hyperparameters, passed as --KEY VALUE and EM_HP_KEY"),
    arg("--dataset", nargs="+", action="extend", type=key_value, default=[], metavar="NAME=PATH",
        help="datasets (local path, file://, nas://, obs://), exposed as EM_DATASET_NAME"),
    arg("--instance-type", help="instance type (see Client().instance_types())"),
    arg("--nodes", type=positive_int, help="number of nodes"),
    arg("--nproc-per-node", type=positive_int, help="processes per node (with --torchrun)"),
    arg("--torchrun", action="store_true", help="launch with torchrun"),
    arg("--max-time", type=duration, metavar="DURATION", help="maximum training time: 90s, 30m, 1h, 1h30m or seconds"),
    arg("--backend", choices=BACKENDS, help="execution backend"),
    arg("--template", metavar="TEMPLATE", help="training template (name or id) whose fields are used"),
    arg("--requirements", metavar='"PKG ..."', help="pip packages installed into the job first"),
    arg("--vars", type=names_list, default=[], metavar="A,B", help="notebook variables shipped to the job (cloudpickle)"),
    arg("--wait", action="store_true", help="block until the training ends and return it"),
    arg("--no-widget", action="store_true", help="print status lines instead of the live widget"),
    cell="the training code", cell_required=True,
)
def train(magics: Any, args: Any, cell: str) -> Any:
    body = magics._train_body(args, cell)
    client = magics.client
    try:
        training = client.create_training(body)
    except EasyMakerError as exc:
        if args.name or exc.status != 409 or exc.field != "name":
            raise
        body["name"] = f"{body['name']}-{int(time.time() * 1000) % 100000}"  # two cells in the same second
        training = client.create_training(body)
    if not args.no_widget and magics._widgets_available():
        return _show_widget(client, training, args.wait)
    return _follow_text(client, training, args.wait)


def _show_widget(client: Any, training: dict, wait: bool) -> Any:
    from IPython.display import display

    from jupyter_easymaker.areas.trainings.widgets import TrainingView

    view = TrainingView(client, training)
    if not wait:
        return view
    display(view)
    try:
        final = view.wait()
    except KeyboardInterrupt:
        return _interrupted(training)
    print(view.watcher.summary())
    return TrainingResult(final or {})


def _follow_text(client: Any, training: dict, wait: bool) -> Any:
    print(f"submitted training {training['name']} ({training['id']}) to experiment {training.get('experiment_name')}: {training['status']}")
    if not wait:
        print(f"follow it with: %easymaker status {training['name']}  |  %easymaker logs {training['name']} --follow")
        return None
    try:
        return TrainingResult(follow_text(TrainingWatcher(client, training)))
    except KeyboardInterrupt:
        return _interrupted(training)


def _interrupted(training: dict) -> None:
    print(f"stopped waiting; training {training['name']} keeps running (%easymaker stop {training['name']} stops it)", file=sys.stderr)


# -- line magics ---------------------------------------------------------------------------
@command(
    "list", "List trainings, newest first.",
    arg("--status", help="only these statuses (comma-separated)"),
    arg("--experiment", help="only this experiment (name or id)"),
    arg("--name", help="name or description contains this"),
    arg("--limit", type=positive_int, default=20, help="how many (default 20)"),
)
def list_trainings(magics: Any, args: Any, _cell: Any) -> None:
    page = magics.client.list_trainings(status=args.status, experiment=args.experiment, name=args.name, limit=args.limit)
    if not page:
        print("no trainings")
        return
    rows = [[t["name"], t["status"], t.get("experiment_name") or "", format_elapsed(t.get("elapsed_seconds")), created(t.get("created_at"))] for t in page]
    print(table(rows, ["NAME", "STATUS", "EXPERIMENT", "ELAPSED", "CREATED"]))
    if page.total > len(page):
        print(f"({len(page)} of {page.total}; --limit N shows more)")


@command("status", "Show a training: status, times, hyperparameters, latest metrics.",
         arg("ref", metavar="REF", help="training name or id"))
def status(magics: Any, args: Any, _cell: Any) -> None:
    client = magics.client
    t = client.get_training(args.ref)
    spec = t.get("spec") or {}
    lines = [
        f"training     {t['name']}  ({t['id']})",
        f"status       {t['status']}" + (f"  ({t['status_reason']})" if t.get("status_reason") else ""),
        f"experiment   {t.get('experiment_name') or t.get('experiment_id')}",
        f"created      {created(t.get('created_at'))}",
        f"elapsed      {format_elapsed(t.get('elapsed_seconds'))}",
        f"backend      {t.get('backend')}  instance {spec.get('instance_type')}  nodes {spec.get('nodes', 1)}",
    ]
    if spec.get("hyperparameters"):
        lines.append("hyperparams  " + " ".join(f"{k}={v}" for k, v in spec["hyperparameters"].items()))
    metrics = client.metrics(t["id"]).get("metrics") or []
    if metrics:
        lines.append(f"metrics      {metric_summary(metrics)}")
    if t.get("exit_code") is not None:
        lines.append(f"exit code    {t['exit_code']}")
    if t.get("tensorboard_log_dir"):
        lines.append(f"tensorboard  {t['tensorboard_log_dir']}")
    print("\n".join(lines))


@command(
    "logs", "Print a training's log, or search the logs of every job (--query).",
    arg("ref", metavar="REF", nargs="?", help="training name or id"),
    arg("--follow", "-f", action="store_true", help="keep printing new lines until the training ends (with --query: until interrupted)"),
    arg("--tail", type=positive_int, metavar="N", help="only the last N lines"),
    arg("--query", "-q", metavar="QUERY", help='search every job\'s log, e.g. \'category:"easymaker.training" AND logLevel:ERROR\''),
    arg("--since", metavar="TIME", help="with --query: records stored at or after this ISO 8601 time"),
    arg("--until", metavar="TIME", help="with --query: records stored at or before this ISO 8601 time"),
    arg("--limit", type=positive_int, metavar="N", help="with --query: the newest N records (default 100, at most 1000)"),
)
def logs(magics: Any, args: Any, _cell: Any) -> None:
    client = magics.client
    if args.ref is None or args.query is not None:
        if args.ref is not None:
            raise MagicUsageError("%easymaker logs: give a training (REF) or --query, not both")
        if args.query is None and not (args.since or args.until):
            raise MagicUsageError("%easymaker logs: give a training (REF) or --query (see %easymaker logs --help)")
        print_search(client, args.query, since=args.since, until=args.until, limit=args.limit, follow=args.follow)
        return
    if args.follow:
        for record in client.follow_logs(args.ref):
            print(record.get("body", ""), flush=True)
        print(f"training {args.ref}: {client.get_training(args.ref)['status']}")
        return
    lines: deque[str] = deque(maxlen=args.tail)
    after = 0
    while True:
        page = client.training_logs(args.ref, after=after, limit=10000)
        lines.extend(r.get("body", "") for r in page["records"])
        if len(page["records"]) < 10000:
            break
        after = page["next_after"]
    if lines:
        print("\n".join(lines))
    else:
        state = page.get("status")
        print(f"(no log lines{'' if state in FINAL_TRAINING_STATUSES else ' yet'}; training is {state})")


@command("stop", "Stop a training.", arg("ref", metavar="REF", help="training name or id"))
def stop(magics: Any, args: Any, _cell: Any) -> None:
    resource_actions.stop("training", args.ref, magics.client.stop_training)


@command(
    "copy", "Submit a copy of a training.",
    arg("ref", metavar="REF", help="training name or id"),
    arg("--name", help="name of the copy (default: NAME-copy)"),
    arg("--hp", nargs="+", action="extend", type=key_value, default=[], metavar="KEY=VALUE",
        help="hyperparameters to change in the copy"),
)
def copy(magics: Any, args: Any, _cell: Any) -> None:
    client = magics.client
    overrides: dict[str, Any] = {}
    if args.name:
        overrides["name"] = args.name
    if args.hp:
        spec = client.get_training(args.ref).get("spec") or {}
        overrides["hyperparameters"] = {**(spec.get("hyperparameters") or {}), **{k: scalar(v) for k, v in args.hp}}
    resource_actions.copy(args.ref, client.copy_training, **overrides)


@command(
    "delete", "Delete an ended training (or, with --kind, an experiment or template).",
    arg("ref", metavar="REF", help="name or id"),
    arg("--kind", choices=("training", "experiment", "template"), default="training"),
    arg("--yes", action="store_true", help="really delete (without it, only say what would go)"),
)
def delete(magics: Any, args: Any, _cell: Any) -> None:
    client = magics.client
    getter, deleter = {
        "training": (client.get_training, client.delete_training),
        "experiment": (client.get_experiment, client.delete_experiment),
        "template": (client.get_template, client.delete_template),
    }[args.kind]
    item = getter(args.ref)
    what = f"{args.kind} {item['name']} ({item['id']}, {item['status']})"
    if not args.yes:
        extra = ", its logs, metrics and files" if args.kind == "training" else ""
        flag = "" if args.kind == "training" else f" --kind {args.kind}"
        print(f"would delete {what}{extra}; run `%easymaker delete {item['name']}{flag} --yes` to delete it")
        return
    deleter(item["id"])
    print(f"deleted {what}")


@command("submit", "Submit a workspace .py or .ipynb file as a training (path relative to the server's root).",
         arg("path", metavar="PATH"),
         arg("--name", help="training name (default: the file's name and the time)"),
         arg("--experiment", metavar="NAME", help="experiment name, created when missing (default: notebook)"),
         arg("--instance-type"), arg("--hp", action="append", default=[], metavar="KEY=VALUE",
                                      help="a hyperparameter (repeatable)"))
def submit(magics: Any, args: Any, _cell: Any) -> dict:
    fields: dict[str, Any] = {"experiment": args.experiment or "notebook"}
    if args.name:
        fields["name"] = args.name
    if args.instance_type:
        fields["instance_type"] = args.instance_type
    hyperparameters = {}
    for item in args.hp:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise MagicUsageError(f"--hp {item!r}: expected KEY=VALUE")
        hyperparameters[key] = value
    if hyperparameters:
        fields["hyperparameters"] = hyperparameters
    training = magics.client.create_training_from_file(args.path, **fields)
    print(f"training {training['name']} submitted from {args.path}: {training['status']}")
    return training


@command("rename", "Rename a training or change its description.",
         arg("ref", metavar="REF", help="training name or id"),
         arg("--new-name", metavar="NAME"), arg("--description", default=None))
def rename(magics: Any, args: Any, _cell: Any) -> dict:
    return resource_actions.rename("training", argparse.Namespace(name=args.ref, new_name=args.new_name, description=args.description),
                                   magics.client.update_training)


@command("metrics", "A training's metrics (each series' trend and last value) and its CPU / memory / GPU usage.",
         arg("ref", metavar="REF", help="training name or id"))
def metrics(magics: Any, args: Any, _cell: Any) -> dict:
    data = magics.client.metrics(args.ref)
    rows = [[m["name"], sparkline(m.get("values") or []), format_value(m.get("last")), str(len(m.get("values") or []))]
            for m in data.get("metrics", [])]
    print(table(rows, ["METRIC", "TREND", "LAST", "POINTS"]) if rows else "no metrics yet")
    resource_actions.print_usage(data.get("usage") or [])
    return data

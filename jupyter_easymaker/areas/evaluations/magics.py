"""``%easymaker evaluations [ACTION] [NAME]`` (model evaluations: listed with
their main metrics, created, shown, stopped, renamed, copied, deleted, their
logs and results) and
``%easymaker compare`` (evaluations side by side). Standard library only."""
from __future__ import annotations

import argparse
from typing import Any

from jupyter_easymaker.magics import resource_actions as ra
from jupyter_easymaker.magics.arguments import (
    MagicUsageError,
    arg,
    names_list,
    positive_int,
)
from jupyter_easymaker.magics.formatting import created, table
from jupyter_easymaker.magics.registry import command

HEADLINE = {"classification": ("roc_auc", "pr_auc", "f1", "log_loss"), "regression": ("rmse", "mae", "r2", "mape")}


def _fmt(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, (int, float)) else "-"


ACTIONS = ("list", "show", "create", "stop", "rename", "copy", "delete", "logs", "results")
FIELDS = [("name", "name"), ("id", "id"), ("status", "status"), ("reason", "status_reason"), ("model", "model_name"),
          ("task", "task"), ("classes", "class_names"), ("batch", "batch_inference_id"), ("description", "description"),
          ("created", "created_at"), ("finished", "finished_at")]


@command("evaluations", "Model evaluations: " + ", ".join(ACTIONS) + " (list with their main metrics, newest first, "
         "without an action). create: NAME --model M --input PATH --target FIELD [--task] [--format] [--class-names].",
         arg("action", nargs="?", choices=ACTIONS, default="list"), *ra.NAME_ARGS,
         arg("--model", help="create: the model (name or id)"),
         arg("--input", metavar="PATH", help="create: the labelled data (a file, folder or storage URI)"),
         arg("--target", metavar="FIELD", help="create: the field holding the true value"),
         arg("--task", choices=("classification", "regression"), help="create: default: from the model"),
         arg("--format", choices=("CSV", "JSONL"), help="create: the input's format"),
         arg("--class-names", type=names_list, metavar="A,B", help="create: the class names, in the model's order"),
         arg("--instance-type", help="create: the batch inference's instance type"),
         arg("--status", help="list: only these statuses (comma-separated)"), arg("--limit", type=positive_int, default=20))
def list_evaluations(magics: Any, args: argparse.Namespace, _cell: Any) -> Any:
    client = magics.client
    if args.action != "list":
        return evaluation_action(client, args)
    page = client.list_model_evaluations(status=args.status, limit=args.limit)
    if not page:
        print("no model evaluations")
        return None
    rows = []
    for e in page:
        shown = " ".join(f"{k}={_fmt(e['metrics'].get(k))}" for k in HEADLINE.get(e["task"], ()) if e.get("metrics"))
        rows.append([e["name"], e["status"], e.get("model_name") or "", e["task"], shown, created(e.get("created_at"))])
    print(table(rows, ["NAME", "STATUS", "MODEL", "TASK", "METRICS", "CREATED"]))
    return None


def evaluation_action(client: Any, args: argparse.Namespace) -> Any:
    name = ra.need_name(args, "evaluations")
    if args.action == "show":
        e = ra.show(client.get_model_evaluation(name), FIELDS)
        spec = e.get("spec") or {}
        print(f"{'input':<14}{spec.get('input_path', '')} ({spec.get('input_format', '')}), target {spec.get('target_field', '')}")
        return e
    if args.action == "create":
        if not (args.model and args.input and args.target):
            raise MagicUsageError("%easymaker evaluations create NAME --model M --input PATH --target FIELD")
        body: dict[str, Any] = {"name": name, "description": args.description or "", "model": args.model,
                                "input_path": args.input, "target_field": args.target}
        for key, value in (("task", args.task), ("input_format", args.format), ("class_names", args.class_names),
                           ("instance_type", args.instance_type)):
            if value is not None:
                body[key] = value
        e = client.create_model_evaluation(body)
        print(f"submitted model evaluation {e['name']} ({e['id']}): {e['status']}")
        return e
    if args.action == "stop":
        return ra.stop("model evaluation", name, client.stop_model_evaluation)
    if args.action == "rename":
        return ra.rename("model evaluation", args, client.update_model_evaluation)
    if args.action == "copy":
        return ra.copy(name, client.copy_model_evaluation, **ra.copy_name(args))
    if args.action == "delete":
        return ra.delete("model evaluation", args, client.get_model_evaluation, client.delete_model_evaluation,
                         "%easymaker evaluations delete")
    if args.action == "logs":
        return ra.print_logs(client.model_evaluation_logs(name, limit=10000), "model evaluation")
    results = client.model_evaluation_results(name)
    metrics = results.get("metrics") or {}
    print(table([[k, _fmt(v)] for k, v in sorted(metrics.items())], ["METRIC", "VALUE"]) if metrics else "no results yet")
    return results


@command("compare", "Compare model evaluations side by side (the best value of each metric is marked *).",
         arg("refs", nargs="+", metavar="REF", help="evaluation names or ids"))
def compare(magics: Any, args: argparse.Namespace, _cell: Any) -> None:
    data = magics.client.compare_model_evaluations(*args.refs)
    names = [e["name"] for e in data["evaluations"]]
    rows = []
    for metric in data["metrics"]:
        if all(v is None for v in metric["values"]):
            continue
        cells = [_fmt(v) + ("*" if i == metric["best"] else "") for i, v in enumerate(metric["values"])]
        rows.append([metric["name"], *cells])
    print(table(rows, ["METRIC", *names]))

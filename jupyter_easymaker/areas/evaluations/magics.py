"""``%easymaker evaluations`` (model evaluations with their main metrics) and
``%easymaker compare`` (evaluations side by side). Standard library only."""
from __future__ import annotations

import argparse
from typing import Any

from jupyter_easymaker.magics.arguments import arg, positive_int
from jupyter_easymaker.magics.formatting import created, table
from jupyter_easymaker.magics.registry import command

HEADLINE = {"classification": ("roc_auc", "pr_auc", "f1", "log_loss"), "regression": ("rmse", "mae", "r2", "mape")}


def _fmt(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, (int, float)) else "-"


@command("evaluations", "List model evaluations with their main metrics, newest first.",
         arg("--status", help="only these statuses (comma-separated)"), arg("--limit", type=positive_int, default=20))
def list_evaluations(magics: Any, args: argparse.Namespace, _cell: Any) -> None:
    page = magics.client.list_model_evaluations(status=args.status, limit=args.limit)
    if not page:
        print("no model evaluations")
        return
    rows = []
    for e in page:
        shown = " ".join(f"{k}={_fmt(e['metrics'].get(k))}" for k in HEADLINE.get(e["task"], ()) if e.get("metrics"))
        rows.append([e["name"], e["status"], e.get("model_name") or "", e["task"], shown, created(e.get("created_at"))])
    print(table(rows, ["NAME", "STATUS", "MODEL", "TASK", "METRICS", "CREATED"]))


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

"""``%%easymaker batch`` (the cell's JSONL / JSON records, or ``--input PATH``,
predicted by a batch inference) and the ``%easymaker batches`` /
``evaluations`` / ``compare`` line magics.

Standard library and IPython only until a command runs (ipywidgets loads for
the live view)."""
from __future__ import annotations

import argparse
from typing import Any


HEADLINE = {"classification": ("roc_auc", "pr_auc", "f1", "log_loss"), "regression": ("rmse", "mae", "r2", "mape")}


def _fmt(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, (int, float)) else "-"


def cmd_evaluations(magics: Any, args: argparse.Namespace) -> None:
    from jupyter_easymaker.magics.easymaker import _created, _table

    page = magics.client.list_model_evaluations(status=args.status, limit=args.limit)
    if not page:
        print("no model evaluations")
        return
    rows = []
    for e in page:
        shown = " ".join(f"{k}={_fmt(e['metrics'].get(k))}" for k in HEADLINE.get(e["task"], ()) if e.get("metrics"))
        rows.append([e["name"], e["status"], e.get("model_name") or "", e["task"], shown, _created(e.get("created_at"))])
    print(_table(rows, ["NAME", "STATUS", "MODEL", "TASK", "METRICS", "CREATED"]))


def cmd_compare(magics: Any, args: argparse.Namespace) -> None:
    from jupyter_easymaker.magics.easymaker import _table

    data = magics.client.compare_model_evaluations(*args.refs)
    names = [e["name"] for e in data["evaluations"]]
    rows = []
    for metric in data["metrics"]:
        if all(v is None for v in metric["values"]):
            continue
        cells = [_fmt(v) + ("*" if i == metric["best"] else "") for i, v in enumerate(metric["values"])]
        rows.append([metric["name"], *cells])
    print(_table(rows, ["METRIC", *names]))

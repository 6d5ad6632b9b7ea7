"""``%easymaker templates``: the training templates, listed (``%%easymaker
train --template NAME`` submits a cell with one's fields)."""
from __future__ import annotations

from typing import Any

from jupyter_easymaker.magics.arguments import arg, positive_int
from jupyter_easymaker.magics.formatting import created, table
from jupyter_easymaker.magics.registry import command


@command("templates", "List training templates.", arg("--limit", type=positive_int, default=50))
def templates(magics: Any, args: Any, _cell: Any) -> None:
    page = magics.client.list_templates(limit=args.limit)
    if not page:
        print("no training templates")
        return
    rows = [[t["name"], ",".join(t.get("hyperparameter_names") or []), t.get("description") or "", created(t.get("created_at"))] for t in page]
    print(table(rows, ["NAME", "HYPERPARAMETERS", "DESCRIPTION", "CREATED"]))

"""``%easymaker experiments``: the experiments, listed."""
from __future__ import annotations

from typing import Any

from jupyter_easymaker.magics.arguments import arg, positive_int
from jupyter_easymaker.magics.formatting import created, table
from jupyter_easymaker.magics.registry import command


@command("experiments", "List experiments.", arg("--limit", type=positive_int, default=50))
def experiments(magics: Any, args: Any, _cell: Any) -> None:
    page = magics.client.list_experiments(limit=args.limit)
    if not page:
        print("no experiments")
        return
    rows = [[e["name"], e["status"], str(e.get("training_count", "")), created(e.get("created_at"))] for e in page]
    print(table(rows, ["NAME", "STATUS", "TRAININGS", "CREATED"]))

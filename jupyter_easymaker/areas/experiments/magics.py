"""``%easymaker experiments [list|show|create|rename|retry|copy|delete] [NAME]``:
the experiments (``%easymaker experiments`` alone lists them)."""
from __future__ import annotations

import argparse
from typing import Any

from jupyter_easymaker.magics import resource_actions as ra
from jupyter_easymaker.magics.arguments import arg, positive_int
from jupyter_easymaker.magics.formatting import created, table
from jupyter_easymaker.magics.registry import command

ACTIONS = ("list", "show", "create", "rename", "retry", "copy", "delete")
FIELDS = [("name", "name"), ("id", "id"), ("status", "status"), ("reason", "status_reason"), ("description", "description"),
          ("trainings", "training_count"), ("created", "created_at")]


@command("experiments", "Experiments: " + ", ".join(ACTIONS) + " (list without an action).",
         arg("action", nargs="?", choices=ACTIONS, default="list"), *ra.NAME_ARGS,
         arg("--limit", type=positive_int, default=50))
def experiments(magics: Any, args: argparse.Namespace, _cell: Any) -> Any:
    client = magics.client
    if args.action == "list":
        page = client.list_experiments(limit=args.limit)
        if not page:
            print("no experiments")
            return None
        rows = [[e["name"], e["status"], str(e.get("training_count", "")), created(e.get("created_at"))] for e in page]
        print(table(rows, ["NAME", "STATUS", "TRAININGS", "CREATED"]))
        return None
    name = ra.need_name(args, "experiments")
    if args.action == "show":
        return ra.show(client.get_experiment(name), FIELDS)
    if args.action == "create":
        e = client.create_experiment(name, args.description or "")
        print(f"created experiment {e['name']} ({e['id']}): {e['status']}")
        return e
    if args.action == "rename":
        return ra.rename("experiment", args, client.update_experiment)
    if args.action == "retry":
        e = client.retry_experiment(name)
        print(f"retrying experiment {e['name']}: {e['status']}")
        return e
    if args.action == "copy":
        e = client.copy_experiment(name, **ra.copy_name(args))
        print(f"copied {name} to {e['name']}: {e['status']}")
        return e
    return ra.delete("experiment", args, client.get_experiment, client.delete_experiment, "%easymaker experiments delete")

"""``%easymaker templates [list|show|create|edit|copy|delete] [NAME]``: the
training templates (``%%easymaker train --template NAME`` submits a cell with
one's fields). ``create`` takes the fields as JSON (``--fields`` or the cell)
or a training's (``--from-training``); ``edit`` changes any field, the merged
template validated whole like a new one."""
from __future__ import annotations

import argparse
import json
from typing import Any

from jupyter_easymaker.magics import resource_actions as ra
from jupyter_easymaker.magics.arguments import (
    MagicUsageError,
    arg,
    key_value,
    positive_int,
    scalar,
)
from jupyter_easymaker.magics.formatting import created, table
from jupyter_easymaker.magics.registry import command

ACTIONS = ("list", "show", "create", "edit", "copy", "delete")
FIELDS = [("name", "name"), ("id", "id"), ("status", "status"), ("description", "description"), ("created", "created_at"),
          ("updated", "updated_at")]


def _fields(args: argparse.Namespace, cell: str | None, hyperparameters: dict[str, Any] | None = None) -> dict[str, Any]:
    """The JSON object of template fields given in ``--fields`` or the cell, ``--hp`` and ``--set`` on top;
    ``--hp`` adds to ``hyperparameters`` (the template's own, when editing)."""
    text = args.fields if args.fields is not None else (cell or "").strip()
    fields: dict[str, Any] = {}
    if text:
        try:
            fields = json.loads(text)
        except ValueError as exc:
            raise MagicUsageError(f"template fields: not JSON ({exc})") from None
        if not isinstance(fields, dict):
            raise MagicUsageError("template fields: a JSON object of template fields is expected")
    for key, value in args.set:
        fields[key] = scalar(value)
    if args.hp:
        given = fields.get("hyperparameters") or hyperparameters or {}
        fields["hyperparameters"] = {**given, **{k: scalar(v) for k, v in args.hp}}
    if args.description is not None:
        fields["description"] = args.description
    if args.new_name:
        fields["name"] = args.new_name
    return fields


def _line(t: dict) -> str:
    hps = ", ".join(f"{k}={v}" for k, v in ((t.get("spec") or {}).get("hyperparameters") or {}).items())
    return f"template {t['name']} ({t['id']}){': ' + hps if hps else ''}"


@command("templates", "Training templates: " + ", ".join(ACTIONS) + " (list without an action).",
         arg("action", nargs="?", choices=ACTIONS, default="list"), *ra.NAME_ARGS,
         arg("--fields", metavar="JSON", help="create / edit: template fields as a JSON object (or give them in the cell)"),
         arg("--set", action="append", default=[], type=key_value, metavar="FIELD=VALUE",
             help="create / edit: one field (repeatable), e.g. instance_type=local.cpu-small"),
         arg("--hp", action="append", default=[], type=key_value, metavar="KEY=VALUE", help="create / edit: a hyperparameter"),
         arg("--from-training", metavar="TRAINING", help="create: save this training's fields as the template"),
         arg("--limit", type=positive_int, default=50),
         cell="the template's fields as JSON (create, edit)")
def templates(magics: Any, args: argparse.Namespace, cell: str | None) -> Any:
    client = magics.client
    if args.action == "list":
        page = client.list_templates(limit=args.limit)
        if not page:
            print("no training templates")
            return None
        rows = [[t["name"], ",".join(t.get("hyperparameter_names") or []), t.get("description") or "", created(t.get("created_at"))]
                for t in page]
        print(table(rows, ["NAME", "HYPERPARAMETERS", "DESCRIPTION", "CREATED"]))
        return None
    name = ra.need_name(args, "templates")
    if args.action == "show":
        t = client.get_template(name)
        ra.show(t, FIELDS)
        print(json.dumps(t.get("spec") or {}, indent=1, sort_keys=True))
        return t
    if args.action == "create":
        if args.from_training:
            t = client.save_as_template(args.from_training, name, args.description or "")
        else:
            fields = _fields(args, cell)
            if not fields:
                raise MagicUsageError("%easymaker templates create NAME (--from-training T | --fields JSON | a cell of JSON fields)")
            t = client.create_template(name, fields)
        print("created " + _line(t))
        return t
    if args.action == "edit":
        current = (client.get_template(name).get("spec") or {}).get("hyperparameters") if args.hp else None
        fields = _fields(args, cell, current)
        if not fields:
            raise MagicUsageError("%easymaker templates edit NAME: give --set FIELD=VALUE, --hp, --fields, --new-name, "
                                  "--description or a cell of JSON fields")
        t = client.update_template(name, **fields)
        print("saved " + _line(t))
        return t
    if args.action == "copy":
        t = client.copy_template(name, **ra.copy_name(args))
        print(f"copied {name} to {t['name']}")
        return t
    return ra.delete("template", args, client.get_template, client.delete_template, "%easymaker templates delete")

"""``%easymaker models [list|show|create|rename|copy|delete] [NAME]``: the
models (``%easymaker models`` alone lists them). ``create`` registers a path
(``--artifact``), a Hugging Face model (``--hf``), a COMPLETE training's model
(``--training``) or a tuning's best trial (``--tuning``)."""
from __future__ import annotations

import argparse
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

ACTIONS = ("list", "show", "create", "rename", "copy", "delete")
FIELDS = [("name", "name"), ("id", "id"), ("status", "status"), ("reason", "status_reason"), ("framework", "framework"),
          ("artifact", "artifact_path"), ("hugging face", "huggingface_model_id"), ("training", "training_name"),
          ("tuning", "hyperparameter_tuning_id"), ("trial", "trial_id"), ("description", "description"), ("created", "created_at")]


def _create(client: Any, name: str, args: argparse.Namespace) -> dict:
    sources = [s for s in (args.artifact, args.hf, args.training, args.tuning) if s]
    if not args.framework or len(sources) != 1:
        raise MagicUsageError("%easymaker models create NAME --framework F (--artifact PATH | --hf MODEL_ID | --training T | --tuning T)")
    fields: dict[str, Any] = {"description": args.description or ""}
    if args.param:
        fields["parameters"] = {k: scalar(v) for k, v in args.param}
    if args.training:
        return client.create_model_from_training(args.training, name, args.framework, **fields)
    if args.tuning:
        return client.create_model_from_tuning(args.tuning, name, args.framework, **fields)
    source = {"artifact_path": args.artifact} if args.artifact else {"huggingface_model_id": args.hf}
    return client.create_model(name=name, framework=args.framework, **source, **fields)


@command("models", "Models: " + ", ".join(ACTIONS) + " (list without an action).",
         arg("action", nargs="?", choices=ACTIONS, default="list"), *ra.NAME_ARGS,
         arg("--framework", help="create: the model's framework (see Client.model_frameworks())"),
         arg("--artifact", metavar="PATH", help="create: the model's files (a path or storage URI)"),
         arg("--hf", metavar="MODEL_ID", help="create: a Hugging Face Hub model"),
         arg("--training", metavar="TRAINING", help="create: the model a COMPLETE training wrote"),
         arg("--tuning", metavar="TUNING", help="create: the best trial of a hyperparameter tuning"),
         arg("--param", action="append", default=[], type=key_value, metavar="KEY=VALUE", help="create: a model parameter"),
         arg("--status", help="list: only these statuses (comma-separated)"),
         arg("--limit", type=positive_int, default=50))
def models(magics: Any, args: argparse.Namespace, _cell: Any) -> Any:
    client = magics.client
    if args.action == "list":
        page = client.list_models(status=args.status, limit=args.limit)
        if not page:
            print("no models")
            return None
        rows = [[m["name"], m["status"], m.get("framework") or "", m.get("training_name") or m.get("hyperparameter_tuning_id") or "",
                 created(m.get("created_at"))] for m in page]
        print(table(rows, ["NAME", "STATUS", "FRAMEWORK", "FROM", "CREATED"]))
        return None
    name = ra.need_name(args, "models")
    if args.action == "show":
        return ra.show(client.get_model(name), FIELDS)
    if args.action == "create":
        m = _create(client, name, args)
        print(f"created model {m['name']} ({m['id']}): {m['status']}" + (f" ({m['status_reason']})" if m.get("status_reason") else ""))
        return m
    if args.action == "rename":
        return ra.rename("model", args, client.update_model)
    if args.action == "copy":
        m = client.copy_model(name, **ra.copy_name(args))
        print(f"copied {name} to {m['name']}: {m['status']}")
        return m
    return ra.delete("model", args, client.get_model, client.delete_model, "%easymaker models delete")

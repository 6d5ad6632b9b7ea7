"""``%easymaker llm ...`` (models: list, show, load, unload, register, update,
delete, a fine-tuning's logs and metrics; prompt templates: list, show, create,
update, delete, render), ``%%easymaker
finetune ...`` (with a live view), ``%easymaker finetune stop|restart NAME``
and ``%easymaker chat MODEL "prompt"`` (streamed into the output).

Standard library and IPython only."""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from typing import Any

from jupyter_easymaker.magics import resource_actions as ra
from jupyter_easymaker.magics.arguments import (
    MagicUsageError,
    arg,
    key_value,
    positive_int,
)
from jupyter_easymaker.magics.formatting import created, format_value, sparkline, table
from jupyter_easymaker.magics.registry import command

FINAL = ("TRAINED", "TRAINING CANCELLED", "ERROR", "RUNNING")


def print_models(client: Any) -> None:
    page = client.list_llm_models(limit=200)
    rows = [[m["name"], m["status"], m["type"], m["kind"], m["format"], m.get("parameters_label") or "",
             str(m.get("context_length") or ""), created(m.get("created_at"))] for m in page]
    print(table(rows, ["NAME", "STATUS", "TYPE", "KIND", "FORMAT", "SIZE", "CONTEXT", "CREATED"]) if rows else "no models")


MODEL_FIELDS = [("model", "name"), ("id", "id"), ("status", "status"), ("reason", "status_reason"), ("type", "type"),
                ("kind", "kind"), ("format", "format"), ("size", "parameters_label"), ("context", "context_length"),
                ("base model", "base_model"), ("path", "path"), ("hf id", "hf_id"), ("revision", "revision"),
                ("description", "description"), ("fine-tuning", "finetune"), ("progress", "progress"), ("result", "result"), ("loaded", "loaded"), ("created", "created_at"),
                ("updated", "updated_at")]
TEMPLATE_FIELDS = [("template", "name"), ("id", "id"), ("description", "description"), ("variables", "variables"),
                   ("system prompt", "system_prompt"), ("text", "template"), ("parameters", "parameters"),
                   ("created", "created_at"), ("updated", "updated_at")]
MODEL_ACTIONS = ("list", "show", "load", "unload", "register", "update", "delete", "logs", "metrics")
TEMPLATE_ACTIONS = ("templates", "template", "template-create", "template-update", "template-delete", "render")


@command("llm", "LLM studio models: list, show NAME, load NAME, unload NAME, register NAME --path P --kind K, "
                "update NAME [--description D] [--kind K] [--context-length N], delete NAME --yes, logs NAME and "
                "metrics NAME (a fine-tuning's); prompt templates: templates, template NAME, "
                "template-create NAME --template TEXT (or the cell), template-update NAME, template-delete NAME --yes, "
                "render NAME --var KEY=VALUE.",
         arg("action", choices=MODEL_ACTIONS + TEMPLATE_ACTIONS),
         arg("name", nargs="?", metavar="NAME"),
         arg("--path"), arg("--hf-id"),
         arg("--kind", choices=("foundation", "instruction", "embedding", "safety"),
             help="register (default instruction) / update: the model's kind"),
         arg("--description", help="update / template-create / template-update: the description"),
         arg("--context-length", type=positive_int, metavar="N", help="update: the model's context length in tokens"),
         arg("--keep-alive", type=float), arg("--instance-type"), arg("--wait", action="store_true"),
         arg("--template", metavar="TEXT", help="template-create / template-update: the text with {{variable}} "
                                                "placeholders, or the cell (on the line IPython reads {{ as {: write "
                                                "{{{{variable}}}} there)"),
         arg("--system-prompt", metavar="TEXT", help="template-create / template-update: the system prompt"),
         arg("--new-name", metavar="NAME", help="template-update: the template's new name"),
         arg("--var", action="append", type=key_value, default=[], metavar="KEY=VALUE",
             help="render: a variable's value (repeat for each)"),
         arg("--yes", action="store_true", help="delete / template-delete: really delete (without it, only say what would go)"),
         cell="template-create / template-update: the template text (optional)")
def llm_command(magics: Any, args: argparse.Namespace, cell: Any) -> Any:
    client = magics.client
    if args.action == "list":
        return print_models(client)
    if args.action == "templates":
        rows = [[t["name"], ", ".join(t["variables"]), t["description"]] for t in client.list_prompt_templates()]
        print(table(rows, ["NAME", "VARIABLES", "DESCRIPTION"]) if rows else "no prompt templates")
        return None
    if not args.name:
        raise MagicUsageError(f"%easymaker llm {args.action} NAME")
    if args.action in TEMPLATE_ACTIONS:
        return template_action(client, args, cell)
    if args.action == "show":
        model = client.get_llm_model(args.name)
        ra.show({**(model.get("source") or {}), **model}, MODEL_FIELDS)  # where its weights come from, on lines of their own
        return model
    if args.action == "update":
        return update_model(client, args)
    if args.action == "delete":
        return ra.delete("LLM model", args, client.get_llm_model, client.delete_llm_model, "%easymaker llm delete")
    if args.action == "logs":
        return print_logs(client, args.name)
    if args.action == "metrics":
        return print_metrics(client, args.name)
    if args.action == "register":
        if not args.path and not args.hf_id:
            raise MagicUsageError("%easymaker llm register NAME --path PATH --kind KIND (or --hf-id ORG/NAME)")
        model = client.register_llm_model(args.name, path=args.path, hf_id=args.hf_id, kind=args.kind or "instruction")
    elif args.action == "load":
        model = client.load_llm_model(args.name, instance_type=args.instance_type, keep_alive_seconds=args.keep_alive)
        if args.wait:
            model = wait_loaded(client, args.name)
    else:
        model = client.unload_llm_model(args.name)
    print(f"{model['name']}: {model['status']} {model['status_reason']}")
    return model


def update_model(client: Any, args: argparse.Namespace) -> dict:
    changes = {k: v for k, v in (("description", args.description), ("kind", args.kind),
                                 ("context_length", args.context_length)) if v is not None}
    if not changes:
        raise MagicUsageError("%easymaker llm update NAME: give --description, --kind and/or --context-length")
    model = client.update_llm_model(args.name, **changes)
    print(f"{model['name']}: " + "  ".join(f"{k.replace('_', ' ')} {model.get(k)}" for k in changes))
    return model


def print_logs(client: Any, name: str) -> dict:
    page = client.llm_logs(name)
    if not page.get("records"):
        print(f"no log lines for {name} (only a fine-tuning writes a log)")
        return page
    return ra.print_logs(page, "fine-tuning")


def print_metrics(client: Any, name: str) -> dict:
    """A fine-tuning's series (loss, eval_loss, tokens_per_s, ...): trend and last value, then its usage."""
    data = client.llm_metrics(name)
    rows = [[m["name"], sparkline(m.get("values") or []), format_value(m.get("last")), str(len(m.get("values") or []))]
            for m in data.get("metrics", [])]
    print(table(rows, ["METRIC", "TREND", "LAST", "POINTS"]) if rows
          else f"no metrics for {name} (only a fine-tuning records them, as it trains)")
    ra.print_usage(data.get("usage") or [])
    return data


def template_action(client: Any, args: argparse.Namespace, cell: str | None) -> Any:
    text = args.template if args.template is not None else (cell.strip("\n") if cell and cell.strip() else None)
    if args.action == "template":
        return ra.show(client.get_prompt_template(args.name), TEMPLATE_FIELDS)
    if args.action == "template-create":
        if text is None:
            raise MagicUsageError("%easymaker llm template-create NAME --template TEXT (or the text in the cell)")
        fields = {k: v for k, v in (("description", args.description), ("system_prompt", args.system_prompt))
                  if v is not None}
        record = client.create_prompt_template(args.name, text, **fields)
        print(f"prompt template {record['name']} ({record['id']}): variables {', '.join(record['variables']) or 'none'}")
        return record
    if args.action == "template-update":
        changes = {k: v for k, v in (("name", args.new_name), ("description", args.description),
                                     ("system_prompt", args.system_prompt), ("template", text)) if v is not None}
        if not changes:
            raise MagicUsageError("%easymaker llm template-update NAME: give --template (or a cell), --system-prompt, "
                                  "--description and/or --new-name")
        record = client.update_prompt_template(args.name, **changes)
        print(f"prompt template {record['name']} updated: variables {', '.join(record['variables']) or 'none'}")
        return record
    if args.action == "template-delete":
        return ra.delete("prompt template", args, client.get_prompt_template, client.delete_prompt_template,
                         "%easymaker llm template-delete")
    rendered = client.render_prompt_template(args.name, **dict(args.var))
    print("\n".join(f"[{m['role']}]\n{m['content']}" for m in rendered["messages"]))
    return rendered


def wait_loaded(client: Any, name: str, timeout: float = 600.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        model = client.get_llm_model(name)
        if model["status"] != "RUNNING" or (model.get("loaded") or {}).get("address") or time.monotonic() > deadline:
            return model
        time.sleep(1.0)


def finetune_body(args: argparse.Namespace, cell: str | None) -> dict[str, Any]:
    if not args.base or not args.name or not (args.data or (cell and cell.strip())):
        raise MagicUsageError("%%easymaker finetune --base MODEL --name NAME --data FILE.jsonl (or JSONL in the cell)")
    data = args.data
    if cell and cell.strip():
        fd, data = tempfile.mkstemp(prefix=f"finetune-{args.name}-", suffix=".jsonl", dir=os.getcwd())
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(cell.strip() + "\n")
    lora: dict[str, Any] = {k: v for k, v in (("r", args.lora_r), ("alpha", args.lora_alpha), ("dropout", args.lora_dropout))
                            if v is not None}
    if args.target_modules:
        targets = args.target_modules
        lora["target_modules"] = targets if targets == "all-linear" else [t.strip() for t in targets.split(",") if t.strip()]
    training = {k: v for k, v in (("epochs", args.epochs), ("learning_rate", args.lr), ("batch_size", args.batch_size),
                                  ("max_steps", args.max_steps), ("seed", args.seed)) if v is not None}
    body: dict[str, Any] = {"name": args.name, "base_model": args.base, "data_path": os.path.abspath(data),
                            "method": "qlora" if args.qlora else "lora", "lora": lora, "training": training}
    if args.validation_split is not None:
        body["validation_split"] = args.validation_split
    if args.instance_type:
        body["instance_type"] = args.instance_type
    return body


def watch_finetune(client: Any, name: str, *, timeout: float = 24 * 3600.0, interval: float = 1.0) -> dict:
    """Follow a fine-tuning to its end: a live widget (progress, ETA, tokens/s, loss chart) when
    ipywidgets is there, else progress lines."""
    view = FinetuneView.create()
    deadline = time.monotonic() + timeout
    while True:
        model = client.get_llm_model(name)
        view.update(model, client)
        if model["status"] != "TRAINING" or time.monotonic() > deadline:
            view.close(model)
            return model
        time.sleep(interval)


class FinetuneView:
    def __init__(self, widgets: Any | None):
        self.widgets = widgets
        self.losses: list[tuple[int, float]] = []
        self.last = ""
        if widgets is not None:
            self.bar = widgets.FloatProgress(min=0, max=100, description="progress")
            self.label = widgets.HTML()
            self.chart = widgets.HTML()
            self.box = widgets.VBox([self.bar, self.label, self.chart])
            from IPython.display import display

            display(self.box)

    @classmethod
    def create(cls) -> FinetuneView:
        try:
            import ipywidgets
            from IPython import get_ipython

            if get_ipython() is None or not hasattr(get_ipython(), "kernel"):
                return cls(None)
            return cls(ipywidgets)
        except ImportError:
            return cls(None)

    @staticmethod
    def text(model: dict) -> str:
        p = model.get("progress") or {}
        parts = [f"{model['name']}: {model['status']}"]
        if p.get("percent") is not None:
            parts.append(f"{p['percent']:.1f}% (step {p.get('step', 0)}/{p.get('total_steps') or '?'})")
        for key, label in (("eta_s", "ETA {:.0f} s"), ("tokens_per_s", "{:.1f} tokens/s"), ("loss", "loss {:.4f}"),
                           ("eval_loss", "eval loss {:.4f}")):
            if p.get(key) is not None:
                parts.append(label.format(float(p[key])))
        return "  ".join(parts)

    def update(self, model: dict, client: Any) -> None:
        p = model.get("progress") or {}
        if p.get("loss") is not None and p.get("step") is not None and (not self.losses or self.losses[-1][0] != p["step"]):
            self.losses.append((int(p["step"]), float(p["loss"])))
        if self.widgets is None:
            text = self.text(model)
            if text != self.last:  # a line when something changed
                print(text, file=sys.stdout, flush=True)
                self.last = text
            return
        self.bar.value = float(p.get("percent") or 0.0)
        self.label.value = self.text(model)
        self.chart.value = svg_chart(self.losses)

    def close(self, model: dict) -> None:
        line = f"{model['name']}: {model['status']} {model.get('status_reason') or ''}"
        if self.widgets is None:
            print(line)
        else:
            self.label.value = line


def svg_chart(points: list[tuple[int, float]], width: int = 360, height: int = 120) -> str:
    """The loss curve as a small SVG polyline."""
    if len(points) < 2:
        return ""
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    sx = (width - 10) / ((x1 - x0) or 1)
    sy = (height - 10) / ((y1 - y0) or 1)
    path = " ".join(f"{5 + (x - x0) * sx:.1f},{height - 5 - (y - y0) * sy:.1f}" for x, y in points)
    return (f'<svg width="{width}" height="{height}"><polyline fill="none" stroke="#1f77b4" stroke-width="2" '
            f'points="{path}"/><text x="5" y="12" font-size="10">loss {ys[-1]:.4f}</text></svg>')


@command("finetune", "Fine-tune an LLM studio model (LoRA / QLoRA); the cell body, if any, is the JSONL training "
                     "data. Also: finetune stop NAME, finetune restart NAME.",
         arg("action", nargs="?", choices=("stop", "restart")), arg("target", nargs="?", metavar="NAME"),
         arg("--base"), arg("--data"), arg("--name"),
         arg("--lora-r", type=positive_int), arg("--lora-alpha", type=float), arg("--lora-dropout", type=float),
         arg("--target-modules"), arg("--epochs", type=float), arg("--lr", type=float),
         arg("--batch-size", type=positive_int), arg("--max-steps", type=positive_int), arg("--seed", type=int),
         arg("--qlora", action="store_true"), arg("--validation-split", type=float), arg("--instance-type"),
         arg("--no-wait", action="store_true"), cell="JSONL training data (optional)")
def finetune_command(magics: Any, args: argparse.Namespace, cell: Any) -> Any:
    client = magics.client
    if args.action:
        if not args.target:
            raise MagicUsageError(f"%easymaker finetune {args.action} NAME")
        model = client.stop_finetune(args.target) if args.action == "stop" else client.restart_finetune(args.target)
        print(f"{model['name']}: {model['status']} {model['status_reason']}")
        if args.action == "restart" and not args.no_wait:
            return watch_finetune(client, model["name"])
        return model
    model = client.finetune(finetune_body(args, cell))
    print(f"fine-tuning {model['name']} of {model.get('base_model')}: {model['status']}")
    if args.no_wait:
        return model
    return watch_finetune(client, model["name"])


@command("chat", "Chat with a loaded LLM studio model or a model file; the answer streams into the output.",
         arg("model", metavar="MODEL"), arg("prompt", nargs="+"),
         arg("--system"), arg("--temperature", type=float), arg("--top-p", type=float),
         arg("--max-tokens", type=positive_int))
def chat_command(magics: Any, args: argparse.Namespace, _cell: Any) -> str:
    client = magics.client
    messages = ([{"role": "system", "content": args.system}] if args.system else []) + \
        [{"role": "user", "content": " ".join(args.prompt)}]
    parameters = {k: v for k, v in (("temperature", args.temperature), ("top_p", args.top_p),
                                    ("max_tokens", args.max_tokens)) if v is not None}
    prefix = "llm"
    try:
        if args.model in client.llm_openai_models("modelfiles"):
            prefix = "modelfiles"
    except Exception:  # noqa: BLE001 - no model files area on this server: the LLM studio answers
        prefix = "llm"
    pieces = []
    for piece in client.chat(args.model, messages, stream=True, prefix=prefix, **parameters):
        pieces.append(piece)
        print(piece, end="", flush=True)
    print()
    return "".join(pieces)

"""``%easymaker modelfiles list|show ID|create ID|update ID|import FILE|
export [ID ...] [--out FILE]|clone ID|hide ID|unhide ID|delete ID``: Open WebUI
model files from a notebook. ``list`` shows a table (with avatars and tags in a
notebook, text elsewhere); ``create`` and ``update`` take the fields as options
or as a JSON cell in Open WebUI's ModelForm shape (the options win).

Standard library and IPython only."""
from __future__ import annotations

import argparse
import datetime
import html
import json
from typing import Any

from jupyter_easymaker.magics.arguments import (
    MagicUsageError,
    arg,
    key_value,
    positive_int,
)
from jupyter_easymaker.magics.formatting import table
from jupyter_easymaker.magics.registry import command

ACTIONS = ("list", "show", "create", "update", "import", "export", "clone", "hide", "unhide", "delete")
HEADER = ["ID", "NAME", "BASE MODEL", "STATE", "TAGS", "KNOWLEDGE", "UPDATED"]


def _when(epoch: Any) -> str:
    try:
        return datetime.datetime.fromtimestamp(int(epoch), datetime.UTC).strftime("%Y-%m-%d %H:%M:%S")
    except (TypeError, ValueError, OverflowError, OSError):
        return ""


def _state(item: dict) -> str:
    words = []
    if not item.get("available"):
        words.append("unavailable")
    elif item.get("loaded"):
        words.append("loaded")
    else:
        words.append("not loaded")
    if (item.get("meta") or {}).get("hidden"):
        words.append("hidden")
    if item.get("is_active") is False:
        words.append("inactive")
    return ", ".join(words)


def _tags(item: dict) -> str:
    return ", ".join(str(t.get("name", t)) if isinstance(t, dict) else str(t) for t in (item.get("meta") or {}).get("tags") or [])


def _knowledge(item: dict) -> str:
    links = (item.get("meta") or {}).get("knowledge") or []
    return ", ".join(str(k.get("name") or k.get("id")) for k in links if isinstance(k, dict))


def _row(item: dict) -> list[str]:
    base = item.get("base_model_id") or f"(overrides {item['id']})"
    return [item["id"], item.get("name", ""), base, _state(item), _tags(item), _knowledge(item), _when(item.get("updated_at"))]


class ModelFileTable(list):
    """Model files shown as an HTML table in a notebook (avatar, name, description,
    tags as chips) and as a text table elsewhere."""

    def text(self) -> str:
        return table([_row(i) for i in self], HEADER) if self else "no model files"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(self.text())

    def _repr_html_(self) -> str:
        if not self:
            return "<p>no model files</p>"
        esc = html.escape
        rows = []
        for item in self:
            meta = item.get("meta") or {}
            image = meta.get("profile_image_url")
            avatar = (f'<img src="{esc(image)}" alt="" style="width:28px;height:28px;border-radius:50%;object-fit:cover">'
                      if image and (image.startswith(("data:image/", "http://", "https://"))) else "")
            description = f'<div style="opacity:.7;font-size:90%">{esc(meta.get("description") or "")}</div>' \
                if meta.get("description") else ""
            chips = "".join(f'<span style="border:1px solid #999;border-radius:8px;padding:0 6px;margin-right:3px;'
                            f'font-size:85%">{esc(name)}</span>' for name in _tags(item).split(", ") if name)
            cells = [avatar, f"<code>{esc(item['id'])}</code>", f"<b>{esc(item.get('name', ''))}</b>{description}",
                     esc(item.get("base_model_id") or f"(overrides {item['id']})"), esc(_state(item)), chips,
                     esc(_knowledge(item)), esc(_when(item.get("updated_at")))]
            rows.append("<tr>" + "".join(f'<td style="text-align:left;vertical-align:middle">{c}</td>' for c in cells) + "</tr>")
        head = "".join(f'<th style="text-align:left">{h}</th>' for h in ["", *HEADER])
        return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def show(item: dict) -> None:
    meta, params = item.get("meta") or {}, item.get("params") or {}
    print(f"{item['id']}: {item.get('name', '')} ({_state(item)})")
    print(f"  base model   {item.get('base_model_id') or '(overrides the LLM studio model ' + repr(item['id']) + ')'}")
    if item.get("unavailable_reason"):
        print(f"  unavailable  {item['unavailable_reason']}")
    if meta.get("description"):
        print(f"  description  {meta['description']}")
    if params.get("system"):
        system = params["system"].replace("\n", " ")
        print(f"  system       {system[:200]}{'...' if len(system) > 200 else ''}")
    sampling = {k: v for k, v in params.items() if k != "system" and v is not None}
    if sampling:
        print(f"  params       {json.dumps(sampling, ensure_ascii=False)}")
    for label, value in (("tags", _tags(item)), ("knowledge", _knowledge(item)),
                         ("tools", ", ".join(meta.get("toolIds") or [])),
                         ("capabilities", ", ".join(k for k, v in (meta.get("capabilities") or {}).items() if v))):
        if value:
            print(f"  {label:<12} {value}")
    for prompt in meta.get("suggestion_prompts") or []:
        print(f"  suggestion   {prompt.get('content', '')}")
    print(f"  created {_when(item.get('created_at'))}, updated {_when(item.get('updated_at'))}")


def _json_value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def form_fields(args: argparse.Namespace, cell: str | None) -> dict[str, Any]:
    """The ModelForm fields of a create or update: the cell's JSON object, then the options over it
    (``--param`` and ``--system`` into ``params``, ``--description`` and ``--tag`` into ``meta``)."""
    fields: dict[str, Any] = {}
    if cell and cell.strip():
        try:
            fields = json.loads(cell)
        except ValueError as exc:
            raise MagicUsageError(f"%easymaker modelfiles {args.action}: the cell is not JSON: {exc}") from None
        if not isinstance(fields, dict):
            raise MagicUsageError(f"%easymaker modelfiles {args.action}: the cell must be a JSON object (a ModelForm)")
    for key, value in (("name", args.name), ("base_model_id", args.base)):
        if value is not None:
            fields[key] = value
    params = {key: _json_value(value) for key, value in args.param}
    if args.system is not None:
        params["system"] = args.system
    if params:
        fields["params"] = {**(fields.get("params") or {}), **params}
    meta: dict[str, Any] = {}
    if args.description is not None:
        meta["description"] = args.description
    if args.tag:
        meta["tags"] = [{"name": tag} for tag in args.tag]
    if meta:
        fields["meta"] = {**(fields.get("meta") or {}), **meta}
    return fields


@command("modelfiles", "Open WebUI model files: list, show, create, update, import an Open WebUI export, export, clone, "
         "hide, unhide, delete.",
         arg("action", choices=ACTIONS),
         arg("ids", nargs="*", metavar="ID", help="the model file id (export: any number, none for all; import: the file)"),
         arg("--out", metavar="FILE", help="export: where to write (a file or a folder; default: the server's file name here)"),
         arg("--all", action="store_true", help="list: hidden model files too"),
         arg("--limit", type=positive_int, default=200),
         arg("--base", metavar="MODEL", help="create / update: the LLM studio model it answers with"),
         arg("--name", help="create / update: the name shown in the model picker (create: default the id)"),
         arg("--system", metavar="PROMPT", help="create / update: the system prompt"),
         arg("--param", action="append", default=[], type=key_value, metavar="KEY=VALUE",
             help="create / update: a parameter (temperature, top_p, max_tokens, stop, seed, ...; repeatable, "
                  "the value read as JSON when it is JSON)"),
         arg("--description", help="create / update: the description"),
         arg("--tag", action="append", default=[], metavar="TAG", help="create / update: a tag (repeatable; update: "
                                                                       "replaces the tags)"),
         cell="the model file as JSON in Open WebUI's ModelForm shape (create, update)")
def modelfiles_command(magics: Any, args: argparse.Namespace, cell: str | None) -> Any:
    client = magics.client
    action, ids = args.action, args.ids
    if action == "list":
        items = ModelFileTable(client.list_modelfiles(include_hidden=args.all, limit=args.limit))
        _display(items)
        return None
    if action == "export":
        path = client.save_modelfiles_export(ids or None, args.out)
        print(f"exported {len(ids) if ids else 'all'} model file(s) to {path}")
        return path
    if len(ids) != 1:
        raise MagicUsageError(f"%easymaker modelfiles {action} {'FILE' if action == 'import' else 'ID'}")
    target = ids[0]
    if action == "show":
        item = client.get_modelfile(target)
        show(item)
        return None
    if action == "create":
        fields = form_fields(args, cell)
        fields.pop("id", None)
        name = fields.pop("name", None) or target
        if "base_model_id" not in fields:
            raise MagicUsageError("%easymaker modelfiles create ID --base MODEL (or base_model_id in the cell; "
                                  "null there overrides the LLM studio model named ID)")
        base = fields.pop("base_model_id")
        item = client.create_modelfile(target, name, base, **fields)
        on = item["base_model_id"] or f"(overrides {item['id']})"
        print(f"created model file {item['id']} ({item['name']}) on {on}")
        return item
    if action == "update":
        fields = form_fields(args, cell)
        if not fields:
            raise MagicUsageError("%easymaker modelfiles update ID: give --name, --base, --system, --param, --description, "
                                  "--tag or a cell of JSON fields")
        item = client.update_modelfile(target, **fields)
        print(f"updated model file {item['id']} ({item['name']})")
        return item
    if action == "import":
        result = client.import_modelfiles(target)
        print(f"imported {result['imported']} new, updated {result['updated']}, {len(result['errors'])} error(s)")
        for model in result.get("models") or []:
            if not model.get("available"):
                print(f"  {model['id']}: kept, not available for chat: {model.get('unavailable_reason')}")
        for error in result["errors"]:
            print(f"  entry {error['index']} ({error.get('id') or 'no id'}): {error['field']}: {error['reason']}")
        return result
    if action == "clone":
        item = client.clone_modelfile(target)
        print(f"cloned {target} as {item['id']} ({item['name']})")
        return item["id"]
    if action in ("hide", "unhide"):
        item = client.hide_modelfile(target, action == "hide")
        print(f"model file {item['id']}: {'hidden from' if action == 'hide' else 'shown in'} the model picker")
        return None
    client.delete_modelfile(target)
    print(f"model file {target}: deleted")
    return None


def _display(items: ModelFileTable) -> None:
    """HTML in a notebook, the text table in a terminal (IPython's display picks)."""
    try:
        from IPython.display import display
    except ImportError:
        print(items.text())
        return
    display(items)

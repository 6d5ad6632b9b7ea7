"""What the ``%easymaker <family> ACTION NAME`` commands share: showing one
record, stopping, copying, renaming, deleting only with ``--yes``, printing a
log page and a monitoring series. Standard library only."""
from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from jupyter_easymaker.magics.arguments import MagicUsageError, arg
from jupyter_easymaker.magics.formatting import created, format_value, sparkline, table

# The arguments every family command takes after its ACTION.
NAME_ARGS = (
    arg("name", nargs="?", metavar="NAME", help="the resource (name or id); all actions but list"),
    arg("--new-name", metavar="NAME", help="rename: the new name; copy: the copy's name"),
    arg("--description", default=None, help="create / rename: the description"),
    arg("--yes", action="store_true", help="delete: really delete (without it, only say what would go)"),
)


def need_name(args: argparse.Namespace, command: str) -> str:
    if not args.name:
        raise MagicUsageError(f"%easymaker {command} {args.action} NAME")
    return args.name


def show(record: dict, fields: list[tuple[str, str]]) -> dict:
    """One record as ``label  value`` lines (times shown as times)."""
    lines = []
    for label, key in fields:
        value = record.get(key)
        if value in (None, "", [], {}):
            continue
        text = created(value) if key.endswith("_at") else format_value(value) if not isinstance(value, (dict, list)) else repr(value)
        lines.append(f"{label:<14}{text}")
    print("\n".join(lines))
    return record


def stop(kind: str, name: str, stop_call: Callable[[str], dict]) -> dict:
    record = stop_call(name)
    print(f"stop requested for {kind} {record['name']}: {record['status']}")
    return record


def copy(ref: str, copy_call: Callable[..., dict], **overrides: Any) -> dict:
    """Submit a copy of ``ref`` (a name or id); ``overrides`` change the copy, e.g. its ``name``."""
    record = copy_call(ref, **overrides)
    print(f"submitted copy {record['name']} ({record['id']}) of {ref}: {record['status']}")
    return record


def copy_name(args: argparse.Namespace) -> dict[str, str]:
    """The copy's name from ``--new-name``, when given."""
    return {"name": args.new_name} if args.new_name else {}


def rename(kind: str, args: argparse.Namespace, update: Callable[..., dict]) -> dict:
    if args.new_name is None and args.description is None:
        raise MagicUsageError("rename: give --new-name and/or --description")
    changes = {k: v for k, v in (("name", args.new_name), ("description", args.description)) if v is not None}
    record = update(args.name, **changes)
    print(f"{kind} {args.name} is now {record['name']}" + (f": {record.get('description')}" if "description" in changes else ""))
    return record


def delete(kind: str, args: argparse.Namespace, get: Callable[[Any], dict], remove: Callable[[Any], Any], again: str) -> None:
    """Without ``--yes`` only say what would be deleted (and how to really do it)."""
    item = get(args.name)
    what = f"{kind} {item['name']} ({', '.join(str(v) for v in (item['id'], item.get('status')) if v)})"
    if not args.yes:
        print(f"would delete {what}; run `{again} {item['name']} --yes` to delete it")
        return
    remove(item["id"])
    print(f"deleted {what}")


def print_logs(page: dict, kind: str) -> dict:
    lines = [r.get("body", "") for r in page.get("records", [])]
    print("\n".join(lines) if lines else f"(no log lines for this {kind} yet)")
    return page


USAGE_FIELDS = ("cpu_percent", "memory_bytes", "gpu_percent", "gpu_memory_bytes")


def print_usage(samples: list[dict]) -> list[dict]:
    """Usage samples (``cpu_percent``, ``memory_bytes``, ...) as one sparkline per measure."""
    rows = []
    for field in USAGE_FIELDS:
        values = [s[field] for s in samples if isinstance(s.get(field), (int, float))]
        if values:
            rows.append([field, sparkline(values), format_value(values[-1]), str(len(values))])
    print(table(rows, ["MEASURE", "TREND", "LAST", "SAMPLES"]) if rows else "no usage samples yet")
    return samples

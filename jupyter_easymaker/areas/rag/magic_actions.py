"""The ``%easymaker rag ACTION NAME`` actions on one RAG beyond create / sync /
status / files / delete: its ingestions, API keys, retrieval, settings,
statistics, monitoring and logs. Standard library only."""
from __future__ import annotations

import argparse
import textwrap
from typing import Any

from jupyter_easymaker.magics import resource_actions as ra
from jupyter_easymaker.magics.arguments import MagicUsageError
from jupyter_easymaker.magics.formatting import (
    created,
    format_elapsed,
    format_value,
    sparkline,
    table,
)

SOURCE_PREVIEW = 160
INGESTION_FIELDS = [("ingestion", "name"), ("id", "id"), ("status", "status"), ("reason", "status_reason"),
                    ("trigger", "trigger"), ("requested by", "requested_by"), ("backend", "backend"),
                    ("started", "started_at"), ("finished", "finished_at"), ("created", "created_at")]


def ingestion_text(ingestion: dict | None) -> str:
    """What an ingestion did (its result) or has done so far (its progress), on one line."""
    if not ingestion:
        return ""
    result, progress = ingestion.get("result") or {}, ingestion.get("progress") or {}
    if result:
        return (f"+{result.get('files_added', 0)} ~{result.get('files_changed', 0)} -{result.get('files_deleted', 0)} "
                f"!{result.get('files_failed', 0)} files, {result.get('chunks_embedded', 0)} embedded")
    return f"{progress.get('files_done', 0)}/{progress.get('files_total') or '?'} files, {progress.get('chunks', 0)} chunks"


def _ingestion(client: Any, args: argparse.Namespace) -> str:
    """``--ingestion`` (id or name), else the RAG's last one."""
    if args.ingestion:
        return args.ingestion
    latest = client.get_rag(args.name).get("last_ingestion")
    if not latest:
        raise MagicUsageError(f"%easymaker rag {args.action} {args.name}: the RAG has no ingestion yet")
    return latest["id"]


def ingestions(client: Any, args: argparse.Namespace) -> list[dict]:
    page = client.rag_ingestions(args.name, limit=args.limit)
    rows = [[i["id"], i["name"], i["status"], i["trigger"], ingestion_text(i), format_elapsed(i.get("elapsed_seconds")),
             created(i.get("created_at"))] for i in page]
    print(table(rows, ["ID", "NAME", "STATUS", "TRIGGER", "RESULT", "ELAPSED", "CREATED"]) if rows else "no ingestions")
    return list(page)


def ingestion(client: Any, args: argparse.Namespace) -> dict:
    record = client.rag_ingestion(args.name, _ingestion(client, args))
    ra.show(record, INGESTION_FIELDS)
    print(f"{'result':<14}{ingestion_text(record)} ({format_elapsed(record.get('elapsed_seconds'))})")
    return record


def ingestion_logs(client: Any, args: argparse.Namespace) -> dict:
    return ra.print_logs(client.rag_ingestion_logs(args.name, _ingestion(client, args), limit=10000), "ingestion")


def ingestion_stop(client: Any, args: argparse.Namespace) -> dict:
    record = client.stop_rag_ingestion(args.name, _ingestion(client, args))
    print(f"ingestion {record['name']} of {args.name}: {record['status']} (the live index keeps answering)")
    return record


def api_keys(client: Any, args: argparse.Namespace) -> list[dict]:
    keys = client.rag_api_keys(args.name)
    rows = [[k["id"], k.get("name") or "", k.get("masked") or "", "revoked" if k.get("revoked_at") else "active",
             created(k.get("created_at")), created(k.get("last_used_at")) if k.get("last_used_at") else ""] for k in keys]
    print(table(rows, ["ID", "NAME", "KEY", "STATE", "CREATED", "LAST USED"]) if rows else "no API keys")
    return keys


def api_key_create(client: Any, args: argparse.Namespace) -> dict:
    key = client.create_rag_api_key(args.name, args.key_name or "")
    print(f"API key {key['id']}: {key.get('key')} (shown only now: keep it)")
    print(f"ask with it: OpenAI(base_url={client.rag_query_url()!r}, api_key=KEY), model={args.name!r}")
    return key


def api_key_revoke(client: Any, args: argparse.Namespace) -> dict:
    if not args.key:
        raise MagicUsageError(f"%easymaker rag api-key-revoke {args.name} --key ID (see %easymaker rag api-keys {args.name})")
    key = client.revoke_rag_api_key(args.name, args.key)
    print(f"API key {key['id']} ({key.get('masked')}) of {args.name} revoked")
    return key


def retrieve(client: Any, args: argparse.Namespace) -> dict:
    if not args.query:
        raise MagicUsageError(f"%easymaker rag retrieve {args.name} \"the question\" [--top-k N] [--mode hybrid|dense|bm25]")
    found = client.retrieve(args.name, " ".join(args.query), top_k=args.top_k, mode=args.mode)
    rows = [[str(n), s["file"], str(s["chunk"]), f"{s['score']:.3f}", textwrap.shorten(s["text"].replace("\n", " "), SOURCE_PREVIEW)]
            for n, s in enumerate(found["sources"], 1)]
    print(table(rows, ["#", "FILE", "CHUNK", "SCORE", "TEXT"]) if rows else "no passage found")
    print(f"{found['mode']} top {found['top_k']}, {found['took_ms']:.0f} ms, index generation {found.get('generation')}")
    return found


def _read_template(text: str) -> str:
    """``@path`` reads the template from a file."""
    if not text.startswith("@"):
        return text
    try:
        with open(text[1:], encoding="utf-8") as fh:
            return fh.read()
    except OSError as exc:
        raise MagicUsageError(f"%easymaker rag update: cannot read {text[1:]}: {exc.strerror}") from None


def update_body(current: dict, args: argparse.Namespace) -> dict[str, Any]:
    """The changes asked for; retrieval and chunking keep the values not given (the API takes them whole)."""
    body: dict[str, Any] = {}
    if args.description is not None:
        body["description"] = args.description
    if args.prompt_template:
        body["prompt_template"] = _read_template(args.prompt_template)
    if args.mode or args.top_k:
        body["retrieval"] = {**current["retrieval"], **{k: v for k, v in (("mode", args.mode), ("top_k", args.top_k)) if v}}
    if args.chunk_size or args.chunk_overlap is not None:
        body["chunking"] = {**current["chunking"], **{k: v for k, v in (("size", args.chunk_size), ("overlap", args.chunk_overlap))
                                                      if v is not None}}
    if args.log_enabled is not None:
        body["log_enabled"] = args.log_enabled
    if not body:
        raise MagicUsageError("%easymaker rag update NAME: give --description, --prompt-template TEXT|@FILE, --mode, --top-k, "
                              "--chunk-size, --chunk-overlap or --log-enabled / --no-log-enabled")
    return body


def update(client: Any, args: argparse.Namespace) -> dict:
    rag = client.update_rag(args.name, **update_body(client.get_rag(args.name), args))
    print(f"RAG {rag['name']} updated: retrieval {rag['retrieval']['mode']} top {rag['retrieval']['top_k']}, chunks of "
          f"{rag['chunking']['size']} (overlap {rag['chunking']['overlap']}), query logs {'on' if rag['log_enabled'] else 'off'}")
    if rag.get("description"):
        print(f"  description: {rag['description']}")
    if args.chunk_size or args.chunk_overlap is not None:
        print(f"  the new chunking applies from the next sync: %easymaker rag sync {rag['name']}")
    return rag


def statistics(client: Any, args: argparse.Namespace) -> dict:
    stats = client.rag_statistics(args.name, since=args.since)
    totals = stats["totals"]
    latency = totals.get("latency_ms") or {}
    print(f"{totals['calls']} call(s): {totals['success']} succeeded, {totals['failure']} failed; latency ms "
          + ", ".join(f"{k} {format_value(latency.get(k))}" for k in ("avg", "p50", "p95", "p99") if latency.get(k) is not None))
    calls = [p["calls"] for p in stats["points"]]
    if any(calls):
        print(f"calls per {stats['interval']} s: {sparkline(calls)}")
    return stats


def monitoring(client: Any, args: argparse.Namespace) -> dict:
    data = client.rag_monitoring(args.name)
    print(f"gateway {data.get('gateway_status') or '-'}")
    rows = [[p["name"], "yes" if p["ready"] else "no", p.get("address") or "", str(p.get("restarts", 0)), p.get("reason") or ""]
            for p in data.get("pods") or []]
    print(table(rows, ["POD", "READY", "ADDRESS", "RESTARTS", "REASON"]) if rows else "no query server running")
    ra.print_usage(data.get("usage") or [])
    return data


def logs(client: Any, args: argparse.Namespace) -> dict:
    return ra.print_logs(client.rag_logs(args.name, limit=args.limit), "RAG")


def server_logs(client: Any, args: argparse.Namespace) -> str:
    text = client.rag_server_logs(args.name, tail=args.tail)
    print(text.rstrip("\n") if text.strip() else f"(no query server output for {args.name} yet)")
    return text


ACTIONS = {
    "ingestions": ingestions, "ingestion": ingestion, "ingestion-logs": ingestion_logs, "ingestion-stop": ingestion_stop,
    "api-keys": api_keys, "api-key-create": api_key_create, "api-key-revoke": api_key_revoke, "retrieve": retrieve,
    "update": update, "statistics": statistics, "monitoring": monitoring, "logs": logs, "server-logs": server_logs,
}

"""``%easymaker rag create|sync|list|status|delete`` and ``%easymaker ask RAG
"question"`` (the answer printed with its sources).

Standard library and IPython only."""
from __future__ import annotations

import argparse
import textwrap
from typing import Any

from jupyter_easymaker.magics.arguments import (
    BACKENDS,
    MagicUsageError,
    arg,
    positive_int,
)
from jupyter_easymaker.magics.formatting import created, format_elapsed, table
from jupyter_easymaker.magics.registry import command

ACTIONS = ("create", "sync", "list", "status", "files", "delete")
SOURCE_PREVIEW = 160


def create_body(args: argparse.Namespace) -> dict[str, Any]:
    if not args.name or not args.data:
        raise MagicUsageError("%easymaker rag create NAME --data PATH (--endpoint NAME | --llm-url URL --llm-model MODEL)")
    if bool(args.endpoint) == bool(args.llm_url):
        raise MagicUsageError("%easymaker rag create: give the LLM as --endpoint NAME or as --llm-url URL --llm-model MODEL")
    llm: dict[str, Any] = {"type": "endpoint", "endpoint": args.endpoint} if args.endpoint else \
        {"type": "external", "base_url": args.llm_url, "model": args.llm_model, **({"api_key": args.llm_key} if args.llm_key else {})}
    if args.endpoint and args.llm_model:
        llm["model"] = args.llm_model
    body: dict[str, Any] = {"name": args.name, "data_path": args.data, "llm": llm, "description": args.description,
                            "vector_store": {"type": "pgvector", "url": args.pgvector} if args.pgvector else {"type": "faiss"}}
    if args.embedding:
        body["embedding"] = {"model": args.embedding}
    if args.chunk_size or args.chunk_overlap is not None:
        body["chunking"] = {k: v for k, v in (("size", args.chunk_size), ("overlap", args.chunk_overlap)) if v is not None}
    if args.mode or args.top_k:
        body["retrieval"] = {k: v for k, v in (("mode", args.mode), ("top_k", args.top_k)) if v}
    for key, value in (("instance_type", args.instance_type), ("instance_count", args.instances), ("backend", args.backend)):
        if value:
            body[key] = value
    return body


def ingestion_text(ingestion: dict | None) -> str:
    if not ingestion:
        return ""
    result, progress = ingestion.get("result") or {}, ingestion.get("progress") or {}
    if result:
        return (f"+{result.get('files_added', 0)} ~{result.get('files_changed', 0)} -{result.get('files_deleted', 0)} "
                f"!{result.get('files_failed', 0)} files, {result.get('chunks_embedded', 0)} embedded")
    return f"{progress.get('files_done', 0)}/{progress.get('files_total') or '?'} files, {progress.get('chunks', 0)} chunks"


def print_rags(client: Any) -> None:
    page = client.list_rags(limit=50)
    if not page:
        print("no RAGs")
        return
    rows = [[r["name"], r["status"], r.get("gateway_status") or "", r["vector_store"]["type"], str(r["files"]), str(r["chunks"]),
             ingestion_text(r.get("last_ingestion")), created(r.get("created_at"))] for r in page]
    print(table(rows, ["NAME", "STATUS", "GATEWAY", "STORE", "FILES", "CHUNKS", "LAST INGESTION", "CREATED"]))


def print_files(client: Any, rag: str) -> None:
    latest = client.get_rag(rag).get("last_ingestion")
    if not latest:
        print("no ingestion yet")
        return
    files = client.rag_ingestion_files(rag, latest["id"], limit=1000)
    rows = [[f["outcome"].upper(), f["path"], f["reason_code"] or str(f["chunks"]), f["reason"]] for f in files["items"]]
    print(table(rows, ["OUTCOME", "FILE", "CODE/CHUNKS", "REASON"]) if rows else "no added, changed, deleted or failed files")
    print(f"{files.get('unchanged', 0)} unchanged file(s)")


@command("rag", "Manage RAGs: create, sync (apply added / changed / deleted documents), list, status, files (the last "
                "ingestion's per-file results) and delete.",
         arg("action", choices=ACTIONS),
         arg("name", nargs="?", metavar="NAME", help="the RAG (all but list)"),
         arg("--data", metavar="PATH", help="create: the documents (local path, nas://, obs://)"),
         arg("--endpoint", help="create: the LLM, an endpoint of this server"),
         arg("--llm-url", help="create: the LLM, an OpenAI-compatible base URL"),
         arg("--llm-model", help="create: the LLM's model name"),
         arg("--llm-key", help="create: the external LLM's API key (stored encrypted)"),
         arg("--pgvector", metavar="URL", help="create: a PostgreSQL (pgvector) store instead of the embedded faiss"),
         arg("--embedding", metavar="MODEL", help="create: embedding model (default all-MiniLM-L6-v2)"),
         arg("--chunk-size", type=positive_int), arg("--chunk-overlap", type=int),
         arg("--mode", choices=("hybrid", "dense", "bm25")), arg("--top-k", type=positive_int),
         arg("--instance-type"), arg("--instances", type=positive_int), arg("--backend", choices=BACKENDS),
         arg("--description", default=""),
         arg("--wait", action="store_true", help="create / sync: block until it is ACTIVE (or failed)"))
def rag_command(magics: Any, args: argparse.Namespace, _cell: Any) -> Any:
    client = magics.client
    if args.action == "list":
        return print_rags(client)
    if not args.name:
        raise MagicUsageError(f"%easymaker rag {args.action} NAME")
    if args.action == "create":
        rag = client.create_rag(create_body(args))
        print(f"RAG {rag['name']} {rag['status']}: ingesting {rag['data_path']}")
    elif args.action == "sync":
        ingestion = client.sync_rag(args.name)
        print(f"ingestion sync {ingestion['name']} {ingestion['status']}")
    elif args.action == "status":
        rag = client.get_rag(args.name)
        print(f"{rag['name']}: {rag['status']} (gateway {rag.get('gateway_status') or '-'}) {rag['status_reason']}")
        print(f"  {rag['files']} file(s), {rag['chunks']} chunk(s), store {rag['vector_store']['type']}, "
              f"retrieval {rag['retrieval']['mode']} top {rag['retrieval']['top_k']}")
        latest = rag.get("last_ingestion")
        if latest:
            print(f"  last ingestion {latest['name']}: {latest['status']} {ingestion_text(latest)} "
                  f"({format_elapsed(latest.get('elapsed_seconds'))})")
        print(f"  query URL {rag['query_url']}")
        return rag
    elif args.action == "files":
        return print_files(client, args.name)
    elif args.action == "delete":
        client.delete_rag(args.name)
        print(f"RAG {args.name}: deletion requested")
        return None
    if args.wait:
        rag = client.wait_rag(args.name)
        print(f"RAG {rag['name']}: {rag['status']} {rag['status_reason']}")
        return rag
    return None


@command("ask", "Ask a RAG a question; prints the answer and the passages it used.",
         arg("rag", metavar="RAG", help="the RAG's name"),
         arg("question", nargs="+", help="the question (quote it)"),
         arg("--top-k", type=positive_int), arg("--mode", choices=("hybrid", "dense", "bm25")),
         arg("--max-tokens", type=positive_int))
def ask_command(magics: Any, args: argparse.Namespace, _cell: Any) -> dict:
    options = {k: v for k, v in (("top_k", args.top_k), ("retrieval_mode", args.mode), ("max_tokens", args.max_tokens)) if v}
    answer = magics.client.ask(args.rag, " ".join(args.question), **options)
    print(answer["choices"][0]["message"]["content"].strip())
    sources = answer.get("sources") or []
    if sources:
        print("\nSources:")
        for n, source in enumerate(sources, 1):
            preview = textwrap.shorten(source["text"].replace("\n", " "), SOURCE_PREVIEW)
            print(f"  [{n}] {source['file']} #{source['chunk']} (score {source['score']:.3f}) {preview}")
    return answer

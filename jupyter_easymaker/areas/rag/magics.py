"""``%easymaker rag ACTION [NAME]`` (create, sync, list, status, files, delete
here; the actions on one RAG's ingestions, keys, retrieval, settings,
statistics, monitoring and logs in ``magic_actions``) and ``%easymaker ask RAG
"question"`` (the answer printed with its sources).

Standard library and IPython only."""
from __future__ import annotations

import argparse
import textwrap
from typing import Any

from jupyter_easymaker.areas.rag import magic_actions
from jupyter_easymaker.areas.rag.magic_actions import ingestion_text
from jupyter_easymaker.magics.arguments import (
    BACKENDS,
    MagicUsageError,
    arg,
    positive_int,
)
from jupyter_easymaker.magics.formatting import created, format_elapsed, table
from jupyter_easymaker.magics.registry import command

ACTIONS = ("create", "sync", "list", "status", "files", "delete", *magic_actions.ACTIONS)
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
    body: dict[str, Any] = {"name": args.name, "data_path": args.data, "llm": llm, "description": args.description or "",
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
                "ingestion's per-file results), delete; ingestions, ingestion / ingestion-logs / ingestion-stop (--ingestion, "
                "default the last), api-keys, api-key-create (the key shown once), api-key-revoke --key ID, retrieve NAME "
                "\"question\" (the top passages, no LLM), update (description, prompt template, retrieval, chunking, query logs), "
                "statistics, monitoring, logs (query logs) and server-logs.",
         arg("action", choices=ACTIONS),
         arg("name", nargs="?", metavar="NAME", help="the RAG (all but list)"),
         arg("query", nargs="*", metavar="QUESTION", help="retrieve: the question (quote it)"),
         arg("--ingestion", metavar="ID", help="ingestion, ingestion-logs, ingestion-stop: id or name (default: the last)"),
         arg("--key", metavar="ID", help="api-key-revoke: the key's id"),
         arg("--key-name", metavar="NAME", help="api-key-create: a name for the key"),
         arg("--prompt-template", metavar="TEXT|@FILE", help="update: with {context} and {question}"),
         arg("--log-enabled", action=argparse.BooleanOptionalAction, default=None, help="update: keep query logs or not"),
         arg("--since", metavar="ISO_TIME", help="statistics: from this time"),
         arg("--tail", type=positive_int, default=200, metavar="N", help="server-logs: the last N lines"),
         arg("--limit", type=positive_int, default=1000, metavar="N", help="ingestions, logs: at most N"),
         arg("--data", metavar="PATH", help="create: the documents (local path, nas://, obs://)"),
         arg("--endpoint", help="create: the LLM, an endpoint of this server"),
         arg("--llm-url", help="create: the LLM, an OpenAI-compatible base URL"),
         arg("--llm-model", help="create: the LLM's model name"),
         arg("--llm-key", help="create: the external LLM's API key (stored encrypted)"),
         arg("--pgvector", metavar="URL", help="create: a PostgreSQL (pgvector) store instead of the embedded faiss"),
         arg("--embedding", metavar="MODEL", help="create: embedding model (default all-MiniLM-L6-v2)"),
         arg("--chunk-size", type=positive_int, metavar="N", help="create, update: characters per chunk"),
         arg("--chunk-overlap", type=int, metavar="N", help="create, update: characters a chunk repeats"),
         arg("--mode", choices=("hybrid", "dense", "bm25"), help="create, update, retrieve: the retrieval mode"),
         arg("--top-k", type=positive_int, metavar="N", help="create, update, retrieve: passages retrieved"),
         arg("--instance-type"), arg("--instances", type=positive_int), arg("--backend", choices=BACKENDS),
         arg("--description", default=None, help="create, update: the description"),
         arg("--wait", action="store_true", help="create / sync: block until it is ACTIVE (or failed)"))
def rag_command(magics: Any, args: argparse.Namespace, _cell: Any) -> Any:
    client = magics.client
    if args.action == "list":
        return print_rags(client)
    if not args.name:
        raise MagicUsageError(f"%easymaker rag {args.action} NAME")
    if args.query and args.action != "retrieve":
        raise MagicUsageError(f"%easymaker rag {args.action} {args.name}: unexpected {' '.join(args.query)!r}")
    if args.action in magic_actions.ACTIONS:
        return magic_actions.ACTIONS[args.action](client, args)
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

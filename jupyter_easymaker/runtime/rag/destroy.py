"""Remove everything a RAG's vector store holds (its deletion):

    python -m jupyter_easymaker.runtime.rag.destroy --type faiss|pgvector --namespace ID --root DIR

A pgvector URL comes from ``EM_RAG_STORE_URL`` only (it carries the password)."""
from __future__ import annotations

import argparse
import os
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jupyter_easymaker.runtime.rag.destroy")
    parser.add_argument("--type", required=True, choices=("faiss", "pgvector"))
    parser.add_argument("--namespace", required=True)
    parser.add_argument("--root", required=True)
    args = parser.parse_args(argv)
    from jupyter_easymaker.runtime.rag.stores import open_store
    from jupyter_easymaker.runtime.rag.stores.base import StoreError

    config = {"type": args.type, "namespace": args.namespace}
    if args.type == "pgvector":
        config["url"] = os.environ.get("EM_RAG_STORE_URL", "")
    try:
        store = open_store(config, args.root)
        try:
            store.destroy()
        finally:
            store.close()
    except StoreError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

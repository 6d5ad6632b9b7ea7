"""Vector stores of RAGs: embedded faiss (the default) and PostgreSQL with pgvector.
Each store's module, with its heavy imports, loads only when that store is opened."""
from __future__ import annotations

from typing import Any

from jupyter_easymaker.runtime.rag.stores.base import (
    Chunk,
    Hit,
    StoreError,
    VectorStore,
)

__all__ = ["STORE_TYPES", "Chunk", "Hit", "StoreError", "VectorStore", "open_store"]

STORE_TYPES = ("faiss", "pgvector")


def open_store(config: dict[str, Any], root: str) -> VectorStore:
    """``{"type": "faiss"}`` keeps everything under ``root`` (the RAG's own folder);
    ``{"type": "pgvector", "url": "postgresql://...", "namespace": "<rag id>"}`` keeps it in
    that database under names made from the namespace. Nothing is opened until first used."""
    kind = config.get("type") or "faiss"
    if kind == "faiss":
        from jupyter_easymaker.runtime.rag.stores.faiss_store import FaissStore

        return FaissStore(root)
    if kind == "pgvector":
        from jupyter_easymaker.runtime.rag.stores.pgvector_store import PgvectorStore

        return PgvectorStore(config.get("url") or "", str(config.get("namespace") or ""))
    raise StoreError(f"unknown vector store type {kind!r} (one of {', '.join(STORE_TYPES)})")

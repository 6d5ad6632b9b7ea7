"""Questions to passages: embed the question, search the live generation of
the store (dense, BM25 or both fused) and answer the hits with their scores.
The query server, the REST ``retrieve`` route's server and the benchmarks
use this one path."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

MODES = ("hybrid", "dense", "bm25")


class NotIndexed(Exception):
    """No generation has been published yet."""


@dataclass
class Retrieved:
    hits: list[Any]
    generation: int
    took_ms: float


class Retriever:
    def __init__(self, store: Any, embedding_model: str):
        self.store = store
        self.embedding_model = embedding_model
        self._embedder: Any = None
        self._lock = threading.Lock()

    @property
    def embedder(self) -> Any:
        if self._embedder is None:
            with self._lock:
                if self._embedder is None:
                    from jupyter_easymaker.runtime.rag.embedding import (
                        Embedder,
                        model_path,
                    )

                    self._embedder = Embedder(model_path(self.embedding_model))
        return self._embedder

    def search(self, query: str, mode: str, top_k: int) -> Retrieved:
        from jupyter_easymaker.runtime.rag.fusion import retrieve

        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}")
        started = time.perf_counter()
        searcher = self.store.searcher()
        if searcher is None:
            raise NotIndexed("nothing is ingested yet: the first ingestion has not completed")
        vector = self.embedder.encode_query(query) if mode != "bm25" else None
        hits = retrieve(searcher, mode, query, vector, top_k)
        return Retrieved(hits, searcher.generation, (time.perf_counter() - started) * 1000.0)

"""Dense, keyword or hybrid retrieval over one searcher. Hybrid fuses the two
rankings with reciprocal rank fusion (Cormack et al. 2009): it needs no
calibration between cosine similarities and BM25 scores, only ranks."""
from __future__ import annotations

from typing import Any

from jupyter_easymaker.runtime.rag.stores.base import Hit

MODES = ("hybrid", "dense", "bm25")
RRF_K = 60
HYBRID_DEPTH = 50  # candidates from each side at least: enough for a chunk ranked low on one side to surface


def fuse(dense: list[Hit], keyword: list[Hit], k: int, *, rrf_k: int = RRF_K,
         weights: tuple[float, float] = (1.0, 1.0)) -> list[Hit]:
    """The ``k`` best chunks by sum of weight / (rrf_k + rank) over the two rankings, keyed by
    (file, chunk); score = that sum. Ties go to the better single rank, then to the dense side."""
    scores: dict[tuple[str, int], float] = {}
    best_rank: dict[tuple[str, int], tuple[int, int]] = {}
    hits: dict[tuple[str, int], Hit] = {}
    for side, (ranking, weight) in enumerate(((dense, weights[0]), (keyword, weights[1]))):
        seen: set[tuple[str, int]] = set()
        for rank, hit in enumerate(ranking, 1):
            key = (hit.file, hit.chunk)
            if key in seen:  # a ranking names each chunk once; a repeat adds nothing
                continue
            seen.add(key)
            scores[key] = scores.get(key, 0.0) + weight / (rrf_k + rank)
            best_rank[key] = min(best_rank.get(key, (rank, side)), (rank, side))
            hits.setdefault(key, hit)
    best = sorted(scores, key=lambda key: (-scores[key], best_rank[key]))[:max(0, k)]
    return [Hit(hits[key].file, hits[key].chunk, hits[key].text, scores[key]) for key in best]


def retrieve(searcher: Any, mode: str, query: str, vector: Any, k: int, *, depth: int | None = None) -> list[Hit]:
    """The ``k`` best hits of ``mode``; hybrid fuses ``depth`` (default max(4k, 50)) candidates from each side."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    if k <= 0:
        return []
    if mode == "dense":
        return searcher.dense(vector, k)
    if mode == "bm25":
        return searcher.keyword(query, k)
    depth = max(depth or max(k * 4, HYBRID_DEPTH), k)
    return fuse(searcher.dense(vector, depth), searcher.keyword(query, depth), k)

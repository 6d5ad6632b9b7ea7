"""BM25 over a generation's chunks with ``bm25s``: English stop words out,
Snowball English stemming (words of other scripts pass through unchanged)."""
from __future__ import annotations

import os
from typing import Any

TOKEN_OPTIONS = {"stopwords": "en", "return_ids": False, "show_progress": False}


def _stemmer() -> Any:
    try:
        import Stemmer
    except ImportError:  # the keyword index still works, without stemming
        return None
    return Stemmer.Stemmer("english").stemWords


STEM = _stemmer()


def tokens(texts: list[str]) -> list[list[str]]:
    import bm25s

    return bm25s.tokenize(texts, stemmer=STEM, **TOKEN_OPTIONS)


class KeywordIndex:
    def __init__(self, retriever: Any, size: int):
        self.retriever = retriever
        self.size = size
        self.vocab = set(retriever.vocab_dict) if retriever is not None else set()

    @classmethod
    def build(cls, texts: list[str]) -> KeywordIndex:
        import bm25s

        if not texts:
            return cls(None, 0)
        retriever = bm25s.BM25()
        retriever.index(tokens(texts), show_progress=False)
        return cls(retriever, len(texts))

    def save(self, folder: str) -> None:
        if self.retriever is not None:
            self.retriever.save(folder, show_progress=False)

    @classmethod
    def load(cls, folder: str, size: int) -> KeywordIndex:
        import bm25s

        if size == 0 or not os.path.isdir(folder):
            return cls(None, 0)
        return cls(bm25s.BM25.load(folder, mmap=False, show_progress=False), size)

    def search(self, query: str, k: int) -> list[tuple[int, float]]:
        """(row, score) of the best ``k`` rows with a positive score."""
        if self.retriever is None:
            return []
        words = [w for w in tokens([query])[0] if w in self.vocab]
        if not words or k <= 0:
            return []
        if getattr(self.retriever, "nonoccurrence_array", None) is not None:  # BM25L / BM25+: bm25s scores them
            ids, scores = self.retriever.retrieve([words], k=min(k, self.size), show_progress=False, n_threads=1)
            return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if s > 0]
        return self._top(words, k)

    def _top(self, words: list[str], k: int) -> list[tuple[int, float]]:
        """The eager index holds each (word, row) score: a row's BM25 is the sum over the
        question's words. One ``bincount`` over the words' postings sums them (bm25s's own
        ``np.add.at`` loop is ten times slower at 100,000 rows)."""
        import numpy as np

        index = self.retriever.scores
        vocab = self.retriever.vocab_dict
        ids = np.asarray([vocab[w] for w in words], dtype=np.int64)
        starts, ends = index["indptr"][ids], index["indptr"][ids + 1]
        rows = np.concatenate([index["indices"][a:b] for a, b in zip(starts, ends)])
        if rows.size == 0:
            return []
        weights = np.concatenate([index["data"][a:b] for a, b in zip(starts, ends)]).astype(np.float64)
        totals = np.bincount(rows, weights=weights, minlength=self.size)
        k = min(k, int(np.count_nonzero(totals > 0)))
        if k == 0:
            return []
        best = np.argpartition(-totals, k - 1)[:k] if k < totals.size else np.arange(totals.size)
        best = best[np.lexsort((best, -totals[best]))]  # by score, ties by row: the same order every time
        return [(int(i), float(totals[i])) for i in best]

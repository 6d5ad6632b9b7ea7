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
        if not words:
            return []
        ids, scores = self.retriever.retrieve([words], k=min(k, self.size), show_progress=False, n_threads=1)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if s > 0]

"""What a vector store is: the chunks of one RAG in numbered generations.

Ingestion builds a new generation while the live one keeps answering, then
publishes it atomically; a generation begun and never published (an aborted
or killed ingestion) never answers, and ``discard_unpublished`` removes it.
Incremental sync copies the unchanged files' chunks, text and vectors, from
the live generation into the new one (``keep``) instead of embedding them again.

numpy stays out of this module's imports: the server side imports it without
the runtime's heavy packages."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Chunk:
    file: str  # path relative to the data root ('/'-separated)
    chunk: int  # its number within the file
    text: str


@dataclass(frozen=True)
class Hit:
    file: str
    chunk: int
    text: str
    score: float


class StoreError(Exception):
    """A store that cannot be used or a misuse of one; the message never holds a password."""


BUSY = "another ingestion of this RAG is still writing its vector store"


class Searcher(Protocol):
    """The live generation at the time it was opened; it keeps answering from that
    generation (in memory) even after a newer one is published and the old one dropped."""

    generation: int

    def dense(self, vector: Any, k: int) -> list[Hit]:
        """The ``k`` chunks nearest ``vector`` (L2-normalised): score = cosine similarity."""
    def keyword(self, query: str, k: int) -> list[Hit]:
        """The ``k`` best BM25 matches with a positive score (none for words no chunk has)."""
    def count(self) -> int: ...


class GenerationWriter(Protocol):
    generation: int
    chunks: int  # chunks in this generation so far

    def keep(self, files: list[str]) -> int:
        """Copy these files' chunks (text and vectors) from the base generation: how many."""
    def add(self, chunks: list[Chunk], vectors: Any) -> None:
        """``vectors``: float32 [len(chunks), dimension], L2-normalised by the caller."""
    def publish(self, manifest: dict[str, Any]) -> None:
        """Build the indexes, store ``manifest``, make this generation live atomically, drop the older ones."""
    def abort(self) -> None: ...


class VectorStore(Protocol):
    kind: str  # "faiss" | "pgvector"

    def writing(self, wait_seconds: float = 0.0) -> Any:
        """A context in which this process alone builds generations (a second
        ingestion of the same RAG waits, then fails with StoreError(BUSY));
        released when the process dies."""
    def live_generation(self) -> int | None: ...
    def manifest(self, generation: int | None = None) -> dict[str, Any]:
        """The manifest published with ``generation`` (default: the live one); {} when there is none."""
    def begin(self, dimension: int) -> GenerationWriter:
        """A new generation numbered after every existing one; its base (for ``keep``) is the live one."""
    def searcher(self) -> Searcher | None:
        """Over the live generation, None before the first publish. Cheap per request:
        reloaded only when the live generation changed (in this or another process)."""
    def discard_unpublished(self) -> int:
        """Remove the generations other than the live one (begun and never published,
        or older ones a crash kept from being dropped): how many."""
    def destroy(self) -> None:
        """Remove everything this store holds (the RAG's deletion)."""
    def close(self) -> None: ...


def checked_vectors(chunks: list[Chunk], vectors: Any, dimension: int) -> Any:
    """``vectors`` as a C-contiguous float32 array [len(chunks), dimension], or StoreError."""
    import numpy as np

    array = np.ascontiguousarray(vectors, dtype=np.float32)
    if array.ndim != 2 or array.shape != (len(chunks), dimension):
        raise StoreError(f"{len(chunks)} chunks need a {len(chunks)} x {dimension} array of vectors, "
                         f"not {'x'.join(map(str, array.shape))}")
    if not np.isfinite(array).all():
        raise StoreError("the vectors hold NaN or infinite values")
    return array


def search_depth(k: int, count: int) -> int:
    """How many hits a search can answer: ``k`` capped by the generation's size (never negative)."""
    return max(0, min(int(k), count))


def build_keyword_index(texts: list[str]) -> Any:
    """The BM25 index (``keyword.KeywordIndex``) of ``texts``; an empty one when they hold
    no word at all (bm25s refuses an empty vocabulary)."""
    import warnings

    from jupyter_easymaker.runtime.rag.stores.keyword import KeywordIndex

    try:
        with warnings.catch_warnings():  # bm25s divides by a zero average length on its way to that error
            warnings.simplefilter("ignore", RuntimeWarning)
            return KeywordIndex.build(texts)
    except ValueError:
        return KeywordIndex(None, 0)

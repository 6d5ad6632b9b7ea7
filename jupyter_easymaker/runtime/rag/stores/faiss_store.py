"""The embedded store: everything of a RAG under its own folder.

    <root>/LIVE              the live generation's number, replaced with os.replace
    <root>/.writer.lock      flock()ed by the one process building generations
    <root>/gen-<n>/          one generation:
        vectors.npy          float32 [chunks, dimension] (what ``keep`` copies)
        texts.bin            the chunks' texts, UTF-8, end to end
        rows.npy             per chunk: file (index into files.json), chunk number, end offset in texts.bin
        files.json           the distinct file names
        index.faiss          HNSW graph (large generations only; a small one's exact index is built from vectors.npy)
        bm25/                the bm25s index
        manifest.json        what ingestion published with it

Texts as one blob plus offsets load about 7x faster than JSON lines at
100,000 chunks (0.15 s vs 1.1 s) and are decoded only for the hits.
``LIVE`` is replaced only after every file of the generation is fsynced, so
a reader sees the old generation or the new one, never half of one; a
``gen-<n>`` folder newer than ``LIVE`` is unpublished. Readers load a
generation fully into memory (no mmap): its folder may be removed under
them by the next publish, possibly from another machine of a shared file system."""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import threading
import time
from collections.abc import Iterator
from typing import Any

from jupyter_easymaker.runtime.rag.stores.base import (
    BUSY,
    Chunk,
    Hit,
    StoreError,
    build_keyword_index,
    checked_vectors,
    search_depth,
)
from jupyter_easymaker.runtime.rag.stores.keyword import KeywordIndex

LIVE = "LIVE"
WRITER_LOCK = ".writer.lock"  # the kernel releases a flock when its process dies
GENERATION = re.compile(r"^gen-(\d+)$")
# Exact inner product below this many chunks (~3 ms a question at 20,000 x 384 on one core,
# 15 ms at 100,000); HNSW above (~1.2 ms at 100,000). Measured against exact search with the
# 300 SciFact claims as questions (MiniLM): on 27,986 real passage vectors M=32, efConstruction=80,
# efSearch=256 give recall@10 0.999 and recall@50 0.998 (hybrid's depth); on 100,000 harder
# vectors (sums of three passages' vectors) 0.988 and 0.975, where efSearch=128 gave only 0.967.
# efSearch also grows as 2k, so a deep search keeps its recall. Build: ~21 s at 100,000 on 2 cores.
HNSW_FROM = 20_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 256
ROW_TYPE = [("file", "<i4"), ("chunk", "<i4"), ("end", "<i8")]


def _fsync(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write(path: str, data: bytes) -> None:
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _is_pointer_tmp(name: str) -> bool:
    return name.startswith(LIVE + ".") and name.endswith(".tmp")


def _fsync_tree(folder: str) -> None:
    for parent, _dirs, names in os.walk(folder, topdown=False):
        for name in names:
            _fsync(os.path.join(parent, name))
        _fsync(parent)


class GenerationFiles:
    """One generation's chunks as stored (rows, file names, texts) and, on demand, its vectors."""

    def __init__(self, folder: str):
        import numpy as np

        self.folder = folder
        self.rows = np.load(os.path.join(folder, "rows.npy"))
        with open(os.path.join(folder, "files.json"), encoding="utf-8") as fh:
            self.files: list[str] = json.load(fh)
        with open(os.path.join(folder, "texts.bin"), "rb") as fh:
            self.texts = fh.read()
        ends = self.rows["end"]
        self.starts = np.concatenate([np.zeros(1, dtype=np.int64), ends[:-1]]) if len(ends) else ends

    def __len__(self) -> int:
        return len(self.rows)

    def vectors(self, mmap: bool = False) -> Any:
        import numpy as np

        return np.load(os.path.join(self.folder, "vectors.npy"), mmap_mode="r" if mmap else None)

    def text(self, row: int) -> str:
        return self.texts[int(self.starts[row]):int(self.rows["end"][row])].decode("utf-8")

    def hit(self, row: int, score: float) -> Hit:
        return Hit(self.files[int(self.rows["file"][row])], int(self.rows["chunk"][row]), self.text(row), float(score))

    def rows_of(self, files: set[str]) -> Any:
        import numpy as np

        wanted = [i for i, name in enumerate(self.files) if name in files]
        return np.flatnonzero(np.isin(self.rows["file"], wanted))


class FaissSearcher:
    def __init__(self, folder: str, generation: int):
        import faiss
        import numpy as np

        self.generation = generation
        self.data = GenerationFiles(folder)
        index_file = os.path.join(folder, "index.faiss")
        self.hnsw = os.path.exists(index_file)
        if self.hnsw:
            self.index = faiss.read_index(index_file)
        else:
            vectors = self.data.vectors()
            self.index = faiss.IndexFlatIP(vectors.shape[1])
            self.index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        self.keywords = KeywordIndex.load(os.path.join(folder, "bm25"), len(self.data))

    def dense(self, vector: Any, k: int) -> list[Hit]:
        import faiss
        import numpy as np

        depth = search_depth(k, len(self.data))
        query = np.ascontiguousarray(np.asarray(vector, dtype=np.float32).reshape(1, -1))
        if query.shape[1] != self.index.d:
            raise StoreError(f"the question's vector has {query.shape[1]} dimensions, the store's {self.index.d}")
        if depth == 0:
            return []
        if self.hnsw:  # HNSW returns at most efSearch neighbours
            ef_search = max(HNSW_EF_SEARCH, 2 * depth)
            scores, rows = self.index.search(query, depth, params=faiss.SearchParametersHNSW(efSearch=ef_search))
        else:
            scores, rows = self.index.search(query, depth)
        return [self.data.hit(int(r), s) for r, s in zip(rows[0], scores[0]) if r >= 0]

    def keyword(self, query: str, k: int) -> list[Hit]:
        depth = search_depth(k, len(self.data))
        return [self.data.hit(row, score) for row, score in self.keywords.search(query, depth)] if depth else []

    def count(self) -> int:
        return len(self.data)


class FaissWriter:
    def __init__(self, store: FaissStore, generation: int, dimension: int, base: int | None):
        self.store = store
        self.generation = generation
        self.dimension = int(dimension)
        self.base = base
        self.folder = store.folder(generation)
        self.chunks = 0
        self._files: list[str] = []
        self._numbers: list[int] = []
        self._texts: list[str] = []
        self._vectors: list[Any] = []
        self._kept: set[str] = set()
        self._done = False
        os.makedirs(self.folder)  # never exist_ok: two writers cannot share a number

    def _check_open(self) -> None:
        if self._done:
            raise StoreError(f"generation {self.generation} is already published or aborted")

    def keep(self, files: list[str]) -> int:
        self._check_open()
        wanted = set(files) - self._kept
        if self.base is None or not wanted:
            return 0
        try:
            base = GenerationFiles(self.store.folder(self.base))
        except FileNotFoundError:
            raise StoreError(f"the base generation {self.base} is gone (another ingestion replaced it)") from None
        vectors = base.vectors(mmap=True)
        if len(base) and vectors.shape[1] != self.dimension:
            raise StoreError(f"the live generation's vectors have {vectors.shape[1]} dimensions, not {self.dimension}")
        rows = base.rows_of(wanted)
        self._files.extend(base.files[i] for i in base.rows["file"][rows])
        self._numbers.extend(base.rows["chunk"][rows].tolist())
        self._texts.extend(base.text(int(row)) for row in rows)
        self._vectors.append(vectors[rows].astype("float32"))  # fancy indexing copies out of the mmap
        self._kept |= wanted
        self.chunks += len(rows)
        return len(rows)

    def add(self, chunks: list[Chunk], vectors: Any) -> None:
        self._check_open()
        array = checked_vectors(chunks, vectors, self.dimension)
        self._files.extend(c.file for c in chunks)
        self._numbers.extend(int(c.chunk) for c in chunks)
        self._texts.extend(c.text for c in chunks)
        self._vectors.append(array.copy())  # the caller may reuse its buffer
        self.chunks += len(chunks)

    def publish(self, manifest: dict[str, Any]) -> None:
        import numpy as np

        self._check_open()
        folder = self.folder
        vectors = np.vstack(self._vectors) if self._vectors else np.zeros((0, self.dimension), dtype=np.float32)
        with open(os.path.join(folder, "vectors.npy"), "wb") as fh:
            np.save(fh, vectors)
        self._write_chunks()
        if len(vectors) >= HNSW_FROM:
            self._write_hnsw(vectors)
        build_keyword_index(self._texts).save(os.path.join(folder, "bm25"))
        with open(os.path.join(folder, "manifest.json"), "w", encoding="utf-8") as fh:
            json.dump(manifest, fh, ensure_ascii=False)
        _fsync_tree(folder)
        self.store.make_live(self.generation)
        self._done = True
        self._release()

    def _write_chunks(self) -> None:
        import numpy as np

        encoded = [text.encode("utf-8") for text in self._texts]
        names = sorted(set(self._files))
        number = {name: i for i, name in enumerate(names)}
        rows = np.zeros(len(encoded), dtype=ROW_TYPE)
        rows["file"] = [number[name] for name in self._files]
        rows["chunk"] = self._numbers
        rows["end"] = np.cumsum([len(b) for b in encoded], dtype=np.int64)
        with open(os.path.join(self.folder, "texts.bin"), "wb") as fh:
            fh.write(b"".join(encoded))
        with open(os.path.join(self.folder, "rows.npy"), "wb") as fh:
            np.save(fh, rows)
        with open(os.path.join(self.folder, "files.json"), "w", encoding="utf-8") as fh:
            json.dump(names, fh, ensure_ascii=False)

    def _write_hnsw(self, vectors: Any) -> None:
        import faiss

        index = faiss.IndexHNSWFlat(self.dimension, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.add(vectors)
        faiss.write_index(index, os.path.join(self.folder, "index.faiss"))

    def abort(self) -> None:
        if not self._done:
            self._done = True
            shutil.rmtree(self.folder, ignore_errors=True)
        self._release()

    def _release(self) -> None:
        self._files, self._numbers, self._texts, self._vectors = [], [], [], []


class FaissStore:
    kind = "faiss"

    def __init__(self, root: str):
        if not root:
            raise StoreError("a faiss store needs a folder")
        self.root = root
        self._searcher: FaissSearcher | None = None
        self._lock = threading.Lock()

    def folder(self, generation: int) -> str:
        return os.path.join(self.root, f"gen-{int(generation)}")

    @contextlib.contextmanager
    def writing(self, wait_seconds: float = 0.0) -> Iterator[None]:
        os.makedirs(self.root, exist_ok=True)
        fd = os.open(os.path.join(self.root, WRITER_LOCK), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            deadline = time.monotonic() + wait_seconds
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise StoreError(BUSY) from None
                    time.sleep(0.2)
            yield
        finally:
            os.close(fd)  # releases the lock

    def generations(self) -> list[int]:
        try:
            names = os.listdir(self.root)
        except FileNotFoundError:
            return []
        return sorted(int(m.group(1)) for m in map(GENERATION.match, names) if m)

    def live_generation(self) -> int | None:
        # read, not stat: opening revalidates a network file system's cached attributes
        # (close-to-open consistency), and it costs ~10 us a question
        try:
            with open(os.path.join(self.root, LIVE), encoding="ascii") as fh:
                return int(fh.read().strip())
        except (FileNotFoundError, ValueError):
            return None

    def manifest(self, generation: int | None = None) -> dict[str, Any]:
        live = self.live_generation()
        generation = live if generation is None else generation
        if generation is None or live is None or generation > live:  # newer than the live one: never published
            return {}
        try:
            with open(os.path.join(self.folder(generation), "manifest.json"), encoding="utf-8") as fh:
                return json.load(fh)
        except FileNotFoundError:
            return {}

    def begin(self, dimension: int) -> FaissWriter:
        if int(dimension) <= 0:
            raise StoreError(f"a generation needs a positive dimension, not {dimension}")
        os.makedirs(self.root, exist_ok=True)
        live = self.live_generation()
        generation = max([*self.generations(), live or 0]) + 1
        return FaissWriter(self, generation, dimension, live)

    def make_live(self, generation: int) -> None:
        live = self.live_generation()
        if live is not None and live >= generation:
            raise StoreError(f"generation {generation} cannot replace the newer live generation {live}")
        pointer = os.path.join(self.root, LIVE)
        tmp = f"{pointer}.{os.getpid()}.tmp"
        _write(tmp, f"{generation}\n".encode("ascii"))
        os.replace(tmp, pointer)
        _fsync(self.root)
        for old in self.generations():  # readers hold theirs in memory and reload on their next question
            if old < generation:
                shutil.rmtree(self.folder(old), ignore_errors=True)

    def searcher(self) -> FaissSearcher | None:
        for _ in range(5):
            live = self.live_generation()
            if live is None:
                self._searcher = None
                return None
            current = self._searcher
            if current is not None and current.generation == live:
                return current
            with self._lock:
                if self._searcher is not None and self._searcher.generation == live:
                    return self._searcher
                try:
                    self._searcher = FaissSearcher(self.folder(live), live)
                    return self._searcher
                except (OSError, RuntimeError) as exc:  # replaced and dropped while loading: follow the pointer again
                    if self.live_generation() == live:
                        raise StoreError(f"the live generation {live} cannot be read: {exc}") from exc
        raise StoreError("the live generation changed five times while loading it")

    def discard_unpublished(self) -> int:
        live = self.live_generation()
        stale = [g for g in self.generations() if g != live]
        for generation in stale:
            shutil.rmtree(self.folder(generation), ignore_errors=True)
        for name in os.listdir(self.root) if os.path.isdir(self.root) else []:
            if _is_pointer_tmp(name):  # a pointer a crash left half-written
                with contextlib.suppress(FileNotFoundError):
                    os.remove(os.path.join(self.root, name))
        return len(stale)

    def destroy(self) -> None:
        """Removes what the store made, then its folder when nothing else is left in it."""
        self._searcher = None
        if not os.path.isdir(self.root):
            return
        for name in os.listdir(self.root):
            path = os.path.join(self.root, name)
            if GENERATION.match(name):
                shutil.rmtree(path, ignore_errors=True)
            elif name in (LIVE, WRITER_LOCK) or _is_pointer_tmp(name):
                with contextlib.suppress(FileNotFoundError):
                    os.remove(path)
        with contextlib.suppress(OSError):
            os.rmdir(self.root)

    def export(self, generation: int | None = None) -> tuple[list[Chunk], Any]:
        """The chunks and vectors of a published generation (default: the live one), e.g. to copy them to another store."""
        generation = self.live_generation() if generation is None else generation
        if generation is None:
            raise StoreError("nothing is published in this store")
        data = GenerationFiles(self.folder(generation))
        chunks = [Chunk(data.files[int(f)], int(c), data.text(i)) for i, (f, c, _) in enumerate(data.rows.tolist())]
        return chunks, data.vectors()

    def close(self) -> None:
        self._searcher = None

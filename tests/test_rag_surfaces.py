"""Every action of ``%easymaker rag`` beyond create / sync / status / files /
delete, and the client methods under them, against a real server and a real
RAG on the embedded defaults (faiss, the shipped MiniLM): ingestions (list,
one, logs, stop), API keys (create shown once, list, revoke refusing the key
afterwards), retrieval, settings, statistics, monitoring, query logs and the
query servers' output."""
from __future__ import annotations

import json
import urllib.error
import urllib.request

try:
    from tests.test_magics import client, line, magics, run, server_url, shell
    from tests.test_rag_api import copy_corpus, query_servers, wait_rag
except ImportError:
    from test_magics import client, line, magics, run, server_url, shell  # noqa: F401 - fixtures
    from test_rag_api import copy_corpus, query_servers, wait_rag  # noqa: F401 - the fixture

CORPUS = ["txt/fake-text.txt", "csv/stanley-cups.csv", "pdf/fake-memo.pdf", "md/simple-table.md"]
LLM = {"type": "external", "base_url": "http://127.0.0.1:9/v1", "model": "unused"}  # nothing listens: retrieval needs no LLM


def query_status(client, key: str) -> int:
    """The question API's HTTP status for a question asked with ``key``."""
    body = json.dumps({"model": "kb", "messages": [{"role": "user", "content": "Stanley Cups?"}], "max_tokens": 4}).encode()
    request = urllib.request.Request(client.rag_query_url() + "/query", data=body, method="POST",
                                     headers={"content-type": "application/json", "x-nhn-apikey": key})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


async def test_rag_actions_of_the_magics_and_the_client(api, tmp_path, query_servers, shell, magics, client, capsys):
    docs = copy_corpus(tmp_path / "docs", CORPUS)
    await api.post("rags", {"name": "kb", "data_path": docs, "llm": LLM}, expect=201)
    rag = await wait_rag(api, "kb")
    assert rag["status"] == "ACTIVE", rag["status_reason"]
    first = rag["last_ingestion"]
    capsys.readouterr()

    # ingestions: the list, one (the last by default, or --ingestion), its job's log
    listed = await line(shell, "rag ingestions kb")
    out = capsys.readouterr().out
    assert [i["id"] for i in listed] == [first["id"]]
    assert first["name"] in out and "COMPLETE" in out and "+4 ~0 -0 !0 files" in out
    shown = await line(shell, "rag ingestion kb")
    out = capsys.readouterr().out
    assert shown["id"] == first["id"] and shown["status"] == "COMPLETE"
    assert f"id            {first['id']}" in out and "+4 ~0 -0 !0 files" in out
    by_name = await line(shell, f"rag ingestion kb --ingestion {first['name']}")
    assert by_name["id"] == first["id"]
    capsys.readouterr()
    logs = await line(shell, f"rag ingestion-logs kb --ingestion {first['id']}")
    out = capsys.readouterr().out
    assert logs["records"], logs
    assert out.splitlines()[0] == logs["records"][0]["body"]
    direct = await run(client.rag_ingestion_logs, "kb", first["id"], limit=1)
    assert direct["records"] == logs["records"][:1]

    # retrieval: the top passages with file and score, no LLM
    found = await line(shell, "rag retrieve kb 'Stanley Cups of the Maple Leafs' --mode hybrid --top-k 2")
    out = capsys.readouterr().out
    assert found["mode"] == "hybrid" and len(found["sources"]) == 2 and found["sources"][0]["file"] == "stanley-cups.csv"
    assert "stanley-cups.csv" in out.splitlines()[1] and f"{found['sources'][1]['score']:.3f}" in out and "hybrid top 2" in out
    assert found["sources"][1]["file"] in out.splitlines()[2]
    only = await line(shell, "rag retrieve kb Zanzibar pineapples --mode bm25")
    assert only["sources"] == [] and "no passage found" in capsys.readouterr().out
    assert await line(shell, "rag retrieve kb") is None
    assert "%easymaker rag retrieve kb" in capsys.readouterr().err

    # settings: the ones given change, the others stay (retrieval and chunking are taken whole by the API)
    template = tmp_path / "prompt.txt"
    template.write_text("Context:\n{context}\n\nQuestion: {question}\nAnswer briefly.", encoding="utf-8")
    updated = await line(shell, f"rag update kb --description 'team docs' --top-k 3 --chunk-size 400 "
                                f"--prompt-template @{template} --no-log-enabled")
    out = capsys.readouterr().out
    stored = await api.get("rags/kb")
    assert updated["id"] == stored["id"] and stored["description"] == "team docs"
    assert stored["retrieval"] == {"mode": rag["retrieval"]["mode"], "top_k": 3}
    assert stored["chunking"] == {"size": 400, "overlap": rag["chunking"]["overlap"]}
    assert stored["prompt_template"] == template.read_text(encoding="utf-8") and stored["log_enabled"] is False
    assert "top 3" in out and "chunks of 400" in out and "query logs off" in out and "next sync" in out
    await line(shell, "rag update kb --log-enabled")
    assert (await api.get("rags/kb"))["log_enabled"] is True
    assert await line(shell, "rag update kb") is None
    assert "give --description" in capsys.readouterr().err
    assert await line(shell, "rag update kb --chunk-size 100 --chunk-overlap 100") is None
    assert "chunking" in capsys.readouterr().err  # the server's 422 names the field; nothing changed
    assert (await api.get("rags/kb"))["chunking"]["size"] == 400

    # a sync (re-embedding everything for the new chunk size) stopped: the live index keeps answering
    ingestion = await run(client.sync_rag, "kb")
    stopping = await line(shell, "rag ingestion-stop kb")
    out = capsys.readouterr().out
    assert stopping["id"] == ingestion["id"] and stopping["status"] in ("STOP IN PROGRESS", "STOPPED"), stopping
    assert f"ingestion {ingestion['name']} of kb" in out
    stopped = await run(client.wait_rag_ingestion, "kb", ingestion["id"], 120)
    assert stopped["status"] == "STOPPED", stopped
    assert (await wait_rag(api, "kb"))["status"] == "UPDATE FAILED"  # the sync did not finish; the last index still answers
    assert (await api.post("rags/kb/retrieve", {"query": "Maple Leafs", "mode": "bm25"}, expect=200))["sources"]
    assert await line(shell, "rag ingestion-stop kb") is None
    assert "only one that has not ended can be stopped" in capsys.readouterr().err
    listed = await line(shell, "rag ingestions kb")
    assert [i["status"] for i in listed] == ["STOPPED", "COMPLETE"] and "STOPPED" in capsys.readouterr().out

    # API keys: created (the key shown once), listed masked, used, revoked (then refused)
    key = await line(shell, "rag api-key-create kb --key-name notebook")
    out = capsys.readouterr().out
    assert key["key"] and key["key"] in out and "shown only now" in out
    keys = await line(shell, "rag api-keys kb")
    out = capsys.readouterr().out
    assert [(k["id"], k["name"]) for k in keys] == [(key["id"], "notebook")]
    assert key["masked"] in out and "active" in out and key["key"] not in out
    assert await run(query_status, client, key["key"]) not in (401, 403)  # accepted (the LLM itself is unreachable)
    revoked = await line(shell, f"rag api-key-revoke kb --key {key['id']}")
    assert revoked["revoked_at"] and f"API key {key['id']}" in capsys.readouterr().out
    assert await run(query_status, client, key["key"]) == 401
    await line(shell, "rag api-keys kb")
    assert "revoked" in capsys.readouterr().out
    assert await line(shell, "rag api-key-revoke kb") is None
    assert "--key ID" in capsys.readouterr().err

    # statistics and query logs of that question
    stats = await line(shell, "rag statistics kb")
    out = capsys.readouterr().out
    assert stats["totals"]["calls"] >= 1 and stats["totals"]["failure"] >= 1
    assert f"{stats['totals']['calls']} call(s)" in out and f"{stats['totals']['failure']} failed" in out
    query_logs = await line(shell, "rag logs kb")
    out = capsys.readouterr().out
    assert any(r["body"].startswith("POST /rag/v1/query ") for r in query_logs["records"]), query_logs
    assert "POST /rag/v1/query" in out

    # the query servers: their pods and their output
    watched = await line(shell, "rag monitoring kb")
    out = capsys.readouterr().out
    assert watched["pods"] and all(p["ready"] for p in watched["pods"]), watched
    assert watched["pods"][0]["name"] in out and "READY" in out
    text = await line(shell, "rag server-logs kb --tail 50")
    out = capsys.readouterr().out
    assert text.strip() and len(text.strip().splitlines()) <= 50
    assert text.strip().splitlines()[-1] in out
    last = await run(client.rag_server_logs, "kb", tail=1)  # each pod's last line under its "===== pod-N =====" heading
    assert last.strip().splitlines() == ["===== pod-0 =====", text.strip().splitlines()[-1]]
    assert text.startswith("===== pod-0 =====")
    assert (await run(client.rag_monitoring, "kb"))["rag_id"] == rag["id"]

    # a question word left over is refused, not ignored
    assert await line(shell, "rag monitoring kb now") is None
    assert "unexpected 'now'" in capsys.readouterr().err

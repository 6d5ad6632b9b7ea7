"""A sync interrupted two ways: the Jupyter server killed (-9) mid-sync, then
restarted (the ingestion job is found again and completes), and the ingestion
job itself killed (-9) mid-sync (UPDATE FAILED; the previous index keeps
answering; the next sync discards the half-built generation and succeeds)."""
from __future__ import annotations

import glob
import json
import os
import shutil
import signal
import time
import urllib.error
import urllib.request

import psutil
from server_process import ServerProcess

DOCS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "rag-docs")
LLM = {"type": "external", "base_url": "http://127.0.0.1:9/v1", "model": "unused"}  # retrieval only: never called


def wait(server, path, check, timeout=180.0):
    end = time.monotonic() + timeout
    while True:
        try:
            row = server.request("GET", path)
        except urllib.error.HTTPError as exc:
            row = {"http_status": exc.code}
        if check(row):
            return row
        assert time.monotonic() < end, row
        time.sleep(0.1)


def write_corpus(folder, version: int, copies: int = 6) -> None:
    """A real document, many times over (a sync that takes seconds); ``version`` changes every file."""
    os.makedirs(folder, exist_ok=True)
    for n in range(copies):
        target = os.path.join(folder, f"{n:02d}-norwich-city.txt")
        shutil.copy(os.path.join(DOCS, "txt/norwich-city.txt"), target)
        with open(target, "a", encoding="utf-8") as fh:
            fh.write(f"\nRevision {version} of copy {n}.\n")


def retrieve(server, query="Roberts scoring a goal for Norwich City"):
    return server.request("POST", "rags/kb/retrieve", {"query": query, "mode": "bm25", "top_k": 1})


def kill_ingestion_jobs(data) -> int:
    """kill -9 of every running ingestion job's processes (the launcher and the ingestion it runs), as a crash would."""
    killed = 0
    for path in glob.glob(os.path.join(data, "rags", "*", "ingestions", "*", "job", "handle.json")):
        with open(path) as fh:
            pid = json.load(fh)["pid"]
        try:
            launcher = psutil.Process(pid)
            for proc in [*launcher.children(recursive=True), launcher]:
                proc.kill()
                killed += 1
        except psutil.NoSuchProcess:
            pass
    return killed


def generations(data):
    return sorted(glob.glob(os.path.join(data, "rags", "*", "store", "gen-*")))


def running_sync(server):
    ingestion = server.request("POST", "rags/kb/sync")
    return wait(server, f"rags/kb/ingestions/{ingestion['id']}",
                lambda r: r["status"] == "RUNNING" and r["progress"]["files_done"] > 0, timeout=120)


def test_sync_survives_a_killed_server_and_a_killed_job(tmp_path):
    docs = str(tmp_path / "docs")
    data = str(tmp_path / "data")
    write_corpus(docs, 1)
    server = ServerProcess(str(tmp_path), data).start()
    query_pids: list[int] = []
    try:
        server.request("POST", "rags", {"name": "kb", "data_path": docs, "llm": LLM, "chunking": {"size": 300, "overlap": 30}})
        rag = wait(server, "rags/kb", lambda r: r["status"] in ("ACTIVE", "CREATE FAILED"))
        assert rag["status"] == "ACTIVE", rag["status_reason"]
        first = retrieve(server)["generation"]
        with open(glob.glob(os.path.join(data, "rags", "*", "server", "pods", "server.json"))[0]) as fh:
            query_pids = [p["pid"] for p in json.load(fh)["pods"]]
        write_corpus(docs, 2)
        running_sync(server)
    finally:
        server.kill()  # kill -9 while the sync runs
    restarted = ServerProcess(str(tmp_path), data, port=server.port).start()
    try:
        rag = wait(restarted, "rags/kb", lambda r: r["status"] in ("ACTIVE", "UPDATE FAILED"))
        assert rag["status"] == "ACTIVE", rag["status_reason"]
        second = retrieve(restarted)["generation"]
        assert second > first and rag["live_generation"] == second
        assert [g.endswith(f"gen-{second}") for g in generations(data)] == [True]

        # the job killed mid-sync: UPDATE FAILED, the previous index keeps answering
        write_corpus(docs, 3)
        running_sync(restarted)
        assert kill_ingestion_jobs(data) >= 2
        rag = wait(restarted, "rags/kb", lambda r: r["status"] in ("ACTIVE", "UPDATE FAILED"))
        assert rag["status"] == "UPDATE FAILED" and "previous index keeps answering" in rag["status_reason"]
        assert retrieve(restarted)["generation"] == second
        # the next sync discards the half-built generation and succeeds
        done = restarted.request("POST", "rags/kb/sync")
        rag = wait(restarted, "rags/kb", lambda r: r["status"] in ("ACTIVE", "UPDATE FAILED"))
        assert rag["status"] == "ACTIVE", rag["status_reason"]
        result = restarted.request("GET", f"rags/kb/ingestions/{done['id']}")["result"]
        assert result["files_changed"] == 6 and result["generation"] > second
        assert [g.endswith(f"gen-{result['generation']}") for g in generations(data)] == [True]
        restarted.request("DELETE", "rags/kb")
        wait(restarted, "rags/kb", lambda r: r.get("http_status") == 404, timeout=60)
    finally:
        restarted.stop()
        for pid in query_pids:
            if psutil.pid_exists(pid):
                os.killpg(pid, signal.SIGKILL)

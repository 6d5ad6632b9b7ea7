"""The ingestion job's code on its own: the guide's limits checked before any
file is read, the per-file outcomes of the real documents, and what a sync
re-embeds (nothing for an unchanged corpus, one file's chunks for one change,
everything for a new chunk size), on the embedded faiss store."""
from __future__ import annotations

import json
import os
import shutil

import pytest

from jupyter_easymaker.runtime.rag import ingest

DOCS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "rag-docs")


def config(tmp_path, size=1500, overlap=100):
    return {"rag_id": "t", "store": {"type": "faiss"}, "store_root": str(tmp_path / "store"),
            "chunking": {"size": size, "overlap": overlap}, "embedding": {"model": "all-MiniLM-L6-v2"}}


def test_the_limits_are_checked_before_reading(tmp_path, monkeypatch):
    docs = [ingest.Document(f"{n}.txt", "/nowhere", 1, 0) for n in range(ingest.MAX_FILES + 1)]
    with pytest.raises(ingest.LimitExceeded, match="at most 1,000,000 files"):
        ingest.check_limits(docs)
    with pytest.raises(ingest.LimitExceeded, match="at most 100 GB"):
        ingest.check_limits([ingest.Document("big.pdf", "/nowhere", 60 * 1024**3, 0)] * 2)
    folder = tmp_path / "docs"
    folder.mkdir()
    for n in range(3):
        (folder / f"{n}.txt").write_text("text")
    monkeypatch.setattr(ingest, "MAX_FILES", 2)
    with pytest.raises(ingest.LimitExceeded, match="more than 2 files"):
        ingest.run(config(tmp_path), str(folder), str(tmp_path / "out"))
    assert not (tmp_path / "store").exists()  # nothing was written


def test_every_document_is_ingested_or_reported(tmp_path):
    folder = tmp_path / "docs"
    shutil.copytree(DOCS, folder)
    (folder / "SOURCES.md").unlink()
    (folder / "notes.rtf").write_text("{\\rtf1 not a supported type}")
    summary = ingest.run(config(tmp_path), str(folder), str(tmp_path / "out"))
    with open(tmp_path / "out" / "files.jsonl") as fh:
        outcomes = {o["path"]: o for o in map(json.loads, fh)}
    failed = {path: o["reason_code"] for path, o in outcomes.items() if o["outcome"] == "failed"}
    assert failed == {
        "pdf/loremipsum-flat.scanned.pdf": "image_only", "pdf/testOCR.scanned.pdf": "image_only",
        "pdf/password.encrypted.pdf": "encrypted", "pdf/crazyones-encrypted-256.encrypted.pdf": "encrypted",
        "docx/testWORD_protected_passtika.encrypted.docx": "encrypted", "xlsx/testEXCEL_protected_passtika.encrypted.xlsx": "encrypted",
        "xls/testEXCEL_protected_passtika.encrypted.xls": "encrypted", "pptx/testPPT_protected_passtika.encrypted.pptx": "encrypted",
        "docx/testWORD_truncated.corrupt.docx": "corrupt", "doc/badfile-01-bad-header.corrupt.doc": "corrupt",
        "txt/empty.txt": "empty", "notes.rtf": "unsupported_type",
    }
    assert all(outcomes[p]["reason"] for p in failed)
    added = [p for p, o in outcomes.items() if o["outcome"] == "added"]
    on_disk = sum(len(names) for _root, _dirs, names in os.walk(folder))
    assert len(added) == summary["files_added"] == on_disk - len(failed) == summary["files_total"] - len(failed)
    assert all(outcomes[p]["chunks"] > 0 for p in added)
    assert summary["chunks_embedded"] == summary["chunks_total"] == sum(outcomes[p]["chunks"] for p in added)

    # an unchanged corpus: nothing embedded, nothing published, failures reported again without reading them
    again = ingest.run(config(tmp_path), str(folder), str(tmp_path / "out2"))
    assert (again["chunks_embedded"], again["generation"], again["files_failed"]) == (0, summary["generation"], len(failed))
    assert again["files_unchanged"] == len(added)
    # one file changed: only its chunks are embedded
    with open(folder / "txt" / "fake-text.txt", "a") as fh:
        fh.write("\nPineapples grow on the island of Zanzibar.\n")
    one = ingest.run(config(tmp_path), str(folder), str(tmp_path / "out3"))
    with open(tmp_path / "out3" / "files.jsonl") as fh:
        changed = [o for o in map(json.loads, fh) if o["outcome"] == "changed"]
    assert [o["path"] for o in changed] == ["txt/fake-text.txt"] and one["chunks_embedded"] == changed[0]["chunks"]
    assert one["generation"] == summary["generation"] + 1 and one["chunks_total"] >= summary["chunks_total"]
    # another chunk size: everything again
    redone = ingest.run(config(tmp_path, size=3000, overlap=0), str(folder), str(tmp_path / "out4"))
    assert redone["reindexed"] and redone["chunks_embedded"] == redone["chunks_total"] < summary["chunks_total"]

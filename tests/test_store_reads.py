"""Reads of the SQLite store wait for no writer (``Database.reading`` / ``read``): a snapshot,
with writes refused by SQLite itself; the REST API answers GETs that way, and again as a
write when the read wrote after all."""
from __future__ import annotations

import sqlite3
import threading
import time

import pytest
from sqlalchemy import select, text

from jupyter_easymaker.core.db import Database, WriteInRead
from jupyter_easymaker.core.tables import LogRecord


@pytest.fixture
def db(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'store.db'}", migrate=False)
    LogRecord.__table__.create(database.engine)
    with database.session() as session:
        session.execute(text("CREATE TABLE t (x INTEGER)"))
        session.execute(text("INSERT INTO t VALUES (1)"))
    yield database
    database.close()


def count(db: Database) -> int:
    with db.read() as session:
        return session.execute(text("SELECT count(*) FROM t")).scalar()


def test_a_read_waits_for_no_writer_and_sees_the_last_commit(db):
    writing, done = threading.Event(), threading.Event()

    def writer():
        with db.session() as session:  # holds the write lock until done
            session.execute(text("INSERT INTO t VALUES (2)"))
            writing.set()
            done.wait(10)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert writing.wait(5)
        started = time.perf_counter()
        assert count(db) == 1  # the snapshot before the uncommitted insert
        assert time.perf_counter() - started < 1.0  # the busy timeout is 30 s: it did not wait
    finally:
        done.set()
        thread.join()
    assert count(db) == 2


def test_a_write_in_a_read_is_refused_and_reported_even_when_its_error_is_caught(db):
    with pytest.raises(WriteInRead):
        with db.reading():
            try:
                with db.session() as session:
                    session.execute(text("INSERT INTO t VALUES (3)"))
            except Exception:  # noqa: BLE001 - what a careless caller does: the refusal still surfaces
                pass
    with pytest.raises(WriteInRead):
        with db.read() as session:
            session.add(LogRecord(category="c", body="b"))  # the ORM's flush at commit is refused too
    assert count(db) == 1
    with db.session() as session:  # the pooled connection is writable again
        assert session.execute(text("PRAGMA query_only")).scalar() == 0
        session.execute(text("INSERT INTO t VALUES (4)"))
    assert count(db) == 2


def test_reading_inside_a_unit_of_work_keeps_it_a_write(db):
    with db.session() as outer:
        with db.reading(), db.session() as inner:  # joins the outer unit as a savepoint
            assert inner is outer
            inner.execute(text("INSERT INTO t VALUES (5)"))
    with db.reading():
        with db.reading(), db.session() as session:  # nested: one read
            assert session.execute(text("PRAGMA query_only")).scalar() == 1
    assert count(db) == 2


def test_a_write_that_drains_memory_first_writes_under_a_read(db):
    with db.reading():
        with db.write() as session:  # statistics taken out of memory: a refusal would lose them
            session.execute(text("INSERT INTO t VALUES (6)"))
        assert count(db) == 2  # and the read after it is a read again
        with db.session() as session:
            assert session.execute(text("PRAGMA query_only")).scalar() == 1
            with pytest.raises(RuntimeError, match="cannot open inside one that reads"):
                with db.write():
                    pass


def test_other_errors_of_a_read_pass_unchanged(db):
    with pytest.raises(KeyError):
        with db.read():
            raise KeyError("not the store's")
    assert count(db) == 1


async def test_the_rest_api_reads_while_another_process_holds_the_write_lock(api, jp_serverapp, easymaker_data):
    await api.post("experiments", {"name": "reads"}, expect=201)
    other = sqlite3.connect(easymaker_data / "easymaker.db", timeout=30, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # the inference gateway's log inserts do this, from their own process
    try:
        started = time.perf_counter()
        listed = await api.get("experiments", expect=200)
        assert [e["name"] for e in listed["items"]] == ["reads"]
        await api.get("experiments/reads", expect=200)
        assert time.perf_counter() - started < 2.0  # a write would have waited for the lock
    finally:
        other.execute("ROLLBACK")
        other.close()


async def test_a_get_that_writes_is_answered_again_as_a_write(api, jp_serverapp, monkeypatch):
    platform = jp_serverapp.web_app.settings["easymaker"]
    service = platform.service("experiments")
    plain_list = type(service).list
    calls = []

    def list_and_note(self, *args, **kwargs):  # a read that also writes (a status settled on the way)
        calls.append(1)
        with self.db.session() as session:
            session.add(LogRecord(category="test.read-write", body=f"call {len(calls)}", resource_id="experiments"))
        return plain_list(self, *args, **kwargs)

    monkeypatch.setattr(type(service), "list", list_and_note)
    listed = await api.get("experiments", expect=200)
    assert listed["items"] == []
    assert len(calls) == 2  # refused as a read, then run as a write
    with platform.db.session() as session:
        bodies = session.scalars(select(LogRecord.body).where(LogRecord.category == "test.read-write")).all()
    assert bodies == ["call 2"]  # the refused write left nothing

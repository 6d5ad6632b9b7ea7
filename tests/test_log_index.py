"""The log search's indexes caught up in batches (core/log_index.py, migration 0015):
records stored since the last catch-up are found, deletes and changes leave
nothing stale, concurrent catch-ups index each record once, a record whose
fields are not JSON does not stop the rest, and a store with records from
before the migration searches the same after it (and after going back)."""
from __future__ import annotations

import asyncio
import threading
import time
from datetime import timedelta

import pytest
from alembic import command
from sqlalchemy import delete, func, select, text, update

from jupyter_easymaker.core import log_index
from jupyter_easymaker.core.db import Database, _alembic_config
from jupyter_easymaker.core.log_index import FIELDS_TABLE, FTS_TABLE, STATE_TABLE, Keeper
from jupyter_easymaker.core.logs import LogService
from jupyter_easymaker.core.platform import Platform
from jupyter_easymaker.core.reconcile import Controller
from jupyter_easymaker.core.settings import Settings
from jupyter_easymaker.core.tables import LogRecord, utcnow

T, I = "easymaker.training", "easymaker.inference"


def add(db, body: str, resource_id: str = "s1", category: str = I, **fields) -> None:
    with db.session() as session:
        session.add(LogRecord(category=category, body=body, resource_id=resource_id, fields=fields))


def inference(db, n: int, *, start: int = 0) -> None:
    with db.session() as session:
        session.execute(LogRecord.__table__.insert(), [
            {"category": I, "body": f"POST /iris/v2/models/iris/infer 200 0.{i} ms", "resource_id": "s1",
             "fields": {"endpointId": "e1", "endpointStageId": "s1", "inferenceId": f"inf-{i}", "modelName": "iris"}}
            for i in range(start, start + n)])


def scalar(db, sql: str, *params):
    with db.engine.connect() as conn:
        return conn.exec_driver_sql(sql, params).scalar()


def consistent(db) -> None:
    """The full-text index holds exactly the bodies of the records (FTS5's own check) and the
    field table one row per searched field of each record."""
    with db.engine.begin() as conn:
        conn.exec_driver_sql(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rank) VALUES ('integrity-check', 1)")
    resource = "'trainingId', 'endpointId', 'endpointStageId', 'inferenceId'"
    expected = scalar(db, "SELECT count(*) FROM log_records r, json_each(r.fields) j WHERE json_valid(r.fields) "
                          f"AND j.key IN ({resource}, 'action', 'modelName') AND j.type = 'text' "
                          f"AND NOT (j.key IN ({resource}) AND j.value = r.resource_id)")
    assert scalar(db, f"SELECT count(*) FROM {FIELDS_TABLE}") == expected


@pytest.fixture
def logs(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'logs.db'}")
    service = LogService(db, Settings(data_dir=str(tmp_path)))
    yield service
    db.close()


def test_a_search_finds_records_stored_since_the_last_catch_up(logs):
    inference(logs.db, 10)
    assert logs.index.kept and logs.index.full_text
    assert logs.index.behind() == 10 and scalar(logs.db, f"SELECT count(*) FROM {FIELDS_TABLE}") == 0  # inserts index nothing
    assert [r["inferenceId"] for r in logs.search("inferenceId:inf-7")] == ["inf-7"]
    assert logs.index.behind() == 0
    # the resource's own id is found by resource_id: the field table keeps endpointId, inferenceId, modelName
    assert scalar(logs.db, f"SELECT count(*) FROM {FIELDS_TABLE}") == 30
    inference(logs.db, 5, start=10)
    assert len(logs.search("endpointStageId:s1")) == 15 and len(logs.search("endpointId:e1 AND infer")) == 15
    assert [r["inferenceId"] for r in logs.search("modelName:IR* inferenceId:inf-1*", newest_first=False)] == [
        "inf-1", *(f"inf-{i}" for i in range(10, 15))]
    assert [r["body"] for r in logs.records("s1", query="0.12")] == ["POST /iris/v2/models/iris/infer 200 0.12 ms"]
    consistent(logs.db)


def test_catch_up_goes_in_batches_and_a_limit_stops_it(logs, monkeypatch):
    monkeypatch.setattr(log_index, "BATCH", 4)
    inference(logs.db, 10)
    assert logs.index.catch_up(limit=6) == 6 and logs.index.behind() == 4
    assert scalar(logs.db, f"SELECT indexed_upto FROM {STATE_TABLE}") == 6
    assert logs.index.catch_up() == 4 and logs.index.catch_up() == 0
    consistent(logs.db)


def test_deletes_and_changes_leave_nothing_stale(logs):
    inference(logs.db, 6)
    logs.index.catch_up()
    inference(logs.db, 2, start=6)  # not indexed yet when they go
    with logs.db.session() as session:
        session.execute(delete(LogRecord).where(LogRecord.id.in_([1, 7])))
        session.execute(update(LogRecord).where(LogRecord.id == 2).values(body="changed body", fields={"inferenceId": "moved"}))
    assert logs.search("inferenceId:inf-0") == [] and logs.search("inferenceId:inf-1") == []
    assert [r["id"] for r in logs.search("inferenceId:moved")] == [2] == [r["id"] for r in logs.search('"changed body"')]
    assert [r["inferenceId"] for r in logs.search("inferenceId:inf-7")] == ["inf-7"]
    consistent(logs.db)


def test_the_ids_of_deleted_records_are_never_given_again(logs):
    """The newest records indexed, then deleted: new records get new ids, past the watermark
    (without AUTOINCREMENT SQLite gives the largest id + 1 again, and the index would pass over them)."""
    inference(logs.db, 5)
    logs.index.catch_up()
    with logs.db.session() as session:
        session.execute(delete(LogRecord).where(LogRecord.id >= 4))
    inference(logs.db, 2, start=5)
    assert sorted(r["id"] for r in logs.search("inferenceId:inf-5 OR inferenceId:inf-6")) == [6, 7]
    consistent(logs.db)


def test_retention_purges_indexed_and_unindexed_records(logs):
    old = utcnow() - timedelta(days=400)
    with logs.db.session() as session:
        session.add_all([LogRecord(category=T, body=f"old loss={i}", resource_id="t1", time=old, fields={"trainingId": "t9"})
                         for i in range(3)])
    logs.index.catch_up()
    with logs.db.session() as session:
        session.add(LogRecord(category=T, body="old, not indexed", resource_id="t1", time=old, fields={"trainingId": "t9"}))
    add(logs.db, "new loss=1", resource_id="t1", category=T, trainingId="t9")
    assert logs.purge_older_than_retention() == 4
    assert [r["body"] for r in logs.search("trainingId:t9")] == ["new loss=1"] == [r["body"] for r in logs.search("loss")]
    consistent(logs.db)


def test_concurrent_catch_ups_index_each_record_once(logs, tmp_path, monkeypatch):
    monkeypatch.setattr(log_index, "BATCH", 50)
    inference(logs.db, 2000)
    others = [LogService(Database(logs.db.engine.url.render_as_string(), migrate=False), logs.settings) for _ in range(3)]
    threads = [threading.Thread(target=service.index.catch_up) for service in (logs, *others)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert logs.index.behind() == 0
    consistent(logs.db)
    assert len(logs.search("modelName:iris", limit=1000)) == 1000


def test_a_record_whose_fields_are_not_json_does_not_stop_the_rest(logs):
    add(logs.db, "before")
    with logs.db.engine.begin() as conn:  # written around the product (the model writes JSON)
        conn.exec_driver_sql("INSERT INTO log_records (time, category, log_level, log_type, body, resource_id, fields) "
                             "VALUES ('2026-01-01 00:00:00.000000', 'x', 'INFO', 't', 'broken fields', 'r', '{not json')")
    add(logs.db, "after", inferenceId="i2")
    assert logs.index.catch_up() == 3
    assert scalar(logs.db, f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH 'broken'") == 2
    assert [r["body"] for r in logs.search("inferenceId:i2")] == ["after"]


def test_the_migration_keeps_what_0014_indexed_and_going_back_keeps_it_too(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    db = Database(url, migrate=False)
    config = _alembic_config(db.engine, [])
    command.upgrade(config, "0014")
    inference(db, 20)
    add(db, "epoch 3 loss=0.1", resource_id="t1", category=T, trainingId="t1", action="train")
    command.upgrade(config, "head")
    logs = LogService(db, Settings(data_dir=str(tmp_path)))
    assert logs.index.behind() == 0  # 0014's triggers indexed them: the watermark starts past them
    assert len(logs.search("endpointId:e1")) == 20 and [r["body"] for r in logs.search("action:train loss")] == ["epoch 3 loss=0.1"]
    consistent(db)
    inference(db, 5, start=20)  # not caught up when going back: the downgrade rebuilds the full-text index
    command.downgrade(config, "0014")
    with db.engine.connect() as conn:
        assert conn.execute(text(f"SELECT count(*) FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH 'infer'")).scalar() == 25
        assert conn.execute(select(func.count()).select_from(LogRecord).where(
            func.json_extract(LogRecord.fields, "$.inferenceId") == "inf-22")).scalar() == 1
        names = {n for (n,) in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE name LIKE 'log_record_fields%'")}
    assert names == set()
    db.close()


async def test_the_controller_keeps_the_index_caught_up(tmp_path):
    platform = Platform(Settings(data_dir=str(tmp_path / "data"), local_roots=[str(tmp_path)]), [])
    controller = Controller(platform)
    controller.log_index = Keeper(platform.logs.index, busy_percent=101.0)  # the host is never too busy here
    await controller.start()
    try:
        inference(platform.db, 50)  # as a gateway writes them, while the server runs
        deadline = time.monotonic() + 10
        while platform.logs.index.behind() and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        assert platform.logs.index.behind() == 0
        assert scalar(platform.db, f"SELECT indexed_upto FROM {STATE_TABLE}") == 50
    finally:
        await asyncio.wait_for(controller.stop(), timeout=5)


def test_the_servers_keeper_leaves_the_index_to_the_gateways_while_it_moves(logs):
    server = Keeper(logs.index, grace=0.3, busy_percent=101.0)
    gateway = Keeper(logs.index, busy_percent=101.0)
    inference(logs.db, 10)
    assert server.tick() == 0  # the first sight of the watermark
    assert gateway.tick() == 10
    inference(logs.db, 5, start=10)
    assert server.tick() == 0  # moved since: the gateway's keeper is at work
    time.sleep(0.35)
    assert server.tick() == 5  # behind, unmoved for the grace: it indexes
    inference(logs.db, 2, start=15)
    assert server.tick() == 0 and gateway.tick() == 2


def test_the_keeper_waits_while_the_cpus_are_busy_up_to_a_bound(logs):
    keeper = Keeper(logs.index, busy_percent=0.0, most_behind=30)  # any load is "busy"
    inference(logs.db, 20)
    assert keeper.tick() == 0 and keeper.waited == 1 and logs.index.behind() == 20
    assert len(logs.search("modelName:iris")) == 20  # a search does not wait for it
    inference(logs.db, 35, start=20)
    assert keeper.tick() == 35 and keeper.waited == 1  # too far behind: it indexes anyway
    quiet = Keeper(logs.index, busy_percent=101.0, most=10)
    inference(logs.db, 25, start=55)
    assert [quiet.tick() for _ in range(4)] == [10, 10, 5, 0]
    meter = Keeper(logs.index)
    assert meter.busy() == 0.0  # nothing to compare with yet
    sum(i * i for i in range(3_000_000))  # this process keeps a CPU busy a while
    assert 0.0 < meter.busy() <= 100.0


def test_time_terms_narrow_the_field_lookups_to_the_same_answers(logs):
    """The field table is read within the time window the query ANDs (or since/until give): the
    answers are those of the conditions themselves, also under NOT and OR."""
    base = utcnow() - timedelta(hours=10)
    with logs.db.session() as session:
        session.add_all([LogRecord(category=I, body=f"call {i}", resource_id="s1", time=base + timedelta(hours=i),
                                   fields={"inferenceId": f"inf-{i % 3}", "modelName": "iris" if i % 2 else "wine"})
                         for i in range(10)])
    records = {r["id"]: r for r in logs.search(None, limit=100)}
    hour = {r["id"]: int(r["body"].split()[1]) for r in records.values()}
    at = (base + timedelta(hours=4)).isoformat()
    till = (base + timedelta(hours=7)).isoformat()
    cases = {
        f"inferenceId:inf-1 AND time:>={at}": lambda r, h: r["inferenceId"] == "inf-1" and h >= 4,
        f"NOT inferenceId:inf-1 AND time:[{at} TO {till}]": lambda r, h: r["inferenceId"] != "inf-1" and 4 <= h <= 7,
        f"(inferenceId:inf-2 OR modelName:wine) AND time:<{till}": lambda r, h: (r["inferenceId"] == "inf-2" or r["modelName"] == "wine") and h < 7,
        f"time:>{at} (-modelName:iris OR inferenceId:inf-0)": lambda r, h: h > 4 and (r["modelName"] != "iris" or r["inferenceId"] == "inf-0"),
    }
    for query, wanted in cases.items():
        expected = sorted((i for i, r in records.items() if wanted(r, hour[i])), reverse=True)
        assert [r["id"] for r in logs.search(query, limit=100)] == expected, query
    since, until = base + timedelta(hours=2), base + timedelta(hours=5)
    found = logs.search("modelName:iris", since=since, until=until, limit=100)
    assert sorted(hour[r["id"]] for r in found) == [3, 5]

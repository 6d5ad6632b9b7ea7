"""A gateway's request log records stored as batches and made records later (core/log_batches.py):
nothing is missed by a query, each record is made once whoever makes it and whatever fails,
and the keepers leave the work to a quiet host or to the gateway that stores the batches."""
from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from jupyter_easymaker.catalogs.handoff import new_inference_id
from jupyter_easymaker.core import log_batches
from jupyter_easymaker.core.db import Database
from jupyter_easymaker.core.log_buffer import LogBuffer
from jupyter_easymaker.core.log_index import Keeper
from jupyter_easymaker.core.logs import LogService
from jupyter_easymaker.core.settings import Settings
from jupyter_easymaker.core.tables import LogBatch, LogRecord, utcnow

HEADER = log_batches.header(
    category="easymaker.inference", log_type="jupyter-easymaker", resource_id="stage-1", path_prefix="/iris",
    fields_head='{"endpointId": "ep-1", "endpointStageId": "stage-1", "inferenceId": ',
    fields_tail=', "action": "Endpoint.Model", "modelName": "iris", "status": ', fields_end=', "apiKeyId": "key-1"}')


@pytest.fixture
def logs(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'logs.db'}")
    yield LogService(db, Settings(data_dir=str(tmp_path), retention_days=1))
    db.close()


def buffer(db, most: int = 100_000) -> LogBuffer:
    return LogBuffer(db, category="easymaker.inference", log_type="jupyter-easymaker", most=most, source="gateway",
                     what="inference log records", action="Endpoint.Model")


def requests(n: int, *, status: int = 200) -> list[list]:
    now = time.time()
    return [[new_inference_id().decode(), "POST", "/v1/models/iris:predict", status, 0.25 + i / 1000, now + i / 1e4]
            for i in range(n)]


def stored(db) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(LogRecord))


def test_a_batch_is_stored_as_it_came_and_a_query_finds_its_records(logs):
    rows = requests(3) + requests(1, status=404) + requests(1, status=503)
    rows[0][0] = 'an "id" of the client\'s'
    logs_buffer = buffer(logs.db)
    logs_buffer.stage("k", HEADER, rows[:2])
    logs_buffer.stage("k", HEADER, rows[2:])  # one key: one batch
    assert len(logs_buffer) == 5
    logs_buffer.write()
    assert stored(logs.db) == 0 and log_batches.waiting(logs.db) == 5
    with logs.db.read() as session:
        assert session.scalar(select(func.count()).select_from(LogBatch)) == 1

    found = logs.search(None, newest_first=False)  # a query makes them records first
    assert log_batches.waiting(logs.db) == 0
    assert [r["logLevel"] for r in found] == ["INFO"] * 3 + ["WARNING", "ERROR"]
    first = found[0]
    assert first["body"] == "POST /iris/v1/models/iris:predict 200 0.2 ms"  # 0.25 rounds to even
    assert {k: first[k] for k in ("category", "logType", "resourceId", "endpointId", "endpointStageId", "inferenceId",
                                  "action", "modelName", "status", "latencyMs", "apiKeyId")} == {
        "category": "easymaker.inference", "logType": "jupyter-easymaker", "resourceId": "stage-1", "endpointId": "ep-1",
        "endpointStageId": "stage-1", "inferenceId": 'an "id" of the client\'s', "action": "Endpoint.Model",
        "modelName": "iris", "status": 200, "latencyMs": 0.25, "apiKeyId": "key-1"}
    assert first["time"].startswith(time.strftime("%Y-%m-%d", time.gmtime(rows[0][5])))
    # and the search's terms find them, through the index made after them
    assert [r["inferenceId"] for r in logs.search(f'inferenceId:"{rows[3][0]}"')] == [rows[3][0]]
    assert len(logs.search("modelName:iris AND logLevel:ERROR")) == 1


def test_requests_past_the_bound_are_counted_and_told(logs):
    logs_buffer = buffer(logs.db, most=4)
    logs_buffer.stage("k", HEADER, requests(3))
    logs_buffer.stage("k2", HEADER, requests(3))  # one fits
    logs_buffer.write()
    bodies = [r["body"] for r in logs.search(None, newest_first=False)]
    assert len(bodies) == 5 and bodies.count("2 inference log records were dropped (more than 4 per flush)") == 1


def test_concurrent_makers_make_each_record_once(logs):
    logs_buffer = buffer(logs.db)
    for i in range(40):
        logs_buffer.stage(i, HEADER, requests(500))
        if i % 4 == 3:
            logs_buffer.write()  # ten flushes of four batches
    made, errors = [], []

    def maker():
        try:
            made.append(log_batches.make_records(logs.db))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=maker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sum(made) == stored(logs.db) == 20_000
    with logs.db.read() as session:
        ids = session.scalars(select(LogRecord.fields["inferenceId"].as_string())).all()
    assert len(set(ids)) == 20_000


def test_a_maker_that_fails_midway_leaves_the_batch_whole(logs, monkeypatch):
    logs_buffer = buffer(logs.db)
    logs_buffer.stage("k", HEADER, requests(30_000))  # more than one statement of records
    logs_buffer.write()
    calls = []
    real = log_batches.insert_records

    def fails_on_the_second(session, rows, **kwargs):
        calls.append(len(rows))
        real(session, rows[:100], **kwargs)  # some rows were inserted when it failed
        raise OSError("disk full")

    monkeypatch.setattr(log_batches, "insert_records", fails_on_the_second)
    with pytest.raises(OSError):
        log_batches.make_records(logs.db)
    assert stored(logs.db) == 0 and log_batches.waiting(logs.db) == 30_000  # nothing half made
    monkeypatch.undo()
    assert log_batches.make_records(logs.db) == 30_000 == stored(logs.db)


def test_a_limit_stops_at_whole_batches(logs):
    logs_buffer = buffer(logs.db)
    for i in range(5):
        logs_buffer.stage(i, HEADER, requests(10))
    logs_buffer.write()
    assert log_batches.make_records(logs.db, limit=25) == 30  # three batches: the third passes the limit
    assert log_batches.make_records(logs.db, limit=1) == 10
    assert log_batches.make_records(logs.db) == 10 and log_batches.waiting(logs.db) == 0


def test_the_keepers_leave_the_batches_to_a_quiet_host_and_to_their_gateway(logs):
    logs_buffer = buffer(logs.db)
    busy = Keeper(logs.index, busy_percent=0.0, most_behind=100)  # any load is "busy"
    logs_buffer.stage("k", HEADER, requests(40))
    logs_buffer.write()
    assert busy.tick() == 0 and busy.waited == 1 and log_batches.waiting(logs.db) == 40
    logs_buffer.stage("k", HEADER, requests(70))
    logs_buffer.write()
    assert busy.tick() == 2 * 110 and stored(logs.db) == 110  # too many wait: made and indexed anyway

    server = Keeper(logs.index, grace=0.3, busy_percent=101.0)
    logs_buffer.stage("k", HEADER, requests(5))
    logs_buffer.write()
    assert server.tick() == 0  # the first sight
    time.sleep(0.2)
    logs_buffer.stage("k", HEADER, requests(5))
    logs_buffer.write()
    time.sleep(0.2)
    assert server.tick() == 0  # more wait than before: a gateway stores them, and catches up itself
    time.sleep(0.35)
    assert server.tick() == 20  # nothing moved for the grace (the gateway stopped): this server steps in
    assert stored(logs.db) == 120 and log_batches.waiting(logs.db) == 0


def test_retention_takes_the_batches_past_it(logs):
    logs_buffer = buffer(logs.db)
    logs_buffer.stage("old", HEADER, requests(3))
    logs_buffer.write()
    with logs.db.write() as session:
        session.execute(update(LogBatch).values(time=utcnow() - timedelta(days=2)))
    logs_buffer.stage("new", HEADER, requests(2))
    logs_buffer.write()
    logs.purge_older_than_retention()
    assert log_batches.waiting(logs.db) == 2
    assert len(logs.search(None)) == 2 == stored(logs.db)

"""The gateways' log records in memory until a flush (core/log_buffer.py): stored as the
model stores times, found by the log search, bounded with the dropped ones told."""
from __future__ import annotations

import json
import random
import time
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from jupyter_easymaker.core.db import Database
from jupyter_easymaker.core.log_buffer import LogBuffer, StoredTime, level_of
from jupyter_easymaker.core.logs import LogService
from jupyter_easymaker.core.settings import Settings
from jupyter_easymaker.core.tables import LogRecord


@pytest.fixture
def db(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'logs.db'}")
    yield database
    database.close()


def buffer(db, most: int = 100) -> LogBuffer:
    return LogBuffer(db, category="easymaker.inference", log_type="jupyter-easymaker", most=most, source="gateway",
                     what="inference log records", action="Endpoint.Model")


def test_times_are_stored_as_the_model_stores_them(db):
    at = datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=timezone.utc)
    logs = buffer(db)
    logs.add([(at.timestamp(), "INFO", "through the buffer", "s1", "{}")])
    logs.write()
    with db.session() as session:
        session.add(LogRecord(time=at, category="easymaker.inference", body="through the model", resource_id="s1"))
    with db.engine.connect() as conn:
        stored = [t for (t,) in conn.exec_driver_sql("SELECT time FROM log_records ORDER BY id")]
    assert stored[0] == stored[1] == "2026-03-04 05:06:07.890123"
    with db.session() as session:
        assert session.scalars(select(LogRecord.time)).all() == [at, at]
    assert StoredTime()(at.replace(microsecond=0).timestamp()) == "2026-03-04 05:06:07.000000"
    stored_time, rng = StoredTime(), random.Random(7)
    # the same microsecond as datetime's (half to even), also at halves and across seconds
    for at in [rng.uniform(1.7e9, 1.8e9) for _ in range(3000)] + [1.7e9 + i / 2e6 for i in range(1999990, 2000010)]:
        assert stored_time(at) == datetime.fromtimestamp(at, timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f"), at


def test_records_past_the_bound_are_counted_and_told_in_one_warning(db, tmp_path):
    logs = buffer(db, most=3)
    now = time.time()
    logs.add([(now, level_of(status), f"POST /x {status}", "s1", json.dumps({"inferenceId": f"i{status}"}))
              for status in (200, 404, 503, 200, 200)])
    logs.drop(2)  # lost by a model server
    assert len(logs) == 3
    logs.write()
    found = LogService(db, Settings(data_dir=str(tmp_path))).search(None, newest_first=False)
    assert [(r["logLevel"], r["body"]) for r in found] == [
        ("INFO", "POST /x 200"), ("WARNING", "POST /x 404"), ("ERROR", "POST /x 503"),
        ("WARNING", "4 inference log records were dropped (more than 3 per flush)")]
    assert found[-1]["action"] == "Endpoint.Model" and found[-1]["resourceId"] == "gateway"
    assert [r["body"] for r in LogService(db, Settings(data_dir=str(tmp_path))).search("inferenceId:i503")] == ["POST /x 503"]
    logs.write()  # nothing kept, nothing dropped: nothing written
    assert len(LogService(db, Settings(data_dir=str(tmp_path))).search(None)) == 4

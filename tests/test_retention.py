"""What jobs leave behind falls under one retention (``retention_days``, 120 by
default): log records, metric points, resource samples and the TensorBoard
event files under the data directory; a TensorBoard run still being written
keeps all its files."""
from __future__ import annotations

import os
import time
from datetime import timedelta

from jupyter_easymaker.core.db import Database
from jupyter_easymaker.core.logs import LogService
from jupyter_easymaker.core.settings import Settings
from jupyter_easymaker.core.tables import LogRecord, MetricPoint, ResourceSample, utcnow

DAY = 86400.0


def event_file(folder: str, name: str, days_ago: float) -> str:
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, name)
    with open(path, "wb") as fh:
        fh.write(b"\x00" * 16)
    when = time.time() - days_ago * DAY
    os.utime(path, (when, when))
    return path


def test_metric_points_and_tensorboard_event_files_share_the_log_retention(tmp_path):
    settings = Settings(data_dir=str(tmp_path))
    assert settings.retention_days == 120
    db = Database(settings.db_url)
    logs = LogService(db, settings)
    now = utcnow()
    with db.session() as session:
        for days, step in ((121, 0), (119, 1)):
            at = now - timedelta(days=days)
            session.add(LogRecord(category="easymaker.training", body=f"loss={step}", resource_id="r", time=at))
            session.add(MetricPoint(resource_id="r", name="loss", step=step, value=float(step), time=at))
            session.add(ResourceSample(resource_id="r", cpu_percent=1.0, memory_bytes=1, time=at))

    runs = os.path.join(settings.data_dir, "tensorboard", "experiment-1")
    old = [event_file(os.path.join(runs, "old"), "events.out.tfevents.1.host.1.0", 130),
           event_file(os.path.join(runs, "old", "validation"), "events.out.tfevents.1.host.1.1", 125)]
    kept_beside = event_file(os.path.join(runs, "old-with-config"), "projector_config.pbtxt", 300)
    old.append(event_file(os.path.join(runs, "old-with-config"), "events.out.tfevents.2.host.2.0", 300))
    # a long run still being written: its first file is old, its current one new
    live = [event_file(os.path.join(runs, "live"), "events.out.tfevents.3.host.3.0", 200),
            event_file(os.path.join(runs, "live"), "events.out.tfevents.4.host.3.1", 0)]
    recent = event_file(os.path.join(runs, "recent"), "events.out.tfevents.5.host.5.0", 119)
    elsewhere = event_file(os.path.join(str(tmp_path), "outside", "run"), "events.out.tfevents.6.host.6.0", 400)

    assert logs.purge_older_than_retention() == 1 + 1 + len(old)  # a log record, a metric point, the event files

    assert [r["body"] for r in logs.records("r")] == ["loss=1"]
    assert logs.metrics("r") == [{"name": "loss", "steps": [1], "values": [1.0], "last": 1.0}]
    assert len(logs.samples("r")) == 1
    assert not any(os.path.exists(p) for p in old)
    assert not os.path.exists(os.path.join(runs, "old"))  # emptied run folders go
    assert os.path.exists(kept_beside)  # what is not an event file stays, and its folder with it
    assert all(os.path.exists(p) for p in (*live, recent, elsewhere))

    assert logs.purge_older_than_retention() == 0  # nothing left to remove


def test_purging_without_tensorboard_folder_or_old_rows(tmp_path):
    settings = Settings(data_dir=str(tmp_path), retention_days=1)
    logs = LogService(Database(settings.db_url), settings)
    assert logs.purge_older_than_retention() == 0


def test_purged_log_records_leave_the_full_text_index(tmp_path):
    settings = Settings(data_dir=str(tmp_path))
    db = Database(settings.db_url)
    logs = LogService(db, settings)
    now = utcnow()
    with db.session() as session:
        session.add(LogRecord(category="easymaker.training", body="expired zebra line", resource_id="r", time=now - timedelta(days=121)))
        session.add(LogRecord(category="easymaker.training", body="kept zebra line", resource_id="r", time=now - timedelta(days=1)))
    assert logs.full_text
    assert len(logs.search("zebra")) == 2
    assert logs.purge_older_than_retention() == 1
    assert [r["body"] for r in logs.search("zebra")] == ["kept zebra line"] and logs.search("expired") == []
    with db.engine.connect() as conn:  # the index holds exactly the records left
        indexed = conn.exec_driver_sql("SELECT count(*) FROM log_records_fts WHERE log_records_fts MATCH 'zebra'").scalar()
        # FTS5 compares its index with the records themselves and raises "database disk image is malformed" on a difference
        conn.exec_driver_sql("INSERT INTO log_records_fts(log_records_fts, rank) VALUES ('integrity-check', 1)")
    assert indexed == 1

"""The schema: migrations match the tables, upgrades keep data, start-up is light."""
from __future__ import annotations

import subprocess
import sys

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from jupyter_easymaker.api import load_tables
from jupyter_easymaker.core.log_index import TABLES as LOG_INDEX_TABLES
from jupyter_easymaker.core.db import Database, current_revision, head_revision
from jupyter_easymaker.core.tables import Base


def test_migrations_create_exactly_the_tables(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'a.db'}")
    load_tables()
    with db.engine.connect() as conn:
        # the log search's index tables (and FTS5's shadow tables) are SQLite's own, not the model's
        own = {"include_name": lambda name, kind, _parent: not (kind == "table" and name.startswith(LOG_INDEX_TABLES))}
        diff = compare_metadata(MigrationContext.configure(conn, opts=own), Base.metadata)
    assert diff == [], diff
    assert current_revision(db.engine) == head_revision()


def test_reopening_keeps_data_and_skips_alembic(tmp_path):
    url = f"sqlite:///{tmp_path / 'b.db'}"
    db = Database(url)
    with db.engine.begin() as conn:
        conn.execute(text("INSERT INTO experiments (id, name, description, status, status_reason, created_at, updated_at) "
                          "VALUES ('x', 'kept', '', 'ACTIVE', '', '2026-01-01', '2026-01-01')"))
    db.close()
    probe = "import sys; from jupyter_easymaker.core.db import Database; Database(sys.argv[1]); print('alembic' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", probe, url], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "False", "an up-to-date store must open without importing Alembic"
    with Database(url).engine.connect() as conn:
        assert conn.execute(text("SELECT name FROM experiments")).scalar() == "kept"


def test_sqlite_runs_in_wal_mode(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'c.db'}")
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"


def test_loading_the_extension_imports_nothing_heavy():
    probe = (
        "import sys, time; t = time.perf_counter();"
        "from jupyter_easymaker import extension, areas, api; import jupyter_easymaker.core.platform, jupyter_easymaker.core.reconcile,"
        " jupyter_easymaker.backend.jobs.local; api.routes(); api.load_tables();"
        " [a.module('service') for a in areas.AREAS if a.service];"
        "heavy = [m for m in ('torch', 'sklearn', 'tensorboard', 'kubernetes', 'pandas', 'optuna', 'numpy') if m in sys.modules];"
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]", out


def test_logs_past_retention_are_purged(tmp_path):
    from datetime import timedelta

    from jupyter_easymaker.core.logs import LogService
    from jupyter_easymaker.core.settings import Settings
    from jupyter_easymaker.core.tables import LogRecord, utcnow

    settings = Settings(data_dir=str(tmp_path))
    db = Database(settings.db_url)
    logs = LogService(db, settings)
    with db.session() as session:
        session.add(LogRecord(category="easymaker.training", body="old", resource_id="r", time=utcnow() - timedelta(days=121)))
        session.add(LogRecord(category="easymaker.training", body="new", resource_id="r", time=utcnow() - timedelta(days=119)))
    assert logs.purge_older_than_retention() == 1
    assert [r["body"] for r in logs.records("r")] == ["new"]

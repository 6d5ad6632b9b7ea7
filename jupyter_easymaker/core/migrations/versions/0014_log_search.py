"""log search: indexes for the typical searches and, on SQLite, a full-text
index of the log bodies (FTS5, external content kept in step by triggers)

Revision ID: 0014
Revises: 0011
Create Date: 2026-12-05
"""
from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

# the fields of a record's JSON that searches name (core/log_query.py RESOURCE_FIELDS, DETAIL_FIELDS)
JSON_FIELDS = ("trainingId", "hyperparameterTuningId", "endpointId", "endpointStageId", "inferenceId", "batchInferenceId",
               "action", "modelName")
FTS_TRIGGERS = {
    "log_records_fts_insert": "AFTER INSERT ON log_records BEGIN "
    "INSERT INTO log_records_fts(rowid, body) VALUES (new.id, new.body); END",
    "log_records_fts_delete": "AFTER DELETE ON log_records BEGIN "
    "INSERT INTO log_records_fts(log_records_fts, rowid, body) VALUES ('delete', old.id, old.body); END",
    "log_records_fts_update": "AFTER UPDATE OF body ON log_records BEGIN "
    "INSERT INTO log_records_fts(log_records_fts, rowid, body) VALUES ('delete', old.id, old.body); "
    "INSERT INTO log_records_fts(rowid, body) VALUES (new.id, new.body); END",
}


def _fts5_available(conn) -> bool:
    try:
        conn.exec_driver_sql("CREATE VIRTUAL TABLE temp.easymaker_fts5_probe USING fts5(x)")
    except Exception:  # noqa: BLE001 - SQLite built without FTS5: searches fall back to LIKE
        return False
    conn.exec_driver_sql("DROP TABLE temp.easymaker_fts5_probe")
    return True


def upgrade() -> None:
    # category + level (+ time range) searches, newest first within them
    op.create_index("ix_log_records_category_level_time", "log_records", ["category", "log_level", "time"])
    conn = op.get_bind()
    if conn.dialect.name != "sqlite":
        return
    for name in JSON_FIELDS:
        # partial: most records carry none of these, and `json_extract(...) = ?` implies NOT NULL;
        # with the time, so that a window of one resource's records is a range of the index
        conn.exec_driver_sql(
            f"CREATE INDEX ix_log_records_f_{name} ON log_records (json_extract(fields, '$.{name}'), time) "
            f"WHERE json_extract(fields, '$.{name}') IS NOT NULL"
        )
    if not _fts5_available(conn):
        return
    conn.exec_driver_sql(
        "CREATE VIRTUAL TABLE log_records_fts USING fts5(body, content='log_records', content_rowid='id', "
        "tokenize='unicode61 remove_diacritics 2')"
    )
    for name, body in FTS_TRIGGERS.items():
        conn.exec_driver_sql(f"CREATE TRIGGER {name} {body}")
    conn.exec_driver_sql("INSERT INTO log_records_fts(log_records_fts) VALUES ('rebuild')")  # the records stored so far


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        for name in FTS_TRIGGERS:
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
        conn.exec_driver_sql("DROP TABLE IF EXISTS log_records_fts")
        for name in JSON_FIELDS:
            conn.exec_driver_sql(f"DROP INDEX IF EXISTS ix_log_records_f_{name}")
    op.drop_index("ix_log_records_category_level_time", table_name="log_records")

"""log search indexes caught up in batches: on SQLite the full-text index of the
bodies and a table of the searched fields' values are filled from a watermark
(core/log_index.py) instead of by a trigger and eight JSON expression indexes
on every insert; log record ids become AUTOINCREMENT there (the table is
copied once), so that an id is never given twice: a watermark past the
newest records, which were then deleted, must not pass over new ones

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06
"""
from __future__ import annotations

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

# as in 0014 (and core/log_query.py RESOURCE_FIELDS, DETAIL_FIELDS when this was written)
RESOURCE_FIELDS = ("trainingId", "hyperparameterTuningId", "endpointId", "endpointStageId", "inferenceId", "batchInferenceId")
DETAIL_FIELDS = ("action", "modelName")
OLD_FTS_TRIGGERS = ("log_records_fts_insert", "log_records_fts_delete", "log_records_fts_update")
INDEXED = "old.id <= (SELECT indexed_upto FROM log_index_state)"


def _quoted(names) -> str:
    return ", ".join(f"'{n}'" for n in names)


def _field_rows(record: str, source: str = "") -> str:
    """The rows of log_record_fields for the record ``record`` (``new`` or ``old`` in a trigger;
    each of ``source``'s records): each searched field with a text value, except a resource id that
    is the record's own (the search finds those by the record's resource_id)."""
    return (f"SELECT key, value, {record}.time, {record}.id FROM {source}json_each(CASE WHEN json_valid({record}.fields) "
            f"THEN {record}.fields ELSE '{{}}' END) WHERE type = 'text' "
            f"AND key IN ({_quoted(RESOURCE_FIELDS + DETAIL_FIELDS)}) "
            f"AND NOT (key IN ({_quoted(RESOURCE_FIELDS)}) AND value = {record}.resource_id)")


def _triggers(fts: bool) -> dict[str, str]:
    """A record already indexed that is deleted or changed leaves or changes its index entries
    (records past the watermark are not in the index yet: the catch-up indexes them as they are)."""
    fts_delete = "INSERT INTO log_records_fts(log_records_fts, rowid, body) VALUES ('delete', old.id, old.body); " if fts else ""
    fts_insert = "INSERT INTO log_records_fts(rowid, body) VALUES (new.id, new.body); " if fts else ""
    fields_delete = f"DELETE FROM log_record_fields WHERE (name, value, time, record_id) IN ({_field_rows('old')}); "
    return {
        "log_records_index_delete": f"AFTER DELETE ON log_records WHEN {INDEXED} BEGIN {fts_delete}{fields_delete}END",
        "log_records_index_update": f"AFTER UPDATE OF body, fields, resource_id, time ON log_records WHEN {INDEXED} BEGIN "
        f"{fts_delete}{fts_insert}{fields_delete}"
        f"INSERT OR IGNORE INTO log_record_fields (name, value, time, record_id) {_field_rows('new')}; END",
    }


def _has_fts(conn) -> bool:
    return conn.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'log_records_fts'").first() is not None


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "sqlite":
        return
    for name in OLD_FTS_TRIGGERS:
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
    for name in RESOURCE_FIELDS + DETAIL_FIELDS:
        conn.exec_driver_sql(f"DROP INDEX IF EXISTS ix_log_records_f_{name}")
    # without AUTOINCREMENT a new record takes the largest id + 1, which reuses the ids of the newest
    # records once they are deleted; its sequence starts at the largest id copied
    with op.batch_alter_table("log_records", recreate="always", table_kwargs={"sqlite_autoincrement": True}):
        pass
    # one value's records by time: a search's time window is a range of the key
    conn.exec_driver_sql("CREATE TABLE log_record_fields (name TEXT NOT NULL, value TEXT NOT NULL, time DATETIME NOT NULL, "
                         "record_id INTEGER NOT NULL, PRIMARY KEY (name, value, time, record_id)) WITHOUT ROWID")
    conn.exec_driver_sql("CREATE TABLE log_index_state (id INTEGER PRIMARY KEY CHECK (id = 1), indexed_upto INTEGER NOT NULL)")
    # the records stored so far: their bodies are in the full-text index already (0014's triggers)
    upto = conn.exec_driver_sql("SELECT coalesce(max(id), 0) FROM log_records").scalar()
    conn.exec_driver_sql("INSERT INTO log_record_fields (name, value, time, record_id) "
                         + _field_rows("r", "log_records r, "))
    conn.exec_driver_sql("INSERT INTO log_index_state (id, indexed_upto) VALUES (1, ?)", (upto,))
    for name, body in _triggers(_has_fts(conn)).items():
        conn.exec_driver_sql(f"CREATE TRIGGER {name} {body}")


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        fts = _has_fts(conn)
        for name in _triggers(fts):
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
        conn.exec_driver_sql("DROP TABLE IF EXISTS log_record_fields")
        conn.exec_driver_sql("DROP TABLE IF EXISTS log_index_state")
        for name in RESOURCE_FIELDS + DETAIL_FIELDS:
            conn.exec_driver_sql(
                f"CREATE INDEX ix_log_records_f_{name} ON log_records (json_extract(fields, '$.{name}'), time) "
                f"WHERE json_extract(fields, '$.{name}') IS NOT NULL")
        if fts:
            conn.exec_driver_sql(
                "CREATE TRIGGER log_records_fts_insert AFTER INSERT ON log_records BEGIN "
                "INSERT INTO log_records_fts(rowid, body) VALUES (new.id, new.body); END")
            conn.exec_driver_sql(
                "CREATE TRIGGER log_records_fts_delete AFTER DELETE ON log_records BEGIN "
                "INSERT INTO log_records_fts(log_records_fts, rowid, body) VALUES ('delete', old.id, old.body); END")
            conn.exec_driver_sql(
                "CREATE TRIGGER log_records_fts_update AFTER UPDATE OF body ON log_records BEGIN "
                "INSERT INTO log_records_fts(log_records_fts, rowid, body) VALUES ('delete', old.id, old.body); "
                "INSERT INTO log_records_fts(rowid, body) VALUES (new.id, new.body); END")
            conn.exec_driver_sql("INSERT INTO log_records_fts(log_records_fts) VALUES ('rebuild')")  # the records not caught up

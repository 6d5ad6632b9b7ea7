"""The log search's indexes on SQLite, caught up in batches.

Log records are written as they come (an inference gateway's requests are
stored in batches first, and made records by the same catch-up:
core/log_batches.py). Indexing each one as it was inserted (a full-text
trigger and an expression index per searched field, which parsed the
record's JSON each time) made the insert, for which a gateway's flush holds the store's write
lock, two and a half times as long (four times with random inference ids).
So inserts touch only the record's table, and the indexes follow a
watermark, ``indexed_upto``: the records past it are indexed in batches of
:data:`BATCH` by one ``INSERT ... SELECT`` each into the full-text table
(``log_records_fts``) and the table of the searched fields' values
(``log_record_fields``: name, value, time, record id). That costs about what
the per-insert indexing cost, but out of the writers' way and when a
:class:`Keeper` chooses: the inference gateway's process for what it writes,
at the serving processes' CPU priority, the Jupyter server's controller for
the rest, both waiting while the host's CPUs are busy. A search with terms
catches up first, so it never misses a record stored before it began.
Triggers (migration 0015) keep the entries of indexed records that are
deleted or changed.

Record ids grow in commit order (SQLite has one writer at a time, and the
table is AUTOINCREMENT: an id is never given twice), so every record at or
below the watermark is indexed and none above it is. A batch reads the
watermark inside its write transaction, so catch-ups in several threads or
processes never index a record twice.
"""
from __future__ import annotations

import threading
import time

from sqlalchemy.exc import OperationalError

from jupyter_easymaker.core import log_batches
from jupyter_easymaker.core.log_query import DETAIL_FIELDS, FIELDS_TABLE, FTS_TABLE, RESOURCE_FIELDS

STATE_TABLE = "log_index_state"
TABLES = (FTS_TABLE, FIELDS_TABLE, STATE_TABLE)  # SQLite's own, not the model's (FTS5 adds shadow tables)
BATCH = 2000  # records per transaction: the store's write lock is held a few ms at a time

def _names(names) -> str:
    """SQL string literals of the field names (the known names, never user text)."""
    return ", ".join(f"'{n}'" for n in names)


# each searched field with a text value, except a resource id that is the record's own
# (the search finds those by the record's resource_id)
def _field_rows(fields: str) -> str:
    return (
        f"INSERT OR IGNORE INTO {FIELDS_TABLE} (name, value, time, record_id) "  # a key twice in one JSON object: once
        f"SELECT j.key, j.value, r.time, r.id FROM log_records r, json_each({fields}) j "
        f"WHERE r.id > ? AND r.id <= ? AND j.type = 'text' AND j.key IN ({_names(RESOURCE_FIELDS + DETAIL_FIELDS)}) "
        f"AND NOT (j.key IN ({_names(RESOURCE_FIELDS)}) AND j.value = r.resource_id)"
    )


# the product writes fields as JSON, so each is parsed once (json_valid would parse it a second time);
# a batch with a record written around the product whose fields are not JSON is done again, checked:
# such fields give no rows
FIELD_ROWS = _field_rows("r.fields")
FIELD_ROWS_CHECKED = _field_rows("CASE WHEN json_valid(r.fields) THEN r.fields ELSE '{}' END")
BODIES = f"INSERT INTO {FTS_TABLE} (rowid, body) SELECT id, body FROM log_records WHERE id > ? AND id <= ?"


class LogIndex:
    """The watermark and its catch-up (a no-op on stores other than SQLite: they search the records themselves)."""

    def __init__(self, db):
        self.db = db
        self._tables: set[str] | None = None
        self._lock = threading.Lock()  # one catch-up at a time in this process (others wait for the store's lock)

    @property
    def tables(self) -> set[str]:
        """Which of the index's tables this store has (none but on SQLite; no FTS5: no full-text table)."""
        if self._tables is None:
            if self.db.engine.dialect.name != "sqlite":
                self._tables = set()
            else:
                with self.db.engine.connect() as conn:
                    self._tables = {name for (name,) in conn.exec_driver_sql(
                        "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN (?, ?, ?)", TABLES)}
        return self._tables

    @property
    def kept(self) -> bool:
        """Whether this store keeps the index by catching up."""
        return STATE_TABLE in self.tables

    @property
    def full_text(self) -> bool:
        return FTS_TABLE in self.tables

    def position(self) -> tuple[int, int]:
        """The watermark and the newest record's id."""
        if not self.kept:
            return 0, 0
        with self.db.read() as session:
            conn = session.connection()
            upto = conn.exec_driver_sql(f"SELECT indexed_upto FROM {STATE_TABLE}").scalar() or 0
            return upto, conn.exec_driver_sql("SELECT max(id) FROM log_records").scalar() or 0

    def behind(self) -> int:
        """Records stored but not indexed yet (ids past the watermark: deleted ones count too)."""
        upto, newest = self.position()
        return max(0, newest - upto)

    def catch_up(self, *, limit: int | None = None, index: bool = True) -> int:
        """Make the gateways' stored request batches log records (core/log_batches.py, every store),
        then, with ``index``, index the records past the watermark, :data:`BATCH` per transaction (at
        most about ``limit`` of each; None: all there are when each step begins). The number of
        records made and indexed."""
        made = log_batches.make_records(self.db, limit=limit)
        if not index or not self.kept:
            return made
        done = 0
        with self._lock:
            while limit is None or done < limit:
                indexed = self._batch(BATCH if limit is None else min(BATCH, limit - done))
                if not indexed:
                    break
                done += indexed
        return made + done

    def _batch(self, size: int) -> int:
        # the common case, nothing to do, without the store's write lock
        with self.db.read() as session:
            conn = session.connection()
            upto = conn.exec_driver_sql(f"SELECT indexed_upto FROM {STATE_TABLE}").scalar() or 0
            if conn.exec_driver_sql("SELECT 1 FROM log_records WHERE id > ? LIMIT 1", (upto,)).first() is None:
                return 0
        with self.db.write() as session:
            conn = session.connection()
            upto = conn.exec_driver_sql(f"SELECT indexed_upto FROM {STATE_TABLE}").scalar() or 0  # under the lock
            last, count = conn.exec_driver_sql(
                "SELECT max(id), count(*) FROM (SELECT id FROM log_records WHERE id > ? ORDER BY id LIMIT ?)", (upto, size)).one()
            if not count:
                return 0
            if self.full_text:
                conn.exec_driver_sql(BODIES, (upto, last))
            try:
                with session.begin_nested():  # a failed statement undoes its own rows only
                    conn.exec_driver_sql(FIELD_ROWS, (upto, last))
            except OperationalError as exc:
                if "malformed JSON" not in str(exc):
                    raise
                conn.exec_driver_sql(FIELD_ROWS_CHECKED, (upto, last))
            conn.exec_driver_sql(f"UPDATE {STATE_TABLE} SET indexed_upto = ?", (last,))
            return count


class Keeper:
    """The background catch-up, one :meth:`tick` every few seconds: the gateways' request batches
    made records (core/log_batches.py), then the records indexed.

    Both compete with what the host serves for its CPUs (on a small host, an endpoint at full speed
    uses them all, and logs a request each time). So the inference gateway's process, which stores
    those batches and runs at the serving processes' CPU priority, catches up itself; the Jupyter
    server's controller (``grace``) steps in only where the log has been behind without moving for
    ``grace`` seconds (no gateway runs: a job's logs, or a gateway that stopped). And either waits
    while the CPUs were at least ``busy_percent`` busy since its last tick, unless ``most_behind``
    records wait (a search would then wait long: it catches up first). Half busy is busy: a host
    serving at full speed is 70-85% busy, and what waits is done when the load ends."""

    def __init__(self, index: LogIndex, *, grace: float = 0.0, busy_percent: float = 50.0,
                 most_behind: int = 1_000_000, most: int = 200_000):
        self.index = index
        self.grace = grace
        self.busy_percent = busy_percent
        self.most_behind = most_behind
        self.most = most  # records per tick: a tick after a long pause ends in seconds
        self.waited = 0  # ticks that waited for quieter CPUs
        self._cpu: tuple[float, float] | None = None
        self._seen: tuple[int, int] | None = None  # the watermark and the requests waiting last seen, and since when
        self._since = time.monotonic()

    def busy(self) -> float:
        """Percent of the host's CPU time not idle since the last call (0 at the first)."""
        import psutil  # lazy: only the keepers measure it

        times = psutil.cpu_times()
        idle, total = times.idle + getattr(times, "iowait", 0.0), sum(times)
        last, self._cpu = self._cpu, (idle, total)
        if last is None or total <= last[1]:
            return 0.0
        return 100.0 * (1.0 - (idle - last[0]) / (total - last[1]))

    def tick(self) -> int:
        """Catch up now, or leave it to another keeper or a quieter tick. The number of records made and indexed."""
        busy = self.busy()  # every tick: the measure is since the last one
        upto, newest = self.index.position()
        waiting = log_batches.waiting(self.index.db)
        if newest <= upto and not waiting:
            return 0
        if self.grace:
            now = time.monotonic()
            if (upto, waiting) != self._seen:  # another keeper moved it, or a gateway stores batches: its work
                self._seen, self._since = (upto, waiting), now
            if now - self._since < self.grace:
                return 0
        if busy >= self.busy_percent and newest - upto + waiting < self.most_behind:
            self.waited += 1
            return 0
        return self.index.catch_up(limit=self.most)

"""Log records of a gateway's requests, kept in memory until the next flush.

A gateway logs each request it serves (an endpoint's inference, a RAG's
question), thousands a second: nothing is written on the request's path.
What waits here, at most ``most`` records (the rest are counted, and one
WARNING record says how many went), is written by the gateway's flush:

- records (:meth:`LogBuffer.add`): on SQLite each batch is one multi-row
  INSERT of values converted before the transaction begins, so the store's
  write lock is held for C work only (a thread of a busy process waits for
  the GIL after each statement: one statement, one wait);
- request rows (:meth:`LogBuffer.stage`): stored as they came, one
  ``log_batches`` row per batch, and made records later
  (core/log_batches.py), out of a busy gateway's way.

The log search indexes records later (core/log_index.py).

A record is a tuple ``(epoch seconds, level, body, resource id, fields as
JSON text)``: the gateways write the JSON text from templates, so no dict
is built per request.
"""
from __future__ import annotations

import json
import math
import threading
import time
from datetime import datetime, timezone
from typing import Any

import orjson

from jupyter_easymaker.core.tables import LogBatch, LogRecord, utcnow

BATCH = 400  # records per statement (x 7 columns: under SQLite's 32766 variables)
ROWS_PER_BATCH = 2000  # requests per stored batch, made records in one transaction: the write lock held ~10 ms
COLUMNS = ("time", "category", "log_level", "log_type", "body", "resource_id", "fields")
Row = tuple[float, str, str, str, str]


def level_of(status: int) -> str:
    """The log level of an HTTP status."""
    return "INFO" if status < 400 else ("WARNING" if status < 500 else "ERROR")


class StoredTime:
    """Epoch seconds as the store's text of a UTC time (what the model's UTCDateTime stores on
    SQLite: ``YYYY-MM-DD HH:MM:SS.ffffff``); the date and time of day are made once per second."""

    def __init__(self):
        self._second = -1
        self._prefix = ""

    def __call__(self, at: float) -> str:
        fraction, whole = math.modf(at)  # to the nearest microsecond, as datetime.fromtimestamp rounds
        second, micro = int(whole), round(fraction * 1e6)
        if micro == 1_000_000:
            second, micro = second + 1, 0
        if second != self._second:
            self._second, self._prefix = second, time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(second))
        return f"{self._prefix}.{micro:06d}"


def insert_records(session: Any, rows: list[Row], *, category: str, log_type: str, stored_time: StoredTime) -> None:
    """``rows`` as log records, in ``session``'s transaction (several statements of :data:`BATCH`)."""
    if session.get_bind().dialect.name != "sqlite":
        # other stores: through the model's types (the JSON column takes the value, not its text)
        records = [{"time": datetime.fromtimestamp(at, timezone.utc), "category": category, "log_level": level,
                    "log_type": log_type, "body": body, "resource_id": resource_id, "fields": json.loads(fields)}
                   for at, level, body, resource_id, fields in rows]
        for start in range(0, len(records), BATCH):
            session.execute(LogRecord.__table__.insert(), records[start:start + BATCH])
        return
    row_sql = "(" + ", ".join("?" * len(COLUMNS)) + ")"
    head = f"INSERT INTO {LogRecord.__tablename__} ({', '.join(COLUMNS)}) VALUES "
    conn = session.connection()
    for start in range(0, len(rows), BATCH):
        batch = rows[start:start + BATCH]
        params: list[Any] = []
        for at, level, body, resource_id, fields in batch:
            params += (stored_time(at), category, level, log_type, body, resource_id, fields)
        conn.exec_driver_sql(head + ", ".join([row_sql] * len(batch)), tuple(params))


class LogBuffer:
    def __init__(self, db: Any, *, category: str, log_type: str, most: int, source: str, what: str, action: str):
        self.db = db
        self.category = category
        self.log_type = log_type
        self.most = most
        self.source = source  # the resource id of the record telling of dropped ones
        self.what = what  # "inference log records"
        self.action = action  # the guide's action field of the record telling of dropped ones
        self._rows: list[Row] = []
        self._staged: dict[Any, tuple[dict[str, Any], list[list]]] = {}  # key -> (header, request rows)
        self._count = 0  # records and request rows kept
        self._dropped = 0
        self._lock = threading.Lock()
        self._stored_time = StoredTime()

    def _room(self, count: int) -> int:
        """How many of ``count`` more fit (the rest are counted as dropped); under the lock."""
        room = min(count, max(0, self.most - self._count))
        self._dropped += count - room
        self._count += room
        return room

    def add(self, rows: list[Row]) -> None:
        """Keep ``rows`` for the next write, as many as there is room for (the rest are counted)."""
        with self._lock:
            room = self._room(len(rows))
            self._rows.extend(rows if room == len(rows) else rows[:room])

    def stage(self, key: Any, header: dict[str, Any], rows: list[list]) -> None:
        """Keep request ``rows`` for the next write, which stores them as one batch per ``key``
        with its ``header`` (core/log_batches.py says what both hold)."""
        with self._lock:
            room = self._room(len(rows))
            if not room:
                return
            kept = self._staged.get(key)
            if kept is None:
                kept = self._staged[key] = (header, [])
            kept[1].extend(rows if room == len(rows) else rows[:room])

    def drop(self, count: int) -> None:
        """Records lost before they got here (a model server that could not keep them)."""
        if count > 0:
            with self._lock:
                self._dropped += count

    def __len__(self) -> int:
        return self._count

    def write(self) -> None:
        """Store what is kept, and a record of how many were dropped since the last write."""
        with self._lock:
            rows, self._rows = self._rows, []
            staged, self._staged = self._staged, {}
            dropped, self._dropped = self._dropped, 0
            self._count = 0
        if staged:
            # one transaction: a flush's batches are a few rows however many requests they hold; a batch
            # holds at most what one transaction makes records of later (core/log_batches.py)
            now, batches = utcnow(), []
            for header, kept in staged.values():
                head = json.dumps(header)
                for start in range(0, len(kept), ROWS_PER_BATCH):
                    part = kept[start:start + ROWS_PER_BATCH]
                    batches.append({"time": now, "resource_id": header["resource_id"], "count": len(part),
                                    "header": head, "rows": orjson.dumps(part)})
            with self.db.write() as session:
                session.execute(LogBatch.__table__.insert(), batches)
        if dropped:
            rows.append((time.time(), "WARNING", f"{dropped} {self.what} were dropped (more than {self.most} per flush)",
                         self.source, json.dumps({"action": self.action})))
        for start in range(0, len(rows), BATCH):  # a transaction per statement: the write lock is held briefly
            with self.db.write() as session:
                insert_records(session, rows[start:start + BATCH], category=self.category, log_type=self.log_type,
                               stored_time=self._stored_time)

"""Log records of a gateway's requests, kept in memory until the next flush.

A gateway logs each request it serves (an endpoint's inference, a RAG's
question), thousands a second: nothing is written on the request's path.
Records wait here, at most ``most`` of them (the rest are counted, and one
WARNING record says how many went), until the gateway's flush writes them.
On SQLite each batch is one multi-row INSERT of values converted before the
transaction begins, so the store's write lock is held for C work only (a
thread of a busy process waits for the GIL after each statement: one
statement, one wait); the log search indexes them later (core/log_index.py).

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

from jupyter_easymaker.core.tables import LogRecord

BATCH = 400  # records per transaction (x 7 columns: under SQLite's 32766 variables)
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
        self._dropped = 0
        self._lock = threading.Lock()
        self._stored_time = StoredTime()

    def add(self, rows: list[Row]) -> None:
        """Keep ``rows`` for the next write, as many as there is room for (the rest are counted)."""
        with self._lock:
            room = max(0, self.most - len(self._rows))
            if room < len(rows):
                self._dropped += len(rows) - room
                rows = rows[:room]
            self._rows.extend(rows)

    def drop(self, count: int) -> None:
        """Records lost before they got here (a model server that could not keep them)."""
        if count > 0:
            with self._lock:
                self._dropped += count

    def __len__(self) -> int:
        return len(self._rows)

    def write(self) -> None:
        """Store what is kept, and a record of how many were dropped since the last write."""
        with self._lock:
            rows, self._rows = self._rows, []
            dropped, self._dropped = self._dropped, 0
        if dropped:
            rows.append((time.time(), "WARNING", f"{dropped} {self.what} were dropped (more than {self.most} per flush)",
                         self.source, json.dumps({"action": self.action})))
        if not rows:
            return
        if self.db.engine.dialect.name == "sqlite":
            self._insert_sqlite(rows)
        else:
            self._insert(rows)

    def _insert_sqlite(self, rows: list[Row]) -> None:
        stored_time, category, log_type = self._stored_time, self.category, self.log_type
        row_sql = "(" + ", ".join("?" * len(COLUMNS)) + ")"
        head = f"INSERT INTO {LogRecord.__tablename__} ({', '.join(COLUMNS)}) VALUES "
        for start in range(0, len(rows), BATCH):
            batch = rows[start:start + BATCH]
            params: list[Any] = []
            for at, level, body, resource_id, fields in batch:
                params += (stored_time(at), category, level, log_type, body, resource_id, fields)
            with self.db.write() as session:
                session.connection().exec_driver_sql(head + ", ".join([row_sql] * len(batch)), tuple(params))

    def _insert(self, rows: list[Row]) -> None:
        """Other stores: through the model's types (the JSON column takes the value, not its text)."""
        records = [{"time": datetime.fromtimestamp(at, timezone.utc), "category": self.category, "log_level": level,
                    "log_type": self.log_type, "body": body, "resource_id": resource_id, "fields": json.loads(fields)}
                   for at, level, body, resource_id, fields in rows]
        for start in range(0, len(records), BATCH):
            with self.db.write() as session:
                session.execute(LogRecord.__table__.insert(), records[start:start + BATCH])

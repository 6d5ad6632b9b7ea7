"""API statistics of what the gateway serves (endpoint stages, RAGs): calls,
successes, failures, latency.

The gateway adds each request to an in-memory minute bucket (no database
write on the hot path); ``flush()`` merges the buckets into
the area's statistics table every few seconds. Each area keeps its own table with
the same columns; ``owner`` names the column of what is served (an endpoint)
and ``part`` the column of the part counted apart (its stage; a RAG counts
itself). Latencies are kept as a sparse
log-scale histogram (10% wide buckets), so the percentiles of any time range
are computed from merged minutes with at most ~5% error; the maximum and the
mean are exact.
"""
from __future__ import annotations

import bisect
import math
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import delete, func, select

from jupyter_easymaker.core.errors import InvalidInput
from jupyter_easymaker.core.tables import utcnow

GROWTH = 1.1
FIRST_EDGE_MS = 0.1
EDGES = [FIRST_EDGE_MS * GROWTH ** i for i in range(170)]  # 0.1 ms .. ~1.1e6 ms
PERCENTILES = (50, 90, 95, 99)
MAX_POINTS = 1440


def bucket_of(latency_ms: float) -> int:
    return min(len(EDGES) - 1, bisect.bisect_left(EDGES, max(0.0, latency_ms)))


def minute(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0)


@dataclass
class Acc:
    owner_id: str
    calls: int = 0
    successes: int = 0
    failures: int = 0
    latency_sum_ms: float = 0.0
    latency_max_ms: float = 0.0
    histogram: dict[int, int] = field(default_factory=dict)

    def add(self, ok: bool, latency_ms: float) -> None:
        self.calls += 1
        if ok:
            self.successes += 1
        else:
            self.failures += 1
        self.latency_sum_ms += latency_ms
        self.latency_max_ms = max(self.latency_max_ms, latency_ms)
        b = bucket_of(latency_ms)
        self.histogram[b] = self.histogram.get(b, 0) + 1

    def add_many(self, latencies_ms: list[float], failures: int) -> None:
        """Requests counted elsewhere, ``failures`` of them failed (a report of thousands: one pass)."""
        self.calls += len(latencies_ms)
        self.successes += len(latencies_ms) - failures
        self.failures += failures
        self.latency_sum_ms += sum(latencies_ms)
        self.latency_max_ms = max(self.latency_max_ms, *latencies_ms)
        last = len(EDGES) - 1
        histogram = self.histogram
        for b, n in Counter(bisect.bisect_left(EDGES, latency_ms) for latency_ms in latencies_ms).items():
            b = min(b, last)
            histogram[b] = histogram.get(b, 0) + n

    def merge_row(self, row: Any) -> None:
        self.calls += row.calls
        self.successes += row.successes
        self.failures += row.failures
        self.latency_sum_ms += row.latency_sum_ms
        self.latency_max_ms = max(self.latency_max_ms, row.latency_max_ms)
        for b, n in row.histogram or []:
            self.histogram[int(b)] = self.histogram.get(int(b), 0) + int(n)

    def percentile(self, p: float) -> float | None:
        if not self.calls:
            return None
        rank = max(1, math.ceil(self.calls * p / 100.0))
        seen = 0
        for b in sorted(self.histogram):
            seen += self.histogram[b]
            if seen >= rank:
                low = EDGES[b - 1] if b > 0 else 0.0
                estimate = math.sqrt(low * EDGES[b]) if low > 0 else EDGES[b] / 2
                return round(min(estimate, self.latency_max_ms), 3)
        return round(self.latency_max_ms, 3)

    def point(self, at: datetime) -> dict[str, Any]:
        latency = {"avg": round(self.latency_sum_ms / self.calls, 3) if self.calls else None,
                   "max": round(self.latency_max_ms, 3) if self.calls else None}
        for p in PERCENTILES:
            latency[f"p{p}"] = self.percentile(p)
        return {"time": at, "calls": self.calls, "success": self.successes, "failure": self.failures, "latency_ms": latency}


class ApiStats:
    def __init__(self, db, table: Any, *, owner: str, part: str):
        self.db = db
        self.table = table
        self.owner = owner
        self.part = part
        self._lock = threading.Lock()
        self._pending: dict[tuple[str, datetime], Acc] = {}

    def _acc(self, owner_id: str, part_id: str, at: datetime | None) -> Acc:
        """This minute's bucket of a part (the lock held)."""
        key = (part_id, minute(at or utcnow()))
        acc = self._pending.get(key)
        if acc is None:
            acc = self._pending[key] = Acc(owner_id)
        return acc

    def record(self, owner_id: str, part_id: str, ok: bool, latency_ms: float, at: datetime | None = None) -> None:
        with self._lock:
            self._acc(owner_id, part_id, at).add(ok, latency_ms)

    def record_many(self, owner_id: str, part_id: str, failures: int, latencies_ms: list[float],
                    at: datetime | None = None) -> None:
        """Requests counted elsewhere (a model server answering handed connections): ``failures`` of them failed."""
        if latencies_ms:
            with self._lock:
                self._acc(owner_id, part_id, at).add_many(latencies_ms, failures)

    def flush_in(self, session) -> int:
        with self._lock:
            pending, self._pending = self._pending, {}
        table, part = self.table, getattr(self.table, self.part)
        for (part_id, bucket), acc in pending.items():
            row = session.scalar(select(table).where(part == part_id, table.bucket == bucket))
            if row is None:
                row = table(**{self.owner: acc.owner_id, self.part: part_id}, bucket=bucket, calls=0, successes=0,
                            failures=0, latency_sum_ms=0.0, latency_max_ms=0.0, histogram=[])
                session.add(row)
            merged = {int(b): int(n) for b, n in row.histogram or []}
            for b, n in acc.histogram.items():
                merged[b] = merged.get(b, 0) + n
            row.calls += acc.calls
            row.successes += acc.successes
            row.failures += acc.failures
            row.latency_sum_ms += acc.latency_sum_ms
            row.latency_max_ms = max(row.latency_max_ms, acc.latency_max_ms)
            row.histogram = sorted([b, n] for b, n in merged.items())
        return len(pending)

    # -- queries ------------------------------------------------------------------------
    @staticmethod
    def window(since: datetime | None, until: datetime | None, interval: int | None) -> tuple[datetime, datetime, int]:
        interval = int(interval or 60)
        if interval < 60 or interval % 60:
            raise InvalidInput("interval must be a whole number of minutes in seconds (60, 300, 3600, ...)", field="interval")
        until = until or utcnow()
        since = since or until - timedelta(hours=1)
        if since >= until:
            raise InvalidInput("since must be before until", field="since")
        if (until - since).total_seconds() / interval > MAX_POINTS:
            raise InvalidInput(f"at most {MAX_POINTS} points: choose a larger interval or a shorter range", field="interval")
        return since, until, interval

    def series(self, part_id: str, since: datetime, until: datetime, interval: int) -> tuple[dict, list[dict]]:
        """(totals, points): one point per interval from ``since`` (aligned down) to ``until``."""
        epoch = datetime(1970, 1, 1, tzinfo=timezone.utc)

        def slot(at: datetime) -> int:
            return int((at - epoch).total_seconds()) // interval

        first, last = slot(since), slot(until)
        with self.db.session() as session:
            table = self.table
            rows = session.scalars(select(table).where(
                getattr(table, self.part) == part_id, table.bucket >= minute(since), table.bucket <= until)).all()
        slots: dict[int, Acc] = {}
        total = Acc("")
        for row in rows:
            s = slot(row.bucket)
            if not first <= s <= last:
                continue
            slots.setdefault(s, Acc("")).merge_row(row)
            total.merge_row(row)
        points = [slots.get(s, Acc("")).point(epoch + timedelta(seconds=s * interval)) for s in range(first, last + 1)]
        return total.point(since), points

    def totals_by_part(self, owner_id: str, since: datetime | None = None) -> dict[str, dict[str, int]]:
        table, part = self.table, getattr(self.table, self.part)
        with self.db.session() as session:
            stmt = select(part, func.sum(table.calls), func.sum(table.successes),
                          func.sum(table.failures)).where(getattr(table, self.owner) == owner_id)
            if since is not None:
                stmt = stmt.where(table.bucket >= minute(since))
            rows = session.execute(stmt.group_by(part)).all()
        return {key: {"calls": int(c or 0), "success": int(s or 0), "failure": int(f or 0)} for key, c, s, f in rows}

    def top_owners(self, limit: int = 3, since: datetime | None = None) -> list[tuple[str, int]]:
        """(owner id, calls) of the most called owners."""
        table, owner = self.table, getattr(self.table, self.owner)
        with self.db.session() as session:
            stmt = select(owner, func.sum(table.calls).label("calls"))
            if since is not None:
                stmt = stmt.where(table.bucket >= minute(since))
            rows = session.execute(stmt.group_by(owner).order_by(func.sum(table.calls).desc()).limit(limit)).all()
        return [(owner_id, int(calls or 0)) for owner_id, calls in rows]

    def delete_in(self, session, *, owner_id: str | None = None, part_id: str | None = None) -> None:
        if part_id is not None:
            session.execute(delete(self.table).where(getattr(self.table, self.part) == part_id))
        if owner_id is not None:
            session.execute(delete(self.table).where(getattr(self.table, self.owner) == owner_id))

"""Structured logs and scraped metrics of jobs.

Job output arrives as text; each line becomes a log record with the guide's
fields, and ``name=value`` pairs on it become metric points (Katib's default
metric format, so the same lines drive hyperparameter tuning later).
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from jupyter_easymaker.core.log_index import LogIndex
from jupyter_easymaker.core.settings import TENSORBOARD_FOLDER
from jupyter_easymaker.core.tables import LogBatch, LogRecord, MetricPoint, ResourceSample, utcnow

KATIB_METRIC = re.compile(r"([\w|-]+)\s*=\s*([+-]?\d*(\.\d+)?([Ee][+-]?\d+)?)")
STEP_KEYS = ("step", "global_step", "epoch", "iteration", "iter")
_ERROR = re.compile(r"\b(Traceback|Error|Exception|FATAL|CRITICAL)\b")
_WARNING = re.compile(r"\b(WARN|WARNING|Warning)\b")
LOG_TYPE = "jupyter-easymaker"
EVENT_FILE_MARK = "tfevents"  # TensorBoard event files: events.out.tfevents.{time}.{host}...


def parse_metrics(line: str) -> dict[str, float]:
    values: dict[str, float] = {}
    for match in KATIB_METRIC.finditer(line):
        raw = match.group(2)
        if raw in ("", "+", "-", ".") or not any(c.isdigit() for c in raw):
            continue
        try:
            values[match.group(1)] = float(raw)
        except ValueError:
            continue
    return values


def log_level(line: str) -> str:
    if _ERROR.search(line):
        return "ERROR"
    if _WARNING.search(line):
        return "WARNING"
    return "INFO"


@dataclass
class IngestResult:
    lines: int
    metrics: int


class LogService:
    def __init__(self, db, settings):
        self.db = db
        self.settings = settings
        self.index = LogIndex(db)
        self._full_text: bool | None = None

    def ingest(
        self, session: Session, resource_id: str, text: str, *, category: str, fields: dict[str, Any],
        parse: Callable[[str], dict[str, float]] | None = None, keep_records: bool = True,
    ) -> IngestResult:
        """Store complete lines of job output; the caller commits them together
        with the new read offset, so a restart never stores a line twice.
        ``parse`` replaces the default metric format (a tuning's per-metric regexes);
        ``keep_records=False`` (the job's log management is off) keeps only its metrics."""
        parse = parse or parse_metrics
        now = utcnow()
        lines = [line for line in text.splitlines() if line.strip()]
        if not lines:
            return IngestResult(0, 0)
        steps = dict(
            session.execute(
                select(MetricPoint.name, func.max(MetricPoint.step)).where(MetricPoint.resource_id == resource_id).group_by(MetricPoint.name)
            ).all()
        )
        records, points = [], []
        for line in lines:
            records.append(
                {"time": now, "category": category, "log_level": log_level(line), "log_type": self.settings.log_type, "body": line,
                 "resource_id": resource_id, "fields": fields}
            )
            if line.startswith("[easymaker]"):
                continue
            values = parse(line)
            step_key = next((k for k in STEP_KEYS if k in values), None)
            for name, value in values.items():
                if name == step_key:
                    continue
                step = int(values[step_key]) if step_key else int(steps.get(name, -1)) + 1
                steps[name] = step
                points.append({"resource_id": resource_id, "name": name, "step": step, "value": value, "time": now})
        if keep_records:
            session.execute(LogRecord.__table__.insert(), records)
        if points:
            session.execute(MetricPoint.__table__.insert(), points)
        return IngestResult(len(records) if keep_records else 0, len(points))

    def records(self, resource_id: str, *, after: int = 0, limit: int = 1000, query: str | None = None) -> list[dict[str, Any]]:
        condition = self.searchable(query)
        with self.db.session() as session:
            stmt = select(LogRecord).where(LogRecord.resource_id == resource_id, LogRecord.id > after, condition)
            rows = session.scalars(stmt.order_by(LogRecord.id).limit(limit)).all()
            return [self.record_dict(r) for r in rows]

    def search(
        self, query: str | None, *, since: datetime | None = None, until: datetime | None = None, before: int | None = None,
        after: int = 0, limit: int = 1000, newest_first: bool = True,
    ) -> list[dict[str, Any]]:
        """Records of every job matching ``query`` (the search language of
        :mod:`~jupyter_easymaker.core.log_query`), stored at or after ``since``
        and at or before ``until``: newest first below the id ``before`` (paging
        back), or oldest first above the id ``after`` (following new records)."""
        conditions = [self.searchable(query, since=since, until=until)]
        if after:  # following: the few records past the newest seen, found by their ids
            conditions.append(LogRecord.id > after)
        if before is not None:
            # `+ 0` keeps the id from driving the plan: a range of ids would make SQLite walk the
            # table back from `before` instead of using the index the query's own terms pick
            conditions.append(LogRecord.id + 0 < before)
        if since is not None:
            conditions.append(LogRecord.time >= since)
        if until is not None:
            conditions.append(LogRecord.time <= until)
        order = LogRecord.id.desc() if newest_first else LogRecord.id
        with self.db.session() as session:
            rows = session.scalars(select(LogRecord).where(*conditions).order_by(order).limit(limit)).all()
            return [self.record_dict(r) for r in rows]

    def condition(self, query: str | None, *, since: datetime | None = None, until: datetime | None = None):
        """``query`` as a condition on log records (``since`` / ``until``: the window the caller
        keeps them to, which narrows the index lookups); a query not in the language
        raises :class:`~jupyter_easymaker.core.log_query.QuerySyntaxError` (HTTP 400, field ``query``)."""
        from jupyter_easymaker.core.log_query import compile_query

        return compile_query(query, fts=self.full_text, dialect=self.db.engine.dialect.name, since=since, until=until)

    def searchable(self, query: str | None, *, since: datetime | None = None, until: datetime | None = None):
        """:meth:`condition`, with every request a gateway logged so far made a record
        (core/log_batches.py), and the search's indexes brought up to every record when the
        query has terms (they may use them)."""
        condition = self.condition(query, since=since, until=until)
        self.index.catch_up(index=bool(query and query.strip()))
        return condition

    @property
    def full_text(self) -> bool:
        """Whether the store has the full-text index of log bodies (SQLite with FTS5)."""
        if self._full_text is None:
            self._full_text = self.index.full_text
        return self._full_text

    @staticmethod
    def record_dict(r: LogRecord) -> dict[str, Any]:
        return {"id": r.id, "time": r.time.isoformat(), "category": r.category, "logLevel": r.log_level,
                "logType": r.log_type, "body": r.body, "resourceId": r.resource_id, **r.fields}

    def metrics(self, resource_id: str, since: datetime | None = None) -> list[dict[str, Any]]:
        """Series per metric name; ``since`` keeps only points stored after it (live charts)."""
        with self.db.session() as session:
            stmt = select(MetricPoint.name, MetricPoint.step, MetricPoint.value).where(MetricPoint.resource_id == resource_id)
            if since is not None:
                stmt = stmt.where(MetricPoint.time > since)
            rows = session.execute(stmt.order_by(MetricPoint.name, MetricPoint.step, MetricPoint.id)).all()
        series: dict[str, dict[str, Any]] = {}
        for name, step, value in rows:
            s = series.setdefault(name, {"name": name, "steps": [], "values": []})
            s["steps"].append(step)
            s["values"].append(value)
        for s in series.values():
            s["last"] = s["values"][-1] if s["values"] else None
        return list(series.values())

    def add_sample(self, session: Session, resource_id: str, usage) -> None:
        session.add(ResourceSample(resource_id=resource_id, cpu_percent=usage.cpu_percent, memory_bytes=usage.memory_bytes,
                                   gpu_percent=usage.gpu_percent, gpu_memory_bytes=usage.gpu_memory_bytes))

    def samples(self, resource_id: str, limit: int = 2000, since: datetime | None = None) -> list[dict[str, Any]]:
        with self.db.session() as session:
            stmt = select(ResourceSample).where(ResourceSample.resource_id == resource_id)
            if since is not None:
                stmt = stmt.where(ResourceSample.time > since)
            rows = session.scalars(stmt.order_by(ResourceSample.id.desc()).limit(limit)).all()
        return [
            {"time": r.time.isoformat(), "cpu_percent": r.cpu_percent, "memory_bytes": r.memory_bytes,
             "gpu_percent": r.gpu_percent, "gpu_memory_bytes": r.gpu_memory_bytes}
            for r in reversed(rows)
        ]

    def purge_older_than_retention(self) -> int:
        """What jobs left that is older than ``retention_days``: log records, metric points,
        resource samples and TensorBoard event files. The number of records, points and files removed."""
        cutoff = utcnow() - timedelta(days=self.settings.retention_days)
        with self.db.session() as session:
            n = session.execute(delete(LogRecord).where(LogRecord.time < cutoff)).rowcount or 0
            session.execute(delete(LogBatch).where(LogBatch.time < cutoff))  # as records, they would be past it too
            n += session.execute(delete(MetricPoint).where(MetricPoint.time < cutoff)).rowcount or 0
            session.execute(delete(ResourceSample).where(ResourceSample.time < cutoff))
        return n + purge_event_files(self.settings.path(TENSORBOARD_FOLDER), cutoff.timestamp())


def _mtime(path: str) -> float | None:
    try:
        return os.stat(path).st_mtime
    except FileNotFoundError:
        return None


def purge_event_files(root: str, cutoff: float) -> int:
    """Remove the TensorBoard event files of every run under ``root`` (a folder holding
    event files) that was last written before ``cutoff`` (epoch seconds); a run written
    since keeps all its files, so one still being written is never touched. A run's
    folder left empty goes too. The number of files removed."""
    removed = 0
    for folder, _dirs, files in os.walk(root, topdown=False):
        events = [os.path.join(folder, name) for name in files if EVENT_FILE_MARK in name]
        times = [t for t in map(_mtime, events) if t is not None]
        if not times or max(times) >= cutoff:
            continue
        for path in events:
            try:
                os.remove(path)
                removed += 1
            except FileNotFoundError:
                pass
        if folder != root:
            try:
                os.rmdir(folder)  # only when nothing else is in it
            except OSError:
                pass
    return removed

"""SQLAlchemy tables. Changing them needs an Alembic revision in migrations/."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import JSON, DateTime, Float, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from jupyter_easymaker.core.times import utcnow


class UTCDateTime(TypeDecorator):
    """Times are stored in UTC; SQLite drops the zone, so it is put back on load."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc) if value is not None else None

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, datetime: UTCDateTime()}


class ResourceColumns:
    """What every resource kind has (SPEC: cross-cutting rules)."""

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    description: Mapped[str] = mapped_column(String(255), default="")
    status: Mapped[str] = mapped_column(String(32), index=True)
    status_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class StatusEvent(Base):
    """Every status change of every resource, for the history tab."""

    __tablename__ = "status_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))
    resource_id: Mapped[str] = mapped_column(String(36), index=True)
    # 64: "FAIL HYPERPARAMETER TUNING IN PROGRESS" is longer than 32 (revision 0002)
    status: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LogRecord(Base):
    """Structured logs with the guide's fields (appendix 2)."""

    __tablename__ = "log_records"
    # the search's full-text index and table of field values are SQLite's own (migrations 0014, 0015;
    # core/log_index.py), which follow the ids: AUTOINCREMENT, so that an id is never given twice
    __table_args__ = (Index("ix_log_records_category_level_time", "category", "log_level", "time"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    time: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    category: Mapped[str] = mapped_column(String(64), index=True)  # also alone: in id order, for "newest first"
    log_level: Mapped[str] = mapped_column(String(16), default="INFO")
    log_type: Mapped[str] = mapped_column(String(64), default="jupyter-easymaker")
    body: Mapped[str] = mapped_column(Text)
    resource_id: Mapped[str] = mapped_column(String(36), index=True)
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # trainingId, endpointId, ...


class LogBatch(Base):
    """Request log records a gateway stored as they came, made log records later
    (core/log_batches.py): one row for a model server's report of thousands of requests."""

    __tablename__ = "log_batches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    time: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    resource_id: Mapped[str] = mapped_column(String(36), index=True)
    count: Mapped[int] = mapped_column(Integer)
    header: Mapped[str] = mapped_column(Text)  # JSON: what the batch's records share (core/log_batches.py)
    rows: Mapped[bytes] = mapped_column(LargeBinary)  # JSON: one array per request


class MetricPoint(Base):
    """A metric value scraped from a job's stdout."""

    __tablename__ = "metric_points"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    resource_id: Mapped[str] = mapped_column(String(36))
    name: Mapped[str] = mapped_column(String(128))
    step: Mapped[int] = mapped_column(Integer)
    value: Mapped[float] = mapped_column(Float)
    time: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (Index("ix_metric_points_resource_name", "resource_id", "name", "step"),)


class ResourceSample(Base):
    """CPU / memory / GPU usage of a running job, for the monitoring tab."""

    __tablename__ = "resource_samples"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    resource_id: Mapped[str] = mapped_column(String(36), index=True)
    time: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    cpu_percent: Mapped[float] = mapped_column(Float, default=0.0)
    memory_bytes: Mapped[int] = mapped_column(Integer, default=0)
    gpu_percent: Mapped[float | None] = mapped_column(Float, nullable=True)
    gpu_memory_bytes: Mapped[int | None] = mapped_column(Integer, nullable=True)


class JobColumns:
    """What a resource run as one backend job keeps (as trainings do)."""

    spec: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    backend: Mapped[str] = mapped_column(String(32), default="local")
    # what the backend returned from submit(): enough to find the job again
    handle: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    paths: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # resolved storage paths
    exit_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    log_offset: Mapped[int] = mapped_column(Integer, default=0)  # job log ingested so far

"""Tables of endpoints, stages, stage resources, API keys and API statistics."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from jupyter_easymaker.core.tables import Base, ResourceColumns, UTCDateTime, utcnow


class Endpoint(ResourceColumns, Base):
    __tablename__ = "endpoints"

    # the stage the default stage URL routes to
    default_stage_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    backend: Mapped[str] = mapped_column(String(32), default="local")


class EndpointStage(Base):
    __tablename__ = "endpoint_stages"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    endpoint_id: Mapped[str] = mapped_column(ForeignKey("endpoints.id"), index=True)
    name: Mapped[str] = mapped_column(String(50))  # unique within its endpoint
    description: Mapped[str] = mapped_column(String(255), default="")
    status: Mapped[str] = mapped_column(String(32), index=True)
    status_reason: Mapped[str] = mapped_column(Text, default="")
    gateway_status: Mapped[str] = mapped_column(String(40), default="CREATE IN PROGRESS")
    # instance type and count, node autoscaler
    spec: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    __table_args__ = (UniqueConstraint("endpoint_id", "name", name="uq_endpoint_stages_endpoint_name"),)


class StageResource(Base):
    """One model deployed on a stage: its servers (pods) and their allocation."""

    __tablename__ = "endpoint_stage_resources"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    endpoint_id: Mapped[str] = mapped_column(String(36), index=True)
    stage_id: Mapped[str] = mapped_column(ForeignKey("endpoint_stages.id"), index=True)
    model_id: Mapped[str] = mapped_column(String(36), index=True)
    model_name: Mapped[str] = mapped_column(String(50))
    description: Mapped[str] = mapped_column(String(255), default="")
    status: Mapped[str] = mapped_column(String(32), index=True)
    status_reason: Mapped[str] = mapped_column(Text, default="")
    # allocation, pod count, pod autoscaler, and the model facts the server starts from
    spec: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    backend: Mapped[str] = mapped_column(String(32), default="local")
    # what the serving backend returned from start(): enough to find the servers again
    handle: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    pods_ready: Mapped[int] = mapped_column(Integer, default=0)
    pods_total: Mapped[int] = mapped_column(Integer, default=0)
    nodes: Mapped[int] = mapped_column(Integer, default=0)
    # base URLs of the ready servers the gateway may send requests to
    addresses: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class EndpointApiKey(Base):
    """A key external clients send to the gateway; only its salted hash is kept."""

    __tablename__ = "endpoint_api_keys"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    endpoint_id: Mapped[str] = mapped_column(ForeignKey("endpoints.id"), index=True)
    name: Mapped[str] = mapped_column(String(50), default="")
    # the public part of the key ("emk_<prefix>_<secret>"): finds the row without scanning hashes
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    last4: Mapped[str] = mapped_column(String(4))
    salt: Mapped[str] = mapped_column(String(32))
    digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class EndpointApiStat(Base):
    """API calls of one stage in one minute; latencies as a fixed histogram so
    that percentiles of any time range can be merged from the minutes."""

    __tablename__ = "endpoint_api_stats"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    endpoint_id: Mapped[str] = mapped_column(String(36), index=True)
    stage_id: Mapped[str] = mapped_column(String(36))
    bucket: Mapped[datetime] = mapped_column(UTCDateTime())
    calls: Mapped[int] = mapped_column(Integer, default=0)
    successes: Mapped[int] = mapped_column(Integer, default=0)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    latency_sum_ms: Mapped[float] = mapped_column(Float, default=0.0)
    latency_max_ms: Mapped[float] = mapped_column(Float, default=0.0)
    histogram: Mapped[list[Any]] = mapped_column(JSON, default=list)

    __table_args__ = (
        UniqueConstraint("stage_id", "bucket", name="uq_endpoint_api_stats_stage_bucket"),
        Index("ix_endpoint_api_stats_endpoint_bucket", "endpoint_id", "bucket"),
    )

"""Tables of RAGs, their ingestions (one job each) with the per-file outcome,
their API keys and API statistics (revision 0006)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from jupyter_easymaker.core.tables import (
    Base,
    JobColumns,
    ResourceColumns,
    UTCDateTime,
    utcnow,
)


class Rag(ResourceColumns, Base):
    __tablename__ = "rags"

    gateway_status: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # every setting the user gave, without secrets (see ``secrets``)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # the vector store password and the LLM key, encrypted (JSON inside)
    secrets: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    backend: Mapped[str] = mapped_column(String(32), default="local")
    # the query server's handle from the serving backend
    server_handle: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # an LLM the RAG serves itself (llm.type "model"): the registered model and its servers' handle
    llm_model_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    llm_server_handle: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    paths: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # what the last complete ingestion published (the query server reads the store's own pointer)
    live_generation: Mapped[int | None] = mapped_column(Integer, nullable=True)
    files: Mapped[int] = mapped_column(Integer, default=0)
    chunks: Mapped[int] = mapped_column(Integer, default=0)


class RagIngestion(JobColumns, ResourceColumns, Base):
    """One run of ingestion (the first one at creation, then each sync): a job."""

    __tablename__ = "rag_ingestions"

    rag_id: Mapped[str] = mapped_column(String(36), index=True)
    trigger: Mapped[str] = mapped_column(String(16), default="sync")  # create | sync
    requested_by: Mapped[str] = mapped_column(String(128), default="")
    # files done / total and chunks, from the job's progress lines
    progress: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # the job's summary: files added / changed / deleted / unchanged / failed, chunks, generation
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class RagIngestionFile(Base):
    """A file an ingestion added, changed, deleted or could not read (unchanged
    files are only counted: a re-sync of a large corpus writes no rows)."""

    __tablename__ = "rag_ingestion_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ingestion_id: Mapped[str] = mapped_column(String(36), index=True)
    path: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(16))  # added | changed | deleted | failed
    reason_code: Mapped[str] = mapped_column(String(32), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    size_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    chunks: Mapped[int] = mapped_column(Integer, default=0)


class RagApiKey(Base):
    """A key clients send with their questions; only its salted hash is kept."""

    __tablename__ = "rag_api_keys"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    rag_id: Mapped[str] = mapped_column(ForeignKey("rags.id"), index=True)
    name: Mapped[str] = mapped_column(String(50), default="")
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    last4: Mapped[str] = mapped_column(String(4))
    salt: Mapped[str] = mapped_column(String(32))
    digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class RagApiStat(Base):
    """Questions to one RAG in one minute (the same columns as endpoints' statistics)."""

    __tablename__ = "rag_api_stats"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    rag_id: Mapped[str] = mapped_column(String(36), index=True)
    bucket: Mapped[datetime] = mapped_column(UTCDateTime())
    calls: Mapped[int] = mapped_column(Integer, default=0)
    successes: Mapped[int] = mapped_column(Integer, default=0)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    latency_sum_ms: Mapped[float] = mapped_column(Float, default=0.0)
    latency_max_ms: Mapped[float] = mapped_column(Float, default=0.0)
    histogram: Mapped[list[Any]] = mapped_column(JSON, default=list)

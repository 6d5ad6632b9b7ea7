"""SQLAlchemy tables. Changing them needs an Alembic revision in migrations/."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from jupyter_easymaker.core.tables import Base, ResourceColumns, UTCDateTime


class Training(ResourceColumns, Base):
    __tablename__ = "trainings"

    experiment_id: Mapped[str] = mapped_column(ForeignKey("experiments.id"), index=True)
    template_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    backend: Mapped[str] = mapped_column(String(32), default="local")
    # what the backend returned from submit(): enough to find the job again
    handle: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # resolved paths the job got (model dir, tensorboard dir, ...)
    paths: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    exit_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    log_offset: Mapped[int] = mapped_column(Integer, default=0)  # job log ingested so far

    __table_args__ = (Index("ix_trainings_experiment_status", "experiment_id", "status"),)

"""Tables of batch inferences and model evaluations (revision 0005)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from jupyter_easymaker.store.tables import Base, ResourceColumns, UTCDateTime


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


class BatchInference(JobColumns, ResourceColumns, Base):
    __tablename__ = "batch_inferences"

    status: Mapped[str] = mapped_column(String(64), index=True)
    model_id: Mapped[str] = mapped_column(String(36), index=True)
    # the model evaluation that created (and owns) this batch inference
    evaluation_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    # records done / total / errors, from the job's progress lines
    progress: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # the job's summary.json once it is complete
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ModelEvaluation(JobColumns, ResourceColumns, Base):
    """An evaluation: its batch inference, then a metrics job (whose handle
    this row holds)."""

    __tablename__ = "model_evaluations"

    status: Mapped[str] = mapped_column(String(64), index=True)  # "FAIL MODEL EVALUATION IN PROGRESS" is 33 characters
    model_id: Mapped[str] = mapped_column(String(36), index=True)
    batch_inference_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    task: Mapped[str] = mapped_column(String(32))
    # the scalar metrics (for lists and comparison); the full result with curves is in ``result``
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

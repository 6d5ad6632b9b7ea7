"""Tables of batch inferences and model evaluations (revision 0005)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from jupyter_easymaker.core.tables import Base, JobColumns, ResourceColumns


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

"""Tables of batch inferences and model evaluations (revision 0005)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from jupyter_easymaker.core.tables import Base, JobColumns, ResourceColumns


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

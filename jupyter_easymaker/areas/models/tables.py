"""SQLAlchemy tables. Changing them needs an Alembic revision in migrations/."""
from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from jupyter_easymaker.core.tables import Base, ResourceColumns


class Model(ResourceColumns, Base):
    """A model artifact registered for serving (revision 0003)."""

    __tablename__ = "models"

    framework: Mapped[str] = mapped_column(String(32))
    framework_version: Mapped[str] = mapped_column(String(64), default="")
    artifact_path: Mapped[str] = mapped_column(Text, default="")  # as the user gave it
    model_dir: Mapped[str] = mapped_column(Text, default="")  # resolved: what a model server loads
    huggingface_model_id: Mapped[str] = mapped_column(String(255), default="")
    huggingface_token: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)  # Fernet-encrypted
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    training_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    hyperparameter_tuning_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    trial_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    artifact_info: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # what loading it found

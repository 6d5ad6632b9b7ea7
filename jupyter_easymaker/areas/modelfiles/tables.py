"""SQLAlchemy tables. Changing them needs an Alembic revision (core/migrations/versions/0008_modelfiles.py)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from jupyter_easymaker.core.tables import Base


class ModelFile(Base):
    """One Open WebUI model file, keyed by its Open WebUI id. ``record`` is the
    whole record as Open WebUI exports it (unknown keys kept); the columns
    repeat what lists filter and sort on, and are written from the record."""

    __tablename__ = "model_files"

    id: Mapped[str] = mapped_column(String(256), primary_key=True)
    name: Mapped[str] = mapped_column(String(256), index=True)
    base_model_id: Mapped[str | None] = mapped_column(String(256), nullable=True, index=True)
    user_id: Mapped[str] = mapped_column(String(256), default="")
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[int] = mapped_column(Integer, index=True)  # epoch seconds, as Open WebUI
    updated_at: Mapped[int] = mapped_column(Integer)
    record: Mapped[dict[str, Any]] = mapped_column(JSON)

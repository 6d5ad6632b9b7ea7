"""SQLAlchemy tables. Changing them needs an Alembic revision in migrations/."""
from __future__ import annotations

from typing import Any

from sqlalchemy import JSON
from sqlalchemy.orm import Mapped, mapped_column

from jupyter_easymaker.core.tables import Base, ResourceColumns


class TrainingTemplate(ResourceColumns, Base):
    __tablename__ = "training_templates"

    spec: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

"""SQLAlchemy tables. Changing them needs an Alembic revision."""
from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from jupyter_easymaker.core.tables import Base, ResourceColumns


class Notebook(ResourceColumns, Base):
    __tablename__ = "notebooks"

    image: Mapped[str] = mapped_column(String(255))
    instance_type: Mapped[str] = mapped_column(String(64))
    boot_storage_gb: Mapped[int] = mapped_column(Integer)
    data_storage_gb: Mapped[int] = mapped_column(Integer)
    nas_mount_name: Mapped[str] = mapped_column(String(64), default="")
    nas_path: Mapped[str] = mapped_column(String(1024), default="")
    backend: Mapped[str] = mapped_column(String(32), default="local")
    # each start or reboot asks for a new generation; the handle says which one runs
    generation: Mapped[int] = mapped_column(Integer, default=0)
    handle: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)

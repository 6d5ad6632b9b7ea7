"""SQLAlchemy tables. Changing them needs an Alembic revision."""
from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from jupyter_easymaker.core.tables import Base, ResourceColumns


class Image(ResourceColumns, Base):
    """A private image: a container image derived from a base image, pulled with a registry account."""

    __tablename__ = "images"

    address: Mapped[str] = mapped_column(String(512))
    image_type: Mapped[str] = mapped_column(String(16))  # NOTEBOOK | TRAINING
    framework: Mapped[str] = mapped_column(String(16), default="PYTHON")
    # deleting an account some image uses is refused by a guard; RESTRICT says the same to the store
    registry_account_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("registry_accounts.id", ondelete="RESTRICT"), nullable=True, index=True)
    # the local backend: the interpreter its jobs run with ("" = the server's own), as probed at creation
    local_python: Mapped[str] = mapped_column(String(1024), default="")
    python_version: Mapped[str] = mapped_column(String(32), default="")
    framework_version: Mapped[str] = mapped_column(String(64), default="")

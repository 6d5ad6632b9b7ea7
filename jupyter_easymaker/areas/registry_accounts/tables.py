"""SQLAlchemy tables. Changing them needs an Alembic revision."""
from __future__ import annotations

from sqlalchemy import LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from jupyter_easymaker.core.tables import Base, ResourceColumns


class RegistryAccount(ResourceColumns, Base):
    __tablename__ = "registry_accounts"

    registry_type: Mapped[str] = mapped_column(String(16))
    registry_address: Mapped[str] = mapped_column(String(255), default="")
    username: Mapped[str] = mapped_column(String(255))
    password: Mapped[bytes] = mapped_column(LargeBinary)  # Fernet token (core/secrets.py)

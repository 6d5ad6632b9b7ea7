"""SQLAlchemy tables. Changing them needs an Alembic revision in migrations/."""
from __future__ import annotations

from jupyter_easymaker.core.tables import Base, ResourceColumns


class Experiment(ResourceColumns, Base):
    __tablename__ = "experiments"

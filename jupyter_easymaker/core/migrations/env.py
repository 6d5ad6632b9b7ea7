"""Alembic environment: runs migrations on the engine the store hands over."""
from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from jupyter_easymaker.core.tables import Base

config = context.config
engine = config.attributes.get("engine") or create_engine(config.get_main_option("sqlalchemy.url"))

with engine.begin() as connection:
    # batch mode lets later revisions alter SQLite tables (it has no ALTER COLUMN)
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()

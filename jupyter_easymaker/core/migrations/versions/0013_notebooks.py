"""notebooks: Jupyter servers of their own

Revision ID: 0013
Revises: 0011
Create Date: 2026-12-05
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('notebooks',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('status_reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('image', sa.String(length=255), nullable=False),
    sa.Column('instance_type', sa.String(length=64), nullable=False),
    sa.Column('boot_storage_gb', sa.Integer(), nullable=False),
    sa.Column('data_storage_gb', sa.Integer(), nullable=False),
    sa.Column('nas_mount_name', sa.String(length=64), nullable=False),
    sa.Column('nas_path', sa.String(length=1024), nullable=False),
    sa.Column('backend', sa.String(length=32), nullable=False),
    sa.Column('generation', sa.Integer(), nullable=False),
    sa.Column('handle', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    with op.batch_alter_table('notebooks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notebooks_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_notebooks_created_at'), ['created_at'], unique=False)


def downgrade() -> None:
    op.drop_table('notebooks')

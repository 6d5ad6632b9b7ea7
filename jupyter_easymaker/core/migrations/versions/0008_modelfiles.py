"""model files: Open WebUI model files, one row per Open WebUI id

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('model_files',
    sa.Column('id', sa.String(length=256), nullable=False),
    sa.Column('name', sa.String(length=256), nullable=False),
    sa.Column('base_model_id', sa.String(length=256), nullable=True),
    sa.Column('user_id', sa.String(length=256), nullable=False),
    sa.Column('hidden', sa.Boolean(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.Integer(), nullable=False),
    sa.Column('record', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('model_files', schema=None) as batch_op:
        for column in ('name', 'base_model_id', 'created_at'):
            batch_op.create_index(batch_op.f(f'ix_model_files_{column}'), [column], unique=False)


def downgrade() -> None:
    op.drop_table('model_files')

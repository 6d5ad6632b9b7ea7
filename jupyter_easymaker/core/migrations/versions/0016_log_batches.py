"""log batches: a gateway's request log records stored as they came, made log records later
(core/log_batches.py)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('log_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('time', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resource_id', sa.String(length=36), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('header', sa.Text(), nullable=False),
    sa.Column('rows', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_log_batches_resource_id', 'log_batches', ['resource_id'])


def downgrade() -> None:
    op.drop_index('ix_log_batches_resource_id', table_name='log_batches')
    op.drop_table('log_batches')

"""pipeline schedules: triggers that start runs of a pipeline

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-12
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('pipeline_schedules',
    sa.Column('pipeline_id', sa.String(length=36), nullable=False),
    sa.Column('pipeline_name', sa.String(length=50), nullable=False),
    sa.Column('experiment_id', sa.String(length=36), nullable=False),
    sa.Column('run_spec', sa.JSON(), nullable=False),
    sa.Column('trigger', sa.JSON(), nullable=False),
    sa.Column('max_concurrency', sa.Integer(), nullable=False),
    sa.Column('catch_up', sa.Boolean(), nullable=False),
    sa.Column('start_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('end_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('anchor_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_scheduled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_run_name', sa.String(length=50), nullable=True),
    sa.Column('run_count', sa.Integer(), nullable=False),
    sa.Column('skipped_count', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('status_reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['experiment_id'], ['experiments.id'], ),
    sa.ForeignKeyConstraint(['pipeline_id'], ['pipelines.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    with op.batch_alter_table('pipeline_schedules', schema=None) as batch_op:
        for column in ('created_at', 'experiment_id', 'pipeline_id', 'status'):
            batch_op.create_index(batch_op.f(f'ix_pipeline_schedules_{column}'), [column], unique=False)


def downgrade() -> None:
    op.drop_table('pipeline_schedules')

"""pipeline task jobs: each container task attempt of a local run, a job of its own

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('pipeline_task_jobs',
    sa.Column('run_id', sa.String(length=36), nullable=False),
    sa.Column('request', sa.String(length=600), nullable=False),
    sa.Column('task_id', sa.String(length=512), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('request_json', sa.JSON(), nullable=False),
    sa.Column('spec', sa.JSON(), nullable=False),
    sa.Column('backend', sa.String(length=32), nullable=False),
    sa.Column('handle', sa.JSON(), nullable=True),
    sa.Column('paths', sa.JSON(), nullable=False),
    sa.Column('exit_code', sa.Integer(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('log_offset', sa.Integer(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('status_reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['pipeline_runs.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name'),
    sa.UniqueConstraint('run_id', 'request', name='uq_pipeline_task_jobs_request')
    )
    with op.batch_alter_table('pipeline_task_jobs', schema=None) as batch_op:
        for column in ('created_at', 'run_id', 'status'):
            batch_op.create_index(batch_op.f(f'ix_pipeline_task_jobs_{column}'), [column], unique=False)


def downgrade() -> None:
    op.drop_table('pipeline_task_jobs')

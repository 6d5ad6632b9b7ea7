"""batch inference and model evaluation

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def _job_columns() -> list[sa.Column]:
    return [
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
        sa.Column('status_reason', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    op.create_table('batch_inferences',
    sa.Column('status', sa.String(length=64), nullable=False),
    sa.Column('model_id', sa.String(length=36), nullable=False),
    sa.Column('evaluation_id', sa.String(length=36), nullable=True),
    sa.Column('progress', sa.JSON(), nullable=False),
    sa.Column('result', sa.JSON(), nullable=False),
    *_job_columns(),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    with op.batch_alter_table('batch_inferences', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_batch_inferences_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_batch_inferences_evaluation_id'), ['evaluation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_batch_inferences_model_id'), ['model_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_batch_inferences_status'), ['status'], unique=False)

    op.create_table('model_evaluations',
    sa.Column('status', sa.String(length=64), nullable=False),
    sa.Column('model_id', sa.String(length=36), nullable=False),
    sa.Column('batch_inference_id', sa.String(length=36), nullable=True),
    sa.Column('task', sa.String(length=32), nullable=False),
    sa.Column('metrics', sa.JSON(), nullable=False),
    sa.Column('result', sa.JSON(), nullable=False),
    *_job_columns(),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    with op.batch_alter_table('model_evaluations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_model_evaluations_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_model_evaluations_model_id'), ['model_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_model_evaluations_status'), ['status'], unique=False)


def downgrade() -> None:
    for table in ('model_evaluations', 'batch_inferences'):
        op.drop_table(table)

"""pipelines: uploaded KFP pipelines, their runs and the runs' tasks

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-12
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def _resource_columns() -> list[sa.Column]:
    return [
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('name', sa.String(length=50), nullable=False),
        sa.Column('description', sa.String(length=255), nullable=False),
        sa.Column('status', sa.String(length=32), nullable=False),
        sa.Column('status_reason', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    ]


def _indexes(table: str, *columns: str) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        for column in columns:
            batch_op.create_index(batch_op.f(f'ix_{table}_{column}'), [column], unique=False)


def upgrade() -> None:
    op.create_table('pipelines',
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('source_format', sa.String(length=8), nullable=False),
    sa.Column('pipeline_name', sa.String(length=255), nullable=False),
    sa.Column('sdk_version', sa.String(length=64), nullable=False),
    sa.Column('schema_version', sa.String(length=32), nullable=False),
    sa.Column('spec_json', sa.JSON(), nullable=False),
    sa.Column('platform_spec_json', sa.JSON(), nullable=True),
    sa.Column('inputs_json', sa.JSON(), nullable=False),
    sa.Column('graph_json', sa.JSON(), nullable=False),
    sa.Column('summary_json', sa.JSON(), nullable=False),
    *_resource_columns(),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    _indexes('pipelines', 'created_at', 'status')

    op.create_table('pipeline_runs',
    sa.Column('pipeline_id', sa.String(length=36), nullable=True),
    sa.Column('pipeline_name', sa.String(length=50), nullable=False),
    sa.Column('experiment_id', sa.String(length=36), nullable=False),
    sa.Column('schedule_id', sa.String(length=36), nullable=True),
    sa.Column('schedule_name', sa.String(length=50), nullable=True),
    sa.Column('parameters_json', sa.JSON(), nullable=False),
    sa.Column('instance_type', sa.String(length=64), nullable=False),
    sa.Column('instance_count', sa.Integer(), nullable=False),
    sa.Column('boot_storage_gb', sa.Integer(), nullable=True),
    sa.Column('nas', sa.JSON(), nullable=False),
    sa.Column('log_management', sa.Boolean(), nullable=False),
    sa.Column('remote_run_id', sa.String(length=64), nullable=True),
    sa.Column('result_json', sa.JSON(), nullable=False),
    sa.Column('artifacts_expire_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('artifacts_purged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('spec', sa.JSON(), nullable=False),
    sa.Column('backend', sa.String(length=32), nullable=False),
    sa.Column('handle', sa.JSON(), nullable=True),
    sa.Column('paths', sa.JSON(), nullable=False),
    sa.Column('exit_code', sa.Integer(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('log_offset', sa.Integer(), nullable=False),
    *_resource_columns(),
    sa.ForeignKeyConstraint(['experiment_id'], ['experiments.id'], ),
    sa.ForeignKeyConstraint(['pipeline_id'], ['pipelines.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    _indexes('pipeline_runs', 'created_at', 'status', 'pipeline_id', 'experiment_id', 'schedule_id')

    op.create_table('pipeline_run_tasks',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('run_id', sa.String(length=36), nullable=False),
    sa.Column('task_id', sa.String(length=512), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('parent', sa.String(length=512), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outputs_json', sa.JSON(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['pipeline_runs.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('run_id', 'task_id', name='uq_pipeline_run_tasks_run_task')
    )
    _indexes('pipeline_run_tasks', 'run_id')


def downgrade() -> None:
    for table in ('pipeline_run_tasks', 'pipeline_runs', 'pipelines'):
        op.drop_table(table)

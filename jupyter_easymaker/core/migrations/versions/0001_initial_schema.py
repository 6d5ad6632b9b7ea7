"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-22
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('experiments',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('status_reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    with op.batch_alter_table('experiments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_experiments_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_experiments_status'), ['status'], unique=False)

    op.create_table('log_records',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('time', sa.DateTime(timezone=True), nullable=False),
    sa.Column('category', sa.String(length=64), nullable=False),
    sa.Column('log_level', sa.String(length=16), nullable=False),
    sa.Column('log_type', sa.String(length=64), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('resource_id', sa.String(length=36), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('log_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_log_records_category'), ['category'], unique=False)
        batch_op.create_index(batch_op.f('ix_log_records_resource_id'), ['resource_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_log_records_time'), ['time'], unique=False)

    op.create_table('metric_points',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('resource_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('step', sa.Integer(), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('time', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('metric_points', schema=None) as batch_op:
        batch_op.create_index('ix_metric_points_resource_name', ['resource_id', 'name', 'step'], unique=False)

    op.create_table('resource_samples',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('resource_id', sa.String(length=36), nullable=False),
    sa.Column('time', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cpu_percent', sa.Float(), nullable=False),
    sa.Column('memory_bytes', sa.Integer(), nullable=False),
    sa.Column('gpu_percent', sa.Float(), nullable=True),
    sa.Column('gpu_memory_bytes', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('resource_samples', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_resource_samples_resource_id'), ['resource_id'], unique=False)

    op.create_table('status_events',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('resource_id', sa.String(length=36), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('status_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_status_events_resource_id'), ['resource_id'], unique=False)

    op.create_table('training_templates',
    sa.Column('spec', sa.JSON(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('status_reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    with op.batch_alter_table('training_templates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_templates_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_templates_status'), ['status'], unique=False)

    op.create_table('trainings',
    sa.Column('experiment_id', sa.String(length=36), nullable=False),
    sa.Column('template_id', sa.String(length=36), nullable=True),
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
    sa.ForeignKeyConstraint(['experiment_id'], ['experiments.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    with op.batch_alter_table('trainings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trainings_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_trainings_experiment_id'), ['experiment_id'], unique=False)
        batch_op.create_index('ix_trainings_experiment_status', ['experiment_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_trainings_status'), ['status'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('trainings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trainings_status'))
        batch_op.drop_index('ix_trainings_experiment_status')
        batch_op.drop_index(batch_op.f('ix_trainings_experiment_id'))
        batch_op.drop_index(batch_op.f('ix_trainings_created_at'))

    op.drop_table('trainings')
    with op.batch_alter_table('training_templates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_templates_status'))
        batch_op.drop_index(batch_op.f('ix_training_templates_created_at'))

    op.drop_table('training_templates')
    with op.batch_alter_table('status_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_status_events_resource_id'))

    op.drop_table('status_events')
    with op.batch_alter_table('resource_samples', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_resource_samples_resource_id'))

    op.drop_table('resource_samples')
    with op.batch_alter_table('metric_points', schema=None) as batch_op:
        batch_op.drop_index('ix_metric_points_resource_name')

    op.drop_table('metric_points')
    with op.batch_alter_table('log_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_log_records_time'))
        batch_op.drop_index(batch_op.f('ix_log_records_resource_id'))
        batch_op.drop_index(batch_op.f('ix_log_records_category'))

    op.drop_table('log_records')
    with op.batch_alter_table('experiments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_experiments_status'))
        batch_op.drop_index(batch_op.f('ix_experiments_created_at'))

    op.drop_table('experiments')


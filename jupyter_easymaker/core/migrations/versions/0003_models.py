"""models

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('models',
    sa.Column('framework', sa.String(length=32), nullable=False),
    sa.Column('framework_version', sa.String(length=64), nullable=False),
    sa.Column('artifact_path', sa.Text(), nullable=False),
    sa.Column('model_dir', sa.Text(), nullable=False),
    sa.Column('huggingface_model_id', sa.String(length=255), nullable=False),
    sa.Column('huggingface_token', sa.LargeBinary(), nullable=True),
    sa.Column('parameters', sa.JSON(), nullable=False),
    sa.Column('training_id', sa.String(length=36), nullable=True),
    sa.Column('hyperparameter_tuning_id', sa.String(length=36), nullable=True),
    sa.Column('trial_id', sa.String(length=36), nullable=True),
    sa.Column('artifact_info', sa.JSON(), nullable=False),
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
    with op.batch_alter_table('models', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_models_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_models_hyperparameter_tuning_id'), ['hyperparameter_tuning_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_models_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_models_training_id'), ['training_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('models', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_models_training_id'))
        batch_op.drop_index(batch_op.f('ix_models_status'))
        batch_op.drop_index(batch_op.f('ix_models_hyperparameter_tuning_id'))
        batch_op.drop_index(batch_op.f('ix_models_created_at'))
    op.drop_table('models')

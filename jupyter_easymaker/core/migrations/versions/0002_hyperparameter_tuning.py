"""hyperparameter tuning: tunings, trials, the Optuna journal; longer status words

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('hpo_journal',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('tuning_id', sa.String(length=36), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('entry', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('tuning_id', 'seq', name='uq_hpo_journal_tuning_seq')
    )
    op.create_table('hyperparameter_tunings',
    sa.Column('status', sa.String(length=64), nullable=False),
    sa.Column('status_detail', sa.String(length=32), nullable=False),
    sa.Column('experiment_id', sa.String(length=36), nullable=False),
    sa.Column('template_id', sa.String(length=36), nullable=True),
    sa.Column('spec', sa.JSON(), nullable=False),
    sa.Column('backend', sa.String(length=32), nullable=False),
    sa.Column('paths', sa.JSON(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('best_trial_id', sa.String(length=36), nullable=True),
    sa.Column('sampler_state', sa.LargeBinary(), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=False),
    sa.Column('status_reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['experiment_id'], ['experiments.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    with op.batch_alter_table('hyperparameter_tunings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hyperparameter_tunings_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_hyperparameter_tunings_experiment_id'), ['experiment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hyperparameter_tunings_status'), ['status'], unique=False)

    op.create_table('hpo_trials',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('tuning_id', sa.String(length=36), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('optuna_trial_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('status_reason', sa.Text(), nullable=False),
    sa.Column('stop_as', sa.String(length=32), nullable=True),
    sa.Column('parameters', sa.JSON(), nullable=False),
    sa.Column('objective_value', sa.Float(), nullable=True),
    sa.Column('metrics', sa.JSON(), nullable=False),
    sa.Column('last_step', sa.Integer(), nullable=False),
    sa.Column('backend', sa.String(length=32), nullable=False),
    sa.Column('handle', sa.JSON(), nullable=True),
    sa.Column('paths', sa.JSON(), nullable=False),
    sa.Column('log_offset', sa.Integer(), nullable=False),
    sa.Column('exit_code', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['tuning_id'], ['hyperparameter_tunings.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('tuning_id', 'number', name='uq_hpo_trials_tuning_number')
    )
    with op.batch_alter_table('hpo_trials', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hpo_trials_tuning_id'), ['tuning_id'], unique=False)
        batch_op.create_index('ix_hpo_trials_tuning_status', ['tuning_id', 'status'], unique=False)

    # "FAIL HYPERPARAMETER TUNING IN PROGRESS" does not fit in 32 characters
    with op.batch_alter_table('status_events', schema=None) as batch_op:
        batch_op.alter_column('status',
               existing_type=sa.VARCHAR(length=32),
               type_=sa.String(length=64),
               existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('status_events', schema=None) as batch_op:
        batch_op.alter_column('status',
               existing_type=sa.String(length=64),
               type_=sa.VARCHAR(length=32),
               existing_nullable=False)

    with op.batch_alter_table('hpo_trials', schema=None) as batch_op:
        batch_op.drop_index('ix_hpo_trials_tuning_status')
        batch_op.drop_index(batch_op.f('ix_hpo_trials_tuning_id'))

    op.drop_table('hpo_trials')
    with op.batch_alter_table('hyperparameter_tunings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hyperparameter_tunings_status'))
        batch_op.drop_index(batch_op.f('ix_hyperparameter_tunings_experiment_id'))
        batch_op.drop_index(batch_op.f('ix_hyperparameter_tunings_created_at'))

    op.drop_table('hyperparameter_tunings')
    op.drop_table('hpo_journal')

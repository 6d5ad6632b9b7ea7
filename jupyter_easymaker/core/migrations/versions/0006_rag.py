"""RAG: rags, their ingestions and per-file outcomes, API keys and statistics

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
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
    op.create_table('rags',
    sa.Column('gateway_status', sa.String(length=32), nullable=True),
    sa.Column('spec', sa.JSON(), nullable=False),
    sa.Column('secrets', sa.LargeBinary(), nullable=True),
    sa.Column('backend', sa.String(length=32), nullable=False),
    sa.Column('server_handle', sa.JSON(), nullable=True),
    sa.Column('llm_model_id', sa.String(length=36), nullable=True),
    sa.Column('llm_server_handle', sa.JSON(), nullable=True),
    sa.Column('paths', sa.JSON(), nullable=False),
    sa.Column('live_generation', sa.Integer(), nullable=True),
    sa.Column('files', sa.Integer(), nullable=False),
    sa.Column('chunks', sa.Integer(), nullable=False),
    *_resource_columns(),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    _indexes('rags', 'created_at', 'status', 'llm_model_id')

    op.create_table('rag_ingestions',
    sa.Column('rag_id', sa.String(length=36), nullable=False),
    sa.Column('trigger', sa.String(length=16), nullable=False),
    sa.Column('requested_by', sa.String(length=128), nullable=False),
    sa.Column('progress', sa.JSON(), nullable=False),
    sa.Column('result', sa.JSON(), nullable=False),
    sa.Column('spec', sa.JSON(), nullable=False),
    sa.Column('backend', sa.String(length=32), nullable=False),
    sa.Column('handle', sa.JSON(), nullable=True),
    sa.Column('paths', sa.JSON(), nullable=False),
    sa.Column('exit_code', sa.Integer(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('log_offset', sa.Integer(), nullable=False),
    *_resource_columns(),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    _indexes('rag_ingestions', 'created_at', 'status', 'rag_id')

    op.create_table('rag_ingestion_files',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('ingestion_id', sa.String(length=36), nullable=False),
    sa.Column('path', sa.Text(), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('reason_code', sa.String(length=32), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('size_bytes', sa.BigInteger(), nullable=False),
    sa.Column('chunks', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    _indexes('rag_ingestion_files', 'ingestion_id')

    op.create_table('rag_api_keys',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('rag_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('last4', sa.String(length=4), nullable=False),
    sa.Column('salt', sa.String(length=32), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['rag_id'], ['rags.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('prefix')
    )
    _indexes('rag_api_keys', 'rag_id')

    op.create_table('rag_api_stats',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('rag_id', sa.String(length=36), nullable=False),
    sa.Column('bucket', sa.DateTime(timezone=True), nullable=False),
    sa.Column('calls', sa.Integer(), nullable=False),
    sa.Column('successes', sa.Integer(), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('latency_sum_ms', sa.Float(), nullable=False),
    sa.Column('latency_max_ms', sa.Float(), nullable=False),
    sa.Column('histogram', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    _indexes('rag_api_stats', 'rag_id')


def downgrade() -> None:
    for table in ('rag_api_stats', 'rag_api_keys', 'rag_ingestion_files', 'rag_ingestions', 'rags'):
        op.drop_table(table)

"""images and registry accounts: private images and the registry logins they are pulled with

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
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


def upgrade() -> None:
    op.create_table('registry_accounts',
    sa.Column('registry_type', sa.String(length=16), nullable=False),
    sa.Column('registry_address', sa.String(length=255), nullable=False),
    sa.Column('username', sa.String(length=255), nullable=False),
    sa.Column('password', sa.LargeBinary(), nullable=False),
    *_resource_columns(),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name'),
    )
    op.create_table('images',
    sa.Column('address', sa.String(length=512), nullable=False),
    sa.Column('image_type', sa.String(length=16), nullable=False),
    sa.Column('framework', sa.String(length=16), nullable=False),
    sa.Column('registry_account_id', sa.String(length=36), nullable=True),
    sa.Column('local_python', sa.String(length=1024), nullable=False),
    sa.Column('python_version', sa.String(length=32), nullable=False),
    sa.Column('framework_version', sa.String(length=64), nullable=False),
    *_resource_columns(),
    sa.ForeignKeyConstraint(['registry_account_id'], ['registry_accounts.id'], ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name'),
    )
    for table in ('registry_accounts', 'images'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in ('created_at', 'status'):
                batch_op.create_index(batch_op.f(f'ix_{table}_{column}'), [column], unique=False)
    with op.batch_alter_table('images', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_images_registry_account_id'), ['registry_account_id'], unique=False)


def downgrade() -> None:
    op.drop_table('images')
    op.drop_table('registry_accounts')

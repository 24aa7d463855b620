"""your data: data exports and account closures (deactivated, deletion scheduled, deleting)

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-04 20:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import viewfinder.core.db


revision: str = '0010'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('data_exports',
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('file_key', sa.String(length=200), nullable=True),
    sa.Column('size_bytes', sa.BigInteger(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('started_at', viewfinder.core.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', viewfinder.core.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('expires_at', viewfinder.core.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('failure_message', sa.String(length=300), nullable=True),
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('created_at', viewfinder.core.db.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_data_exports_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_data_exports'))
    )
    op.create_index('ix_data_exports_expires_at', 'data_exports', ['expires_at'], unique=False)
    op.create_index('ix_data_exports_user_id_id', 'data_exports', ['user_id', 'id'], unique=False)
    op.create_table('account_closures',
    sa.Column('user_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('closed_at', viewfinder.core.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('delete_after', viewfinder.core.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('erasing_since', viewfinder.core.db.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_account_closures_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_account_closures'))
    )
    op.create_index('ix_account_closures_state_delete_after', 'account_closures', ['state', 'delete_after'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_account_closures_state_delete_after', table_name='account_closures')
    op.drop_table('account_closures')
    op.drop_index('ix_data_exports_user_id_id', table_name='data_exports')
    op.drop_index('ix_data_exports_expires_at', table_name='data_exports')
    op.drop_table('data_exports')

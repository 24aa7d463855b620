"""inbox changes: the outbox that feeds notification inboxes on Cassandra

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 06:45:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import viewfinder.core.db


revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('inbox_changes',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('recipient_id', sa.BigInteger(), nullable=False),
    sa.Column('change', sa.String(length=10), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('group_key', sa.String(length=80), nullable=False),
    sa.Column('actor_id', sa.BigInteger(), nullable=True),
    sa.Column('post_id', sa.BigInteger(), nullable=True),
    sa.Column('comment_id', sa.BigInteger(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('group_ids', sa.Text(), nullable=True),
    sa.Column('created_at', viewfinder.core.db.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['recipient_id'], ['users.id'], name=op.f('fk_inbox_changes_recipient_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbox_changes'))
    )
    op.create_index('ix_inbox_changes_recipient_id_id', 'inbox_changes', ['recipient_id', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_inbox_changes_recipient_id_id', table_name='inbox_changes')
    op.drop_table('inbox_changes')

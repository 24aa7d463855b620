"""account security: sudo mode (user_sessions.reauthenticated_at) and the security log

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import viewfinder.core.db


revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('user_sessions') as batch_op:
        batch_op.add_column(sa.Column('reauthenticated_at', viewfinder.core.db.UtcDateTime(timezone=True), nullable=True))
    op.create_table('security_events',
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('ip_address', sa.String(length=64), nullable=False),
    sa.Column('user_agent', sa.String(length=300), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('created_at', viewfinder.core.db.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_security_events_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_security_events'))
    )
    op.create_index('ix_security_events_created_at', 'security_events', ['created_at'], unique=False)
    op.create_index('ix_security_events_user_id_id', 'security_events', ['user_id', 'id'], unique=False)
    op.create_index('ix_security_events_user_id_ip_address', 'security_events', ['user_id', 'ip_address'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_security_events_user_id_ip_address', table_name='security_events')
    op.drop_index('ix_security_events_user_id_id', table_name='security_events')
    op.drop_index('ix_security_events_created_at', table_name='security_events')
    op.drop_table('security_events')
    with op.batch_alter_table('user_sessions') as batch_op:
        batch_op.drop_column('reauthenticated_at')

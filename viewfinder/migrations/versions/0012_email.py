"""email verification, email changes and password resets

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 21:00:00.000000
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

import viewfinder.core.db


revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _without_foreign_key_actions(change: Callable[[], None]) -> None:
    """Run a change that rebuilds `users`. SQLite drops a constraint by copying the table and dropping
    the old one, and with foreign keys on, dropping `users` would first delete every row that refers
    to it (ON DELETE CASCADE: sessions, posts...). So on SQLite it runs with them off (possible only
    outside a transaction), in a transaction of its own, checked before it commits."""
    bind = op.get_bind()
    if bind.dialect.name != 'sqlite':
        change()
        return
    with op.get_context().autocommit_block():
        bind.exec_driver_sql('PRAGMA foreign_keys=OFF')
        try:
            bind.exec_driver_sql('BEGIN')
            try:
                change()
                broken = bind.exec_driver_sql('PRAGMA foreign_key_check').fetchall()
                if broken:
                    raise RuntimeError(f'rebuilding users broke foreign keys: {broken[:5]}')
            except BaseException:
                bind.exec_driver_sql('ROLLBACK')
                raise
            bind.exec_driver_sql('COMMIT')
        finally:
            bind.exec_driver_sql('PRAGMA foreign_keys=ON')


def _email_unique_once_verified() -> None:
    with op.batch_alter_table('users') as batch_op:
        batch_op.drop_constraint('uq_users_email_key', type_='unique')
        batch_op.create_index('ix_users_email_key', ['email_key'], unique=False)


def _email_unique_always() -> None:
    with op.batch_alter_table('users') as batch_op:
        batch_op.drop_index('ix_users_email_key')
        batch_op.create_unique_constraint('uq_users_email_key', ['email_key'])
        batch_op.drop_column('email_verified_at')


def upgrade() -> None:
    with op.batch_alter_table('users') as batch_op:  # adding a column needs no rebuild
        batch_op.add_column(sa.Column('email_verified_at', viewfinder.core.db.UtcDateTime(timezone=True), nullable=True))
    _without_foreign_key_actions(_email_unique_once_verified)
    # Every address was unique until now, so each counts as verified: its account keeps it for good.
    op.execute('UPDATE users SET email_verified_at = created_at')
    op.create_index(
        'uq_users_verified_email_key',
        'users',
        ['email_key'],
        unique=True,
        sqlite_where=sa.text('email_verified_at IS NOT NULL'),
        postgresql_where=sa.text('email_verified_at IS NOT NULL'),
    )
    op.create_table('email_tokens',
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('password_stamp', sa.String(length=64), nullable=True),
    sa.Column('expires_at', viewfinder.core.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('used_at', viewfinder.core.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('created_at', viewfinder.core.db.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_email_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_email_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_email_tokens_token_hash'))
    )
    op.create_index('ix_email_tokens_expires_at', 'email_tokens', ['expires_at'], unique=False)
    op.create_index('ix_email_tokens_user_id_purpose', 'email_tokens', ['user_id', 'purpose'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_email_tokens_user_id_purpose', table_name='email_tokens')
    op.drop_index('ix_email_tokens_expires_at', table_name='email_tokens')
    op.drop_table('email_tokens')
    op.drop_index('uq_users_verified_email_key', table_name='users')
    # Addresses become unique again: of accounts sharing one, only the oldest keeps it, and the others
    # get an address that cannot receive mail (they still log in by username).
    op.execute(
        "UPDATE users SET email_key = 'duplicate-' || CAST(id AS VARCHAR(20)) || '@invalid', "
        "email = 'duplicate-' || CAST(id AS VARCHAR(20)) || '@invalid' "
        "WHERE EXISTS (SELECT 1 FROM users AS older WHERE older.email_key = users.email_key AND older.id < users.id)"
    )
    _without_foreign_key_actions(_email_unique_always)

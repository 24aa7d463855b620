"""encryption at rest

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 22:00:00.000000

Email addresses, TOTP secrets and session metadata (IP addresses, user agents, the security log's
details) become sealed values (viewfinder.core.crypto; docs/decisions/0035-encryption-at-rest.md),
under data keys this migration makes and wraps under the current root key of the settings in force
(VIEWFINDER_ENCRYPTION_KEYS, or the one derived from the secret key). users.email_key and the
security log's new ip_key / user_agent_key become keyed hashes (blind indexes).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

import viewfinder.core.db


revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 500

# (table, column, type before) of every column that now holds sealed values.
_SEALED: list[tuple[str, str, sa.types.TypeEngine[object]]] = [
    ('email_tokens', 'email', sa.String(length=254)),
    ('user_sessions', 'user_agent', sa.String(length=300)),
    ('user_sessions', 'ip_address', sa.String(length=64)),
    ('trusted_devices', 'user_agent', sa.String(length=300)),
    ('trusted_devices', 'ip_address', sa.String(length=64)),
    ('totp_authenticators', 'secret', sa.String(length=255)),
]


def _without_foreign_key_actions(change: Callable[[], None]) -> None:
    """Run a change that rebuilds `users` on SQLite with foreign keys off, so that dropping the old
    table does not cascade to every row referring to it (see 0012, where this comes from)."""
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


def _to_binary(column: str, json: bool = False) -> str:
    """PostgreSQL's conversion of a text (or json) column's values to bytes."""
    return f"convert_to({column}{'::text' if json else ''}, 'UTF8')"


def _users_email_binary() -> None:
    with op.batch_alter_table('users') as batch_op:
        batch_op.alter_column(
            'email', existing_type=sa.String(length=254), type_=sa.LargeBinary(), existing_nullable=False,
            postgresql_using=_to_binary('email'),
        )


def _keyring():  # type: ignore[no-untyped-def]
    from viewfinder.core import crypto

    configured = crypto._keyring
    if configured is not None:
        return crypto.Keyring(configured.root_keys)
    from viewfinder.settings import get_settings

    return crypto.Keyring(crypto.root_keys_of(get_settings()))


def upgrade() -> None:
    from viewfinder.core import crypto

    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        # Pages freed by the rebuilds and cells rewritten below are zeroed, not left with plaintext.
        bind.exec_driver_sql('PRAGMA secure_delete=ON')
    op.create_table('encryption_keys',
    sa.Column('id', sa.String(length=16), nullable=False),
    sa.Column('purpose', sa.String(length=200), nullable=False),
    sa.Column('root_key_id', sa.String(length=32), nullable=False),
    sa.Column('wrapped_key', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', viewfinder.core.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('retired_at', viewfinder.core.db.UtcDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_encryption_keys'))
    )
    op.create_index(
        'uq_encryption_keys_current_purpose', 'encryption_keys', ['purpose'], unique=True,
        sqlite_where=sa.text('retired_at IS NULL'), postgresql_where=sa.text('retired_at IS NULL'),
    )

    _without_foreign_key_actions(_users_email_binary)
    for table, column, before in _SEALED:
        with op.batch_alter_table(table) as batch_op:
            batch_op.alter_column(
                column, existing_type=before, type_=sa.LargeBinary(), existing_nullable=False,
                postgresql_using=_to_binary(column),
            )
    op.drop_index('ix_security_events_user_id_ip_address', table_name='security_events')
    with op.batch_alter_table('security_events') as batch_op:
        batch_op.alter_column(
            'ip_address', existing_type=sa.String(length=64), type_=sa.LargeBinary(), existing_nullable=False,
            postgresql_using=_to_binary('ip_address'),
        )
        batch_op.alter_column(
            'user_agent', existing_type=sa.String(length=300), type_=sa.LargeBinary(), existing_nullable=False,
            postgresql_using=_to_binary('user_agent'),
        )
        batch_op.alter_column(
            'detail', existing_type=sa.JSON(), type_=sa.LargeBinary(), existing_nullable=False,
            postgresql_using=_to_binary('detail', json=True),
        )
        batch_op.add_column(sa.Column('ip_key', sa.String(length=64), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('user_agent_key', sa.String(length=64), nullable=False, server_default=''))
    op.create_index('ix_security_events_user_id_ip_key', 'security_events', ['user_id', 'ip_key'], unique=False)

    # The data keys, then every existing value sealed (and every look-up hash computed), in batches.
    keyring = _keyring()
    keyring.load(bind)
    for purpose in crypto.PURPOSES:
        keyring.create_data_key(bind, purpose, retire_current=False)
    for column in crypto.SEALED_COLUMNS:
        crypto.reseal_column(bind, keyring, column, batch_size=BATCH, plaintext_ok=True)
    crypto.reindex(bind, keyring, batch_size=BATCH)


def downgrade() -> None:
    raise RuntimeError(
        'Encryption at rest (0013) cannot be undone in place: restore the backup taken before upgrading '
        '(docs/deploy.md, "Encryption keys").'
    )

"""dead-letter jobs and worker heartbeats

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 22:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

import viewfinder.core.db


revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The repair sweep fans out again recent posts with no post_fan_outs row. The posts that exist when
# this runs were fanned out by the jobs of the version before (or will be, by jobs still queued):
# marking the last two days' as done keeps the first sweeps from redoing them all.
_EPOCH_MS = 1_735_689_600_000  # viewfinder.core.ids.EPOCH_MS (2025-01-01), copied: migrations stand alone
_TIME_SHIFT = 23  # shard (13 bits) + sequence (10 bits)


def upgrade() -> None:
    op.create_table('dead_letters',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('signature', sa.String(length=64), nullable=False),
    sa.Column('task', sa.String(length=200), nullable=False),
    sa.Column('arguments', sa.Text(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('first_failed_at', viewfinder.core.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('last_failed_at', viewfinder.core.db.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dead_letters')),
    sa.UniqueConstraint('signature', name=op.f('uq_dead_letters_signature'))
    )
    op.create_table('job_consumers',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('pid', sa.Integer(), nullable=False),
    sa.Column('started_at', viewfinder.core.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('beat_at', viewfinder.core.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('polled_at', viewfinder.core.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('pending', sa.Integer(), nullable=True),
    sa.Column('running', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_consumers'))
    )
    op.create_index('ix_job_consumers_beat_at', 'job_consumers', ['beat_at'], unique=False)
    post_fan_outs = op.create_table('post_fan_outs',
    sa.Column('post_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('author_id', sa.BigInteger(), nullable=False),
    sa.Column('fanned_out_at', viewfinder.core.db.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('post_id', name=op.f('pk_post_fan_outs'))
    )
    op.create_index('ix_post_fan_outs_author_id', 'post_fan_outs', ['author_id'], unique=False)
    now = datetime.now(UTC)
    since = int((now - timedelta(days=2)).timestamp() * 1000) - _EPOCH_MS
    posts = sa.table('posts', sa.column('id', sa.BigInteger()), sa.column('author_id', sa.BigInteger()))
    op.execute(
        sa.insert(post_fan_outs).from_select(
            ['post_id', 'author_id', 'fanned_out_at'],
            sa.select(posts.c.id, posts.c.author_id, sa.literal(now, viewfinder.core.db.UtcDateTime()))
            .where(posts.c.id >= max(since, 0) << _TIME_SHIFT),
        )
    )


def downgrade() -> None:
    op.drop_index('ix_post_fan_outs_author_id', table_name='post_fan_outs')
    op.drop_table('post_fan_outs')
    op.drop_index('ix_job_consumers_beat_at', table_name='job_consumers')
    op.drop_table('job_consumers')
    op.drop_table('dead_letters')

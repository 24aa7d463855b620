"""pending jobs: the job queue's hand-off while Redis is unavailable

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 04:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import viewfinder.core.db


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('pending_jobs',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('queue', sa.String(length=120), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('run_at', viewfinder.core.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('created_at', viewfinder.core.db.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pending_jobs'))
    )


def downgrade() -> None:
    op.drop_table('pending_jobs')

"""the interaction log: what each account was shown and did, for recommendations (decision 0068)

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06 16:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0024'
down_revision: str | None = '0023'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'interactions',
        sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('viewer_id', sa.BigInteger(), nullable=False),
        sa.Column('kind', sa.SmallInteger(), nullable=False),
        sa.Column('post_id', sa.BigInteger(), nullable=True),
        sa.Column('author_id', sa.BigInteger(), nullable=True),
        sa.Column('surface', sa.SmallInteger(), nullable=True),
        sa.Column('position', sa.SmallInteger(), nullable=True),
        sa.Column('dwell_ms', sa.Integer(), nullable=True),
        sa.Column('model', sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_interactions')),
    )
    op.create_index('ix_interactions_viewer_id_id', 'interactions', ['viewer_id', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_interactions_viewer_id_id', table_name='interactions')
    op.drop_table('interactions')

"""post caption embeddings, a candidate source for Explore and For you (decision 0075)

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 08:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0025'
down_revision: str | None = '0024'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'post_embeddings',
        sa.Column('post_id', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('vector', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ['post_id'], ['posts.id'], name=op.f('fk_post_embeddings_post_id_posts'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('post_id', name=op.f('pk_post_embeddings')),
    )


def downgrade() -> None:
    op.drop_table('post_embeddings')

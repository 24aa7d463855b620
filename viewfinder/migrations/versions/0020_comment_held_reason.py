"""comments.held_reason: why a held comment is held, as its author is told (decision 0062)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 05:15:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("held_reason", sa.String(length=16), nullable=True))
    # Comments held before this revision keep a null reason: which of the two held them is not known.


def downgrade() -> None:
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.drop_column("held_reason")

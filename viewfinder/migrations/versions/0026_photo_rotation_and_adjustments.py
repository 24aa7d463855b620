"""media items' turn and adjustments, baked into a photo's renditions (decision 0080)

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-08 08:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0026'
down_revision: str | None = '0025'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('media_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rotation', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('adjustments', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('media_items', schema=None) as batch_op:
        batch_op.drop_column('adjustments')
        batch_op.drop_column('rotation')

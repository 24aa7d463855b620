"""detection thresholds admins changed while the instance runs (decision 0065)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0023'
down_revision: str | None = '0022'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'detection_thresholds',
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('value', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_detection_thresholds')),
    )


def downgrade() -> None:
    op.drop_table('detection_thresholds')

"""reports by reporter and status, for reporter trust; posts_count counts visible posts only

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05 21:25:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op


revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A reporter's upheld and dismissed reports weigh their new ones (moderation.cases, decision 0055).
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.create_index('ix_reports_reporter_id_status', ['reporter_id', 'status'], unique=False)
    # posts_count now counts only the posts others see (posts.services.move_posts_count): recount the
    # accounts that have a held or removed post.
    op.execute(RECOUNT)


RECOUNT = (
    "UPDATE users SET posts_count = (SELECT count(*) FROM posts WHERE posts.author_id = users.id "
    "AND posts.moderation = 'visible') "
    "WHERE users.id IN (SELECT author_id FROM posts WHERE moderation != 'visible')"
)


def downgrade() -> None:
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.drop_index('ix_reports_reporter_id_status')

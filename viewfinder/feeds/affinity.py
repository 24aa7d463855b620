"""Viewer-author affinity: how much a viewer engages with an author, for the ranked feed.

score = ln(1 + likes + 2 * comments + 0.5 * visits). feeds.subscribers calls `bump` inside the
transaction of each like, comment or profile visit (their domain events); undoing a like or
deleting a comment calls it with a negative step.
"""

from __future__ import annotations

import math

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from viewfinder.core.db import utcnow
from viewfinder.feeds.models import Affinity


def affinity_score(likes: int, comments: int, visits: int) -> float:
    return math.log1p(max(0.0, likes + 2 * comments + 0.5 * visits))


async def bump(
    db: AsyncSession, viewer_id: int, author_id: int, *, likes: int = 0, comments: int = 0, visits: int = 0
) -> None:
    """Move the viewer's affinity with author by these steps; the caller commits."""
    if viewer_id == author_id:
        return
    # FOR UPDATE: concurrent bumps of one pair queue on PostgreSQL instead of losing a step, and the
    # read goes to the primary even in a read-only request on a replica (core.db). SQLite ignores it.
    row = await db.scalar(
        select(Affinity)
        .where(Affinity.viewer_id == viewer_id, Affinity.author_id == author_id)
        .with_for_update()
    )
    if row is None:
        row = Affinity(viewer_id=viewer_id, author_id=author_id, likes=0, comments=0, visits=0)
        db.add(row)
    row.likes = max(0, row.likes + likes)
    row.comments = max(0, row.comments + comments)
    row.visits = max(0, row.visits + visits)
    row.score = affinity_score(row.likes, row.comments, row.visits)
    row.updated_at = utcnow()

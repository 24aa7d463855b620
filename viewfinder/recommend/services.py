"""Writes of the interaction log (recommend.log): what the client reports, what the server's own
writes record, retention and erasure. Every write goes through here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from viewfinder.accounts.models import User
from viewfinder.core.ids import new_id
from viewfinder.core.params import MAX_ID
from viewfinder.policy import visible_posts
from viewfinder.posts.models import Post
from viewfinder.recommend.log import (
    NEGATIVE_KINDS,
    Kind,
    Signal,
    Surface,
    interaction_log,
    retention_cutoff,
)
from viewfinder.recommend.models import Interaction
from viewfinder.recommend.schemas import InteractionIn

ACCOUNT_DATA_TABLES = (Interaction.__tablename__,)
ACCOUNT_DATA_CASSANDRA_TABLES = ("interactions", "interactions_about")


async def record_reported(db: AsyncSession, viewer: User, reports: Sequence[InteractionIn]) -> int:
    """Keep what the viewer's client reports, for the posts the viewer may see (not its own); how
    many were kept. Commits."""
    wanted = {post_id for report in reports if (post_id := int(report.post_id)) <= MAX_ID}  # else no post
    found = await db.execute(
        visible_posts(viewer).with_only_columns(Post.id, Post.author_id).where(Post.id.in_(wanted))
    )
    authors: dict[int, int] = dict(found.tuples().all())
    signals = [
        Signal(
            id=new_id(),
            viewer_id=viewer.id,
            kind=Kind[report.kind.upper()],
            post_id=post_id,
            author_id=authors[post_id],
            surface=Surface[report.surface.upper()] if report.surface else None,
            position=report.position,
            dwell_ms=report.dwell_ms if report.kind == "dwell" else None,
            model=report.model,
        )
        for report in reports
        # An account's own posts teach nothing about its tastes (its profile grid, say).
        if (post_id := int(report.post_id)) in authors and authors[post_id] != viewer.id
    ]
    await interaction_log().record(db, signals)
    await db.commit()
    return len(signals)


async def record(
    db: AsyncSession, viewer_id: int, kind: Kind, *, post_id: int | None = None, author_id: int | None = None
) -> None:
    """Keep one signal of the server's own (a like, a follow ...) with the caller's transaction.
    An account's own posts and profile teach nothing about its tastes: not kept."""
    if author_id == viewer_id:
        return
    signal = Signal(id=new_id(), viewer_id=viewer_id, kind=kind, post_id=post_id, author_id=author_id)
    await interaction_log().record(db, [signal])


async def not_interested(db: AsyncSession, viewer_id: int, limit: int = 500) -> tuple[set[int], set[int]]:
    """The posts the viewer asked to see fewer of, and their authors (newest `limit` asks)."""
    signals = await interaction_log().recent(db, viewer_id, kinds=NEGATIVE_KINDS, limit=limit)
    posts = {signal.post_id for signal in signals if signal.post_id is not None}
    authors = {signal.author_id for signal in signals if signal.author_id is not None}
    return posts, authors


async def prune(db: AsyncSession, retention_days: int, now: datetime | None = None) -> int:
    """Drop the signals older than the retention; how many went. Commits."""
    gone = await interaction_log().prune(db, before=retention_cutoff(retention_days, now))
    await db.commit()
    return gone


async def delete_account_data(db: AsyncSession, user_id: int) -> None:
    """Forget what the account did and every signal about it or its posts (its erasure). Commits."""
    await interaction_log().erase_account(db, user_id)
    await db.commit()

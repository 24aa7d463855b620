"""Background jobs of the feeds domain: fan-out, follow back-fill and timeline clean-ups.

Each is idempotent and retried with backoff (5, 10, 20, 40 s later), so a database that is
briefly busy or a worker killed half-way never leaves a timeline wrong for good.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from viewfinder.core.jobs import current_settings, huey, run_with_db
from viewfinder.feeds import services
from viewfinder.feeds.store import TimelineStore, timeline_store, using_session


def _store(db: AsyncSession) -> TimelineStore:
    return timeline_store(current_settings(), using_session(db))


@huey.task(retries=4, retry_delay=5, retry_backoff=2)
def fan_out_post(post_id: int) -> None:
    """Write a new post to its author's and (unless a celebrity) its followers' timelines."""
    settings = current_settings()
    run_with_db(lambda db: services.fan_out_post(db, _store(db), settings, post_id))


@huey.task(retries=4, retry_delay=5, retry_backoff=2)
def backfill_timeline(user_id: int, author_id: int) -> None:
    """After a follow: the author's recent posts join the follower's timeline."""
    settings = current_settings()
    run_with_db(lambda db: services.backfill_timeline(db, _store(db), settings, user_id, author_id))


@huey.task(retries=4, retry_delay=5, retry_backoff=2)
def remove_author_from_timeline(user_id: int, author_id: int) -> None:
    """After an unfollow, a removed follower or a block: the author's posts leave the timeline."""
    run_with_db(lambda db: _store(db).remove_author(user_id, author_id))


@huey.task(retries=4, retry_delay=5, retry_backoff=2)
def remove_post_from_timelines(post_id: int) -> None:
    """A deleted post leaves every timeline (retried when the delete right after it failed)."""
    run_with_db(lambda db: _store(db).remove_post(post_id))

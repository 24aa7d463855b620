"""Background jobs of the feeds domain: fan-out, follow back-fill and timeline clean-ups.

Each is idempotent and reads, when it runs, the state it serves (the post, the follow), so any
order of runs and retries ends with the right timelines (docs/decisions/0037). Like every job
(core.jobs), one that meets an outage (Cassandra, the database) is tried again, the wait doubling up
to `job_retry_max_delay_seconds`, for as long as the outage lasts; other failures are retried 5,
10, 20 and 40 s later, then land in the dead-letter list. `repair_fan_out` finds, every minute,
the recent posts whose fan-out never finished (a job lost with a killed worker or a queue), so
timelines converge without an operator.
"""

from __future__ import annotations

from huey import crontab
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from viewfinder.core.jobs import current_settings, huey, run_with_db, task_name
from viewfinder.core.models import DeadLetter
from viewfinder.feeds import services
from viewfinder.feeds.store import TimelineStore, timelines, using_session


def _store(db: AsyncSession) -> TimelineStore:
    return timelines(using_session(db))


@huey.task(retries=4, retry_delay=5, retry_backoff=2)
def fan_out_post(post_id: int) -> None:
    """Write a new post to its author's and (unless a celebrity) its followers' timelines."""
    settings = current_settings()
    run_with_db(lambda db: services.fan_out_post(db, _store(db), settings, post_id))


@huey.task(retries=4, retry_delay=5, retry_backoff=2)
def backfill_timeline(user_id: int, author_id: int) -> None:
    """After a follow: the author's recent posts join the follower's timeline (if it still holds)."""
    settings = current_settings()
    run_with_db(lambda db: services.backfill_timeline(db, _store(db), settings, user_id, author_id))


@huey.task(retries=4, retry_delay=5, retry_backoff=2)
def remove_author_from_timeline(user_id: int, author_id: int) -> None:
    """After an unfollow, a removed follower or a block: the author's posts leave the timeline
    (unless the user follows the author again by then)."""
    settings = current_settings()
    run_with_db(lambda db: services.remove_author_from_timeline(db, _store(db), settings, user_id, author_id))


@huey.task(retries=4, retry_delay=5, retry_backoff=2)
def remove_post_from_timelines(post_id: int) -> None:
    """A deleted post leaves every timeline (retried when the delete right after it failed)."""
    run_with_db(lambda db: _store(db).remove_post(post_id))


async def _dead_fan_outs(db: AsyncSession) -> set[int]:
    """Posts whose fan-out job gave up: left to the dead-letter list (an operator replays them)."""
    name = task_name(fan_out_post.task_class)
    arguments = await db.scalars(select(DeadLetter.arguments).where(DeadLetter.task == name))
    return {int(text.strip("(),")) for text in arguments if text.strip("(),").isdigit()}


@huey.periodic_task(crontab(minute="*"))
def repair_fan_out() -> int:
    """Every minute: fan out the recent posts whose fan-out never finished; how many."""
    settings = current_settings()

    async def repair(db: AsyncSession) -> int:
        skip = await _dead_fan_outs(db)
        return len(await services.repair_fan_out(db, _store(db), settings, skip=skip))

    return run_with_db(repair)

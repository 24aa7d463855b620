"""Erasing an account: every row, file, timeline and inbox entry of it, in a job that can be re-run.

Each domain owns the deletion of its own tables (`delete_account_data` in its services module,
with the `ACCOUNT_DATA_TABLES` it covers); this module only runs them, in an order where each step
can still find what it needs (reports about posts before the posts, posts before the account's last
media, the users row last). Every step commits as it goes and finds on a re-run what is left, and
every count on someone else's row (likes, followers, comments) moves in the transaction that deleted
the rows it counts, so a crash half-way finishes on retry and never moves a count twice.

`tables_holding_accounts` finds the tables that can hold an account's rows (a foreign key to users,
or a column named like one, such as `user_id` or `author_id`); tests/privacy fails when one of them
is in no step's list, so a new table cannot be forgotten here.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import MetaData, select
from sqlalchemy.ext.asyncio import AsyncSession

from viewfinder.accounts import services as accounts
from viewfinder.accounts.models import User
from viewfinder.community import services as community
from viewfinder.detection import pdq as detection
from viewfinder.engagement import services as engagement
from viewfinder.feeds import services as feeds
from viewfinder.feeds.store import TimelineStore, timelines, using_session
from viewfinder.graph import services as graph
from viewfinder.media import services as media
from viewfinder.media import withdrawal as media_withdrawal
from viewfinder.mediakit.storage import MediaBackend
from viewfinder.moderation import services as moderation
from viewfinder.notifications import services as notifications
from viewfinder.posts import services as posts
from viewfinder.privacy import services as privacy
from viewfinder.recommend import services as recommend
from viewfinder.settings import Settings


@dataclass(frozen=True)
class Erasure:
    """What every step is handed: the account, and the backends it is kept in."""

    db: AsyncSession
    user_id: int
    username: str
    storage: MediaBackend
    timelines: TimelineStore


@dataclass(frozen=True)
class Step:
    """One domain's part of an erasure, and the tables it leaves without a row of the account."""

    name: str
    tables: tuple[str, ...]
    run: Callable[[Erasure], Awaitable[None]]
    cassandra_tables: tuple[str, ...] = ()


STEPS: tuple[Step, ...] = (
    # First, while every file is still named: the edge cache forgets the account's media (closing it
    # queued that too, but an erasure with no grace period may delete the rows before that ran).
    Step("edge", (), lambda e: media_withdrawal.withdraw_account(e.db, e.user_id)),
    Step(
        "exports",
        privacy.ACCOUNT_DATA_TABLES,
        lambda e: privacy.delete_account_data(e.db, e.user_id, e.storage),
    ),
    Step(
        "notifications",
        notifications.ACCOUNT_DATA_TABLES,
        lambda e: notifications.delete_account_data(e.db, e.user_id, e.username),
        notifications.ACCOUNT_DATA_CASSANDRA_TABLES,
    ),
    Step(
        "interactions",
        recommend.ACCOUNT_DATA_TABLES,
        lambda e: recommend.delete_account_data(e.db, e.user_id),
        recommend.ACCOUNT_DATA_CASSANDRA_TABLES,
    ),
    Step(
        "reports", moderation.ACCOUNT_DATA_TABLES, lambda e: moderation.delete_account_data(e.db, e.user_id)
    ),
    Step(
        "community", community.ACCOUNT_DATA_TABLES, lambda e: community.delete_account_data(e.db, e.user_id)
    ),
    Step(
        "detection", detection.ACCOUNT_DATA_TABLES, lambda e: detection.delete_account_data(e.db, e.user_id)
    ),
    Step(
        "engagement",
        engagement.ACCOUNT_DATA_TABLES,
        lambda e: engagement.delete_account_data(e.db, e.user_id),
    ),
    Step(
        "posts",
        posts.ACCOUNT_DATA_TABLES,
        lambda e: posts.delete_account_data(e.db, e.user_id, e.storage, e.timelines),
    ),
    Step("media", media.ACCOUNT_DATA_TABLES, lambda e: media.delete_account_data(e.db, e.user_id, e.storage)),
    Step("graph", graph.ACCOUNT_DATA_TABLES, lambda e: graph.delete_account_data(e.db, e.user_id)),
    Step(
        "feeds",
        feeds.ACCOUNT_DATA_TABLES,
        lambda e: feeds.delete_account_data(e.db, e.user_id, e.timelines),
        feeds.ACCOUNT_DATA_CASSANDRA_TABLES,
    ),
    Step(
        "account",
        accounts.ACCOUNT_DATA_TABLES,
        lambda e: accounts.delete_account_data(e.db, e.user_id, e.storage),
    ),
)

ACCOUNT_COLUMN = re.compile(
    r"(^|_)(user|author|actor|recipient|viewer|owner|reporter|follower|followee|requester|target|"
    r"blocker|blocked|muter|muted|sender|creator|member)_id$"
)
"""Columns named like a reference to an account (some tables, caches of other engines' rows, have
no foreign key). `target_id` is among them: a report's target may be an account."""


def tables_holding_accounts(metadata: MetaData) -> list[str]:
    """Every table with a foreign key to users or a column named like an account reference."""
    found = []
    for table in metadata.sorted_tables:
        if (
            table.name == "users"
            or any(foreign.column.table.name == "users" for foreign in table.foreign_keys)
            or any(ACCOUNT_COLUMN.search(column.name) for column in table.columns)
        ):
            found.append(table.name)
    return sorted(found)


def covered_tables() -> set[str]:
    return {table for step in STEPS for table in step.tables}


async def erase_account(db: AsyncSession, storage: MediaBackend, settings: Settings, user_id: int) -> bool:
    """Erase the account if its owner asked and the grace period is over (or the erasure began
    before and stopped half-way); False, changing nothing, otherwise. Safe to run again, and
    beside another run of itself."""
    if not await privacy.claim_erasure(db, user_id):
        return await db.scalar(select(User.id).where(User.id == user_id)) is None
    username = await db.scalar(select(User.username).where(User.id == user_id))
    await db.rollback()
    if username is None:
        return True
    erasure = Erasure(db, user_id, username, storage, timelines(using_session(db)))
    for step in STEPS:
        await step.run(erasure)
    return True

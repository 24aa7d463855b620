"""The timeline store: each account's home timeline as (post, author) entries, newest first.

A timeline is a cache of "posts by accounts I follow, and mine", rebuilt at will from posts and
follows (see feeds.services.rebuild_timelines). It sits behind the small `TimelineStore`
interface so the embedded default (`SqlTimelineStore`, the main database's `timeline_entries`
table) and the scale-out engine (`feeds.cassandra.CassandraTimelineStore`) are interchangeable and
pass the same tests (tests/feeds/test_store_contract.py, tests/feeds/test_cassandra_store.py).
Which one a process uses is chosen once, by viewfinder.wiring, and handed in with `use`.

Every method is idempotent, so a retried background job never doubles or loses an entry.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any, Protocol, cast

from sqlalchemy import BigInteger, Integer, Table, bindparam, delete, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from viewfinder.core.db import read_rows
from viewfinder.feeds.models import TimelineRow

_TABLE = cast(Table, TimelineRow.__table__)

SessionSource = Callable[[], AbstractAsyncContextManager[AsyncSession]]
"""Where the SQL store gets a session: an `async_sessionmaker`, or `using_session(open_session)`."""


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """Post `post_id` by `author_id` sits in the home timeline of `user_id`."""

    user_id: int
    post_id: int
    author_id: int


class TimelineStore(Protocol):
    """Home timelines: written by fan-out, follow and delete jobs, read by the home feed."""

    async def add(self, entries: Sequence[TimelineEntry]) -> None:
        """Put these entries in their timelines; entries already there are left as they are."""
        ...

    async def page(self, user_id: int, before: int | None, limit: int) -> list[TimelineEntry]:
        """Up to `limit` entries of one timeline, newest (highest post id) first, with post ids
        below `before` when it is given."""
        ...

    async def remove_author(self, user_id: int, author_id: int) -> None:
        """Take every post by `author_id` out of one timeline (unfollow, block)."""
        ...

    async def remove_post(self, post_id: int) -> None:
        """Take a post out of every timeline (the post was deleted)."""
        ...

    async def trim(self, user_id: int, keep: int) -> None:
        """Keep only the newest `keep` entries of one timeline."""
        ...

    async def trim_many(self, user_ids: Sequence[int], keep: int) -> None:
        """`trim` for many timelines in one go (fan-out trims a batch of followers together)."""
        ...

    async def clear(self, user_id: int) -> None:
        """Empty one timeline (before it is rebuilt)."""
        ...

    async def remove_account(self, user_id: int) -> None:
        """Account erasure: empty the account's own timeline and take every post by it out of every
        timeline, leaving no entry that names it (may scan the whole store: rare, in a job)."""
        ...


@functools.lru_cache(maxsize=2)
def _page_query(bounded: bool) -> Any:
    """`SqlTimelineStore.page`'s statement, built once per shape (the first of every feed page)."""
    query = (
        select(TimelineRow.post_id, TimelineRow.author_id)
        .where(TimelineRow.user_id == bindparam("user_id", type_=BigInteger()))
        .order_by(TimelineRow.post_id.desc())
        .limit(bindparam("limit", type_=Integer()))
    )
    if bounded:
        query = query.where(TimelineRow.post_id < bindparam("before", type_=BigInteger()))
    return query


def using_session(session: AsyncSession) -> SessionSource:
    """A session source that runs the store's statements on an already open session (the
    request's, or a job's) and leaves it open: one connection per request rather than two."""

    @asynccontextmanager
    async def borrow() -> AsyncIterator[AsyncSession]:
        yield session

    return borrow


def _insert_ignoring_duplicates(session: AsyncSession) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING in the session's SQL dialect."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(_TABLE).on_conflict_do_nothing()
    if dialect == "sqlite":
        return sqlite.insert(_TABLE).on_conflict_do_nothing()
    raise NotImplementedError(f"no timeline upsert for the {dialect} dialect")


class SqlTimelineStore:
    """Timelines in the main SQL database's `timeline_entries` table (the embedded default).

    The primary key (user_id, post_id) serves pages and trims; (user_id, author_id) serves
    unfollows; (post_id) serves deletions.
    """

    def __init__(self, sessions: SessionSource) -> None:
        self._sessions = sessions

    async def add(self, entries: Sequence[TimelineEntry]) -> None:
        if not entries:
            return
        rows = [{"user_id": e.user_id, "post_id": e.post_id, "author_id": e.author_id} for e in entries]
        async with self._sessions() as session:
            await session.execute(_insert_ignoring_duplicates(session), rows)
            await session.commit()

    async def page(self, user_id: int, before: int | None, limit: int) -> list[TimelineEntry]:
        values = {"user_id": user_id, "before": before, "limit": limit}
        async with self._sessions() as session:
            rows = await read_rows(session, _page_query(before is not None), values)
        return [TimelineEntry(user_id, post_id, author_id) for post_id, author_id in rows]

    async def remove_author(self, user_id: int, author_id: int) -> None:
        async with self._sessions() as session:
            await session.execute(
                delete(TimelineRow).where(TimelineRow.user_id == user_id, TimelineRow.author_id == author_id)
            )
            await session.commit()

    async def remove_post(self, post_id: int) -> None:
        async with self._sessions() as session:
            await session.execute(delete(TimelineRow).where(TimelineRow.post_id == post_id))
            await session.commit()

    async def trim(self, user_id: int, keep: int) -> None:
        await self.trim_many([user_id], keep)

    async def trim_many(self, user_ids: Sequence[int], keep: int) -> None:
        if not user_ids:
            return
        async with self._sessions() as session:
            # Per timeline, the newest entry beyond the cap: an index walk of `keep` steps, nothing
            # more. Callers trim only timelines that may have outgrown the cap (see fan-out).
            cutoffs = []
            for user_id in dict.fromkeys(user_ids):
                cutoff = await session.scalar(
                    select(TimelineRow.post_id)
                    .where(TimelineRow.user_id == user_id)
                    .order_by(TimelineRow.post_id.desc())
                    .offset(keep)
                    .limit(1)
                )
                if cutoff is not None:
                    cutoffs.append({"owner": user_id, "cutoff": cutoff})
            if cutoffs:
                await session.execute(
                    delete(_TABLE).where(
                        _TABLE.c.user_id == bindparam("owner"), _TABLE.c.post_id <= bindparam("cutoff")
                    ),
                    cutoffs,
                )
            await session.commit()

    async def clear(self, user_id: int) -> None:
        async with self._sessions() as session:
            await session.execute(delete(TimelineRow).where(TimelineRow.user_id == user_id))
            await session.commit()

    async def remove_account(self, user_id: int) -> None:
        async with self._sessions() as session:
            mine = or_(TimelineRow.user_id == user_id, TimelineRow.author_id == user_id)
            await session.execute(delete(TimelineRow).where(mine))
            await session.commit()


TimelineStoreFactory = Callable[[SessionSource], TimelineStore]
"""Makes the process's timeline store on a session source (viewfinder.wiring chooses which)."""

_factory: TimelineStoreFactory | None = None


def use(factory: TimelineStoreFactory) -> None:
    """Make this the process's timeline store factory (viewfinder.wiring, at start-up)."""
    global _factory
    _factory = factory


def timelines(sessions: SessionSource) -> TimelineStore:
    """The process's timeline store, on these sessions (the SQL store runs its statements there)."""
    if _factory is None:
        raise RuntimeError(
            "no timeline store: call viewfinder.wiring.build_backends(settings).install() first"
        )
    return _factory(sessions)

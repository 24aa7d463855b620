"""Home timelines on Apache Cassandra: the scale-out `TimelineStore` (see feeds.store).

Tables (core.cassandra.schema): `timelines`, a partition per account clustered by post id
descending, and `post_timelines`, which timelines each post went to (for deletions).

Writes use prepared UPDATEs with IN over keys: one statement writes a post to CHUNK timelines
(`... WHERE user_id IN ? AND post_id = ?`), or CHUNK posts to one timeline. The coordinator applies
them like an unlogged batch, and the driver serialises one list of ids instead of CHUNK bound
statements, which is what lets one Python process fan a post out to 100,000 timelines in seconds.
Statements go out CONCURRENCY at a time (core.cassandra.execute_all).

The cap is kept by trimming, as in the SQL store, not by TTL: an account that posts rarely must not
vanish from a quiet follower's timeline, and the cap is a count. A trim counts the entries of many
timelines in one statement, reads the excess of those over the cap (oldest first), and deletes
everything at or below the newest of them with one range tombstone.

Every method is idempotent: CQL writes are upserts and deletes of missing rows do nothing.

With `pages` (feeds.pagecache; the scale stack's Redis) the top of each timeline is kept in Redis:
reads within it never reach Cassandra, and every change tells `pages` which timelines it touched,
after it is written.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import Any

from viewfinder.core.cassandra import Cassandra
from viewfinder.feeds.pagecache import TOP, TimelinePages
from viewfinder.feeds.store import TimelineEntry
from viewfinder.settings import Settings

CHUNK = 250
"""Keys (timelines, or posts of one timeline) written or deleted by one statement."""
INDEX_PAGE = 1000
"""Rows of `post_timelines` read at a time when a post is removed."""

_WRITE_TO_TIMELINES = "UPDATE {ks}.timelines SET author_id = ? WHERE user_id IN ? AND post_id = ?"
_WRITE_POSTS = "UPDATE {ks}.timelines SET author_id = ? WHERE user_id = ? AND post_id IN ?"
_WRITE_INDEX = "UPDATE {ks}.post_timelines SET author_id = ? WHERE post_id = ? AND user_id IN ?"
_PAGE = "SELECT post_id, author_id FROM {ks}.timelines WHERE user_id = ? LIMIT ?"
_PAGE_BEFORE = "SELECT post_id, author_id FROM {ks}.timelines WHERE user_id = ? AND post_id < ? LIMIT ?"
# Filtering inside one partition of at most ~timeline_max_entries rows: no cluster-wide scan.
_POSTS_BY_AUTHOR = "SELECT post_id FROM {ks}.timelines WHERE user_id = ? AND author_id = ? ALLOW FILTERING"
_COUNT = "SELECT user_id, COUNT(*) AS held FROM {ks}.timelines WHERE user_id IN ? GROUP BY user_id"
_OLDEST = "SELECT post_id FROM {ks}.timelines WHERE user_id = ? ORDER BY post_id ASC LIMIT ?"
_DELETE_POSTS = "DELETE FROM {ks}.timelines WHERE user_id = ? AND post_id IN ?"
_DELETE_FROM_TIMELINES = "DELETE FROM {ks}.timelines WHERE user_id IN ? AND post_id = ?"
_DELETE_UP_TO = "DELETE FROM {ks}.timelines WHERE user_id = ? AND post_id <= ?"
_CLEAR = "DELETE FROM {ks}.timelines WHERE user_id = ?"
_INDEX_FIRST = "SELECT user_id FROM {ks}.post_timelines WHERE post_id = ? LIMIT ?"
_INDEX_AFTER = "SELECT user_id FROM {ks}.post_timelines WHERE post_id = ? AND user_id > ? LIMIT ?"
_DELETE_INDEX = "DELETE FROM {ks}.post_timelines WHERE post_id = ?"
_HOLDING = "SELECT user_id FROM {ks}.timelines WHERE user_id IN ? AND post_id = ?"
# Account erasure: filtered scans (ALLOW FILTERING reads the whole table; rare, in a job).
_OWN_ENTRIES = "SELECT post_id FROM {ks}.timelines WHERE user_id = ?"
_INDEX_HOLDERS_OF = "SELECT post_id FROM {ks}.post_timelines WHERE user_id = ? ALLOW FILTERING"
_INDEX_BY_AUTHOR = "SELECT post_id FROM {ks}.post_timelines WHERE author_id = ? ALLOW FILTERING"
_ENTRIES_BY_AUTHOR = "SELECT user_id, post_id FROM {ks}.timelines WHERE author_id = ? ALLOW FILTERING"
_DELETE_INDEX_ENTRY = "DELETE FROM {ks}.post_timelines WHERE post_id = ? AND user_id = ?"


def _chunks(items: Sequence[int]) -> Iterator[list[int]]:
    for start in range(0, len(items), CHUNK):
        yield list(items[start : start + CHUNK])


class CassandraTimelineStore:
    """Home timelines in a Cassandra keyspace (timeline_backend = "cassandra")."""

    def __init__(self, settings: Settings, pages: TimelinePages | None = None) -> None:
        self._db = Cassandra(settings)
        self._pages = pages

    async def _changed(self, user_ids: Sequence[int]) -> None:
        if self._pages is not None and user_ids:
            await self._pages.changed(user_ids)

    async def add(self, entries: Sequence[TimelineEntry]) -> None:
        if not entries:
            return
        by_post: dict[tuple[int, int], list[int]] = defaultdict(list)
        by_timeline: dict[tuple[int, int], list[int]] = defaultdict(list)
        for entry in dict.fromkeys(entries):
            by_post[entry.post_id, entry.author_id].append(entry.user_id)
            by_timeline[entry.user_id, entry.author_id].append(entry.post_id)
        work: list[tuple[str, Sequence[Any]]] = []
        # The index first: a post deleted half-way through is then still found in every timeline.
        for (post_id, author_id), user_ids in by_post.items():
            work += [(_WRITE_INDEX, (author_id, post_id, chunk)) for chunk in _chunks(user_ids)]
        if len(by_post) <= len(by_timeline):  # fan-out: one post to many timelines
            for (post_id, author_id), user_ids in by_post.items():
                work += [(_WRITE_TO_TIMELINES, (author_id, chunk, post_id)) for chunk in _chunks(user_ids)]
        else:  # back-fill and rebuild: many posts to few timelines
            for (user_id, author_id), post_ids in by_timeline.items():
                work += [(_WRITE_POSTS, (author_id, user_id, chunk)) for chunk in _chunks(post_ids)]
        await self._db.execute_all(work)
        await self._changed([entry.user_id for entry in entries])

    async def page(self, user_id: int, before: int | None, limit: int) -> list[TimelineEntry]:
        if self._pages is not None:
            return await self._pages.page(self._page, user_id, before, limit)
        return await self._page(user_id, before, limit)

    async def _page(self, user_id: int, before: int | None, limit: int) -> list[TimelineEntry]:
        if limit <= 0:
            return []
        if before is None:
            rows = await self._db.execute(_PAGE, (user_id, limit))
        else:
            rows = await self._db.execute(_PAGE_BEFORE, (user_id, before, limit))
        return [TimelineEntry(user_id, row.post_id, row.author_id) for row in rows]

    async def remove_author(self, user_id: int, author_id: int) -> None:
        rows = await self._db.execute(_POSTS_BY_AUTHOR, (user_id, author_id))
        post_ids = [row.post_id for row in rows]
        await self._db.execute_all((_DELETE_POSTS, (user_id, chunk)) for chunk in _chunks(post_ids))
        await self._changed([user_id])

    async def remove_post(self, post_id: int) -> None:
        for user_ids in await self._index_pages(post_id):
            await self._db.execute_all(
                (_DELETE_FROM_TIMELINES, (chunk, post_id)) for chunk in _chunks(user_ids)
            )
            await self._changed(user_ids)
        await self._db.execute(_DELETE_INDEX, (post_id,))

    async def trim(self, user_id: int, keep: int) -> None:
        await self.trim_many([user_id], keep)

    async def trim_many(self, user_ids: Sequence[int], keep: int) -> None:
        # Count first (one statement per CHUNK timelines, one row back for each), then read only
        # the few entries beyond the cap, oldest first: a full timeline costs the node a count of
        # its rows, and this process the excess rows only, never the whole timeline.
        owners = list(dict.fromkeys(user_ids))
        counts = await self._db.execute_all((_COUNT, (chunk,)) for chunk in _chunks(owners))
        over = [(row.user_id, row.held - keep) for rows in counts for row in rows if row.held > keep]
        oldest = await self._db.execute_all((_OLDEST, (user_id, excess)) for user_id, excess in over)
        await self._db.execute_all(
            (_DELETE_UP_TO, (user_id, rows[-1].post_id))
            for (user_id, _), rows in zip(over, oldest, strict=True)
            if rows
        )
        if keep < TOP:  # a trim reaches the kept top of a timeline only below it
            await self._changed([user_id for user_id, _ in over])

    async def clear(self, user_id: int) -> None:
        await self._db.execute(_CLEAR, (user_id,))
        await self._changed([user_id])

    async def remove_account(self, user_id: int) -> None:
        """The account's posts leave every timeline (through the index, then a scan for entries it
        missed); then its own timeline goes, with the index rows that name it, trimmed entries'
        included (a scan of post_timelines). Re-runnable: each step finds what is left."""
        for post_id in {row.post_id for row in await self._db.execute(_INDEX_BY_AUTHOR, (user_id,))}:
            await self.remove_post(post_id)
        leftovers = await self._db.execute(_ENTRIES_BY_AUTHOR, (user_id,))
        await self._db.execute_all((_DELETE_POSTS, (row.user_id, [row.post_id])) for row in leftovers)
        await self._changed([row.user_id for row in leftovers])
        held = {row.post_id for row in await self._db.execute(_OWN_ENTRIES, (user_id,))}
        held |= {row.post_id for row in await self._db.execute(_INDEX_HOLDERS_OF, (user_id,))}
        await self._db.execute_all((_DELETE_INDEX_ENTRY, (post_id, user_id)) for post_id in held)
        await self.clear(user_id)

    async def holders(self, post_id: int) -> list[int]:
        """The accounts whose timelines hold this post now (for tests and repair tools: the index
        may still name timelines that trimmed the post since)."""
        found: list[int] = []
        for user_ids in await self._index_pages(post_id):
            for chunk in _chunks(user_ids):
                found += [row.user_id for row in await self._db.execute(_HOLDING, (chunk, post_id))]
        return sorted(found)

    async def _index_pages(self, post_id: int) -> list[list[int]]:
        """The timelines a post was written to, INDEX_PAGE at a time (keyset pages over user_id)."""
        pages: list[list[int]] = []
        rows = await self._db.execute(_INDEX_FIRST, (post_id, INDEX_PAGE))
        while rows:
            pages.append([row.user_id for row in rows])
            if len(rows) < INDEX_PAGE:
                break
            rows = await self._db.execute(_INDEX_AFTER, (post_id, rows[-1].user_id, INDEX_PAGE))
        return pages

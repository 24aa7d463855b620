"""The top of each active home timeline, kept in Redis in front of Cassandra (decision 0076).

On the scale stack a feed page read the viewer's timeline from Cassandra: a 41-row slice that cost
the node ~1.5 ms of CPU and the web process the driver's work, on every page. Most reads are of the
same few entries (the first page of the following feed, the ranked feed's candidates as of now), so
the Cassandra store (feeds.cassandra) keeps the newest `TOP` entries of a timeline in Redis for
`timeline_page_cache_seconds` (`TimelinePages`) and answers every read it can from them:

- a read whose answer lies inside the kept entries (the first page, a ranked page as of now, the
  next page while it is within them) is one Redis MGET;
- anything else (deeper pages, a timeline longer than what is kept) reads Cassandra as before.

Entries are never patched in place. Each timeline has a **generation** token in Redis: every change
the store makes (fan-out, back-fill, unfollow, a deleted post, a trim reaching the kept entries,
rebuild, erasure) is written to Cassandra first, then the timelines it touched get a new token, and
kept entries count only under the token they were read under. A reader that raced a writer
therefore keeps entries under a token already replaced, and they are never served.

Redis failing never fails a read (Cassandra answers, and `Outage` skips Redis for a moment). A change
whose new token cannot be written raises: the job that made it is retried (every store method is
idempotent) until Redis takes it; a job that gives up leaves kept entries at most
`timeline_page_cache_seconds` old.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import operator
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import timedelta

import anyio.to_thread
import msgspec
import redis
import redis.asyncio

from viewfinder.core import redis_client
from viewfinder.core.db import utcnow
from viewfinder.core.ids import first_id_at
from viewfinder.feeds.store import TimelineEntry
from viewfinder.settings import Settings

TOP = 200
"""Entries of a timeline kept: the ranked feed's candidates (RANKED_CANDIDATES), and ten following
pages' worth (a page reads 2 x 20 + 1)."""
GENERATION_SECONDS = 24 * 3600
"""How long a generation token lives: far longer than kept entries, so a token never expires back to
"none" under entries kept before it was set."""
NEAR_TOP = timedelta(minutes=10)
"""A read with `before` this close to now is of the timeline's top: on a miss its entries are kept."""
_FAILURES: tuple[type[Exception], ...] = (*redis_client.UNAVAILABLE, RuntimeError)
_NONE = b"-"
"""The generation of a timeline never changed (or whose token expired)."""


Reader = Callable[[int, int | None, int], Awaitable[list[TimelineEntry]]]
"""The store's own read of a timeline page: (user_id, before, limit) -> entries."""


class Kept(msgspec.Struct, array_like=True):
    """The kept top of one timeline (newest first) and the generation it was read under."""

    generation: bytes
    posts: list[int]
    authors: list[int]


class TimelinePages:
    """The kept entries and generation tokens of every timeline, in Redis."""

    def __init__(self, settings: Settings, client: redis.asyncio.Redis | None = None) -> None:
        self.settings = settings
        self.seconds = settings.timeline_page_cache_seconds
        self.kept_prefix = redis_client.key(settings, "timeline-top") + ":"
        self.generation_prefix = redis_client.key(settings, "timeline-generation") + ":"
        self.encoder = msgspec.msgpack.Encoder()
        self.decoder = msgspec.msgpack.Decoder(Kept)
        self.outage = redis_client.Outage("the timeline cache")
        self._client = client
        self._client_loop: asyncio.AbstractEventLoop | None = None
        self._pool: redis.ConnectionPool | None = None

    def serve_on_this_loop(self) -> None:
        """Reads on the running event loop (the app's, from its start-up) use the app's client;
        reads on any other loop (jobs, commands, tests) make a client for the call."""
        self._client_loop = asyncio.get_running_loop()

    @contextlib.asynccontextmanager
    async def _redis(self) -> AsyncIterator[redis.asyncio.Redis]:
        if self._client is not None and self._client_loop is asyncio.get_running_loop():
            yield self._client
            return
        async with redis_client.async_client(self.settings) as client:
            yield client

    async def read(self, user_id: int) -> tuple[bytes, Kept | None] | None:
        """(the timeline's generation, its kept entries under it or None); None when Redis is out."""
        if self.outage.skipping():
            return None
        try:
            async with self._redis() as client:
                generation, raw = await client.mget(
                    [self.generation_prefix + str(user_id), self.kept_prefix + str(user_id)]
                )
        except _FAILURES as error:
            self.outage.failed(error)
            return None
        self.outage.recovered()
        generation = generation or _NONE
        if raw is None:
            return generation, None
        try:
            kept = self.decoder.decode(raw)
        except msgspec.DecodeError:  # written by another version of the code
            return generation, None
        if kept.generation != generation:
            return generation, None
        return generation, kept

    async def keep(self, user_id: int, kept: Kept) -> None:
        value = self.encoder.encode(kept)
        try:
            async with self._redis() as client:
                await client.set(self.kept_prefix + str(user_id), value, ex=self.seconds)
        except _FAILURES as error:
            self.outage.failed(error)

    async def changed(self, user_ids: Sequence[int]) -> None:
        """New generations for these timelines (after their change is written), from a thread
        (any event loop: jobs run on loops of their own). Raises when Redis is unavailable, so the
        job retries."""
        if user_ids:
            await anyio.to_thread.run_sync(self._change_now, list(dict.fromkeys(user_ids)))

    def _change_now(self, user_ids: list[int]) -> None:
        if self._pool is None:
            self._pool = redis_client.sync_pool(redis_client.redis_url(self.settings))
        token = secrets.token_bytes(8)
        with redis.Redis(connection_pool=self._pool).pipeline(transaction=False) as pipe:
            for user_id in user_ids:
                pipe.set(self.generation_prefix + str(user_id), token, ex=GENERATION_SECONDS)
            pipe.execute()  # type: ignore[no-untyped-call]

    async def page(self, read: Reader, user_id: int, before: int | None, limit: int) -> list[TimelineEntry]:
        """`read(user_id, before, limit)`'s answer, from the kept entries where they hold it."""
        if limit > TOP or limit <= 0:
            return await read(user_id, before, limit)
        found = await self.read(user_id)
        if found is None:  # Redis is out: Cassandra answers
            return await read(user_id, before, limit)
        generation, kept = found
        if kept is None:
            if before is not None and before < first_id_at(utcnow() - NEAR_TOP):
                return await read(user_id, before, limit)  # deep in the timeline: not worth keeping
            entries = await read(user_id, None, TOP)
            kept = Kept(generation, [entry.post_id for entry in entries], [e.author_id for e in entries])
            await self.keep(user_id, kept)
        posts = kept.posts
        # The first kept entry below `before` (posts are newest, i.e. highest, first).
        start = 0 if before is None else bisect.bisect_right(posts, -before, key=operator.neg)
        if len(posts) - start >= limit or len(posts) < TOP:  # the answer lies within what is kept
            return [
                TimelineEntry(user_id, post_id, author_id)
                for post_id, author_id in zip(
                    posts[start : start + limit], kept.authors[start : start + limit], strict=True
                )
            ]
        return await read(user_id, before, limit)

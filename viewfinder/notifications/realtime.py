"""Real-time delivery: the outbox relay and the Litestar channels every web process runs.

Whoever changes someone's inbox writes a row to the `realtime_events` outbox in the same
transaction (`services.queue_event`), whichever process it runs in: a web process or a job worker.
Each web process runs an `OutboxRelay` that polls the outbox for rows newer than the last it saw and
publishes them to its Litestar channels, where the connections of that process are subscribed
(`GET /notifications/stream`). So an event made anywhere reaches a client connected anywhere, and
an event is never lost in a process that has no listener: it waits in the outbox (for
`realtime_retention_seconds`), and a client that reconnects with `Last-Event-ID` gets it replayed.

See docs/decisions/0016-notifications-and-real-time.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from types import TracebackType

from litestar.channels import ChannelsPlugin
from litestar.channels.backends.base import ChannelsBackend
from litestar.channels.backends.memory import MemoryChannelsBackend
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from viewfinder.core.db import make_async_engine, utcnow
from viewfinder.notifications.models import RealtimeEvent
from viewfinder.settings import Settings

logger = logging.getLogger(__name__)

RELAY_BATCH = 500
STOP_GRACE_SECONDS = 5.0
"""How long stopping waits for a poll in progress before cancelling it."""
"""Outbox rows published per poll at most; a longer backlog drains over the following polls."""

Publish = Callable[[bytes, str], Awaitable[None]]


def make_channels_backend(settings: Settings) -> ChannelsBackend:
    """The channels backend for these settings: the one place a Redis backend plugs in later.

    The embedded default keeps subscribers in the process's memory; the outbox relay is what
    carries events between processes.
    """
    return MemoryChannelsBackend()


def envelope(sequence: int, payload: str) -> bytes:
    """An outbox row as published on a channel: its sequence number (the SSE event id) and event."""
    return b'{"seq":%d,"event":%s}' % (sequence, payload.encode())


async def latest_event_id(db: AsyncSession | AsyncEngine) -> int:
    """The newest outbox row's id (0 when empty)."""
    query = select(func.coalesce(func.max(RealtimeEvent.id), 0))
    if isinstance(db, AsyncEngine):
        async with db.connect() as connection:
            return int(await connection.scalar(query) or 0)
    return int(await db.scalar(query) or 0)


async def prune_events(db: AsyncSession, retention_seconds: int) -> int:
    """Delete outbox rows older than the retention, always keeping the newest row.

    SQLite hands out max(id) + 1 for a new row, so emptying the table would let ids start again
    below what the relays have already seen; keeping the newest row keeps ids rising.
    """
    newest = select(func.max(RealtimeEvent.id)).scalar_subquery()
    result = await db.execute(
        delete(RealtimeEvent).where(
            RealtimeEvent.created_at < utcnow() - timedelta(seconds=retention_seconds),
            RealtimeEvent.id < newest,
        )
    )
    await db.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


class OutboxRelay:
    """Polls the outbox on its own engine and publishes new rows, in order, to the channels."""

    def __init__(self, database_url: str, interval_seconds: float, publish: Publish) -> None:
        self._database_url = database_url
        self._interval = interval_seconds
        self._publish = publish
        self._engine: AsyncEngine | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self.last_seen: int | None = None
        """The newest row published; None until the first successful poll has found where to begin."""

    async def start(self) -> None:
        """Start polling at once, in the background (an unreachable database must not stop the app
        from starting: the relay keeps trying, and /readyz says what is wrong)."""
        # Its own engine, so the relay's polling never shows up in (or waits on) the request pool.
        self._engine = make_async_engine(self._database_url)
        self._stopping = asyncio.Event()
        self._task = asyncio.create_task(self._run(), name="viewfinder-outbox-relay")

    async def stop(self) -> None:
        """Stop between polls rather than cancel one mid-query: a query cancelled under aiosqlite
        finishes on its thread later and reports to an event loop that may be closed by then."""
        if self._task is not None:
            self._stopping.set()
            try:
                await asyncio.wait_for(asyncio.shield(self._task), timeout=STOP_GRACE_SECONDS)
            except TimeoutError:  # a poll stuck on a locked database: give up on it
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
            self._task = None
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None

    async def relay_once(self) -> int:
        """Publish every row newer than the last one seen; returns how many were published.

        The first call only finds the newest row: what came before this process started is the
        inbox's business (and a reconnecting client's Last-Event-ID replay).
        """
        assert self._engine is not None, "start() the relay first"
        if self.last_seen is None:
            self.last_seen = await latest_event_id(self._engine)
            return 0
        async with self._engine.connect() as connection:
            rows = (
                await connection.execute(
                    select(RealtimeEvent.id, RealtimeEvent.channel, RealtimeEvent.payload)
                    .where(RealtimeEvent.id > self.last_seen)
                    .order_by(RealtimeEvent.id)
                    .limit(RELAY_BATCH)
                )
            ).all()
        for event_id, channel, payload in rows:
            await self._publish(envelope(event_id, payload), channel)
            self.last_seen = event_id
        return len(rows)

    async def _run(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            try:
                while await self.relay_once() == RELAY_BATCH:
                    pass
                failures = 0
            except Exception:  # a locked or unreachable database: keep the place, try again
                failures += 1
                if failures == 1:
                    logger.exception("The real-time outbox relay cannot read the outbox; retrying")
            # Back off while failing (up to 5 s), so a database that is down is not hammered.
            pause = min(self._interval * 2 ** min(failures, 10), max(self._interval, 5.0))
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=pause)


class RealtimeChannels(ChannelsPlugin):
    """Litestar's channels plugin with this process's outbox relay started and stopped beside it.

    Subscribers listen on `user:{id}` channels (any name is allowed: one per account).
    """

    def __init__(self, settings: Settings) -> None:
        super().__init__(backend=make_channels_backend(settings), arbitrary_channels_allowed=True)
        self.relay = OutboxRelay(
            settings.resolved_database_url,
            settings.realtime_poll_interval_ms / 1000,
            self.wait_published,
        )

    async def __aenter__(self) -> RealtimeChannels:
        await super().__aenter__()
        await self.relay.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        await self.relay.stop()
        await super().__aexit__(exc_type, exc_val, exc_tb)

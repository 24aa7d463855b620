"""Real-time delivery: the outbox relay and the Litestar channels every web process runs.

Whoever changes someone's inbox writes a row to the `realtime_events` outbox in the same
transaction (`services.queue_event`), whichever process it runs in: a web process or a job worker.
Each web process runs an `OutboxRelay` that polls the outbox for rows newer than the last it saw and
publishes them to the channels, where the connections of the web processes are subscribed
(`GET /notifications/stream`). So an event made anywhere reaches a client connected anywhere, and
an event is never lost in a process that has no listener: it waits in the outbox (for
`realtime_retention_seconds`), and a client that reconnects with `Last-Event-ID` gets it replayed.

Embedded, the channels live in each process's memory and each relay feeds its own process. With
`redis_url`, the channels are Redis pub/sub (`RedisChannelsBackend`): every relay publishes to
Redis, and each event is published once whichever relay gets to it first (a claim key per outbox
id, taken and published in one script), so every subscriber in every process gets it exactly once.
Redis down: no live events (requests are served, streams stay open, new ones open); when it returns
the relays publish what waited in the outbox meanwhile, and each web process, once it listens again,
ends the streams that were open through the gap, so their clients reconnect with Last-Event-ID and
the outbox replays whatever was published before the process listened again.

See docs/decisions/0016-notifications-and-real-time.md and 0022-redis.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from types import TracebackType

from litestar.channels import ChannelsPlugin
from litestar.channels.backends.base import ChannelsBackend
from litestar.channels.backends.memory import MemoryChannelsBackend
from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from viewfinder.core.db import make_async_engine, make_sessionmaker, utcnow
from viewfinder.core.jobs import describe, unavailable_service
from viewfinder.core.redis_client import Outage, async_client, key
from viewfinder.notifications.models import RealtimeEvent
from viewfinder.notifications.store import InboxStore, inbox_store
from viewfinder.settings import Settings

logger = logging.getLogger(__name__)

RELAY_BATCH = 500
"""Outbox rows published per poll at most; a longer backlog drains over the following polls."""
STOP_GRACE_SECONDS = 5.0
"""How long stopping waits for a poll in progress before cancelling it."""
BEGIN_SECONDS = 5.0
"""How long starting waits for the database to answer `Poller.begin`."""
GAP_WAIT_SECONDS = 10.0
"""How long the relay keeps looking for an outbox id below the newest it has seen.

On PostgreSQL ids come from a sequence when the row is inserted, not when its transaction commits,
so a row can become visible after rows with higher ids. The relay remembers the ids it skipped over
and reads them too until they appear or this long has passed (a rolled-back transaction leaves its
id unused for good; a later one is left to the Last-Event-ID replay and the inbox)."""
MAX_GAPS = 1000
"""Missing ids remembered at most (the newest ones win)."""
SUBSCRIBER_POLL_SECONDS = 1.0
"""How long the Redis subscriber waits for a message before looking at its state again."""


@dataclass(frozen=True, slots=True)
class OutboxEvent:
    """One outbox row on its way to a channel: its id, its channel, and the published bytes."""

    id: int
    channel: str
    data: bytes


PublishBatch = Callable[[Sequence[OutboxEvent]], Awaitable[object]]


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


class Poller:
    """A loop on its own engine that calls `poll_once` every interval, at once again while a poll
    fills its batch, and backs off (up to 5 s) while polls fail, so a database that is down is not
    hammered. Its own engine, so the polling never shows up in (or waits on) the request pool."""

    task_name = "viewfinder-poller"
    batch = 1
    """A poll that handled this many rows is followed at once by another."""

    def __init__(self, database_url: str, interval_seconds: float) -> None:
        self._database_url = database_url
        self._interval = interval_seconds
        self._engine: AsyncEngine | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    async def poll_once(self) -> int:
        """One poll; how many rows it handled."""
        raise NotImplementedError

    async def begin(self) -> None:
        """What must be done before the app takes requests, if the database answers in time."""

    async def start(self) -> None:
        """`begin`, then poll in the background (an unreachable database must not stop the app
        from starting: the poller keeps trying, and /readyz says what is wrong)."""
        self._engine = make_async_engine(self._database_url)
        self._stopping = asyncio.Event()
        try:
            await asyncio.wait_for(self.begin(), timeout=BEGIN_SECONDS)
        except Exception as error:  # TimeoutError included: the first poll does it later
            logger.warning(
                "%s could not begin at start (%s); it will when it can", self.task_name, describe(error)
            )
        self._task = asyncio.create_task(self._run(), name=self.task_name)

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

    async def _run(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            try:
                while await self.poll_once() == self.batch and not self._stopping.is_set():
                    pass
                if failures:
                    logger.warning("%s works again after %d failed polls", self.task_name, failures)
                failures = 0
            except Exception as error:  # a locked or unreachable database, Redis or Cassandra: retry later
                failures += 1
                # One line when an outage begins (and one above when it ends), not one per poll;
                # a traceback only for what is not an outage (a bug).
                if failures == 1 and unavailable_service(error) is not None:
                    logger.warning("%s failed (%s); retrying until it works", self.task_name, describe(error))
                elif failures == 1:
                    logger.exception("%s failed; retrying", self.task_name)
            pause = min(self._interval * 2 ** min(failures, 10), max(self._interval, 5.0))
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=pause)


class OutboxRelay(Poller):
    """Polls the outbox and publishes new rows, in id order, to the channels."""

    task_name = "viewfinder-outbox-relay"
    batch = RELAY_BATCH

    def __init__(self, database_url: str, interval_seconds: float, publish: PublishBatch) -> None:
        super().__init__(database_url, interval_seconds)
        self._publish = publish
        self.last_seen: int | None = None
        """The newest row published; None until the first successful poll has found where to begin."""
        self.gaps: dict[int, float] = {}
        """Ids below last_seen not seen yet (perhaps not committed yet), with when they were missed."""
        self._relaying = asyncio.Lock()
        """One relay_once at a time: two at once would both publish what is new."""

    async def begin(self) -> None:
        """Find where to begin before any stream opens: an event committed after a client connected
        must reach it, so the first poll cannot be the one that finds the newest row."""
        if self.last_seen is None:
            assert self._engine is not None
            self.last_seen = await latest_event_id(self._engine)

    async def poll_once(self) -> int:
        return await self.relay_once()

    async def relay_once(self) -> int:
        """Publish every row newer than the last one seen, and any missing one that has appeared
        since; returns how many were published.

        The first call only finds the newest row: what came before this process started is the
        inbox's business (and a reconnecting client's Last-Event-ID replay).
        """
        async with self._relaying:
            return await self._relay()

    async def _relay(self) -> int:
        assert self._engine is not None, "start() the relay first"
        if self.last_seen is None:
            self.last_seen = await latest_event_id(self._engine)
            return 0
        last_seen = self.last_seen
        wanted = RealtimeEvent.id > last_seen
        if self.gaps:
            wanted = or_(wanted, RealtimeEvent.id.in_(list(self.gaps)))
        async with self._engine.connect() as connection:
            rows = (
                await connection.execute(
                    select(RealtimeEvent.id, RealtimeEvent.channel, RealtimeEvent.payload)
                    .where(wanted)
                    .order_by(RealtimeEvent.id)
                    .limit(RELAY_BATCH)
                )
            ).all()
        now = time.monotonic()
        if rows:
            # All or nothing: a failure leaves the place as it was, and the next poll tries again.
            await self._publish(
                [OutboxEvent(id, channel, envelope(id, payload)) for id, channel, payload in rows]
            )
            for event_id, _, _ in rows:
                if event_id <= last_seen:
                    self.gaps.pop(event_id, None)
                    continue
                for missing in range(max(last_seen + 1, event_id - MAX_GAPS), event_id):
                    self.gaps[missing] = now
                last_seen = event_id
            self.last_seen = last_seen
        self._forget_old_gaps(now)
        return len(rows)

    def _forget_old_gaps(self, now: float) -> None:
        expired = [event_id for event_id, missed in self.gaps.items() if now - missed > GAP_WAIT_SECONDS]
        for event_id in expired:
            del self.gaps[event_id]
        while len(self.gaps) > MAX_GAPS:
            del self.gaps[min(self.gaps)]


class InboxDrain(Poller):
    """Moves the `inbox_changes` outbox into Cassandra in the background (inbox_backend =
    "cassandra"). Every web process runs one: their claims take turns (see cassandra.apply_changes)."""

    task_name = "viewfinder-inbox-drain"

    batch = 200
    """Changes one poll applies at most (it polls again at once while it is busy)."""

    def __init__(self, settings: Settings, inbox: InboxStore) -> None:
        super().__init__(settings.resolved_database_url, settings.realtime_poll_interval_ms / 1000)
        self.inbox = inbox

    async def poll_once(self) -> int:
        """Apply up to a batch of pending changes to the inbox store; how many were applied."""
        assert self._engine is not None, "start() the drain first"
        async with make_sessionmaker(self._engine)() as db:
            return await self.inbox.drain(db, self.batch)


# KEYS: one claim key per event; ARGV[1]: the claims' lifetime in seconds, then a channel and the
# data for each key. An event whose claim another relay already took is not published again.
_PUBLISH_ONCE_SCRIPT = b"""
local published = 0
for i, claim in ipairs(KEYS) do
    if redis.call('SET', claim, '1', 'NX', 'EX', ARGV[1]) then
        redis.call('PUBLISH', ARGV[2 * i], ARGV[2 * i + 1])
        published = published + 1
    end
end
return published
"""


class RedisChannelsBackend(ChannelsBackend):
    """Litestar channels on Redis pub/sub, in the instance's namespace, that outlive Redis outages.

    Litestar's own pub/sub backend ends its event stream at the first connection error (and with it
    the plugin's subscriber task, for good) and has no key prefix; this one keeps the set of
    channels wanted, reconnects with back-off and subscribes to all of them again, and never lets a
    Redis error reach a request: subscribing while Redis is down succeeds, and events flow once it
    is back.
    """

    def __init__(self, redis: Redis, namespace: str, claim_seconds: int, *, owns_client: bool) -> None:
        self._redis = redis
        self._owns_client = owns_client
        self._prefix = f"{namespace}:rt:"
        self._claim_prefix = f"{namespace}:rt-sent:"
        self._claim_seconds = claim_seconds
        self._channels: set[str] = set()
        self._pubsub: PubSub | None = None
        self._lock = asyncio.Lock()
        self._changed = asyncio.Event()
        self._reconnect = False
        self._outage = Outage("real-time delivery")
        self._publish_once = redis.register_script(_PUBLISH_ONCE_SCRIPT)
        self.on_reconnected: Callable[[], Awaitable[None]] | None = None
        """Called when the subscriber connection is back after being lost: what was published
        meanwhile never reached this process."""

    def _names(self, channels: Iterable[str]) -> list[str]:
        return [self._prefix + channel for channel in channels]

    async def on_startup(self) -> None:
        # Made here, in the app's event loop (an app may be started more than once, in tests).
        self._lock = asyncio.Lock()
        self._changed = asyncio.Event()

    async def on_shutdown(self) -> None:
        async with self._lock:
            await self._drop_connection()
        if self._owns_client:
            await self._redis.aclose()

    async def publish(self, data: bytes, channels: Iterable[str]) -> None:
        """Publish to every process's subscribers of these channels (raises when Redis is down)."""
        async with self._redis.pipeline(transaction=False) as pipe:
            for name in self._names(set(channels)):
                pipe.publish(name, data)
            await pipe.execute()

    async def publish_once(self, events: Sequence[OutboxEvent]) -> int:
        """Publish each outbox event unless another relay already has; returns how many this did."""
        args: list[str | bytes | int] = [self._claim_seconds]
        for event in events:
            args += [self._prefix + event.channel, event.data]
        claims = [f"{self._claim_prefix}{event.id}" for event in events]
        return int(await self._publish_once(keys=claims, args=args))

    async def subscribe(self, channels: Iterable[str]) -> None:
        async with self._lock:
            new = set(channels) - self._channels
            self._channels |= new
            if self._pubsub is not None and new:
                try:
                    await self._pubsub.subscribe(*self._names(new))
                except Exception as error:  # the subscriber reconnects and subscribes to all
                    self._outage.failed(error)
                    self._reconnect = True
        self._changed.set()

    async def unsubscribe(self, channels: Iterable[str]) -> None:
        async with self._lock:
            gone = set(channels) & self._channels
            self._channels -= gone
            if not self._channels:
                # Nobody listens here any more: close the connection rather than keep an idle one
                # (whose loss would go unnoticed until the next stream opens on it). With nobody
                # listening, nothing can have been missed either.
                await self._drop_connection()
                self._reconnect = False
            elif self._pubsub is not None and gone:
                try:
                    await self._pubsub.unsubscribe(*self._names(gone))
                except Exception as error:  # a fresh connection subscribes only to what is left
                    self._outage.failed(error)
                    self._reconnect = True

    async def _connect(self) -> tuple[PubSub, bool]:
        """The subscriber connection, made anew if needed; and whether it replaces a lost one."""
        async with self._lock:
            if self._pubsub is not None and not self._reconnect:
                return self._pubsub, False
            await self._drop_connection()
            pubsub = self._redis.pubsub()
            try:
                await pubsub.subscribe(*self._names(self._channels))
            except BaseException:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]
                raise
            self._pubsub = pubsub
            lost, self._reconnect = self._reconnect, False
            return pubsub, lost

    async def _drop_connection(self) -> None:
        pubsub, self._pubsub = self._pubsub, None
        if pubsub is not None:
            with contextlib.suppress(Exception):
                await pubsub.aclose()  # type: ignore[no-untyped-call]

    async def stream_events(self) -> AsyncGenerator[tuple[str, bytes], None]:
        """Events of the subscribed channels, for as long as the app runs, across Redis outages."""
        failures = 0
        while True:
            if not self._channels:
                self._changed.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), SUBSCRIBER_POLL_SECONDS)
                continue
            pubsub: PubSub | None = None
            try:
                pubsub, lost = await self._connect()
                if lost and self.on_reconnected is not None:
                    await self.on_reconnected()
                message = await pubsub.get_message(
                    ignore_subscribe_messages=True, timeout=SUBSCRIBER_POLL_SECONDS
                )
            except Exception as error:  # down, restarting, or a connection dropped under us
                if pubsub is not None and pubsub is not self._pubsub:
                    continue  # closed on purpose meanwhile (its last channel was let go of)
                self._outage.failed(error)
                self._reconnect = True
                failures += 1
                await asyncio.sleep(min(0.1 * 2**failures, 2.0))
                continue
            failures = 0
            self._outage.recovered()
            if message is None or message.get("type") != "message":
                continue
            name = message["channel"].decode()
            if name.startswith(self._prefix):
                channel = name[len(self._prefix) :]
                # Redis unsubscribes asynchronously: drop what arrives for a channel let go of.
                if channel in self._channels:
                    yield channel, message["data"]

    async def get_history(self, channel: str, limit: int | None = None) -> list[bytes]:
        """Pub/sub keeps no history: the outbox is the history (Last-Event-ID replay)."""
        raise NotImplementedError


def make_channels_backend(settings: Settings, redis: Redis | None = None) -> ChannelsBackend:
    """The channels backend for these settings: Redis pub/sub with `redis_url` (on the given client,
    or one of its own), else each process's memory, fed by that process's outbox relay."""
    if not settings.redis_url:
        return MemoryChannelsBackend()
    return RedisChannelsBackend(
        redis or async_client(settings),
        key(settings),
        settings.realtime_retention_seconds,
        owns_client=redis is None,
    )


class RealtimeChannels(ChannelsPlugin):
    """Litestar's channels plugin with this process's outbox relay started and stopped beside it.

    Subscribers listen on `user:{id}` channels (any name is allowed: one per account). `inbox`: the
    inbox store viewfinder.wiring built (the process's installed one when not given); when its
    changes wait outside it (`InboxStore.needs_drain`), this process also drains them in.
    """

    def __init__(
        self, settings: Settings, redis: Redis | None = None, inbox: InboxStore | None = None
    ) -> None:
        backend = make_channels_backend(settings, redis)
        super().__init__(backend=backend, arbitrary_channels_allowed=True)
        publish: PublishBatch = (
            backend.publish_once if isinstance(backend, RedisChannelsBackend) else self._publish_here
        )
        self.relay = OutboxRelay(
            settings.resolved_database_url, settings.realtime_poll_interval_ms / 1000, publish
        )
        if isinstance(backend, RedisChannelsBackend):
            backend.on_reconnected = self.end_every_subscription
        store = inbox if inbox is not None else inbox_store()
        self.inbox_drain = InboxDrain(settings, store) if store.needs_drain else None

    async def end_every_subscription(self) -> None:
        """End every open stream of this process (after Redis was away: what was published
        meanwhile never reached it). Each client reconnects with Last-Event-ID, and the outbox
        replays what it missed."""
        subscribers = {subscriber for group in self._channels.values() for subscriber in group}
        if subscribers:
            logger.warning("Real time is back: ending %d streams so their clients catch up", len(subscribers))
        for subscriber in subscribers:
            await self.unsubscribe(subscriber)

    async def _publish_here(self, events: Sequence[OutboxEvent]) -> None:
        for event in events:
            await self.wait_published(event.data, event.channel)

    async def __aenter__(self) -> RealtimeChannels:
        await super().__aenter__()
        await self.relay.start()
        if self.inbox_drain is not None:
            await self.inbox_drain.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        if self.inbox_drain is not None:
            await self.inbox_drain.stop()
        await self.relay.stop()
        await super().__aexit__(exc_type, exc_val, exc_tb)

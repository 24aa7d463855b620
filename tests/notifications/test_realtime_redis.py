"""Real time across processes through Redis, and the relay's care for late-committing outbox rows.

Two `RealtimeChannels` plugins stand for two web processes: each has its own Redis connections and
its own outbox relay, as `viewfinder serve` gives every worker process. The relay tests need no
Redis and run on every stack (on PostgreSQL too, where ids are not commit-ordered).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack
from typing import Any

import msgspec
import pytest
from redis.asyncio import Redis
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from tests.stacks.redis import clear_namespace
from viewfinder.notifications import realtime
from viewfinder.notifications.models import RealtimeEvent
from viewfinder.notifications.realtime import OutboxEvent, OutboxRelay, RealtimeChannels, latest_event_id
from viewfinder.settings import Settings

REDIS_URL = os.environ.get("VIEWFINDER_REDIS_URL")
needs_redis = pytest.mark.skipif(
    not REDIS_URL, reason="needs Redis: scripts/services/redis start && eval $(scripts/services/redis env)"
)


async def write_event(
    db: AsyncSession, channel: str, payload: dict[str, Any], event_id: int | None = None
) -> None:
    values: dict[str, Any] = {"channel": channel, "payload": msgspec.json.encode(payload).decode()}
    if event_id is not None:
        values["id"] = event_id
    await db.execute(insert(RealtimeEvent).values(**values))
    await db.commit()


def collector(into: list[bytes]) -> Any:
    """An async callback for Subscriber.run_in_background that keeps what it is given."""

    async def collect(event: bytes) -> None:
        into.append(event)

    return collect


async def wait_for(condition: Any, timeout: float = 5.0) -> None:  # noqa: ASYNC109 (a polling helper)
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


@pytest.fixture
async def relay(settings: Settings) -> AsyncIterator[tuple[OutboxRelay, list[int]]]:
    """A relay that polls only when told to (after its first poll), recording what it publishes."""
    published: list[int] = []

    async def publish(events: Sequence[OutboxEvent]) -> None:
        published.extend(event.id for event in events)

    relay = OutboxRelay(settings.resolved_database_url, 3600, publish)
    await relay.start()
    try:
        yield relay, published
    finally:
        await relay.stop()


async def test_the_relay_publishes_a_row_that_commits_after_a_higher_id(relay, db):
    relay, published = relay
    base = await latest_event_id(db) + 100

    await write_event(db, "user:1", {"n": 1}, base + 1)
    await write_event(db, "user:1", {"n": 3}, base + 3)  # id base + 2 is still "in flight"
    await relay.relay_once()
    assert published == [base + 1, base + 3]
    assert set(relay.gaps) >= {base + 2}

    await write_event(db, "user:1", {"n": 2}, base + 2)  # ...and commits late
    await relay.relay_once()
    assert published == [base + 1, base + 3, base + 2]
    assert base + 2 not in relay.gaps

    await relay.relay_once()  # nothing twice
    assert published == [base + 1, base + 3, base + 2]


async def test_an_event_committed_as_soon_as_the_relay_has_started_is_published(settings, db):
    """The app takes requests once the relay has started; a stream opened then must get the next
    event, so the relay knows where to begin before start() returns, not at its first poll (which
    would take that event for where to begin, and never publish it)."""
    published: list[int] = []

    async def publish(events: Sequence[OutboxEvent]) -> None:
        published.extend(event.id for event in events)

    newest = await latest_event_id(db)
    await db.commit()
    relay = OutboxRelay(settings.resolved_database_url, 3600, publish)
    await relay.start()
    try:
        assert relay.last_seen == newest
        await write_event(db, "user:1", {"n": 1}, newest + 1)
        await relay.relay_once()
        assert published == [newest + 1]
    finally:
        await relay.stop()


async def test_a_gap_that_never_fills_is_given_up_after_a_while(relay, db, monkeypatch):
    relay, published = relay
    monkeypatch.setattr(realtime, "GAP_WAIT_SECONDS", 0.1)
    base = await latest_event_id(db) + 100
    await write_event(db, "user:1", {}, base + 1)
    await write_event(db, "user:1", {}, base + 3)  # base + 2 was rolled back: it never comes
    await relay.relay_once()
    assert base + 2 in relay.gaps
    await asyncio.sleep(0.15)
    await relay.relay_once()
    assert relay.gaps == {}
    assert published == [base + 1, base + 3]


@pytest.fixture
def redis_settings(settings: Settings) -> Any:
    assert REDIS_URL is not None
    namespace = f"vftest.realtime.{uuid.uuid4().hex[:12]}"
    yield settings.model_copy(
        update={"redis_url": REDIS_URL, "redis_namespace": namespace, "realtime_poll_interval_ms": 50}
    )
    clear_namespace(REDIS_URL, namespace)


@needs_redis
async def test_an_event_reaches_subscribers_in_every_process_exactly_once(redis_settings, db):
    received: dict[str, list[bytes]] = {"first": [], "second": []}
    async with AsyncExitStack() as stack:
        processes = {}
        for name in received:
            plugin = await stack.enter_async_context(RealtimeChannels(redis_settings))
            subscriber = await plugin.subscribe("user:42")
            await stack.enter_async_context(subscriber.run_in_background(collector(received[name])))
            processes[name] = plugin
        await wait_for(lambda: all(p.relay.last_seen is not None for p in processes.values()))

        written = time.monotonic()
        await write_event(db, "user:42", {"type": "unread", "unread": 1})
        await wait_for(lambda: all(received.values()), timeout=1.0)  # within the one-second promise
        assert time.monotonic() - written < 1.0
        await asyncio.sleep(0.5)  # both relays polled it several times meanwhile

        await write_event(db, "user:7", {"type": "unread", "unread": 1})  # someone else's
        await asyncio.sleep(0.3)

    for events in received.values():
        assert len(events) == 1, events
        assert msgspec.json.decode(events[0])["event"] == {"type": "unread", "unread": 1}
    # Claims live in the instance's namespace and expire with the outbox's retention.
    client = Redis.from_url(REDIS_URL or "")
    try:
        claims = [
            name async for name in client.scan_iter(match=f"{redis_settings.redis_namespace}:rt-sent:*")
        ]
        assert len(claims) == 2
        ttl = await client.ttl(claims[0])
        assert 0 < ttl <= redis_settings.realtime_retention_seconds
    finally:
        await client.aclose()


@needs_redis
async def test_channels_of_other_namespaces_are_not_heard(redis_settings, db, migrated_database, tmp_path):
    # Another instance on the same Redis: its own database and namespace.
    shutil.copy(migrated_database, tmp_path / "other.db")
    other = redis_settings.model_copy(
        update={
            "redis_namespace": redis_settings.redis_namespace + "-other",
            "database_url": f"sqlite+aiosqlite:///{tmp_path / 'other.db'}",
        }
    )
    heard: list[bytes] = []
    async with RealtimeChannels(other) as plugin:
        subscriber = await plugin.subscribe("user:42")
        async with (
            subscriber.run_in_background(collector(heard)),
            RealtimeChannels(redis_settings) as publisher,
        ):
            await wait_for(lambda: publisher.relay.last_seen is not None)
            await write_event(db, "user:42", {"type": "unread", "unread": 1})
            await asyncio.sleep(0.5)
    assert heard == []
    assert REDIS_URL is not None
    clear_namespace(REDIS_URL, other.redis_namespace)

"""The top of each timeline kept in Redis in front of Cassandra (feeds.pagecache, decision 0076).

Scale stack only (Cassandra timelines, stores in Redis). The store contract (test_cassandra_store)
already runs on the kept tops there; these check what only the cache can get wrong: a change is seen
on the very next read, a read that raced a change never serves what it read, reads beyond the kept
entries answer as Cassandra does, and the kept reads spare Cassandra.
"""

from __future__ import annotations

import random

import pytest
import redis.exceptions

from viewfinder.core.db import make_async_engine, make_sessionmaker
from viewfinder.core.ids import new_id
from viewfinder.feeds import pagecache
from viewfinder.feeds.cassandra import CassandraTimelineStore
from viewfinder.feeds.store import TimelineEntry
from viewfinder.settings import Settings
from viewfinder.wiring import timeline_store_factory


@pytest.fixture
def on_scale(settings: Settings) -> Settings:
    if settings.timeline_backend != "cassandra" or settings.store_backend != "redis":
        pytest.skip("needs the scale stack: Cassandra timelines and Redis stores")
    return settings


@pytest.fixture
async def store(on_scale: Settings) -> CassandraTimelineStore:
    engine = make_async_engine(on_scale.resolved_database_url)
    chosen = timeline_store_factory(on_scale)(make_sessionmaker(engine))
    await engine.dispose()
    assert isinstance(chosen, CassandraTimelineStore)
    return chosen


class CassandraReads:
    """Counts the store's own reads of Cassandra."""

    def __init__(self, store: CassandraTimelineStore, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        read = store._page

        async def counted(user_id: int, before: int | None, limit: int) -> list[TimelineEntry]:
            self.count += 1
            return await read(user_id, before, limit)

        monkeypatch.setattr(store, "_page", counted)


def posts(entries: list[TimelineEntry]) -> list[int]:
    return [entry.post_id for entry in entries]


async def test_a_timeline_read_again_is_answered_from_redis(store, monkeypatch):
    user, author = new_id(), new_id()
    written = [new_id() for _ in range(50)]
    await store.add([TimelineEntry(user, post, author) for post in written])
    reads = CassandraReads(store, monkeypatch)
    newest = sorted(written, reverse=True)

    first = await store.page(user, None, 41)
    assert posts(first) == newest[:41]
    assert reads.count == 1
    # The same page, the next one, and the ranked feed's "as of now" read: no Cassandra read.
    assert posts(await store.page(user, None, 41)) == newest[:41]
    assert posts(await store.page(user, newest[19], 41)) == newest[20:]
    assert posts(await store.page(user, new_id(), 200)) == newest
    assert reads.count == 1


async def test_every_change_shows_on_the_next_read(store):
    user, author, other = new_id(), new_id(), new_id()
    older, newer = new_id(), new_id()
    await store.add([TimelineEntry(user, older, author)])
    assert posts(await store.page(user, None, 10)) == [older]  # now kept

    await store.add([TimelineEntry(user, newer, other)])  # a fan-out
    assert posts(await store.page(user, None, 10)) == [newer, older]

    await store.remove_author(user, other)  # an unfollow
    assert posts(await store.page(user, None, 10)) == [older]

    latest = new_id()
    await store.add([TimelineEntry(user, latest, author)])
    await store.trim(user, 1)  # a cap below what is kept
    assert posts(await store.page(user, None, 10)) == [latest]

    await store.remove_post(latest)  # a deleted post
    assert await store.page(user, None, 10) == []

    await store.add([TimelineEntry(user, older, author)])
    assert posts(await store.page(user, None, 10)) == [older]
    await store.clear(user)  # a rebuild starts with this
    assert await store.page(user, None, 10) == []


async def test_a_read_that_raced_a_change_never_serves_what_it_read(store):
    """A reader reads the generation, then Cassandra; a fan-out writes Cassandra and a new
    generation in between; the reader then keeps its (stale) entries: they must never be served."""
    pages = store._pages
    assert pages is not None
    user, author = new_id(), new_id()
    before_the_change = new_id()
    await store.add([TimelineEntry(user, before_the_change, author)])
    found = await pages.read(user)
    assert found is not None
    generation, _ = found
    stale = await store._page(user, None, pagecache.TOP)

    posted = new_id()
    await store.add([TimelineEntry(user, posted, author)])
    kept = pagecache.Kept(generation, [e.post_id for e in stale], [e.author_id for e in stale])
    await pages.keep(user, kept)

    assert posts(await store.page(user, None, 10)) == [posted, before_the_change]


async def test_reads_beyond_the_kept_entries_answer_as_cassandra_does(store, on_scale):
    plain = CassandraTimelineStore(on_scale)  # no Redis in front
    user, author = new_id(), new_id()
    written = [new_id() for _ in range(pagecache.TOP + 60)]
    await store.add([TimelineEntry(user, post, author) for post in written])
    await store.page(user, None, 41)  # the top is now kept
    randomly = random.Random(7)
    cursors = [None, new_id(), *randomly.sample(written, 40)]
    for before in cursors:
        for limit in (1, 41, pagecache.TOP, pagecache.TOP + 1):
            cached = await store.page(user, before, limit)
            assert cached == await plain.page(user, before, limit), (before, limit)


async def test_with_redis_down_reads_come_from_cassandra_and_changes_fail_for_a_retry(on_scale):
    down = on_scale.model_copy(update={"redis_url": "redis://127.0.0.1:9/0"})
    engine = make_async_engine(down.resolved_database_url)
    store = timeline_store_factory(down)(make_sessionmaker(engine))
    await engine.dispose()
    assert isinstance(store, CassandraTimelineStore)
    user, author, post = new_id(), new_id(), new_id()

    with pytest.raises(redis.exceptions.ConnectionError):
        await store.add([TimelineEntry(user, post, author)])  # written, then the retry's turn

    assert posts(await store.page(user, None, 10)) == [post]

"""The Cassandra timeline store: the store contract again, then what only Cassandra needs checking.

Needs a Cassandra node (scripts/services/cassandra start, then `eval "$(scripts/services/cassandra
env)"`): skipped without one, as on the embedded stack.
"""

from __future__ import annotations

import pytest

from tests.feeds.test_store_contract import *  # noqa: F403 (the contract's tests, run on this store)
from tests.feeds.test_store_contract import ALICE, BOB, CAROL, DAVE
from tests.stacks import cassandra as cassandra_stack
from tests.stacks import worker_id
from viewfinder.core import cassandra
from viewfinder.core.db import make_async_engine, make_sessionmaker
from viewfinder.core.ids import new_id
from viewfinder.feeds import cassandra as store_module
from viewfinder.feeds.cassandra import CassandraTimelineStore
from viewfinder.feeds.store import TimelineEntry
from viewfinder.settings import Settings
from viewfinder.wiring import timeline_store_factory

pytestmark = pytest.mark.skipif(
    not cassandra_stack.ACTIVE,
    reason="needs Cassandra: scripts/services/cassandra start; eval $(scripts/services/cassandra env)",
)

CONTRACT_POSTS = range(200)
"""Post ids the contract's tests use (small fixed numbers, unlike real, time-based ids)."""


@pytest.fixture
def cassandra_settings(settings: Settings) -> Settings:
    """The test's settings, on this process's test keyspace even outside the scale stack."""
    keyspace = cassandra_stack.ensure_keyspace(worker_id())
    return settings.model_copy(update={"timeline_backend": "cassandra", "cassandra_keyspace": keyspace})


@pytest.fixture  # type: ignore[no-redef]  # in place of the contract's own store fixture
async def store(cassandra_settings: Settings) -> CassandraTimelineStore:
    """The contract's `store`: its fixed account and post ids are cleared out before each test."""
    engine = make_async_engine(cassandra_settings.resolved_database_url)
    # Chosen by timeline_backend, as viewfinder.wiring chooses it for a process.
    chosen = timeline_store_factory(cassandra_settings)(make_sessionmaker(engine))
    await engine.dispose()
    assert isinstance(chosen, CassandraTimelineStore)
    for user_id in (ALICE, BOB, CAROL, DAVE):
        await chosen.clear(user_id)
    db = cassandra.Cassandra(cassandra_settings)
    await db.execute_all(
        ("DELETE FROM {ks}.post_timelines WHERE post_id = ?", (post_id,)) for post_id in CONTRACT_POSTS
    )
    return chosen


async def test_a_post_reaches_more_timelines_than_one_statement_writes_and_leaves_them_all(store):
    post_id, author_id = new_id(), new_id()
    followers = [new_id() for _ in range(store_module.CHUNK * 2 + 7)]

    await store.add([TimelineEntry(user, post_id, author_id) for user in followers])

    assert await store.holders(post_id) == sorted(followers)
    assert await store.page(followers[-1], None, 5) == [TimelineEntry(followers[-1], post_id, author_id)]

    await store.remove_post(post_id)

    assert await store.holders(post_id) == []
    assert await store.page(followers[0], None, 5) == []


async def test_removing_a_post_pages_through_its_index(store, monkeypatch):
    monkeypatch.setattr(store_module, "INDEX_PAGE", 10)
    post_id, author_id = new_id(), new_id()
    followers = [new_id() for _ in range(25)]
    await store.add([TimelineEntry(user, post_id, author_id) for user in followers])

    await store.remove_post(post_id)

    assert await store.holders(post_id) == []


async def test_many_posts_into_one_timeline_then_one_authors_leave(store):
    """A back-fill or a rebuild: more posts of few authors into one timeline than one statement writes."""
    user, kept_author, removed_author = new_id(), new_id(), new_id()
    kept = [new_id() for _ in range(store_module.CHUNK + 3)]
    removed = [new_id() for _ in range(store_module.CHUNK + 5)]
    await store.add(
        [TimelineEntry(user, post, kept_author) for post in kept]
        + [TimelineEntry(user, post, removed_author) for post in removed]
    )
    assert len(await store.page(user, None, 10_000)) == len(kept) + len(removed)

    await store.remove_author(user, removed_author)

    page = await store.page(user, None, 10_000)
    assert [entry.post_id for entry in page] == sorted(kept, reverse=True)
    assert {entry.author_id for entry in page} == {kept_author}


async def test_trimming_many_timelines_at_once(store):
    author = new_id()
    posts = [new_id() for _ in range(6)]
    timelines = [new_id() for _ in range(cassandra.CONCURRENCY * 3)]
    await store.add([TimelineEntry(user, post, author) for user in timelines for post in posts])

    await store.trim_many(timelines, 2)

    for user in timelines:
        assert [entry.post_id for entry in await store.page(user, None, 10)] == posts[::-1][:2]


async def test_an_entry_trimmed_away_comes_back_when_written_again(store):
    """Trims and deletions are tombstones; a later write of the same entry (a back-fill after a
    re-follow) must win over them, as it does in the SQL store."""
    user, author = new_id(), new_id()
    older, newer = new_id(), new_id()
    await store.add([TimelineEntry(user, older, author), TimelineEntry(user, newer, author)])
    await store.trim(user, 1)
    await store.remove_author(user, author)
    assert await store.page(user, None, 10) == []

    await store.add([TimelineEntry(user, older, author)])

    assert await store.page(user, None, 10) == [TimelineEntry(user, older, author)]


def test_migrating_again_changes_nothing(cassandra_settings):
    assert cassandra.migrate(cassandra_settings) == []


async def test_an_unreachable_cluster_is_a_503_not_a_crash(settings):
    unreachable = settings.model_copy(
        update={"timeline_backend": "cassandra", "cassandra_hosts": ["127.0.0.1"], "cassandra_port": 9}
    )
    store = CassandraTimelineStore(unreachable)

    with pytest.raises(cassandra.CassandraUnavailable) as raised:
        await store.page(ALICE, None, 10)

    assert raised.value.status_code == 503
    assert raised.value.code == "unavailable"


def test_keyspace_names_are_checked_before_they_reach_cql(settings):
    with pytest.raises(ValueError, match="cassandra_keyspace"):
        cassandra.keyspace_of(settings.model_copy(update={"cassandra_keyspace": "x; DROP KEYSPACE y"}))


async def test_a_read_longer_than_the_drivers_page_comes_back_whole(store):
    """The driver fetches 5,000 rows at a time; the asyncio bridge follows every page."""
    user, author = new_id(), new_id()
    posts = [new_id() for _ in range(5_001)]
    await store.add([TimelineEntry(user, post, author) for post in posts])

    page = await store.page(user, None, 10_000)

    assert [entry.post_id for entry in page] == posts[::-1]

"""The timeline store contract: every implementation (SQL now, Cassandra with scale-out) passes it.

To run it against another store, add its name to STORES and build it in the `store` fixture.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from viewfinder.core.db import make_async_engine, make_sessionmaker
from viewfinder.feeds.store import TimelineEntry, TimelineStore
from viewfinder.settings import Settings
from viewfinder.wiring import timeline_store_factory

STORES = ["sql"]

ALICE, BOB, CAROL, DAVE = 11, 12, 13, 14


@pytest.fixture(params=STORES)
async def store(request: pytest.FixtureRequest, settings: Settings) -> AsyncIterator[TimelineStore]:
    engine = make_async_engine(settings.resolved_database_url)
    try:
        chosen = settings.model_copy(update={"timeline_backend": request.param})
        yield timeline_store_factory(chosen)(make_sessionmaker(engine))
    finally:
        await engine.dispose()


async def posts_in(store: TimelineStore, user_id: int) -> list[int]:
    return [entry.post_id for entry in await store.page(user_id, None, 1000)]


async def test_pages_come_newest_first_and_continue_below_the_cursor(store):
    await store.add([TimelineEntry(ALICE, post_id, BOB) for post_id in (5, 1, 9, 3, 7)])

    first = await store.page(ALICE, None, 2)
    second = await store.page(ALICE, first[-1].post_id, 2)
    last = await store.page(ALICE, second[-1].post_id, 2)

    assert first == [TimelineEntry(ALICE, 9, BOB), TimelineEntry(ALICE, 7, BOB)]
    assert [e.post_id for e in second] == [5, 3]
    assert [e.post_id for e in last] == [1]
    assert await store.page(ALICE, 1, 2) == []
    assert await store.page(CAROL, None, 10) == []


async def test_adding_is_idempotent_and_writes_many_timelines_at_once(store):
    entries = [TimelineEntry(user, 100, DAVE) for user in (ALICE, BOB, CAROL)]
    await store.add(entries)
    await store.add([*entries, TimelineEntry(ALICE, 101, DAVE)])
    await store.add([])

    assert await posts_in(store, ALICE) == [101, 100]
    assert await posts_in(store, BOB) == [100]
    assert await posts_in(store, CAROL) == [100]


async def test_removing_an_author_touches_one_timeline_only(store):
    await store.add(
        [
            TimelineEntry(ALICE, 1, BOB),
            TimelineEntry(ALICE, 2, CAROL),
            TimelineEntry(ALICE, 3, BOB),
            TimelineEntry(DAVE, 1, BOB),
        ]
    )

    await store.remove_author(ALICE, BOB)
    await store.remove_author(ALICE, BOB)

    assert await store.page(ALICE, None, 10) == [TimelineEntry(ALICE, 2, CAROL)]
    assert await posts_in(store, DAVE) == [1]


async def test_removing_a_post_takes_it_out_of_every_timeline(store):
    await store.add([TimelineEntry(user, 50, DAVE) for user in (ALICE, BOB, DAVE)])
    await store.add([TimelineEntry(ALICE, 51, DAVE)])

    await store.remove_post(50)
    await store.remove_post(50)

    assert await posts_in(store, ALICE) == [51]
    assert await posts_in(store, BOB) == []
    assert await posts_in(store, DAVE) == []


async def test_trimming_keeps_the_newest_entries(store):
    await store.add([TimelineEntry(ALICE, post_id, BOB) for post_id in range(1, 11)])
    await store.add([TimelineEntry(BOB, post_id, CAROL) for post_id in range(1, 4)])
    await store.add([TimelineEntry(CAROL, post_id, BOB) for post_id in range(1, 8)])

    await store.trim(ALICE, 4)
    assert await posts_in(store, ALICE) == [10, 9, 8, 7]
    await store.trim(ALICE, 4)
    assert await posts_in(store, ALICE) == [10, 9, 8, 7]

    await store.trim_many([BOB, CAROL, DAVE, CAROL], 5)
    assert await posts_in(store, BOB) == [3, 2, 1]
    assert await posts_in(store, CAROL) == [7, 6, 5, 4, 3]
    await store.trim_many([], 5)

    await store.trim(ALICE, 0)
    assert await posts_in(store, ALICE) == []


async def test_clearing_empties_one_timeline(store):
    await store.add([TimelineEntry(ALICE, 1, BOB), TimelineEntry(BOB, 1, BOB)])

    await store.clear(ALICE)
    await store.clear(ALICE)

    assert await posts_in(store, ALICE) == []
    assert await posts_in(store, BOB) == [1]


async def test_removing_an_account_leaves_no_entry_that_names_it(store):
    # Alice's post in everyone's timeline; Bob's and Carol's posts in Alice's timeline and their own.
    await store.add([TimelineEntry(user, 150, ALICE) for user in (ALICE, BOB, CAROL)])
    await store.add([TimelineEntry(user, 151, BOB) for user in (ALICE, BOB)])
    await store.add([TimelineEntry(user, 152, CAROL) for user in (ALICE, CAROL)])

    await store.remove_account(ALICE)
    await store.remove_account(ALICE)  # again, as a retried erasure does: nothing left to do

    assert await posts_in(store, ALICE) == []
    assert await posts_in(store, BOB) == [151]
    assert await posts_in(store, CAROL) == [152]

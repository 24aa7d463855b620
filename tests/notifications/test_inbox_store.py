"""The inbox store contract: every implementation of notifications.store.InboxStore passes it.

The same tests run against the SQL store (the embedded default) and the Cassandra store (with its
`inbox_changes` outbox), each built the way viewfinder.wiring builds it for a process. The Cassandra
half needs a node (`make test-scale`, or scripts/services/cassandra start and its env): skipped
without one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import Api
from tests.helpers import make_post
from tests.stacks import cassandra as cassandra_stack
from tests.stacks import worker_id
from viewfinder.notifications.models import InboxChange
from viewfinder.notifications.store import Actor, InboxStore, Kind
from viewfinder.settings import Settings
from viewfinder.wiring import inbox_store

STORES = [
    "sql",
    pytest.param(
        "cassandra",
        marks=pytest.mark.skipif(
            not cassandra_stack.ACTIVE,
            reason="needs Cassandra: make test-scale, or scripts/services/cassandra start and its env",
        ),
    ),
]


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest, settings: Settings) -> InboxStore:
    update: dict[str, str] = {"inbox_backend": request.param}
    if request.param == "cassandra":
        update["cassandra_keyspace"] = cassandra_stack.ensure_keyspace(worker_id())
    return inbox_store(settings.model_copy(update=update))


@pytest.fixture
async def session(db: AsyncSession) -> AsyncIterator[AsyncSession]:
    """The test's session, with no transaction left open when the test ends."""
    yield db
    await db.rollback()


def actor(api: Api) -> Actor:
    profile = api.me["profile"]
    return Actor(int(profile["id"]), profile["username"], profile["display_name"])


def uid(api: Api) -> int:
    return int(api.me["profile"]["id"])


async def like(store: InboxStore, db: AsyncSession, recipient: Api, liker: Api, post_id: int) -> None:
    """`liker` liked `recipient`'s post: the store call notifications.services makes, then the commit
    of the caller's transaction."""
    await store.add(
        db,
        recipient_id=uid(recipient),
        actor=actor(liker),
        kind=Kind.LIKE,
        key=f"like:{post_id}",
        post_id=post_id,
        comment_id=None,
        text="",
    )
    await db.commit()


async def request_follow(store: InboxStore, db: AsyncSession, owner: Api, requester: Api) -> None:
    key = f"{Kind.FOLLOW_REQUEST}:{uid(requester)}"
    await store.add(
        db,
        recipient_id=uid(owner),
        actor=actor(requester),
        kind=Kind.FOLLOW_REQUEST,
        key=key,
        post_id=None,
        comment_id=None,
        text="",
    )
    await db.commit()


async def shown(
    store: InboxStore, db: AsyncSession, recipient: Api, limit: int = 50
) -> list[tuple[str, list[str]]]:
    """The recipient's lines as the inbox shows them: kind and actors' usernames, newest first."""
    lines = await store.page(db, uid(recipient), None, limit)
    actors = await store.newest_actors(db, uid(recipient), lines, 3)
    return [(line.kind, [user.username for user in actors[line.id][0]]) for line in lines]


async def test_likes_on_one_post_gather_in_one_unread_line(store, session, alice, bob, carol):
    post_id = int(make_post(alice)["id"])

    await like(store, session, alice, bob, post_id)
    await like(store, session, alice, carol, post_id)
    await like(store, session, alice, bob, post_id)  # the same action again: nothing new

    assert await shown(store, session, alice) == [("like", ["carol", "bob"])]
    assert await store.unread_count(session, uid(alice)) == 1
    lines = await store.page(session, uid(alice), None, 10)
    assert (await store.newest_actors(session, uid(alice), lines, 1))[lines[0].id][1] == 2
    assert await store.unread_count(session, uid(bob)) == 0


async def test_once_read_the_next_action_starts_a_new_line_on_top(store, session, alice, bob, carol):
    first, second = (int(make_post(alice, colour=colour)["id"]) for colour in ("red", "blue"))
    await like(store, session, alice, bob, first)

    assert await store.mark_read(session, uid(alice), None) == 0
    await like(store, session, alice, carol, second)
    await like(store, session, alice, carol, first)

    lines = await store.page(session, uid(alice), None, 10)
    assert [(line.post_id, line.is_read) for line in lines] == [
        (first, False),
        (second, False),
        (first, True),
    ]
    assert await store.unread_count(session, uid(alice)) == 2


async def test_marking_chosen_lines_read_ignores_others_ids(store, session, alice, bob, carol):
    first, second = (int(make_post(alice, colour=colour)["id"]) for colour in ("red", "blue"))
    await like(store, session, alice, bob, first)
    await like(store, session, alice, bob, second)
    await like(store, session, bob, carol, int(make_post(bob)["id"]))
    newest = (await store.page(session, uid(alice), None, 1))[0]
    bobs = (await store.page(session, uid(bob), None, 1))[0]

    assert await store.mark_read(session, uid(alice), [newest.id, bobs.id]) == 1

    assert [line.is_read for line in await store.page(session, uid(alice), None, 10)] == [True, False]
    assert await store.unread_count(session, uid(bob)) == 1


async def test_pages_continue_below_the_last_sort_id(store, session, alice, bob):
    posts = [int(make_post(alice, colour=f"#{i:02x}4080")["id"]) for i in range(5)]
    for post_id in posts:
        await like(store, session, alice, bob, post_id)

    first = await store.page(session, uid(alice), None, 2)
    second = await store.page(session, uid(alice), first[-1].sort_id, 2)
    last = await store.page(session, uid(alice), second[-1].sort_id, 2)

    assert [line.post_id for line in first + second + last] == posts[::-1]
    assert await store.page(session, uid(alice), last[-1].sort_id, 2) == []


async def test_withdrawing_takes_the_actor_out_and_an_empty_line_goes(store, session, alice, bob, carol):
    post_id = int(make_post(alice)["id"])
    await like(store, session, alice, bob, post_id)
    await like(store, session, alice, carol, post_id)

    await store.withdraw(
        session, recipient_id=uid(alice), actor_id=uid(bob), kind=Kind.LIKE, key=f"like:{post_id}"
    )
    await session.commit()
    assert await shown(store, session, alice) == [("like", ["carol"])]

    await store.withdraw(
        session, recipient_id=uid(alice), actor_id=uid(carol), kind=Kind.LIKE, key=f"like:{post_id}"
    )
    await session.commit()
    assert await shown(store, session, alice) == []
    assert await store.unread_count(session, uid(alice)) == 0


async def test_a_read_grouped_line_is_history_but_a_read_request_goes(store, session, alice, bob, carol):
    post_id = int(make_post(alice)["id"])
    await like(store, session, alice, bob, post_id)
    await request_follow(store, session, alice, carol)
    await store.mark_read(session, uid(alice), None)

    await store.withdraw(
        session, recipient_id=uid(alice), actor_id=uid(bob), kind=Kind.LIKE, key=f"like:{post_id}"
    )
    key = f"{Kind.FOLLOW_REQUEST}:{uid(carol)}"
    await store.withdraw(
        session, recipient_id=uid(alice), actor_id=uid(carol), kind=Kind.FOLLOW_REQUEST, key=key
    )
    await session.commit()

    assert await shown(store, session, alice) == [("like", ["bob"])]


async def test_liking_again_after_an_unlike_of_a_read_like_adds_no_line(store, session, alice, bob, carol):
    post_id = int(make_post(alice)["id"])
    await like(store, session, alice, bob, post_id)
    await store.mark_read(session, uid(alice), None)
    await store.withdraw(
        session, recipient_id=uid(alice), actor_id=uid(bob), kind=Kind.LIKE, key=f"like:{post_id}"
    )
    await session.commit()

    await like(store, session, alice, bob, post_id)
    assert await shown(store, session, alice) == [("like", ["bob"])]
    assert await store.unread_count(session, uid(alice)) == 0

    await like(store, session, alice, carol, post_id)  # someone new: a new line, without bob
    assert await shown(store, session, alice) == [("like", ["carol"]), ("like", ["bob"])]
    assert await store.unread_count(session, uid(alice)) == 1


async def test_a_blocked_accounts_lines_are_hidden_from_page_and_count(store, session, alice, bob, carol):
    mine, theirs = (int(make_post(alice, colour=colour)["id"]) for colour in ("red", "blue"))
    await like(store, session, alice, bob, mine)
    await like(store, session, alice, carol, mine)
    await like(store, session, alice, bob, theirs)

    assert alice.post("/users/bob/block").status_code == 204

    assert await shown(store, session, alice) == [("like", ["carol"])]
    assert await store.unread_count(session, uid(alice)) == 1


async def test_removing_an_account_leaves_no_line_that_names_it(store, session, alice, bob, carol):
    shared, hers = (int(make_post(alice, colour=colour)["id"]) for colour in ("red", "blue"))
    await like(store, session, alice, bob, shared)
    await like(store, session, alice, carol, shared)
    await like(store, session, alice, carol, hers)
    await like(store, session, carol, bob, int(make_post(carol)["id"]))

    await store.remove_account(session, uid(carol))

    assert await shown(store, session, alice) == [("like", ["bob"])]
    assert await store.unread_count(session, uid(alice)) == 1
    assert await store.page(session, uid(carol), None, 10) == []


async def test_after_a_drain_nothing_waits_outside_the_store(store, session, alice, bob):
    post_id = int(make_post(alice)["id"])
    await like(store, session, alice, bob, post_id)

    while await store.drain(session, 50):
        pass
    await session.commit()

    waiting = await session.scalar(
        select(func.count(InboxChange.id)).where(InboxChange.recipient_id == uid(alice))
    )
    assert waiting == 0
    assert await shown(store, session, alice) == [("like", ["bob"])]

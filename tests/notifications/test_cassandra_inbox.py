"""Notification inboxes on Cassandra: what the shared inbox tests (test_inbox.py, run on the scale
stack) cannot show — the outbox between the main database and Cassandra.

Needs a Cassandra node (scripts/services/cassandra start, then `eval "$(scripts/services/cassandra
env)"`): skipped without one, as on the embedded stack, whose inbox is in SQL.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import Api
from tests.helpers import make_post
from tests.stacks import cassandra as cassandra_stack
from tests.stacks import worker_id
from viewfinder.core.db import make_async_engine, make_sessionmaker
from viewfinder.notifications import services
from viewfinder.notifications.cassandra import CassandraInbox
from viewfinder.notifications.models import InboxChange, RealtimeEvent
from viewfinder.notifications.services import Kind
from viewfinder.settings import Settings

pytestmark = pytest.mark.skipif(
    not cassandra_stack.ACTIVE,
    reason="needs Cassandra: scripts/services/cassandra start; eval $(scripts/services/cassandra env)",
)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The test's settings with inboxes on this process's test keyspace, on either stack."""
    keyspace = cassandra_stack.ensure_keyspace(worker_id())
    return settings.model_copy(update={"inbox_backend": "cassandra", "cassandra_keyspace": keyspace})


def user_id(api: Api) -> int:
    return int(api.me["profile"]["id"])


def lines(api: Api) -> list[tuple[str, list[str]]]:
    response = api.get("/notifications")
    assert response.status_code == 200, response.text
    return [(line["kind"], [a["username"] for a in line["actors"]]) for line in response.json()["items"]]


async def test_a_change_applied_twice_counts_once(alice, bob, settings):
    inbox = CassandraInbox(settings)
    post_id = int(make_post(alice)["id"])

    async def add() -> int | None:
        return await inbox.add(
            user_id(alice),
            kind="like",
            key=f"like:{post_id}",
            actor_id=user_id(bob),
            post_id=post_id,
            comment_id=None,
            text="",
        )

    assert await add() is not None
    assert await add() is None  # a retried change, say
    assert lines(alice) == [("like", ["bob"])]
    assert alice.get("/notifications/unread-count").json() == {"unread": 1}


async def test_a_line_moved_up_leaves_no_trace_below(alice, bob, carol, settings):
    """Each new actor moves the line to the top: its old place in `inbox_order` must not show it twice."""
    first, second = (int(make_post(alice)["id"]) for _ in range(2))
    bob.post(f"/posts/{first}/like")
    bob.post(f"/posts/{second}/like")
    carol.post(f"/posts/{first}/like")

    shown = alice.get("/notifications", params={"limit": 1}).json()
    assert [line["post"]["id"] for line in shown["items"]] == [str(first)]
    rest = alice.get("/notifications", params={"limit": 5, "cursor": shown["next_cursor"]}).json()
    assert [line["post"]["id"] for line in rest["items"]] == [str(second)]


@pytest.mark.parametrize("readers", [True, False], ids=["readers", "drains"])
async def test_concurrent_appliers_keep_each_recipients_changes_in_order(alice, bob, settings, readers):
    """Like, unlike, like, ... applied by two callers at once must end as the last change says: a
    like applied after the unlike that followed it would leave a notification for nothing. The
    callers are readers applying Alice's own changes, or background drains taking anyone's (Alice's
    and Bob's changes interleaved, so they can work side by side)."""
    people = {user_id(alice): user_id(bob), user_id(bob): user_id(alice)}  # recipient -> liker
    posts = {
        recipient: int(make_post(api)["id"]) for recipient, api in zip(people, (alice, bob), strict=True)
    }
    engine = make_async_engine(settings.resolved_database_url)
    sessions = make_sessionmaker(engine)
    try:
        async with sessions() as db:
            for turn in range(30):
                for recipient, liker in people.items():
                    db.add(
                        InboxChange(
                            recipient_id=recipient,
                            change="notify" if turn % 2 == 0 else "withdraw",
                            kind=Kind.LIKE.value,
                            group_key=f"like:{posts[recipient]}",
                            actor_id=liker,
                            post_id=posts[recipient],
                        )
                    )
            await db.commit()

        async def apply() -> None:
            async with sessions() as db:
                while True:
                    await services.apply_changes(
                        db, CassandraInbox(settings), user_id(alice) if readers else None
                    )
                    waiting = select(func.count(InboxChange.id))
                    if readers:
                        waiting = waiting.where(InboxChange.recipient_id == user_id(alice))
                    if not await db.scalar(waiting):
                        return
                    await db.commit()
                    await asyncio.sleep(0.01)

        # Two callers here, and the app's background drain as a third.
        await asyncio.gather(apply(), apply())
        if readers:
            bob.get("/notifications/unread-count")  # Bob's too, by reading
        async with sessions() as db:
            assert await db.scalar(select(func.count(InboxChange.id))) == 0
            events = {
                recipient: list(
                    await db.scalars(
                        select(RealtimeEvent.payload).where(RealtimeEvent.channel == f"user:{recipient}")
                    )
                )
                for recipient in people
            }
    finally:
        await engine.dispose()
    for api in (alice, bob):
        assert lines(api) == []  # the last change was an unlike
    # Each like made a line anew (its unlike had taken the previous one away): applied once each, in order.
    for recipient in people:
        assert sum('"type":"notification"' in payload for payload in events[recipient]) == 15


async def test_the_background_drain_delivers_without_anyone_reading(alice, bob, db: AsyncSession):
    """Every web process moves the outbox into Cassandra by itself, so the real-time event of a
    follow goes out although nobody opens the inbox."""
    bob.post("/users/alice/follow")
    deadline = time.monotonic() + 10
    while True:
        events = list(
            await db.scalars(
                select(RealtimeEvent.payload).where(RealtimeEvent.channel == f"user:{user_id(alice)}")
            )
        )
        await db.commit()
        if any('"type":"notification"' in payload for payload in events):
            break
        assert time.monotonic() < deadline, "no notification event: the drain did not run"
        await asyncio.sleep(0.1)
    assert await db.scalar(select(func.count(InboxChange.id))) == 0

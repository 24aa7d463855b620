"""Likes, comment likes, comments, replies and mentions reach the inbox through after-commit
subscribers (notifications.subscribers): a rolled-back write tells nobody, and an event delivered
twice, or after it was undone, changes nothing."""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from tests import database
from tests.conftest import Api
from tests.helpers import assert_error, make_post
from viewfinder.core.db import make_async_engine, make_sessionmaker, utcnow
from viewfinder.core.errors import ApiError
from viewfinder.core.events import Event, deliver, emit, event_name, off, on
from viewfinder.core.ids import new_id
from viewfinder.core.models import DomainEvent
from viewfinder.engagement.events import CommentDeleted, Commented, CommentLiked, Liked
from viewfinder.notifications.services import Kind, notify
from viewfinder.posts.events import PostCreated
from viewfinder.settings import Settings


def inbox(api: Api) -> list[dict[str, Any]]:
    response = api.get("/notifications")
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def lines(api: Api) -> list[tuple[str, list[str], int]]:
    """Each inbox line as (kind, actors' usernames, actor count), newest first."""
    return [
        (line["kind"], [a["username"] for a in line["actors"]], line["actor_count"]) for line in inbox(api)
    ]


def unread(api: Api) -> int:
    response = api.get("/notifications/unread-count")
    assert response.status_code == 200, response.text
    count: int = response.json()["unread"]
    return count


def user_id(api: Api) -> int:
    return int(api.me["profile"]["id"])


def outbox(settings: Settings) -> list[tuple[Any, ...]]:
    return database.query(settings, "SELECT name FROM domain_events")


REFUSED: tuple[type[Event], ...] = (Liked, Commented, CommentLiked)


async def _raise_refused(db: AsyncSession, event: Event) -> None:
    """An in-transaction subscriber that fails its event's write: the service has done everything
    else, and the whole transaction rolls back (a 409)."""
    raise ApiError(409, "refused", "A subscriber refused this change.")


def test_a_rolled_back_like_or_comment_tells_nobody(alice, bob, carol, settings):
    post = make_post(alice, "sunset")
    comment = carol.post(f"/posts/{post['id']}/comments", json={"text": "lovely"}).json()
    assert alice.post("/notifications/read").status_code == 200
    for kind in REFUSED:
        on(kind)(_raise_refused)
    try:
        assert_error(bob.post(f"/posts/{post['id']}/like"), 409, "refused")
        assert_error(
            bob.post(f"/posts/{post['id']}/comments", json={"text": "hi @alice and @carol"}), 409, "refused"
        )
        assert_error(bob.post(f"/comments/{comment['id']}/like"), 409, "refused")
    finally:
        for kind in REFUSED:
            off(kind, _raise_refused)

    # Nothing was written, so nobody hears of anything and nothing waits in the outbox.
    assert [line["read"] for line in inbox(alice)] == [True]
    assert unread(alice) == 0
    assert lines(carol) == []
    assert outbox(settings) == []
    assert alice.get(f"/posts/{post['id']}").json()["like_count"] == 0

    # The same actions, committed, do tell (so the assertions above could fail).
    assert bob.post(f"/posts/{post['id']}/like").status_code == 200
    assert bob.post(f"/posts/{post['id']}/comments", json={"text": "hi @carol"}).status_code == 201
    assert bob.post(f"/comments/{comment['id']}/like").status_code == 200
    assert [line[:2] for line in lines(alice)][:2] == [("comment", ["bob"]), ("like", ["bob"])]
    assert sorted(line[0] for line in lines(carol)) == ["comment_like", "mention"]
    assert outbox(settings) == []


async def redeliver(db: AsyncSession, event: Event) -> None:
    """Deliver this event again, as the outbox sweep does when a delivery looked lost: the same
    payload reaches every after-commit subscriber once more."""
    await emit(db, event)
    await db.commit()


async def test_a_like_delivered_twice_or_after_the_unlike_changes_nothing(alice, bob, db, settings):
    post = make_post(alice, "sunset")
    assert bob.post(f"/posts/{post['id']}/like").status_code == 200
    liked = Liked(post_id=int(post["id"]), user_id=user_id(bob), post_author_id=user_id(alice))

    await redeliver(db, liked)
    await redeliver(db, liked)
    assert lines(alice) == [("like", ["bob"], 1)]
    assert unread(alice) == 1

    # Unliked, then the like's event arrives late: the line does not come back.
    assert bob.delete(f"/posts/{post['id']}/like").status_code == 200
    assert lines(alice) == []
    await redeliver(db, liked)
    assert lines(alice) == []
    assert unread(alice) == 0
    assert outbox(settings) == []


async def test_a_comment_delivered_twice_tells_each_recipient_once(alice, bob, carol, db, settings):
    post = make_post(alice, "sunset")
    created = bob.post(f"/posts/{post['id']}/comments", json={"text": "hello @carol"})
    assert created.status_code == 201, created.text
    commented = Commented(
        comment_id=int(created.json()["id"]),
        post_id=int(post["id"]),
        author_id=user_id(bob),
        post_author_id=user_id(alice),
        mentioned_ids=(user_id(carol),),
    )
    liked = CommentLiked(
        comment_id=int(created.json()["id"]),
        post_id=int(post["id"]),
        user_id=user_id(alice),
        comment_author_id=user_id(bob),
        tell_author=True,
    )
    assert alice.post(f"/comments/{created.json()['id']}/like").status_code == 200

    await redeliver(db, commented)
    await redeliver(db, commented)
    await redeliver(db, liked)
    assert lines(alice) == [("comment", ["bob"], 1)]
    assert lines(carol) == [("mention", ["bob"], 1)]
    assert lines(bob) == [("comment_like", ["alice"], 1)]
    assert [line["text"] for line in inbox(alice)] == ["hello @carol"]

    # Deleted: both lines go, and neither a late nor a repeated delivery brings them back.
    assert bob.delete(f"/comments/{created.json()['id']}").status_code == 204
    assert (lines(alice), lines(carol)) == ([], [])
    deleted = CommentDeleted(
        comment_id=commented.comment_id,
        post_id=commented.post_id,
        author_id=commented.author_id,
        post_author_id=commented.post_author_id,
        mentioned_ids=commented.mentioned_ids,
    )
    await redeliver(db, deleted)
    await redeliver(db, commented)
    assert (lines(alice), lines(carol)) == ([], [])
    assert (unread(alice), unread(carol)) == (0, 0)
    assert outbox(settings) == []


async def test_a_caption_mention_delivered_twice_tells_once(alice, bob, db, settings):
    post = make_post(alice, "with @bob")
    assert lines(bob) == [("mention", ["alice"], 1)]
    created = PostCreated(post_id=int(post["id"]), author_id=user_id(alice), mentioned_ids=(user_id(bob),))

    await redeliver(db, created)
    assert lines(bob) == [("mention", ["alice"], 1)]

    # The caption no longer names bob when a late delivery arrives: still one line, no new one.
    assert alice.patch(f"/posts/{post['id']}", json={"caption": "alone"}).status_code == 200
    assert bob.post("/notifications/read").status_code == 200
    await redeliver(db, created)
    assert [line["read"] for line in inbox(bob)] == [True]
    assert unread(bob) == 0
    assert outbox(settings) == []


class RacedMention(Event, frozen=True):
    """A test's own event: its after-commit subscriber mentions the recipient in a post."""

    recipient_id: int
    actor_id: int
    post_id: int


async def committed_without_hand_off(db: AsyncSession, event: Event) -> int:
    """An event committed to the outbox whose hand-off to the queue never happened (its process
    died right after the commit): only a delivery of the test's own starts it. Its id."""
    event_id, now = new_id(), utcnow()
    await db.execute(
        insert(DomainEvent).values(
            id=event_id,
            name=event_name(type(event)),
            payload=msgspec.msgpack.encode(event),
            created_at=now,
            due_at=now,
            attempts=0,
        )
    )
    await db.commit()
    return event_id


async def test_an_event_delivered_by_two_workers_at_once_tells_once(alice, bob, db, settings):
    """Two deliveries of one outbox row overlap (the sweep handed it over again while the first was
    on its way; two processes' sweeps): the first is held up inside its subscriber while the second
    runs to the end and the recipient reads the line; then the first goes on. Without a claim on
    the row the first would open a second, unread line."""
    post = make_post(alice, "sunset")
    started, may_go = asyncio.Event(), asyncio.Event()
    runs = 0

    async def announce(session: AsyncSession, event: RacedMention) -> None:
        nonlocal runs
        runs += 1
        if runs == 1:  # the first delivery waits here, past its read of the outbox row
            started.set()
            await may_go.wait()
        await notify(
            session,
            recipient_id=event.recipient_id,
            actor_id=event.actor_id,
            kind=Kind.MENTION,
            post_id=event.post_id,
        )

    on(RacedMention, after_commit=True)(announce)
    engine = make_async_engine(settings.resolved_database_url)
    try:
        event_id = await committed_without_hand_off(
            db, RacedMention(recipient_id=user_id(bob), actor_id=user_id(alice), post_id=int(post["id"]))
        )
        sessions = make_sessionmaker(engine)
        async with sessions() as first, sessions() as second:
            held_up = asyncio.create_task(deliver(first, event_id))
            await asyncio.wait_for(started.wait(), timeout=30)
            # SQLite: the second delivers and commits; PostgreSQL: it finds the row locked and steps aside.
            await asyncio.wait_for(deliver(second, event_id), timeout=30)
            assert bob.post("/notifications/read").status_code == 200
            may_go.set()
            await asyncio.wait_for(held_up, timeout=30)
    finally:
        off(RacedMention, announce)
        may_go.set()
        await engine.dispose()

    assert lines(bob) == [("mention", ["alice"], 1)]
    assert outbox(settings) == []
    # Delivered once more, later (a sweep's stale hand-off): nothing happens.
    assert await deliver(db, event_id) is False
    assert lines(bob) == [("mention", ["alice"], 1)]

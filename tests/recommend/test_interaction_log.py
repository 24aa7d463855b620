"""The interaction log (recommend.log): the signals recommendations learn from, on whichever store
the stack uses (SQL embedded, Cassandra at scale)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.helpers import assert_error, make_post
from viewfinder.core.db import utcnow
from viewfinder.core.ids import first_id_at
from viewfinder.recommend import services
from viewfinder.recommend.log import Kind, Signal, Surface, interaction_log
from viewfinder.settings import Settings


def user_id(api: Any) -> int:
    return int(api.me["profile"]["id"])


async def signals_of(db: AsyncSession, api: Any) -> list[Signal]:
    signals = await interaction_log().recent(db, user_id(api))
    await db.rollback()  # the next read sees later commits (SQLite, PostgreSQL)
    return signals


def kinds(signals: list[Signal]) -> list[tuple[Kind, int | None, int | None]]:
    """(kind, post, author) oldest first."""
    return [(s.kind, s.post_id, s.author_id) for s in reversed(signals)]


async def test_likes_comments_saves_follows_and_visits_are_recorded_with_their_author(alice, bob, db):
    post = make_post(alice, "a sunset")
    post_id, alice_id = int(post["id"]), user_id(alice)

    bob.post(f"/posts/{post['id']}/like")
    bob.post(f"/posts/{post['id']}/like")  # liking again changes nothing, so records nothing
    bob.post(f"/posts/{post['id']}/comments", json={"text": "lovely"})
    bob.post(f"/posts/{post['id']}/save")
    bob.delete(f"/posts/{post['id']}/save")
    bob.delete(f"/posts/{post['id']}/save")  # not saved any more: nothing
    bob.delete(f"/posts/{post['id']}/like")
    bob.post(f"/users/{alice.username}/follow")
    bob.get(f"/users/{alice.username}")
    bob.delete(f"/users/{alice.username}/follow")

    recorded = kinds(await signals_of(db, bob))
    assert recorded[:6] == [
        (Kind.LIKE, post_id, alice_id),
        (Kind.COMMENT, post_id, alice_id),
        (Kind.SAVE, post_id, alice_id),
        (Kind.UNSAVE, post_id, alice_id),
        (Kind.UNLIKE, post_id, alice_id),
        (Kind.FOLLOW, None, alice_id),
    ]
    assert (Kind.PROFILE_VISIT, None, alice_id) in recorded[6:]
    assert recorded[-1] == (Kind.UNFOLLOW, None, alice_id)
    # Only Bob's log holds what Bob did; Alice was acted on, she did nothing.
    assert await signals_of(db, alice) == []


async def test_an_accounts_own_posts_teach_nothing(alice, db):
    post = make_post(alice)
    alice.post(f"/posts/{post['id']}/like")
    alice.post(f"/posts/{post['id']}/save")

    assert await signals_of(db, alice) == []


async def test_a_follow_request_counts_once_approved(alice, bob, db):
    alice.patch("/accounts/me", json={"is_private": True})
    bob.post(f"/users/{alice.username}/follow")
    assert [s.kind for s in await signals_of(db, bob)] == []

    alice.post(f"/accounts/follow-requests/{bob.username}/approve")
    assert [(s.kind, s.author_id) for s in await signals_of(db, bob)] == [(Kind.FOLLOW, user_id(alice))]


async def test_the_client_reports_impressions_with_surface_position_and_model(alice, bob, db):
    first, second = make_post(alice, "one"), make_post(alice, "two")
    response = bob.post(
        "/interactions",
        json={
            "events": [
                {
                    "kind": "impression",
                    "post_id": first["id"],
                    "surface": "explore",
                    "position": 0,
                    "model": "v3",
                },
                {"kind": "impression", "post_id": second["id"], "surface": "explore", "position": 1},
                {"kind": "dwell", "post_id": first["id"], "dwell_ms": 4200},
                {"kind": "not_interested", "post_id": second["id"], "surface": "for_you"},
            ]
        },
    )
    assert response.status_code == 202, response.text
    assert response.json() == {"accepted": 4}

    signals = list(reversed(await signals_of(db, bob)))
    assert [(s.kind, s.post_id, s.surface, s.position) for s in signals] == [
        (Kind.IMPRESSION, int(first["id"]), Surface.EXPLORE, 0),
        (Kind.IMPRESSION, int(second["id"]), Surface.EXPLORE, 1),
        (Kind.DWELL, int(first["id"]), None, None),
        (Kind.NOT_INTERESTED, int(second["id"]), Surface.FOR_YOU, None),
    ]
    assert signals[0].model == "v3"
    assert signals[0].author_id == user_id(alice)
    assert signals[2].dwell_ms == 4200
    assert await services.not_interested(db, user_id(bob)) == ({int(second["id"])}, {user_id(alice)})
    assert await services.not_interested(db, user_id(alice)) == (set(), set())


async def test_reports_about_posts_the_viewer_may_not_see_are_left_out(alice, bob, carol, db):
    private = make_post(carol, "only for followers")
    carol.patch("/accounts/me", json={"is_private": True})
    deleted = make_post(alice, "gone soon")
    alice.delete(f"/posts/{deleted['id']}")
    bob.post(f"/users/{alice.username}/block")
    by_blocker = make_post(alice, "blocked")
    events = [{"kind": "impression", "post_id": post["id"]} for post in (private, deleted, by_blocker)]
    events.append({"kind": "open", "post_id": "9223372036854775807"})  # names no post
    events.append({"kind": "open", "post_id": "9999999999999999999"})  # past what a row can hold

    response = bob.post("/interactions", json={"events": events})

    assert response.status_code == 202, response.text
    assert response.json() == {"accepted": 0}
    assert await signals_of(db, bob) == []


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ({"events": []}, "no events"),
        ({"events": [{"kind": "impression", "post_id": "1"}] * 201}, "over 200"),
        ({"events": [{"kind": "like", "post_id": "1"}]}, "a like is the server's to record"),
        ({"events": [{"kind": "impression", "post_id": "abc"}]}, "not an id"),
        ({"events": [{"kind": "impression", "post_id": "1", "surface": "moon"}]}, "no such surface"),
        ({"events": [{"kind": "dwell", "post_id": "1", "dwell_ms": -5}]}, "negative dwell"),
        ({"events": [{"kind": "impression", "post_id": "1", "position": 10_001}]}, "position"),
        ({"events": [{"kind": "impression", "post_id": "1", "viewer_id": "2"}]}, "someone else's log"),
    ],
)
async def test_bad_reports_are_refused_whole_and_keep_nothing(alice, bob, db, body, why):
    good = {"kind": "impression", "post_id": make_post(alice)["id"]}
    sent = {"events": [good, *body["events"]]} if body["events"] else body

    assert_error(bob.post("/interactions", json=sent), 400, "validation_error")
    assert await signals_of(db, bob) == [], why


def test_reporting_needs_an_account(anon):
    report = {"events": [{"kind": "impression", "post_id": "1"}]}
    assert_error(anon.post("/interactions", json=report), 401, "not_authenticated")


async def test_a_rolled_back_write_leaves_no_signal(alice, db):
    await services.record(db, user_id(alice), Kind.LIKE, post_id=1, author_id=2)
    await db.rollback()

    assert await signals_of(db, alice) == []


async def test_signals_older_than_the_retention_go(alice, bob, db, settings: Settings):
    post = make_post(alice)
    bob.post("/interactions", json={"events": [{"kind": "impression", "post_id": post["id"]}]})
    bob.post(f"/posts/{post['id']}/like")

    assert await services.prune(db, settings.interaction_retention_days) == 0
    assert len(await signals_of(db, bob)) == 2
    if settings.interaction_backend == "cassandra":
        return  # rows expire by their TTL there (recommend.cassandra)
    later = utcnow() + timedelta(days=settings.interaction_retention_days, minutes=1)
    assert await services.prune(db, settings.interaction_retention_days, now=later) == 2
    assert await signals_of(db, bob) == []


async def test_the_whole_log_can_be_read_for_training(alice, bob, carol, db):
    post = make_post(alice)
    bob.post(f"/posts/{post['id']}/like")
    carol.post(f"/posts/{post['id']}/like")

    since = utcnow() - timedelta(hours=1)
    scanned = [signal async for batch in interaction_log().scan(db, since=since) for signal in batch]
    await db.rollback()

    assert {(s.viewer_id, s.kind) for s in scanned} >= {
        (user_id(bob), Kind.LIKE),
        (user_id(carol), Kind.LIKE),
    }
    assert all(s.id >= first_id_at(since) for s in scanned)
    later = [
        s async for batch in interaction_log().scan(db, since=utcnow() + timedelta(hours=1)) for s in batch
    ]
    assert later == []


async def test_erasing_an_account_erases_its_log_and_every_signal_about_it(alice, bob, carol, db):
    by_alice, by_carol = make_post(alice), make_post(carol)
    bob.post(f"/posts/{by_alice['id']}/like")
    bob.post(f"/posts/{by_carol['id']}/like")
    by_bob = make_post(bob)
    alice.post(f"/posts/{by_bob['id']}/like")
    carol.post(f"/posts/{by_bob['id']}/like")
    carol.post(f"/posts/{by_alice['id']}/like")

    await services.delete_account_data(db, user_id(bob))

    assert await signals_of(db, bob) == []
    # What others did to Bob's posts goes with him; the rest of their logs stays.
    assert await signals_of(db, alice) == []
    assert kinds(await signals_of(db, carol)) == [(Kind.LIKE, int(by_alice["id"]), user_id(alice))]

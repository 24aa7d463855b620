"""The home feed through the API: what it shows, in which order, and every privacy rule."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.feeds import every_page, feed, timeline_of, timelines_holding, user_id
from tests.helpers import assert_error, make_post, small_photo
from viewfinder.accounts.models import User
from viewfinder.core.db import make_async_engine, make_sessionmaker
from viewfinder.core.errors import ApiError
from viewfinder.core.pagination import encode_cursor
from viewfinder.feeds.models import Affinity
from viewfinder.feeds.services import rebuild_timelines
from viewfinder.feeds.store import TimelineEntry
from viewfinder.media import services as media
from viewfinder.mediakit.storage import storage_from_settings
from viewfinder.wiring import timeline_store_factory


def test_the_feed_shows_your_own_and_followed_posts_newest_first(alice, bob, carol):
    bob.post("/users/alice/follow")
    bob.post("/users/carol/follow")
    first = make_post(alice, "first")["id"]
    mine = make_post(bob, "mine")["id"]
    second = make_post(carol, "second")["id"]
    third = make_post(alice, "third")["id"]

    assert feed(bob) == [third, second, mine, first]
    assert feed(carol) == [second]  # carol follows no one
    assert feed(alice) == [third, first]  # her own posts only


async def test_a_post_is_fanned_out_to_every_follower(alice, bob, carol, make_api, db):
    dave = make_api().signup("dave")
    for follower in (bob, carol):
        follower.post("/users/alice/follow")

    post_id = make_post(alice)["id"]

    assert await timelines_holding(db, post_id) == 3  # alice, bob and carol; not dave
    assert await timeline_of(db, dave) == []
    assert feed(bob) == feed(carol) == feed(alice) == [post_id]


async def test_following_back_fills_recent_posts_and_unfollowing_removes_them(alice, bob, carol, db):
    older = [make_post(alice, f"post {n}")["id"] for n in range(3)]
    bob.post("/users/carol/follow")
    carols = make_post(carol)["id"]

    assert bob.post("/users/alice/follow").json()["state"] == "following"
    assert feed(bob) == [carols, *older[::-1]]

    bob.delete("/users/alice/follow")
    assert feed(bob) == [carols]
    assert await timeline_of(db, bob) == [carols]


def test_muted_accounts_leave_the_feed_until_unmuted(alice, bob):
    bob.post("/users/alice/follow")
    post_id = make_post(alice)["id"]

    bob.post("/users/alice/mute")
    assert feed(bob) == []
    assert feed(bob, "ranked") == []

    bob.delete("/users/alice/mute")
    assert feed(bob) == [post_id]


@pytest.mark.parametrize("blocker", ["author", "reader"])
async def test_blocks_take_posts_out_of_the_feed_either_way(alice, bob, db, blocker):
    bob.post("/users/alice/follow")
    alice.post("/users/bob/follow")
    alices = make_post(alice)["id"]
    bobs = make_post(bob)["id"]

    if blocker == "author":
        alice.post("/users/bob/block")
    else:
        bob.post("/users/alice/block")

    assert feed(bob) == [bobs]
    assert feed(alice) == [alices]
    assert feed(bob, "ranked") == [bobs]
    assert await timeline_of(db, bob) == [bobs]
    assert await timeline_of(db, alice) == [alices]


async def test_a_deleted_post_leaves_every_timeline(alice, bob, carol, db):
    for follower in (bob, carol):
        follower.post("/users/alice/follow")
    kept = make_post(alice, "kept")["id"]
    gone = make_post(alice, "gone")["id"]
    assert await timelines_holding(db, gone) == 3

    assert alice.delete(f"/posts/{gone}").status_code == 204

    assert await timelines_holding(db, gone) == 0
    for reader in (alice, bob, carol):
        assert feed(reader) == [kept]


async def test_a_post_joins_feeds_only_once_its_media_is_ready(alice, bob, db, settings):
    bob.post("/users/alice/follow")
    storage = storage_from_settings(settings)
    author = await db.get(User, user_id(alice))
    assert author is not None
    # An upload whose processing job has not run yet.
    waiting = await media.record_upload(
        db, storage, author, small_photo(), filter_name="normal", crop=None, max_bytes=10**8, max_pixels=10**8
    )
    post = alice.post("/posts", json={"items": [{"media_id": str(waiting.id)}]}).json()
    assert post["state"] == "processing"

    assert feed(bob) == []
    assert feed(alice) == []  # the author sees it on their profile grid meanwhile

    await media.process_media_item(db, storage, waiting.id)
    assert feed(bob) == [post["id"]]


def test_private_posts_reach_approved_followers_only(alice, bob, carol):
    alice.patch("/accounts/me", json={"is_private": True})
    post_id = make_post(alice)["id"]

    assert bob.post("/users/alice/follow").json()["state"] == "requested"
    assert feed(bob) == []

    alice.post("/accounts/follow-requests/bob/approve")
    assert feed(bob) == [post_id]
    assert feed(carol) == []


async def test_going_public_fills_the_timelines_of_everyone_who_was_waiting(alice, bob, carol, db):
    alice.patch("/accounts/me", json={"is_private": True})
    older, newer = make_post(alice)["id"], make_post(alice)["id"]
    bob.post("/users/alice/follow")
    carol.post("/users/alice/follow")

    assert alice.patch("/accounts/me", json={"is_private": False}).status_code == 200

    for waiting in (bob, carol):
        assert await timeline_of(db, waiting) == [newer, older]
        assert feed(waiting) == [newer, older]


async def test_stale_timeline_entries_of_accounts_no_longer_followed_never_show(
    alice, bob, carol, db, settings
):
    """A private account that dropped a follower, or any unfollow, hides the posts at once,
    even while the clean-up job has not yet removed them from the timeline."""
    alices = make_post(alice)["id"]
    carols = make_post(carol)["id"]
    alice.patch("/accounts/me", json={"is_private": True})
    engine = make_async_engine(settings.resolved_database_url)
    store = timeline_store_factory(settings)(make_sessionmaker(engine))
    # Left behind as if the jobs that clean up after an unfollow had not run yet.
    await store.add(
        [
            TimelineEntry(user_id(bob), int(alices), user_id(alice)),
            TimelineEntry(user_id(bob), int(carols), user_id(carol)),
        ]
    )
    await engine.dispose()

    assert feed(bob) == []
    assert feed(bob, "ranked") == []


def test_ranked_mode_puts_an_engaged_authors_post_above_a_fresher_one(alice, bob, carol):
    bob.post("/users/alice/follow")
    bob.post("/users/carol/follow")
    alices = make_post(alice, "older, from someone bob looks at")["id"]
    carols = make_post(carol, "fresher, from someone bob never engaged with")["id"]
    assert bob.get("/users/alice").status_code == 200  # a profile visit: affinity with alice

    assert feed(bob) == [carols, alices]
    assert feed(bob, "ranked") == [alices, carols]


def test_ranked_pages_stay_full_when_the_best_ranked_posts_may_not_be_shown(alice, bob, carol):
    """Ranking scores every candidate; privacy is applied to the chosen few, so candidates that may
    not be shown (here a muted author's, ranked first by affinity) are skipped, not left as holes."""
    bob.post("/users/alice/follow")
    bob.post("/users/carol/follow")
    alices = [make_post(alice, f"alice {n}")["id"] for n in range(3)]
    carols = [make_post(carol, f"carol {n}")["id"] for n in range(4)]
    for _ in range(3):
        assert bob.get("/users/carol").status_code == 200  # affinity: carol's posts rank first
    assert feed(bob, "ranked", limit=4) == carols[::-1]
    bob.post("/users/carol/mute")

    first = bob.get("/feed", params={"mode": "ranked", "limit": 2}).json()
    assert len(first["items"]) == 2
    assert every_page(bob, "ranked", 2) == alices[::-1]


async def test_profile_visits_count_toward_affinity_only_for_others(alice, bob, anon, db):
    bob.get("/users/alice")
    bob.get("/users/alice")
    bob.get("/users/bob")
    anon.get("/users/alice")

    rows = (await db.scalars(select(Affinity))).all()
    assert [(r.viewer_id, r.author_id, r.visits) for r in rows] == [(user_id(bob), user_id(alice), 2)]
    assert rows[0].score > 0


@pytest.mark.parametrize("mode", ["following", "ranked"])
def test_both_modes_page_through_everything_once(alice, bob, carol, mode):
    bob.post("/users/alice/follow")
    bob.post("/users/carol/follow")
    posted = [make_post(api)["id"] for api in (alice, carol, bob, alice, carol, alice, bob)]

    pages = every_page(bob, mode, 3)

    assert sorted(pages) == sorted(posted)
    if mode == "following":
        assert pages == posted[::-1]


@pytest.mark.parametrize("mode", ["following", "ranked"])
def test_forged_or_borrowed_cursors_are_refused(alice, bob, carol, settings, mode):
    for reader in (bob, carol):
        reader.post("/users/alice/follow")
    for _ in range(3):
        make_post(alice)
    bobs = bob.get("/feed", params={"mode": mode, "limit": 1}).json()["next_cursor"]
    assert bobs
    other_mode = "ranked" if mode == "following" else "following"
    grid = alice.get("/users/alice/posts", params={"limit": 1}).json()["next_cursor"]

    for reader, params in [
        (carol, {"mode": mode, "cursor": bobs}),  # someone else's feed
        (bob, {"mode": other_mode, "cursor": bobs}),  # the other mode
        (bob, {"mode": mode, "cursor": grid}),  # another list
        (bob, {"mode": mode, "cursor": "forged"}),
        (bob, {"mode": mode, "cursor": bobs[:-2] + "AA"}),
    ]:
        assert_error(reader.get("/feed", params=params), 400, "invalid_cursor", ["cursor"])


def test_a_ranked_cursor_goes_stale(alice, bob, settings):
    bob.post("/users/alice/follow")
    make_post(alice)
    three_hours_ago_ms = 0  # the project epoch: long ago
    stale = encode_cursor(settings.secret, f"feed:ranked:{user_id(bob)}", (three_hours_ago_ms << 32) | 1)

    error = assert_error(bob.get("/feed", params={"mode": "ranked", "cursor": stale}), 400, "invalid_cursor")
    assert error["fields"]["cursor"] == "stale"


def test_the_feed_needs_a_login_and_a_known_mode(bob, anon):
    assert_error(anon.get("/feed"), 401, "not_authenticated")
    assert bob.get("/feed", params={"mode": "popular"}).status_code == 400
    assert bob.get("/feed", params={"limit": 0}).status_code == 400


async def test_rebuilding_restores_a_cleared_timeline(alice, bob, carol, db, settings):
    bob.post("/users/alice/follow")
    bob.post("/users/carol/follow")
    posted = [make_post(api)["id"] for api in (alice, bob, carol)]
    engine = make_async_engine(settings.resolved_database_url)
    store = timeline_store_factory(settings)(make_sessionmaker(engine))
    await store.clear(user_id(bob))
    await store.clear(user_id(alice))
    await engine.dispose()
    assert feed(bob) == []

    assert await rebuild_timelines(db, settings, username="BOB") == 1
    assert feed(bob) == posted[::-1]
    assert feed(alice) == []

    assert await rebuild_timelines(db, settings) == 3
    assert feed(alice) == [posted[0]]
    assert feed(bob) == posted[::-1]
    with pytest.raises(ApiError) as raised:
        await rebuild_timelines(db, settings, username="nobody")
    assert raised.value.status_code == 404

"""Celebrities (not fanned out, merged at read time), the timeline cap, and the feed's query budget.

This module's app runs with tiny limits: two followers make a celebrity, a timeline keeps three
entries and a follow back-fills five posts.
"""

from __future__ import annotations

import pytest

from tests.conftest import Api
from tests.feeds import every_page, feed, timeline_of, timelines_holding
from tests.helpers import make_post
from viewfinder.feeds import services
from viewfinder.feeds.store import using_session
from viewfinder.settings import Settings
from viewfinder.wiring import timeline_store_factory


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"feed_fanout_threshold": 2, "timeline_max_entries": 3, "feed_backfill_posts": 5}
    )


def follow_all(followers: list[Api], username: str) -> None:
    for follower in followers:
        assert follower.post(f"/users/{username}/follow").status_code == 200


async def test_a_celebrity_post_costs_one_timeline_row_and_still_reaches_every_follower(
    alice, bob, carol, make_api, db
):
    dave, erin = make_api().signup("dave"), make_api().signup("erin")
    follow_all([bob], "alice")
    ordinary = make_post(alice, "one follower: fanned out")["id"]
    assert await timelines_holding(db, ordinary) == 2

    follow_all([carol, dave, erin], "alice")  # alice now has four followers
    famous = make_post(alice, "four followers: merged at read time")["id"]

    assert await timelines_holding(db, famous) == 1  # her own timeline only
    for follower in (bob, carol, dave, erin):
        assert feed(follower)[0] == famous
    assert feed(alice)[0] == famous
    assert feed(bob, "ranked")[0] == famous


async def test_celebrity_posts_merge_in_order_and_page_without_duplicates(alice, bob, carol, make_api):
    dave = make_api().signup("dave")
    follow_all([bob, carol], "dave")  # dave is a celebrity
    follow_all([bob], "alice")
    # Bob's timeline gets three fanned-out entries (the cap), so no sampled trim can drop one.
    posted = [make_post(api)["id"] for api in (dave, alice, dave, bob, dave, dave, alice)]

    for mode in ("following", "ranked"):
        pages = every_page(bob, mode, 2)
        assert sorted(pages) == sorted(posted), mode
    assert every_page(bob, "following", 2) == posted[::-1]
    daves = [post_id for post_id, who in zip(posted, "dadbdda", strict=True) if who == "d"]
    assert every_page(carol, "following", 1) == daves[::-1]


async def test_muted_and_private_celebrities_follow_the_same_rules(alice, bob, carol, make_api):
    dave = make_api().signup("dave")
    follow_all([bob, carol, dave], "alice")
    post_id = make_post(alice)["id"]

    bob.post("/users/alice/mute")
    assert feed(bob) == []
    alice.patch("/accounts/me", json={"is_private": True})
    alice.delete("/accounts/followers/carol")
    assert feed(carol) == []
    assert feed(dave) == [post_id]


async def test_timelines_are_capped(alice, bob, carol, db, settings):
    follow_all([bob], "alice")
    posted = [make_post(alice)["id"] for _ in range(6)]

    # Fan-out trims a sample of the timelines it touches (about one in 16 each time)...
    assert 3 <= len(await timeline_of(db, bob)) <= 6
    store = timeline_store_factory(settings)(using_session(db))
    await services.fan_out_post(db, store, settings, int(posted[-1]), trim_one_in=1)
    assert await timeline_of(db, bob) == posted[::-1][:3]
    assert feed(bob) == posted[::-1][:3]
    # ...while a back-fill (five posts here) trims exactly.
    follow_all([carol], "alice")
    assert await timeline_of(db, carol) == posted[::-1][:3]


async def test_a_rebuild_leaves_celebrities_to_read_time(alice, bob, carol, make_api, db, settings):
    dave = make_api().signup("dave")
    follow_all([bob, carol], "dave")
    follow_all([bob], "alice")
    dave_post = make_post(dave)["id"]
    alice_posts = [make_post(alice)["id"] for _ in range(4)]

    assert await services.rebuild_timelines(db, settings, username="bob") == 1

    assert await timeline_of(db, bob) == alice_posts[::-1][:3]
    assert dave_post in feed(bob, limit=10)

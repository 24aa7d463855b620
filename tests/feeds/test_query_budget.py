"""The home feed's query budget: a fixed number of SQL statements whatever the page size."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import Api
from tests.helpers import make_post
from viewfinder.settings import Settings


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"feed_fanout_threshold": 2})


def _measure(api: Api, count_queries: Callable[[], Any], mode: str, limit: int) -> tuple[int, list[str]]:
    with count_queries() as log:
        response = api.get("/feed", params={"mode": mode, "limit": limit})
    assert response.status_code == 200, response.text
    return log.count, [post["id"] for post in response.json()["items"]]


@pytest.mark.parametrize("mode", ["following", "ranked"])
async def test_a_feed_page_runs_a_fixed_number_of_queries(
    alice, bob, carol, make_api, count_queries, mode, settings
):
    """Pinned for 2 and 20 posts, each with its author, media, counts, the viewer's like and save
    state and comment previews, merging a celebrity's posts into the timeline."""
    dave = make_api().signup("dave")
    for follower, followee in [(alice, "dave"), (carol, "dave"), (alice, "bob")]:
        follower.post(f"/users/{followee}/follow")  # dave, with two followers, is a celebrity
    for _ in range(8):
        for api in (bob, dave, alice):
            post = make_post(api)
            # Every post has a comment, so every page needs its comment previews.
            assert carol.post(f"/posts/{post['id']}/comments", json={"text": "nice"}).status_code == 201

    cold, _ = _measure(alice, count_queries, mode, 20)
    small, two = _measure(alice, count_queries, mode, 2)
    large, twenty = _measure(alice, count_queries, mode, 20)

    assert (len(two), len(twenty)) == (2, 20)
    # following: the timeline page, the page's posts (ids, counts, versions and the viewer's likes
    # and saves), comment previews; ranked adds one: the candidates' scores. The session's look-up
    # is cached (accounts.authcache, decision 0042): alice's earlier requests warmed it. On
    # Cassandra the timeline page is one CQL statement rather than SQL. The cards come from the cache
    # once read; a page whose cards are not all cached yet builds the missing ones in one query more,
    # however many they are.
    timeline_in_sql = settings.timeline_backend == "sql"
    budget = (3 if mode == "following" else 4) - (not timeline_in_sql)
    assert small == large == budget
    assert budget <= cold <= budget + 1

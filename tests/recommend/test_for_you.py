""" "For you" (the home feed's for_you mode): followed accounts' posts, ranked, with suggested posts of
other accounts in a share of the places, marked and explained."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from tests.helpers import make_post
from tests.recommend.test_recommended_explore import Community, train
from viewfinder.feeds.services import for_you_slots
from viewfinder.recommend import serving


@pytest.fixture(autouse=True)
def fresh_serving() -> None:
    serving.forget()


def for_you(api: Any, cursor: str | None = None, limit: int = 9) -> dict[str, Any]:
    params: dict[str, Any] = {"mode": "for_you", "limit": limit}
    if cursor:
        params["cursor"] = cursor
    response = api.get("/feed", params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_suggestions_take_every_third_place_and_never_the_first():
    assert for_you_slots(9, 1 / 3) == [False, False, True] * 3
    assert for_you_slots(4, 0.0) == [False] * 4
    assert sum(for_you_slots(300, 0.25)) == 75


def followed_world(make_api) -> Community:
    world = Community(make_api)
    friends = [make_api().signup(name) for name in ("friend1", "friend2")]
    for n in range(4):
        for friend in friends:
            make_post(friend, f"{friend.username} {n}")
    for friend in friends:
        world.accounts[friend.username] = friend
        world.viewer.post(f"/users/{friend.username}/follow")
    return world


async def test_for_you_mixes_in_a_third_of_suggestions_from_the_recommender_with_reasons(
    make_api, db, settings
):
    world = followed_world(make_api)
    trained = await train(db, settings)
    assert trained is not None

    page = for_you(world.viewer)
    items = page["items"]

    authors = [item["author"]["username"] for item in items]
    assert len(items) == 9
    suggested = [item for item in items if item["recommended"] is not None]
    assert [items.index(item) for item in suggested] == [2, 5, 8]
    assert {item["author"]["username"] for item in suggested} <= {"a1", "a2"}  # the viewer's taste first
    assert all(item["recommended"]["model"] == trained.version for item in suggested)
    assert any(item["recommended"]["reason"] == "Because you like posts by @a1" for item in suggested)
    followed = {a for a, item in zip(authors, items, strict=True) if item["recommended"] is None}
    assert followed == {"friend1", "friend2"}
    assert all(a != b for a, b in itertools.pairwise(authors))  # never one author twice in a row
    assert world.posts["a1"][0] not in [item["id"] for item in items]  # liked already


async def test_for_you_pages_on_without_repeating_and_respects_not_interested(make_api, db, settings):
    world = followed_world(make_api)
    await train(db, settings)
    first = for_you(world.viewer, limit=6)
    suggested_author = next(item["author"]["username"] for item in first["items"] if item["recommended"])
    post = next(item["id"] for item in first["items"] if item["author"]["username"] == suggested_author)
    world.viewer.post("/interactions", json={"events": [{"kind": "not_interested", "post_id": post}]})

    second = for_you(world.viewer, first["next_cursor"], limit=6)

    first_ids = [item["id"] for item in first["items"]]
    second_ids = [item["id"] for item in second["items"]]
    assert set(first_ids).isdisjoint(second_ids)
    assert suggested_author not in {item["author"]["username"] for item in second["items"]}


async def test_without_a_model_suggestions_are_popular_posts_the_viewer_has_not_liked(make_api, db, settings):
    world = followed_world(make_api)
    world.viewer.post(f"/posts/{world.posts['b1'][0]}/like")

    items = for_you(world.viewer)["items"]

    suggested = [item for item in items if item["recommended"] is not None]
    assert len(suggested) == 3
    assert all(item["recommended"] == {"reason": "Popular this week", "model": None} for item in suggested)
    assert world.posts["b1"][0] not in [item["id"] for item in items]


async def test_a_like_taken_back_lets_the_post_be_suggested_again(make_api, db, settings):
    world = followed_world(make_api)
    post = world.posts["b1"][0]
    world.viewer.post(f"/posts/{post}/like")
    assert post not in [item["id"] for item in for_you(world.viewer, limit=20)["items"]]

    world.viewer.delete(f"/posts/{post}/like")

    assert post in [item["id"] for item in for_you(world.viewer, limit=20)["items"]]


async def test_an_unlike_does_not_take_back_a_save_of_the_same_post(make_api, db, settings):
    world = followed_world(make_api)
    post = world.posts["b1"][0]
    world.viewer.post(f"/posts/{post}/save")
    world.viewer.post(f"/posts/{post}/like")
    world.viewer.delete(f"/posts/{post}/like")

    # Still saved: the viewer has it already, so it is not suggested.
    assert post not in [item["id"] for item in for_you(world.viewer, limit=20)["items"]]


async def test_once_the_followed_posts_run_out_suggestions_do_not_repeat_an_author(make_api, db, settings):
    world = Community(make_api)  # popular: b1's and b2's posts, then a2's (a1's the viewer liked)
    world.viewer.post("/users/b1/follow")  # two followed posts, then only suggestions

    items = for_you(world.viewer, limit=20)["items"]

    authors = [item["author"]["username"] for item in items]
    assert authors.count("b1") == 2
    assert all(a != b for a, b in itertools.pairwise(authors)), authors  # a2's second post passed over
    assert {"a2", "b2"} <= set(authors)

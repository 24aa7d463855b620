"""Explore personalised by the recommender trained on the interaction log (recommend.training,
recommend.serving), its fallback before a model exists, and the rules it keeps."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import Api
from tests.helpers import make_post
from viewfinder.core.db import utcnow
from viewfinder.recommend import serving, training
from viewfinder.settings import Settings


@pytest.fixture(autouse=True)
def fresh_serving() -> None:
    serving.forget()


def models_dir(settings: Settings) -> Path:
    return settings.data_dir / "models"


async def train(db: AsyncSession, settings: Settings, *, ranker: bool = False) -> training.Trained | None:
    """Train as the worker does; without a ranking model unless asked (these tests check the
    recommender's candidates and the hand-set blend, and on the scale stack a process's tests share
    one Cassandra log, whose other tests' impressions could fit a ranker that reorders Explore)."""
    trained = await training.train(
        db, models_dir(settings), window_days=settings.recommender_window_days, ranker=ranker
    )
    serving.forget()
    return trained


class Community:
    """Two tastes: three people like what a1 and a2 post, four (so more likes: more popular) what b1
    and b2 post. The viewer has liked one post of a1's."""

    def __init__(self, make_api: Callable[[], Api]) -> None:
        self.accounts = {name: make_api().signup(name) for name in ("a1", "a2", "b1", "b2", "viewer")}
        self.posts = {
            # No captions: the caption source (test_caption_candidates) stays out of these tastes.
            name: [make_post(self.accounts[name])["id"] for n in range(2)]
            for name in ("a1", "a2", "b1", "b2")
        }
        for group, authors in (
            (("fan_a1", "fan_a2", "fan_a3"), ("a1", "a2")),
            (("fan_b1", "fan_b2", "fan_b3", "fan_b4"), ("b1", "b2")),
        ):
            for fan in group:
                api = make_api().signup(fan)
                for author in authors:
                    for post in self.posts[author]:
                        api.post(f"/posts/{post}/like")
        self.viewer = self.accounts["viewer"]
        self.viewer.post(f"/posts/{self.posts['a1'][0]}/like")

    def author_of(self, post: dict[str, Any]) -> str:
        return str(post["author"]["username"])


def explore(api: Api) -> list[dict[str, Any]]:
    response = api.get("/explore", params={"limit": 20})
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


async def test_before_any_training_explore_is_the_popular_list(make_api, db, settings):
    world = Community(make_api)

    shown = explore(world.viewer)

    assert {world.author_of(p) for p in shown[:4]} == {"b1", "b2"}
    assert all(p["recommended"] is None for p in shown)
    assert serving.served(models_dir(settings)) is None


async def test_the_trained_recommender_finds_the_viewers_taste_and_says_why(make_api, db, settings):
    world = Community(make_api)
    trained = await train(db, settings)
    assert trained is not None
    assert trained.viewers >= 8

    shown = explore(world.viewer)

    authors = [world.author_of(p) for p in shown]
    # a1's other post and a2's two come before every post of the more popular b1 and b2.
    assert set(authors[:3]) == {"a1", "a2"}
    assert set(authors[3:]) <= {"b1", "b2"}
    assert world.posts["a1"][0] not in [p["id"] for p in shown]  # already liked
    by_a2 = next(p for p in shown if world.author_of(p) == "a2")
    assert by_a2["recommended"] == {"reason": "Because you like posts by @a1", "model": trained.version}
    assert all(p["recommended"]["model"] == trained.version for p in shown)


async def test_not_interested_and_blocks_are_respected_on_the_next_page(make_api, db, settings):
    world = Community(make_api)
    await train(db, settings)
    a2_post = world.posts["a2"][0]
    world.viewer.post("/interactions", json={"events": [{"kind": "not_interested", "post_id": a2_post}]})
    world.accounts["a1"].post("/users/viewer/block")

    authors = {world.author_of(p) for p in explore(world.viewer)}

    assert "a2" not in authors  # the whole account, after "not interested" in one of its posts
    assert "a1" not in authors  # blocked the viewer


async def test_private_and_followed_accounts_stay_out(make_api, db, settings):
    world = Community(make_api)
    await train(db, settings)
    world.accounts["a2"].patch("/accounts/me", json={"is_private": True})
    world.viewer.post("/users/a1/follow")

    authors = {world.author_of(p) for p in explore(world.viewer)}

    assert authors.isdisjoint({"a1", "a2"})


async def test_a_viewer_the_model_never_saw_and_anonymous_visitors_get_the_popular_list(
    make_api, anon, db, settings
):
    world = Community(make_api)
    await train(db, settings)
    newcomer = make_api().signup("newcomer")

    for api in (newcomer, anon):
        shown = explore(api)
        assert {world.author_of(p) for p in shown[:4]} == {"b1", "b2"}
        assert all(p["recommended"] is None for p in shown)


async def test_too_little_to_learn_trains_nothing_and_versions_are_kept_three_deep(
    alice, bob, make_api, db, settings
):
    # A window after every signal so far (on Cassandra the test process's earlier tests share the log).
    later = utcnow() + timedelta(days=settings.recommender_window_days + 1)
    assert (
        await training.train(
            db, models_dir(settings), window_days=settings.recommender_window_days, now=later
        )
        is None
    )
    assert serving.served(models_dir(settings)) is None

    Community(make_api)
    versions = []
    for _ in range(4):
        trained = await train(db, settings)
        assert trained is not None
        versions.append(trained.version)
    root = models_dir(settings) / serving.MODEL_DIRECTORY
    assert (root / serving.CURRENT).read_text() == versions[-1]
    assert len([path for path in root.iterdir() if path.is_dir()]) <= training.KEEP_VERSIONS
    served = serving.served(models_dir(settings))
    assert served is not None
    assert served.version == versions[-1]


async def test_suggested_accounts_follow_the_viewers_taste_once_trained(make_api, db, settings):
    world = Community(make_api)
    before = world.viewer.get("/suggestions/accounts", params={"limit": 4}).json()
    assert all(s["reason"] is None for s in before)

    await train(db, settings)
    after = world.viewer.get("/suggestions/accounts", params={"limit": 4}).json()

    names = [s["user"]["username"] for s in after]
    assert names[:2] in (["a1", "a2"], ["a2", "a1"])
    by_name = {s["user"]["username"]: s for s in after}
    assert by_name["a2"]["reason"] == "Because you like posts by @a1"
    world.viewer.post("/users/a2/follow")
    world.accounts["a2"].post("/users/viewer/block")  # a blocked pair never meets in suggestions
    again = [s["user"]["username"] for s in world.viewer.get("/suggestions/accounts").json()]
    assert "a2" not in again
    assert "viewer" not in again

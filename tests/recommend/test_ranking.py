"""The ranking model (recommend.ranking): features as of each impression, labels within a day, the
fit, its offline figures next to the hand-set blend, and Explore ordered by it when one is served."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from tests.recommend.test_recommended_explore import Community, explore, models_dir, train
from viewfinder.core.ids import first_id_at
from viewfinder.recommend import ranking, serving
from viewfinder.recommend.log import Kind, Signal, Surface, interaction_log
from viewfinder.recommend.ranking import FEATURES, HandSet, Impressions, Ranker

NOW = datetime(2026, 6, 1, tzinfo=UTC)
BLEND = HandSet(popular_weight=0.35, tag_weight=0.5, half_life_hours=48.0)


@pytest.fixture(autouse=True)
def fresh_serving() -> None:
    serving.forget()


def at(hours_ago: float, sequence: int = 0) -> int:
    return first_id_at(NOW - timedelta(hours=hours_ago)) + sequence


def signal(
    hours_ago: float, viewer: int, kind: Kind, post: int, author: int, surface: Surface | None = None
) -> Signal:
    return Signal(at(hours_ago, viewer), viewer, kind, post, author, surface=surface)


def test_an_impression_gets_its_features_as_of_the_moment_it_was_shown_and_a_success_within_a_day():
    post, other_post, author = at(100), at(99), 7
    log = [
        signal(90, 2, Kind.LIKE, post, author),  # someone else's like: the post's engagement
        signal(80, 1, Kind.LIKE, other_post, author),  # the viewer's affinity for the author
        signal(70, 1, Kind.IMPRESSION, at(98), author, surface=Surface.HOME_FOLLOWING),  # passed over
        signal(50, 1, Kind.IMPRESSION, post, author, surface=Surface.EXPLORE),
        signal(49, 1, Kind.LIKE, post, author),  # within a day: a success
        signal(40, 3, Kind.IMPRESSION, post, author, surface=Surface.FOR_YOU),
        signal(10, 3, Kind.LIKE, post, author),  # 30 hours later: not one
        signal(5, 4, Kind.IMPRESSION, post, author, surface=Surface.PROFILE),  # not ranked there
        signal(4, 5, Kind.IMPRESSION, post, 5, surface=Surface.EXPLORE),  # the viewer's own post
    ]

    found = ranking.replay(log, {post: (11,)}, {1: {author: 0.5}}, NOW - timedelta(days=7))

    assert found.viewers.tolist() == [1, 3]
    assert found.labels.tolist() == [1, 0]
    row = dict(zip(FEATURES, found.rows[0], strict=True))
    assert row["account"] == 0.5
    assert row["engagement"] == pytest.approx(np.log1p(1))  # the other viewer's like, not its own
    assert row["age"] == pytest.approx(np.log1p(50))
    assert row["affinity"] == pytest.approx(np.log1p(1))
    assert row["passed_over"] == pytest.approx(np.log1p(1))
    assert row["hashtag"] == 0.0  # the viewer liked no post with #11 before
    later = dict(zip(FEATURES, found.rows[1], strict=True))
    assert later["engagement"] == pytest.approx(np.log1p(2))  # the viewer's like counts by then
    assert later["account"] == 0.0


def test_impressions_from_before_the_ranking_window_only_feed_the_features():
    post = at(400)
    log = [
        signal(300, 1, Kind.IMPRESSION, post, 7, surface=Surface.EXPLORE),
        signal(299, 1, Kind.LIKE, post, 7),
    ]
    found = ranking.replay(log, {}, {}, NOW - timedelta(days=7))
    assert len(found.labels) == 0


def synthetic(count: int, seed: int = 0) -> Impressions:
    """Impressions whose success depends on affinity (strongly) and the account score (a little)."""
    rng = np.random.default_rng(seed)
    rows = rng.random((count, len(FEATURES)))
    chance = 1 / (1 + np.exp(-(6 * rows[:, FEATURES.index("affinity")] + rows[:, 0] - 4)))
    labels = (rng.random(count) < chance).astype(np.int8)
    return Impressions(rng.integers(0, 40, count), np.arange(count), rows, labels)


def test_the_ranker_learns_what_predicts_a_success_and_needs_enough_of_both_labels():
    data = synthetic(4000)
    ranker = ranking.fit_ranker(data.rows, data.labels)
    assert ranker is not None
    weights = ranker.weights()
    assert weights["affinity"] == max(weights.values())
    assert ranking.fit_ranker(data.rows[:30], np.zeros(30, dtype=np.int8)) is None


def test_the_offline_figures_put_the_ranker_beside_the_hand_set_blend_and_popularity():
    figures = ranking.evaluate(synthetic(4000), BLEND)

    assert set(figures["models"]) == {"popularity", "hand_set", "ranker"}
    assert figures["models"]["ranker"]["auc"] > 0.7 > figures["models"]["hand_set"]["auc"]
    assert figures["ratio_ndcg_10_to_hand_set"] > 1
    assert figures["train_impressions"] + figures["test_impressions"] == 4000
    assert "ranker / hand-set blend" in ranking.format_table(figures)


def test_a_saved_ranker_loads_back_and_one_fitted_on_other_features_does_not(tmp_path):
    data = synthetic(500)
    ranker = ranking.fit_ranker(data.rows, data.labels)
    assert ranker is not None
    ranker.save(tmp_path / "ranker.npz")
    loaded = Ranker.load(tmp_path / "ranker.npz")
    assert loaded is not None
    assert np.allclose(loaded.score(data.rows), ranker.score(data.rows))
    np.savez(
        tmp_path / "old.npz",
        features=np.array(["account"]),
        mean=[0.0],
        scale=[1.0],
        coef=[1.0],
        intercept=[0.0],
    )
    assert Ranker.load(tmp_path / "old.npz") is None
    assert Ranker.load(tmp_path / "missing.npz") is None


async def test_explore_follows_the_served_ranker_instead_of_the_hand_set_blend(make_api, db, settings):
    world = Community(make_api)
    trained = await train(db, settings)  # without a ranker: the hand-set blend serves
    assert trained is not None
    assert not (trained.directory / serving.RANKER_FILE).exists()
    hand_set = explore(world.viewer)
    # The hand-set blend puts the viewer's taste (a1's and a2's posts) before the more liked ones
    # (b1's and b2's). A ranker that weighs engagement alone puts the most liked first.
    assert world.author_of(hand_set[0]) in {"a1", "a2"}
    coef = np.zeros(len(FEATURES))
    coef[FEATURES.index("engagement")] = 1.0
    Ranker(np.zeros(len(FEATURES)), np.ones(len(FEATURES)), coef, 0.0).save(
        trained.directory / serving.RANKER_FILE
    )
    serving.forget()
    serving._loaded.served = None  # read the version again, now with its ranker

    ranked = explore(world.viewer)

    assert sorted(post["id"] for post in ranked) == sorted(post["id"] for post in hand_set)
    likes = [post["like_count"] for post in ranked]
    assert likes == sorted(likes, reverse=True)
    assert {world.author_of(post) for post in ranked[:2]} <= {"b1", "b2"}
    assert all(post["recommended"]["model"] == trained.version for post in ranked)


async def test_training_fits_a_ranker_once_the_log_holds_enough_impressions(db, settings, make_api):
    world = Community(make_api)
    viewers = [make_api().signup(f"seer{n}") for n in range(6)]
    now = datetime.now(UTC)
    signals = []
    for number, viewer in enumerate(viewers):  # shown every post this week; half of them opened
        for place, (name, posts) in enumerate(world.posts.items()):
            for post in map(int, posts):
                shown = first_id_at(now - timedelta(hours=1 + 10 * place + number)) + post % 1000
                author = int(world.accounts[name].me["profile"]["id"])
                signals.append(
                    Signal(
                        shown,
                        int(viewer.me["profile"]["id"]),
                        Kind.IMPRESSION,
                        post,
                        author,
                        surface=Surface.EXPLORE,
                    )
                )
                if (name < "b") == (number % 2 == 0):
                    signals.append(
                        Signal(shown + 1000, int(viewer.me["profile"]["id"]), Kind.OPEN, post, author)
                    )
    await interaction_log().record(db, signals)
    await db.commit()
    without = await train(db, settings)  # as VIEWFINDER_RECOMMENDER_RANKER=false trains
    assert without is not None
    assert not (without.directory / serving.RANKER_FILE).exists()

    trained = await train(db, settings, ranker=True)

    assert trained is not None
    meta = json.loads((trained.directory / "meta.json").read_text())
    # At least these (on the scale stack the process's other tests share the Cassandra log).
    assert meta["ranker"]["impressions"] >= 48
    assert meta["ranker"]["positives"] >= 24
    assert set(meta["ranker"]["weights"]) == set(FEATURES)
    served = serving.served(models_dir(settings))
    assert served is not None
    assert served.ranker is not None
    page = explore(world.viewer)  # Explore serves with it
    assert world.author_of(page[0])
    assert all(post["recommended"]["model"] == trained.version for post in page)


def test_the_account_feature_is_the_score_over_the_viewers_best_at_training_and_serving():
    assert ranking.account_feature([(7, 2.0), (8, 0.5)]) == {7: 1.0, 8: 0.25}
    assert ranking.account_feature([(7, -0.5)]) == {7: -0.5}  # no positive best: divided by one
    assert ranking.account_feature([]) == {}

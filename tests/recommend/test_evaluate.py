"""The offline evaluation's protocol (viewfinder.recommend.evaluate): metrics worked by hand, the
splits, and MovieLens-100k end to end with the three models in one run."""

from __future__ import annotations

import math

import numpy as np
import pytest

from viewfinder.recommend import evaluate, movielens
from viewfinder.recommend.evaluate import (
    Interactions,
    coverage,
    holdout_latest_positives,
    index_split,
    ndcg_at_k,
    planted_clusters,
    recall_at_k,
    time_split,
)


def pairs(interactions: Interactions) -> set[tuple[int, int]]:
    return set(zip(interactions.users.tolist(), interactions.items.tolist(), strict=True))


# --- metrics ----------------------------------------------------------------------------------------


def test_recall_counts_hits_in_the_top_k_over_the_smaller_of_k_and_the_held_out_items():
    assert recall_at_k([1, 2, 3, 4], {2, 4, 9}, k=3) == pytest.approx(1 / 3)  # 2 found; 4 is 4th
    assert recall_at_k([1, 2, 3, 4], {2, 4, 9}, k=4) == pytest.approx(2 / 3)
    assert recall_at_k([1, 2], {1, 2, 3, 4, 5}, k=2) == 1.0  # more held out than k: min(k, 5) = 2
    assert recall_at_k([7, 8], {1}, k=2) == 0.0
    assert recall_at_k([1], set(), k=10) == 0.0


def test_ndcg_discounts_hits_by_log2_of_their_rank_against_the_ideal_order():
    # Hits at ranks 2 and 3: 1/log2(3) + 1/log2(4); ideal: ranks 1 and 2, 1 + 1/log2(3).
    expected = (1 / math.log2(3) + 0.5) / (1 + 1 / math.log2(3))
    assert ndcg_at_k([1, 2, 3], {2, 3}, k=3) == pytest.approx(expected)
    assert ndcg_at_k([1, 2, 3], {2, 3}, k=3) == pytest.approx(0.6934, abs=1e-4)
    assert ndcg_at_k([2, 3, 1], {2, 3}, k=3) == pytest.approx(1.0)
    # The ideal has min(k, held out) = 2 hits although 5 are held out.
    assert ndcg_at_k([5, 6], {1, 2, 3, 4, 5}, k=2) == pytest.approx(1 / (1 + 1 / math.log2(3)))
    assert ndcg_at_k([4, 5, 6], {1}, k=3) == 0.0


def test_coverage_is_distinct_items_recommended_over_the_catalogue():
    assert coverage([[1, 2], [2, 3], []], 10) == pytest.approx(0.3)
    assert coverage([], 10) == 0.0


# --- splits -----------------------------------------------------------------------------------------


def ratings() -> Interactions:
    """User 1: five positives (t 1-5) and a 2-star rating last; user 2: one positive; user 3: ten
    positives, given out of time order."""
    rows = [(1, item, 5.0, float(item)) for item in range(1, 6)] + [(1, 6, 2.0, 6.0)]
    rows += [(2, 1, 4.0, 1.0), (2, 2, 3.0, 2.0)]
    rows += [(3, 100 + item, 4.0, float((item * 7) % 10)) for item in range(10)]
    users, items, weights, times = zip(*rows, strict=True)
    return Interactions.from_arrays(users, items, weights, times)


def test_the_split_holds_out_each_users_latest_positives_and_never_leaks_them():
    split = holdout_latest_positives(ratings())
    held = pairs(split.test)
    # User 1: round(0.2 * 5) = 1, its latest positive (the 2-star rating is no positive at all);
    # user 2: a single positive trains only; user 3: the two latest of ten (times 9 and 8).
    latest_of_user_3 = {100 + item for item in range(10) if (item * 7) % 10 in (8, 9)}
    assert held == {(1, 5)} | {(3, item) for item in latest_of_user_3}
    assert not held & pairs(split.train)
    assert pairs(split.train) == {(1, 1), (1, 2), (1, 3), (1, 4), (2, 1)} | {
        (3, 100 + item) for item in range(10) if 100 + item not in latest_of_user_3
    }
    for user in (1, 3):
        trained = split.train.timestamps[split.train.users == user]
        assert trained.max() < split.test.timestamps[split.test.users == user].min()


def test_the_split_holds_out_a_fifth_rounded_at_least_one_and_is_the_same_every_time():
    log = planted_clusters(users=200, items=100, interactions=3000, seed=3)
    split = holdout_latest_positives(log, positive_threshold=None)
    again = holdout_latest_positives(log, positive_threshold=None)
    assert pairs(split.test) == pairs(again.test)
    positives = np.bincount(log.users, minlength=200)
    held = np.bincount(split.test.users, minlength=200)
    expected = np.where(positives >= 2, np.maximum(1, np.rint(0.2 * positives)), 0)
    assert (held == expected).all()
    assert not pairs(split.train) & pairs(split.test)
    assert len(split.train) + len(split.test) == len(log)


def test_the_time_split_trains_before_t_and_tests_known_users_on_known_items_after():
    log = Interactions.from_arrays(
        users=[1, 1, 2, 2, 1, 1, 3, 2, 1],
        items=[10, 11, 10, 12, 12, 10, 10, 99, 11],
        weights=[1, 1, 1, 1, 1, 1, 1, 1, -1],
        timestamps=[1, 2, 3, 4, 5, 6, 7, 8, 9],
    )
    split = time_split(log, at=5)
    assert pairs(split.train) == {(1, 10), (1, 11), (2, 10), (2, 12)}
    # (1, 12) is new to user 1; (1, 10) again is not a discovery; user 3 is unknown before t; item 99
    # is new; the negative signal is no positive.
    assert pairs(split.test) == {(1, 12)}
    with_new_items = time_split(log, at=5, known_items_only=False)
    assert pairs(with_new_items.test) == {(1, 12), (2, 99)}


def test_index_split_builds_a_binary_matrix_and_each_pairs_latest_time():
    log = Interactions.from_arrays(
        users=[7, 7, 7, 9], items=[3, 3, 5, 3], weights=[5, 4, 4, 4], timestamps=[1, 4, 2, 3]
    )
    split = evaluate.Split(train=log, test=log.select(np.array([False] * 4)), description="all")
    indexed = index_split(split)
    assert indexed.train.toarray().tolist() == [[1.0, 1.0], [1.0, 0.0]]
    assert indexed.train_times.toarray().tolist() == [[4.0, 2.0], [3.0, 0.0]]
    assert index_split(split, binary=False).train.toarray().tolist() == [[9.0, 4.0], [4.0, 0.0]]


def test_planted_clusters_gives_the_number_of_distinct_pairs_asked_for():
    log = planted_clusters(users=300, items=500, interactions=5000, seed=1)
    assert len(log) == 5000
    assert len(pairs(log)) == 5000
    assert log.items.max() < 500
    assert log.users.max() < 300
    # Power-law popularity: the top 10 % of items take far more than 10 % of the interactions.
    counts = np.sort(np.bincount(log.items, minlength=500))[::-1]
    assert counts[:50].sum() > 0.3 * 5000


# --- MovieLens-100k, end to end ---------------------------------------------------------------------


def test_movielens_loads_a_hundred_thousand_ratings():
    ratings = movielens.load()
    assert len(ratings) == 100_000
    assert np.unique(ratings.users).size == 943
    assert np.unique(ratings.items).size == 1682
    assert set(np.unique(ratings.weights).tolist()) == {1.0, 2.0, 3.0, 4.0, 5.0}


def test_a_missing_movielens_says_which_command_installs_it(tmp_path):
    with pytest.raises(movielens.DataMissing, match=r"make ml/cache/recbole/\.installed"):
        movielens.load(tmp_path / "ml-100k.inter")


def test_on_movielens_the_recommender_beats_als_by_ten_percent_and_popularity_by_far():
    figures = evaluate.evaluate(movielens.load(), seed=0)
    models = figures["models"]
    assert list(models) == ["popularity", "als", "recommender"]
    assert figures["evaluated_users"] > 900
    assert figures["held_out"] > 10_000
    recommender, als, popularity = models["recommender"], models["als"], models["popularity"]
    assert recommender["recall@10"] >= 1.10 * als["recall@10"]
    assert figures["ratio_recall_10_to_als"] >= 1.10
    assert recommender["ndcg@10"] > als["ndcg@10"]
    assert als["recall@10"] > 1.5 * popularity["recall@10"]
    assert recommender["coverage"] > 5 * popularity["coverage"]
    table = evaluate.format_table(figures)
    assert "recommender / ALS: recall@10 x" in table

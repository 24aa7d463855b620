"""Offline evaluation of recommenders (issue 16, decision 0067): the protocol, the metrics and the
baselines, with no database, so MovieLens and the instance's own interaction log go through the same
code.

**Data.** `Interactions`: parallel NumPy arrays of user ids, item ids, weights and timestamps (any
integer ids; seconds since the epoch). For MovieLens a weight is the rating; for the interaction log,
the strength of the signal.

**Splits.** Only positives are learned from and held out (``weight >= positive_threshold``; for
MovieLens a rating of 4 or 5, for the log any positive weight); the rest is dropped.

- `holdout_latest_positives` (MovieLens): each user's latest positives by timestamp are held out:
  ``fraction`` of them (20 %), rounded, at least one; a user with fewer than ``min_positives`` (2)
  positives is kept in training only. Timestamp ties are broken by item id, so the split is the same on
  every machine. This is "leave the latest out": the models predict what a user liked next, with the
  rest of everyone's history known (as a feed would be, a little later).
- `time_split` (the instance's log): every interaction before a moment T trains, the positives at or
  after T are held out, for users with interactions before T (others are cold start, measured apart),
  less what the user already engaged with before T, and, by default, only items that existed in
  training (a post that appears after T is for the "fresh" candidate source, not collaborative
  filtering).

**Metrics** at k (10), for each user with held-out items, over recommendations that leave out the
user's training items, then averaged over users:

- recall@k = held-out items in the top k / min(k, held-out items) (the normalisation of Liang et al.
  2018 and of the EASE paper, so that 1 is reachable when a user holds out more than k items);
- NDCG@k with binary relevance: DCG = sum of 1 / log2(rank + 1) over hits at ranks 1..k, divided by the
  ideal DCG of min(k, held-out items) hits at the top;
- catalogue coverage = distinct items recommended to all evaluated users / items in the catalogue.

**Models**, fitted on the same training matrix (users x items, binary by default) in the same run:
popularity, implicit's ALS (CPU, fixed random state) and `viewfinder.recommend.Recommender`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

import numpy as np
import scipy.sparse as sp

from viewfinder.recommend.model import Recommender

DEFAULT_K: Final = 10
ALS_PARAMS: Final[dict[str, Any]] = {
    "factors": 64,
    "regularization": 8.0,
    "alpha": 0.7,
    "iterations": 15,
}
"""implicit's ALS as the baseline: 64 factors, 15 iterations; regularization and alpha (the confidence
given to a positive, C = 1 + alpha * weight) chosen on the same validation split as the recommender's
parameters (decision 0067)."""


# --- data -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Interactions:
    """Interactions as parallel arrays: who (user ids), what (item ids), how strongly (weights) and
    when (timestamps, seconds)."""

    users: np.ndarray
    items: np.ndarray
    weights: np.ndarray
    timestamps: np.ndarray

    def __post_init__(self) -> None:
        sizes = {len(self.users), len(self.items), len(self.weights), len(self.timestamps)}
        if len(sizes) != 1:
            raise ValueError("users, items, weights and timestamps must have the same length")

    @classmethod
    def from_arrays(
        cls,
        users: Iterable[int] | np.ndarray,
        items: Iterable[int] | np.ndarray,
        weights: Iterable[float] | np.ndarray,
        timestamps: Iterable[float] | np.ndarray,
    ) -> Interactions:
        """Interactions with the arrays' types made uniform (int64 ids, float32 weights, float64 times)."""
        return cls(
            users=np.asarray(list(users) if not isinstance(users, np.ndarray) else users, dtype=np.int64),
            items=np.asarray(list(items) if not isinstance(items, np.ndarray) else items, dtype=np.int64),
            weights=np.asarray(
                list(weights) if not isinstance(weights, np.ndarray) else weights, dtype=np.float32
            ),
            timestamps=np.asarray(
                list(timestamps) if not isinstance(timestamps, np.ndarray) else timestamps,
                dtype=np.float64,
            ),
        )

    def __len__(self) -> int:
        return len(self.users)

    def select(self, mask: np.ndarray) -> Interactions:
        """The interactions where the boolean mask (or index array) selects."""
        return Interactions(self.users[mask], self.items[mask], self.weights[mask], self.timestamps[mask])

    def positives(self, threshold: float | None) -> Interactions:
        """The positive interactions: weight >= threshold, or > 0 when no threshold is given."""
        mask = self.weights > 0 if threshold is None else self.weights >= threshold
        return self.select(mask)


@dataclass(frozen=True)
class Split:
    """A training set and the held-out positives a model should find, with how they were made."""

    train: Interactions
    test: Interactions
    description: str


def holdout_latest_positives(
    interactions: Interactions,
    *,
    positive_threshold: float | None = 4.0,
    fraction: float = 0.2,
    min_positives: int = 2,
) -> Split:
    """Hold out each user's latest positives (see the module's docstring): ``round(fraction * n)``
    of a user's n positives, at least one; users with fewer than ``min_positives`` train only."""
    positives = interactions.positives(positive_threshold)
    # Each user's positives in time order (ties by item), then each one's rank from the latest.
    order = np.lexsort((positives.items, positives.timestamps, positives.users))
    users = positives.users[order]
    starts = np.flatnonzero(np.r_[True, users[1:] != users[:-1]])
    counts = np.diff(np.r_[starts, users.size])
    rank_from_end = np.repeat(starts + counts, counts) - np.arange(users.size) - 1
    held_per_user = np.where(counts >= min_positives, np.maximum(1, np.rint(fraction * counts)), 0)
    held = rank_from_end < np.repeat(held_per_user, counts)
    ordered = positives.select(order)
    threshold = "> 0" if positive_threshold is None else f">= {positive_threshold:g}"
    return Split(
        train=ordered.select(~held),
        test=ordered.select(held),
        description=(
            f"each user's latest {fraction:.0%} of positives (weight {threshold}) held out, at least one; "
            f"users with < {min_positives} positives train only"
        ),
    )


def time_split(
    interactions: Interactions,
    at: float,
    *,
    positive_threshold: float | None = None,
    known_items_only: bool = True,
) -> Split:
    """Everything before ``at`` trains, the positives from ``at`` on are held out (see the module's
    docstring for which users and items are kept)."""
    positives = interactions.positives(positive_threshold)
    before = positives.timestamps < at
    train = positives.select(before)
    test = positives.select(~before)
    keep = np.isin(test.users, train.users)
    if known_items_only:
        keep &= np.isin(test.items, train.items)
    # A user's own earlier items are left out of their recommendations, so they cannot be found again.
    seen = set(zip(train.users.tolist(), train.items.tolist(), strict=True))
    keep &= np.fromiter(
        (
            (user, item) not in seen
            for user, item in zip(test.users.tolist(), test.items.tolist(), strict=True)
        ),
        dtype=bool,
        count=len(test),
    )
    return Split(
        train=train,
        test=test.select(keep),
        description=(
            f"trained before t={at:.0f}, positives from then on held out (users seen before t"
            f"{', items seen before t' if known_items_only else ''})"
        ),
    )


def planted_clusters(
    *,
    users: int,
    items: int,
    interactions: int,
    clusters: int = 50,
    in_cluster: float = 0.8,
    popularity_exponent: float = 1.0,
    seed: int = 0,
) -> Interactions:
    """A synthetic interaction log with tastes to find (tests and the 1M-interaction benchmark).

    Each item belongs to one of ``clusters`` topics and has a power-law popularity (the item of
    popularity rank r is drawn in proportion to ``1 / r ** popularity_exponent``, ranks shuffled across
    topics); each user has a favourite topic and draws ``in_cluster`` of their interactions from it
    (by popularity within the topic), the rest from the whole catalogue (noise). Users are active in
    proportion to a log-normal draw. Every (user, item) pair occurs once, ``interactions`` pairs in
    all, weight 1, timestamps in each user's order of drawing."""
    rng = np.random.default_rng(seed)
    item_topic = rng.integers(0, clusters, size=items)
    popularity = 1.0 / np.power(rng.permutation(items) + 1.0, popularity_exponent)
    user_topic = rng.integers(0, clusters, size=users)
    activity = rng.lognormal(0.0, 1.0, size=users)
    # Cumulative popularity within each topic and overall, to draw items by popularity.
    by_topic = np.argsort(item_topic, kind="stable")
    topic_starts = np.searchsorted(item_topic[by_topic], np.arange(clusters + 1))
    topic_cumulative = np.cumsum(popularity[by_topic])
    overall_cumulative = np.cumsum(popularity)
    pairs = np.zeros(0, dtype=np.int64)
    wanted = interactions
    while pairs.size < interactions:
        drawn = int(wanted * 1.1) + 16
        who = rng.choice(users, size=drawn, p=activity / activity.sum())
        topical = rng.random(drawn) < in_cluster
        topic = user_topic[who]
        low = np.where(topic_starts[topic] > 0, topic_cumulative[topic_starts[topic] - 1], 0.0)
        high = topic_cumulative[topic_starts[topic + 1] - 1]
        at = low + rng.random(drawn) * (high - low)
        in_topic = by_topic[np.minimum(np.searchsorted(topic_cumulative, at, side="right"), items - 1)]
        anywhere = np.minimum(
            np.searchsorted(overall_cumulative, rng.random(drawn) * overall_cumulative[-1], side="right"),
            items - 1,
        )
        what = np.where(topical, in_topic, anywhere)
        # Keep the first occurrence of each pair, in drawing order.
        keys = np.concatenate([pairs, who.astype(np.int64) * items + what])
        _, first = np.unique(keys, return_index=True)
        pairs = keys[np.sort(first)]
        wanted = interactions - pairs.size
    pairs = pairs[:interactions]
    return Interactions.from_arrays(
        users=pairs // items,
        items=pairs % items,
        weights=np.ones(pairs.size, dtype=np.float32),
        timestamps=np.arange(pairs.size, dtype=np.float64),
    )


# --- metrics ----------------------------------------------------------------------------------------


def recall_at_k(recommended: Sequence[int], relevant: Collection[int], k: int = DEFAULT_K) -> float:
    """Held-out items among the first k recommended, over min(k, held-out items)."""
    if not relevant:
        return 0.0
    hits = sum(1 for item in recommended[:k] if item in relevant)
    return hits / min(k, len(relevant))


def ndcg_at_k(recommended: Sequence[int], relevant: Collection[int], k: int = DEFAULT_K) -> float:
    """Binary-relevance NDCG: hits discounted by log2(rank + 1), over the ideal ordering's DCG."""
    if not relevant:
        return 0.0
    gain = sum(1.0 / math.log2(rank + 2) for rank, item in enumerate(recommended[:k]) if item in relevant)
    ideal = sum(1.0 / math.log2(rank + 2) for rank in range(min(k, len(relevant))))
    return gain / ideal


def coverage(recommendations: Iterable[Sequence[int]], catalogue_size: int) -> float:
    """Distinct items recommended across all lists, over the catalogue's size."""
    if catalogue_size <= 0:
        return 0.0
    distinct: set[int] = set()
    for items in recommendations:
        distinct.update(items)
    return len(distinct) / catalogue_size


# --- models -----------------------------------------------------------------------------------------


class Model(Protocol):
    """What the evaluation asks of a model: fit on users x items, recommend for many users at once,
    leaving out each user's training items."""

    def fit(self, interactions: sp.csr_matrix, timestamps: sp.csr_matrix | None = None) -> Any: ...

    def recommend_many(
        self, users: Sequence[int] | np.ndarray, k: int, *, exclude_seen: bool = True
    ) -> list[list[int]]: ...


class Popularity:
    """The most interacted-with items, the same list for everyone (less what each user has seen)."""

    def __init__(self) -> None:
        self.interactions: sp.csr_matrix | None = None
        self.order = np.zeros(0, dtype=np.int64)

    def fit(self, interactions: sp.csr_matrix, timestamps: sp.csr_matrix | None = None) -> Popularity:
        self.interactions = sp.csr_matrix(interactions)
        counts = np.bincount(self.interactions.indices, minlength=self.interactions.shape[1])
        self.order = np.lexsort((np.arange(counts.size), -counts))
        return self

    def recommend_many(
        self, users: Sequence[int] | np.ndarray, k: int, *, exclude_seen: bool = True
    ) -> list[list[int]]:
        assert self.interactions is not None, "fit first"
        matrix = self.interactions
        results = []
        for user in np.asarray(users, dtype=np.int64):
            seen: set[int] = set()
            if exclude_seen and 0 <= user < matrix.shape[0]:
                seen = set(matrix.indices[matrix.indptr[user] : matrix.indptr[user + 1]].tolist())
            chosen: list[int] = []
            for item in self.order:
                if len(chosen) == k:
                    break
                if int(item) not in seen:
                    chosen.append(int(item))
            results.append(chosen)
        return results


class ImplicitALS:
    """implicit's AlternatingLeastSquares on the CPU, as the collaborative-filtering baseline.

    implicit asks for one BLAS thread (its own threads do the parallel work, and OpenBLAS's pool
    slows them down by up to 10x): the model is built and fitted under threadpoolctl's limit, which
    also keeps it from warning."""

    def __init__(self, *, seed: int = 0, recency_half_life: float | None = None, **params: Any) -> None:
        self.params = {**ALS_PARAMS, **params}
        self.seed = seed
        self.recency_half_life = recency_half_life
        self.model: Any = None
        self.interactions: sp.csr_matrix | None = None

    def fit(self, interactions: sp.csr_matrix, timestamps: sp.csr_matrix | None = None) -> ImplicitALS:
        """Fit on the interactions; with ``recency_half_life`` and timestamps, on the recency-weighted
        confidences the recommender scores users with (a check that its lead is not only recency)."""
        from implicit.als import AlternatingLeastSquares
        from threadpoolctl import threadpool_limits

        from viewfinder.recommend.model import recency_weighted

        self.interactions = sp.csr_matrix(interactions, dtype=np.float32)
        confidences = self.interactions
        if self.recency_half_life is not None and timestamps is not None:
            confidences = recency_weighted(self.interactions, timestamps, self.recency_half_life)
        with threadpool_limits(1, "blas"):
            self.model = AlternatingLeastSquares(**self.params, random_state=self.seed)
            # implicit >= 0.5 takes user_items: users x items.
            self.model.fit(confidences, show_progress=False)
        return self

    def recommend_many(
        self, users: Sequence[int] | np.ndarray, k: int, *, exclude_seen: bool = True
    ) -> list[list[int]]:
        assert self.model is not None, "fit first"
        assert self.interactions is not None
        user_array = np.asarray(users, dtype=np.int64)
        with np.errstate(all="ignore"):
            items, scores = self.model.recommend(
                user_array,
                self.interactions[user_array],
                N=k,
                filter_already_liked_items=exclude_seen,
            )
        # implicit pads a short list (catalogue exhausted) with -1 / -inf.
        return [
            [
                int(item)
                for item, score in zip(row, row_scores, strict=True)
                if item >= 0 and np.isfinite(score)
            ]
            for row, row_scores in zip(np.atleast_2d(items), np.atleast_2d(scores), strict=True)
        ]


def default_models(seed: int = 0) -> dict[str, Callable[[], Model]]:
    """The three models compared by `evaluate`, in the order of the table: two baselines, then ours."""
    return {
        "popularity": Popularity,
        "als": lambda: ImplicitALS(seed=seed),
        "recommender": Recommender,
    }


# --- the protocol -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Indexed:
    """A split turned into matrix indices: the training matrix and each evaluated user's held-out items."""

    train: sp.csr_matrix
    train_times: sp.csr_matrix
    users: np.ndarray
    held_out: list[set[int]]
    user_ids: np.ndarray = field(repr=False)
    item_ids: np.ndarray = field(repr=False)


def index_split(split: Split, *, binary: bool = True) -> Indexed:
    """Number users and items (sorted ids; the catalogue is every item in the split) and build the
    training matrix (duplicates summed; 1 for every pair when ``binary``)."""
    user_ids = np.unique(np.concatenate([split.train.users, split.test.users]))
    item_ids = np.unique(np.concatenate([split.train.items, split.test.items]))
    rows = np.searchsorted(user_ids, split.train.users)
    columns = np.searchsorted(item_ids, split.train.items)
    values = np.ones(len(split.train), dtype=np.float32) if binary else split.train.weights
    shape = (user_ids.size, item_ids.size)
    train = sp.csr_matrix((values, (rows, columns)), shape=shape, dtype=np.float32)
    train.sum_duplicates()
    if binary:
        train.data[:] = 1.0
    # When each pair last happened: the latest of its interactions (the ones sorted last win).
    latest = np.lexsort((split.train.timestamps, columns, rows))
    last = np.r_[
        (rows[latest][1:] != rows[latest][:-1]) | (columns[latest][1:] != columns[latest][:-1]), True
    ]
    picked = latest[last]
    train_times = sp.csr_matrix(
        (split.train.timestamps[picked], (rows[picked], columns[picked])), shape=shape, dtype=np.float64
    )
    test_rows = np.searchsorted(user_ids, split.test.users)
    test_columns = np.searchsorted(item_ids, split.test.items)
    held: dict[int, set[int]] = {}
    for user, item in zip(test_rows.tolist(), test_columns.tolist(), strict=True):
        held.setdefault(user, set()).add(item)
    users = np.array(sorted(held), dtype=np.int64)
    return Indexed(train, train_times, users, [held[int(user)] for user in users], user_ids, item_ids)


def score(
    recommendations: Sequence[Sequence[int]], held_out: Sequence[Collection[int]], k: int, catalogue_size: int
) -> dict[str, float]:
    """recall@k, NDCG@k (means over users) and coverage of the given recommendation lists."""
    return {
        f"recall@{k}": float(
            np.mean([recall_at_k(r, h, k) for r, h in zip(recommendations, held_out, strict=True)])
        )
        if held_out
        else 0.0,
        f"ndcg@{k}": float(
            np.mean([ndcg_at_k(r, h, k) for r, h in zip(recommendations, held_out, strict=True)])
        )
        if held_out
        else 0.0,
        "coverage": coverage(recommendations, catalogue_size),
    }


def evaluate(
    interactions: Interactions,
    split: Split | Callable[[Interactions], Split] = holdout_latest_positives,
    *,
    k: int = DEFAULT_K,
    seed: int = 0,
    models: Mapping[str, Callable[[], Model]] | None = None,
    binary: bool = True,
) -> dict[str, Any]:
    """Split the interactions, fit every model on the training matrix and measure each on the
    held-out positives, all in this run. Returns the figures as a JSON-ready dict."""
    chosen = split if isinstance(split, Split) else split(interactions)
    indexed = index_split(chosen, binary=binary)
    catalogue = indexed.train.shape[1]
    figures: dict[str, Any] = {
        "protocol": chosen.description,
        "k": k,
        "users": int(indexed.train.shape[0]),
        "items": int(catalogue),
        "train_interactions": int(indexed.train.nnz),
        "evaluated_users": int(indexed.users.size),
        "held_out": int(sum(len(items) for items in indexed.held_out)),
        "models": {},
    }
    for name, make in (models or default_models(seed)).items():
        started = time.perf_counter()
        model = make()
        model.fit(indexed.train, indexed.train_times)
        fit_seconds = time.perf_counter() - started
        started = time.perf_counter()
        recommendations = model.recommend_many(indexed.users, k, exclude_seen=True)
        figures["models"][name] = {
            **score(recommendations, indexed.held_out, k, catalogue),
            "fit_seconds": round(fit_seconds, 3),
            "recommend_seconds": round(time.perf_counter() - started, 3),
        }
    results = figures["models"]
    if "als" in results and "recommender" in results:
        for metric in (f"recall@{k}", f"ndcg@{k}"):
            baseline = results["als"][metric]
            figures[f"ratio_{metric.replace('@', '_')}_to_als"] = (
                round(results["recommender"][metric] / baseline, 4) if baseline else None
            )
    return figures


def format_table(figures: Mapping[str, Any]) -> str:
    """The figures of `evaluate` as a small text table, plus the recommender's ratio to ALS."""
    k = figures["k"]
    lines = [
        f"{figures['protocol']}",
        f"{figures['users']} users, {figures['items']} items, {figures['train_interactions']} training "
        f"interactions; {figures['evaluated_users']} users evaluated on {figures['held_out']} held-out items",
        "",
        f"{'model':<12} {f'recall@{k}':>10} {f'NDCG@{k}':>10} {'coverage':>9} {'fit s':>8}",
    ]
    for name, result in figures["models"].items():
        lines.append(
            f"{name:<12} {result[f'recall@{k}']:>10.4f} {result[f'ndcg@{k}']:>10.4f} "
            f"{result['coverage']:>9.3f} {result['fit_seconds']:>8.2f}"
        )
    recall_ratio = figures.get(f"ratio_recall_{k}_to_als")
    ndcg_ratio = figures.get(f"ratio_ndcg_{k}_to_als")
    if recall_ratio is not None:
        lines.append("")
        lines.append(
            f"recommender / ALS: recall@{k} x{recall_ratio:.3f}"
            + (f", NDCG@{k} x{ndcg_ratio:.3f}" if ndcg_ratio is not None else "")
        )
    return "\n".join(lines)

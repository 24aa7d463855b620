"""The ranking model (issue 16, docs/decisions/0074): which of Explore's and For you's candidates a
viewer will act on, learned from the interaction log's impressions.

The recommender (recommend.model) finds candidate accounts, and Explore's sources find candidate
posts (those accounts' posts, the popular list, the viewer's hashtags). Which to show first was a
hand-set blend (discovery.services: each source's scores divided by its best, popularity weighed
0.35, hashtags 0.5), and it still is when no ranker was trained. A `Ranker` learns the order instead:
a logistic regression over `FEATURES`, fitted on the Explore and For you impressions of the last
`RANKER_DAYS`, each labelled by whether the viewer opened, liked, commented on, saved or shared the
post within `LABEL_WINDOW`. Every feature is worked out as of its impression (`replay` reads the log
in time order; the account scores come from a recommender fitted on the log before those days), so
training sees what serving sees. Its coefficients are a few numbers in ranker.npz beside the
recommender's arrays: serving is a dot product, and a web process never loads scikit-learn.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from viewfinder.core.ids import ID_TIME_SHIFT, first_id_at
from viewfinder.posts.models import PostHashtag
from viewfinder.recommend.log import Kind, Signal, Surface, interaction_log

FEATURES = ("account", "engagement", "age", "hashtag", "affinity", "passed_over")
"""account: the recommender's score of the post's author for the viewer, divided by the viewer's
best (0: not a candidate account); engagement: ln(1 + likes + 2 x comments) when shown; age:
ln(1 + hours) when shown; hashtag: ln(1 + the viewer's likes of the post's hashtag), for a hashtag
among the viewer's `TOP_HASHTAGS`; affinity: ln(1 + likes + 2 x comments + 2 x saves) the viewer gave
the author; passed_over: ln(1 + the author's posts shown to the viewer that it did not like, comment
on or save)."""
RANKER_DAYS = 7
"""The impressions of this many last days train the ranker (the recommender behind its account
feature is fitted on the log before them)."""
LABEL_WINDOW = timedelta(hours=24)
POSITIVE_KINDS = frozenset({Kind.OPEN, Kind.LIKE, Kind.COMMENT, Kind.SAVE, Kind.SHARE})
"""What makes an impression a success."""
AFFINITY = {Kind.LIKE: 1.0, Kind.UNLIKE: -1.0, Kind.COMMENT: 2.0, Kind.SAVE: 2.0, Kind.UNSAVE: -2.0}
"""What each of the viewer's signals adds to its affinity for the author."""
ACTED_ON = frozenset({Kind.LIKE, Kind.COMMENT, Kind.SAVE})
"""A post shown with none of these from the viewer was passed over (its author's `passed_over`)."""
RANKED_SURFACES = frozenset({Surface.EXPLORE, Surface.FOR_YOU})
TOP_HASHTAGS = 5
"""The hashtags of the viewer's likes that count (Explore's hashtag source takes as many)."""
MIN_LABELS = 20
"""Fewer positive (or negative) impressions than this: no ranker, the hand-set blend serves."""
_REPLAYED = POSITIVE_KINDS | frozenset(AFFINITY) | {Kind.IMPRESSION}


Column = Sequence[float] | np.ndarray


def feature_rows(
    account: Column,
    likes: Column,
    comments: Column,
    age_hours: Column,
    hashtag_likes: Column,
    affinity: Column,
    passed_over: Column,
) -> np.ndarray:
    """The candidates' features, a row each in `FEATURES` order, from one column per argument (the
    same function at training and serving)."""
    columns = [np.asarray(column, dtype=np.float64) for column in (likes, comments, age_hours)]
    engagement = np.maximum(columns[0], 0) + 2 * np.maximum(columns[1], 0)
    return np.column_stack(
        [
            np.asarray(account, dtype=np.float64),
            np.log1p(engagement),
            np.log1p(np.maximum(columns[2], 0.0)),
            np.log1p(np.maximum(np.asarray(hashtag_likes, dtype=np.float64), 0.0)),
            np.log1p(np.maximum(np.asarray(affinity, dtype=np.float64), 0.0)),
            np.log1p(np.maximum(np.asarray(passed_over, dtype=np.float64), 0.0)),
        ]
    ).reshape(len(account), len(FEATURES))


def account_feature(accounts: Iterable[tuple[int, float]]) -> dict[int, float]:
    """author id → the `account` feature: its candidate score for the viewer divided by the viewer's
    best (the same function at training and serving; a best of zero or less divides by one)."""
    pairs = list(accounts)
    best = max((score for _, score in pairs), default=1.0)
    divisor = best if best > 0 else 1.0
    return {author: score / divisor for author, score in pairs}


def affinities(signals: Iterable[Signal]) -> dict[int, float]:
    """author id → the viewer's affinity for it (`AFFINITY`), from the viewer's own signals."""
    found: dict[int, float] = defaultdict(float)
    for signal in signals:
        if signal.author_id is not None and signal.kind in AFFINITY:
            found[signal.author_id] += AFFINITY[signal.kind]
    return found


def passed_over(impressions: Iterable[Signal], acted_on: Collection[int | None]) -> dict[int, set[int]]:
    """author id → its posts among the impressions that the viewer did nothing with."""
    ignored: dict[int, set[int]] = defaultdict(set)
    for signal in impressions:
        if signal.author_id is not None and signal.post_id is not None and signal.post_id not in acted_on:
            ignored[signal.author_id].add(signal.post_id)
    return ignored


@dataclass(frozen=True)
class Ranker:
    """A fitted logistic regression: the log-odds that the viewer acts on a candidate."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def score(self, rows: np.ndarray) -> np.ndarray:
        return np.asarray(((rows - self.mean) / self.scale) @ self.coef + self.intercept)

    def weights(self) -> dict[str, float]:
        """Each feature's weight on the standardised scale (what the read-out shows)."""
        return {name: round(float(weight), 4) for name, weight in zip(FEATURES, self.coef, strict=True)}

    def save(self, path: Path) -> None:
        with path.open("wb") as file:
            np.savez(
                file,
                features=np.array(FEATURES),
                mean=self.mean,
                scale=self.scale,
                coef=self.coef,
                intercept=np.array([self.intercept]),
            )

    @classmethod
    def load(cls, path: Path) -> Ranker | None:
        """The ranker saved at `path`; None when there is none or it was fitted on other features."""
        if not path.exists():
            return None
        with np.load(path) as saved:
            if tuple(str(name) for name in saved["features"]) != FEATURES:
                return None
            return cls(saved["mean"], saved["scale"], saved["coef"], float(saved["intercept"][0]))


def fit_ranker(rows: np.ndarray, labels: np.ndarray) -> Ranker | None:
    """A logistic regression on standardised features; None with fewer than MIN_LABELS of either label."""
    positives = int(labels.sum())
    if positives < MIN_LABELS or labels.size - positives < MIN_LABELS:
        return None
    from sklearn.linear_model import LogisticRegression  # training only: never in a web process

    mean = rows.mean(axis=0)
    scale = rows.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=1.0, max_iter=1000).fit((rows - mean) / scale, labels)
    return Ranker(mean, scale, model.coef_[0].astype(np.float64), float(model.intercept_[0]))


@dataclass(frozen=True)
class Impressions:
    """Impressions with their features as of the moment each was shown, and their labels."""

    viewers: np.ndarray
    ids: np.ndarray
    """The impression's own log id (its time)."""
    rows: np.ndarray
    labels: np.ndarray

    def select(self, mask: np.ndarray) -> Impressions:
        return Impressions(self.viewers[mask], self.ids[mask], self.rows[mask], self.labels[mask])


async def read_log(db: AsyncSession, since: datetime) -> list[Signal]:
    """The log's signals since `since` that the recommender and the ranker learn from, oldest first
    (Cassandra's scan goes by token range, not time)."""
    signals: list[Signal] = []
    async for batch in interaction_log().scan(db, since=since):
        signals.extend(batch)
    signals.sort(key=lambda signal: signal.id)
    return signals


async def post_hashtags(db: AsyncSession, since: datetime) -> dict[int, tuple[int, ...]]:
    """post id → its hashtags' ids, for the posts made since `since`."""
    found: dict[int, list[int]] = defaultdict(list)
    rows = await db.execute(
        select(PostHashtag.post_id, PostHashtag.hashtag_id).where(PostHashtag.post_id >= first_id_at(since))
    )
    for post_id, hashtag_id in rows:
        found[post_id].append(hashtag_id)
    return {post: tuple(tags) for post, tags in found.items()}


def replay(
    signals: Iterable[Signal],
    hashtags: Mapping[int, tuple[int, ...]],
    accounts: Mapping[int, Mapping[int, float]],
    rows_from: datetime,
) -> Impressions:
    """The log (oldest first) played forward: for every first impression of a post to a viewer on
    Explore or For you from `rows_from` on, its features as of that moment and whether the viewer
    acted on the post within LABEL_WINDOW. `accounts`: viewer id → author id → account score (as
    served: divided by the viewer's best)."""
    first_row_id = first_id_at(rows_from)
    likes: Counter[int] = Counter()
    comments: Counter[int] = Counter()
    affinity: dict[tuple[int, int], float] = defaultdict(float)
    tag_likes: dict[int, Counter[int]] = defaultdict(Counter)
    shown: dict[tuple[int, int], set[int]] = defaultdict(set)
    acted: dict[int, set[int]] = defaultdict(set)
    acted_at: dict[tuple[int, int], list[int]] = defaultdict(list)
    columns: list[list[float]] = [[] for _ in range(7)]  # feature_rows' arguments
    found: list[tuple[int, int, int]] = []
    done: set[tuple[int, int]] = set()
    for signal in signals:
        kind, viewer, post, author = signal.kind, signal.viewer_id, signal.post_id, signal.author_id
        if kind not in _REPLAYED or post is None or author is None or author == viewer:
            continue
        if kind is Kind.IMPRESSION:
            pair = (viewer, post)
            if signal.id >= first_row_id and signal.surface in RANKED_SURFACES and pair not in done:
                done.add(pair)
                liked_tags = dict(tag_likes[viewer].most_common(TOP_HASHTAGS))
                ignored = sum(
                    1 for other in shown[(viewer, author)] if other not in acted[viewer] and other != post
                )
                values = (
                    accounts.get(viewer, {}).get(author, 0.0),
                    likes[post],
                    comments[post],
                    ((signal.id - post) >> ID_TIME_SHIFT) / 3_600_000,
                    max((liked_tags.get(tag, 0) for tag in hashtags.get(post, ())), default=0),
                    affinity[(viewer, author)],
                    ignored,
                )
                for column, value in zip(columns, values, strict=True):
                    column.append(value)
                found.append((viewer, post, signal.id))
            shown[(viewer, author)].add(post)
            continue
        if kind in ACTED_ON:
            acted[viewer].add(post)
        if kind in POSITIVE_KINDS:
            acted_at[(viewer, post)].append(signal.id)
        if kind in AFFINITY:
            affinity[(viewer, author)] += AFFINITY[kind]
        if kind is Kind.LIKE or kind is Kind.UNLIKE:
            step = 1 if kind is Kind.LIKE else -1
            likes[post] += step
            tag_likes[viewer].update(dict.fromkeys(hashtags.get(post, ()), step))
        elif kind is Kind.COMMENT:
            comments[post] += 1
    window_ms = LABEL_WINDOW // timedelta(milliseconds=1)
    labels = [
        any(
            shown_id < at and (at - shown_id) >> ID_TIME_SHIFT <= window_ms
            for at in acted_at.get((viewer, post), ())
        )
        for viewer, post, shown_id in found
    ]
    return Impressions(
        np.array([viewer for viewer, _, _ in found], dtype=np.int64),
        np.array([shown_id for _, _, shown_id in found], dtype=np.int64),
        feature_rows(*columns),
        np.array(labels, dtype=np.int8),
    )


@dataclass(frozen=True)
class HandSet:
    """The blend that orders Explore without a ranker (discovery.services), as weights."""

    popular_weight: float
    tag_weight: float
    half_life_hours: float


def hand_set_scores(impressions: Impressions, blend: HandSet) -> np.ndarray:
    """The hand-set blend's scores of the impressions, each source divided by its best among the
    viewer's impressions as Explore divides by the best of its candidates: (account x popularity) +
    popular_weight x (popularity + tag_weight x hashtag likes x popularity)."""
    rows = impressions.rows
    column = {name: index for index, name in enumerate(FEATURES)}
    hours = np.expm1(rows[:, column["age"]])
    popularity = np.exp(rows[:, column["engagement"]]) * np.power(0.5, hours / blend.half_life_hours)
    tagged = np.expm1(rows[:, column["hashtag"]]) * popularity
    personal = rows[:, column["account"]] * popularity
    scores = np.zeros(len(rows))
    for viewer in np.unique(impressions.viewers):
        mine = impressions.viewers == viewer
        parts = []
        for part in (personal, popularity, tagged):
            best = part[mine].max(initial=0.0)
            parts.append(part[mine] / best if best > 0 else part[mine])
        scores[mine] = parts[0] + blend.popular_weight * (parts[1] + blend.tag_weight * parts[2])
    return scores


def popularity_scores(impressions: Impressions, blend: HandSet) -> np.ndarray:
    """Explore before any personalisation: engagement halved every half-life."""
    rows = impressions.rows
    hours = np.expm1(rows[:, FEATURES.index("age")])
    return np.asarray(rows[:, FEATURES.index("engagement")] - hours / blend.half_life_hours * math.log(2))


def ndcg_by_viewer(impressions: Impressions, scores: np.ndarray, k: int) -> tuple[float, int]:
    """NDCG@k of each viewer's impressions ordered by `scores`, averaged over the viewers with at
    least one impression of either label; and how many those are."""
    found = []
    for viewer in np.unique(impressions.viewers):
        mine = np.flatnonzero(impressions.viewers == viewer)
        labels = impressions.labels[mine]
        if labels.all() or not labels.any():
            continue
        order = mine[np.lexsort((impressions.ids[mine], -scores[mine]))][:k]
        gains = impressions.labels[order] / np.log2(np.arange(2, order.size + 2))
        ideal = np.sort(labels)[::-1][:k] / np.log2(np.arange(2, min(k, labels.size) + 2))
        found.append(gains.sum() / ideal.sum())
    return (float(np.mean(found)) if found else 0.0), len(found)


def evaluate(
    impressions: Impressions, blend: HandSet, *, held_out: float = 0.3, k: int = 10
) -> dict[str, Any]:
    """The ranker fitted on the earlier impressions and scored on the last `held_out` share of them
    (in time), next to the hand-set blend and popularity on the same impressions: AUC over all of
    them, NDCG@k within each viewer's."""
    from sklearn.metrics import roc_auc_score

    figures: dict[str, Any] = {
        "protocol": f"impressions of the last {RANKER_DAYS} days on Explore and For you; the latest "
        f"{held_out:.0%} (in time) held out; a success is an open, like, comment, save or share "
        f"within {LABEL_WINDOW.total_seconds() / 3600:.0f} h",
        "impressions": len(impressions.labels),
        "k": k,
        "models": {},
    }
    if len(impressions.labels) == 0:
        return figures
    cut = np.quantile(impressions.ids, 1 - held_out)
    train, test = impressions.select(impressions.ids < cut), impressions.select(impressions.ids >= cut)
    figures["train_impressions"], figures["test_impressions"] = len(train.labels), len(test.labels)
    figures["test_success_share"] = round(float(test.labels.mean()), 4) if len(test.labels) else 0.0
    ranker = fit_ranker(train.rows, train.labels)
    scores = {"popularity": popularity_scores(test, blend), "hand_set": hand_set_scores(test, blend)}
    if ranker is not None:
        scores["ranker"] = ranker.score(test.rows)
        figures["weights"] = ranker.weights()
    both = 0 < test.labels.sum() < len(test.labels)
    for name, found in scores.items():
        ndcg, viewers = ndcg_by_viewer(test, found, k)
        figures["models"][name] = {
            "auc": round(float(roc_auc_score(test.labels, found)), 4) if both else None,
            f"ndcg@{k}": round(ndcg, 4),
        }
        figures["viewers_evaluated"] = viewers
    models = figures["models"]
    if "ranker" in models and models["hand_set"][f"ndcg@{k}"]:
        figures[f"ratio_ndcg_{k}_to_hand_set"] = round(
            models["ranker"][f"ndcg@{k}"] / models["hand_set"][f"ndcg@{k}"], 4
        )
    return figures


def format_table(figures: Mapping[str, Any]) -> str:
    k = figures["k"]
    lines = [
        figures["protocol"],
        f"{figures.get('train_impressions', 0)} impressions to fit on, {figures.get('test_impressions', 0)} "
        f"held out ({figures.get('test_success_share', 0):.1%} successes), "
        f"{figures.get('viewers_evaluated', 0)} viewers ranked",
        "",
        f"{'ranking':<12} {'AUC':>8} {f'NDCG@{k}':>10}",
    ]
    for name, result in figures["models"].items():
        auc = "-" if result["auc"] is None else f"{result['auc']:.4f}"
        lines.append(f"{name:<12} {auc:>8} {result[f'ndcg@{k}']:>10.4f}")
    if "ranker" not in figures["models"]:
        lines.append("(too few impressions of either kind to fit a ranker)")
    ratio = figures.get(f"ratio_ndcg_{k}_to_hand_set")
    if ratio is not None:
        lines += ["", f"ranker / hand-set blend: NDCG@{k} x{ratio:.3f}; weights {figures['weights']}"]
    return "\n".join(lines)

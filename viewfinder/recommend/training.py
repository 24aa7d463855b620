"""Training the recommender on the instance's interaction log (issue 16, docs/decisions/0069).

Accounts are the items. Posts live a few days, so a model of posts would know none of the posts it is
asked to rank an hour later; an account's taste lasts. The log becomes a viewers x accounts matrix of
implicit weights (`WEIGHTS`: a save counts more than a like, a like more than an open; "not
interested", hide, unlike, unsave and unfollow take back), the `Recommender` learns which accounts go
together from it, and every viewer's best `CANDIDATES` accounts are worked out here, in the job, with
the account of the viewer's history that contributed most to each ("because you like posts by ...").
Serving (recommend.serving) then only reads those arrays: no model in a web process, no matrix
arithmetic on a request.

The same job fits the ranking model that orders Explore's candidates (recommend.ranking, decision
0074) when the log holds enough impressions.

A trained model is a directory `<data_dir>/models/recommender/<version>/` (model.npz, candidates.npz,
ranker.npz when there is one, meta.json); `CURRENT` beside them names the one to serve and is
replaced atomically, so a web process never reads half a model. The newest `KEEP_VERSIONS` stay;
older ones go.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from sqlalchemy.ext.asyncio import AsyncSession

from viewfinder.core.ids import created_at_of, first_id_at
from viewfinder.recommend import ranking
from viewfinder.recommend.evaluate import Interactions
from viewfinder.recommend.log import Kind, Signal, interaction_log
from viewfinder.recommend.model import Recommender
from viewfinder.recommend.serving import CURRENT, MODEL_DIRECTORY, RANKER_FILE

logger = logging.getLogger(__name__)

WEIGHTS: dict[Kind, float] = {
    Kind.IMPRESSION: 0.0,
    Kind.OPEN: 1.0,
    Kind.DWELL: 0.5,
    Kind.SHARE: 3.0,
    Kind.PROFILE_VISIT: 1.0,
    Kind.LIKE: 2.0,
    Kind.COMMENT: 3.0,
    Kind.SAVE: 4.0,
    Kind.FOLLOW: 4.0,
    Kind.UNLIKE: -2.0,
    Kind.UNSAVE: -4.0,
    Kind.UNFOLLOW: -4.0,
    Kind.NOT_INTERESTED: -6.0,
    Kind.HIDE: -6.0,
}
"""What each signal says about the viewer's taste for the account it is about."""
DWELL_COUNTS_MS = 3000
"""A dwell shorter than this says nothing."""
AFFINITY_WEIGHT = 0.5
"""An account the viewer already engages with scores this much more (times its share of the viewer's
strongest): the models score items *like* the viewer's, never the viewer's own again."""
CANDIDATES = 100
"""Accounts worked out per viewer at training time."""
KEEP_VERSIONS = 3
DENSE_ACCOUNTS = 3000
"""EASE covers the most engaged-with accounts (a 36 MB float32 matrix in model.npz at most); the
random walk covers the rest."""


@dataclass(frozen=True)
class AccountMatrix:
    viewer_ids: np.ndarray
    """Row i is viewer_ids[i]."""
    account_ids: np.ndarray
    """Column j is account_ids[j]."""
    weights: sp.csr_matrix
    times: sp.csr_matrix
    """When each (viewer, account) pair was last touched (seconds since the epoch)."""
    signals: int


@dataclass(frozen=True)
class Trained:
    version: str
    directory: Path
    viewers: int
    accounts: int
    signals: int
    seconds: float


def account_matrix(signals: Iterable[Signal]) -> AccountMatrix:
    """The viewers x accounts matrix of the signals (pairs whose weights add up to nothing or less
    are left out; an account's signals about itself never reach the log)."""
    totals: dict[tuple[int, int], float] = defaultdict(float)
    latest: dict[tuple[int, int], int] = {}
    count = 0
    for signal in signals:
        if signal.author_id is None or signal.author_id == signal.viewer_id:
            continue
        weight = signal_weight(signal)
        count += 1
        pair = (signal.viewer_id, signal.author_id)
        totals[pair] += weight
        latest[pair] = max(latest.get(pair, 0), signal.id)
    kept = [(pair, weight) for pair, weight in totals.items() if weight > 0]
    viewer_ids = np.array(sorted({viewer for (viewer, _), _ in kept}), dtype=np.int64)
    account_ids = np.array(sorted({account for (_, account), _ in kept}), dtype=np.int64)
    rows = np.searchsorted(viewer_ids, [viewer for (viewer, _), _ in kept])
    columns = np.searchsorted(account_ids, [account for (_, account), _ in kept])
    shape = (viewer_ids.size, account_ids.size)
    weights = sp.csr_matrix(
        (np.array([weight for _, weight in kept], dtype=np.float32), (rows, columns)), shape=shape
    )
    seconds = [created_at_of(latest[pair]).timestamp() for pair, _ in kept]
    times = sp.csr_matrix((np.array(seconds, dtype=np.float64), (rows, columns)), shape=shape)
    return AccountMatrix(viewer_ids, account_ids, weights, times, count)


def signal_weight(signal: Signal) -> float:
    """What one signal says about the viewer's taste for the account it is about."""
    if signal.kind is Kind.DWELL and (signal.dwell_ms or 0) < DWELL_COUNTS_MS:
        return 0.0
    return WEIGHTS.get(signal.kind, 0.0)


async def log_interactions(db: AsyncSession, since: datetime) -> Interactions:
    """The log since `since` as the offline evaluation's data: one row per signal about another
    account (viewer, account, `signal_weight`, seconds)."""
    users: list[int] = []
    items: list[int] = []
    weights: list[float] = []
    times: list[float] = []
    async for batch in interaction_log().scan(db, since=since):
        for signal in batch:
            if signal.author_id is None or signal.author_id == signal.viewer_id:
                continue
            users.append(signal.viewer_id)
            items.append(signal.author_id)
            weights.append(signal_weight(signal))
            times.append(created_at_of(signal.id).timestamp())
    return Interactions.from_arrays(users, items, weights, times)


def candidates_of(model: Recommender, matrix: AccountMatrix, k: int = CANDIDATES) -> dict[str, np.ndarray]:
    """Every viewer's best k accounts (never the viewer itself), their scores and, for each, the
    account of the viewer's history that led to it most (-1 when none did: popularity)."""
    viewers, accounts = matrix.weights.shape
    k = min(k, max(accounts - 1, 0))
    chosen = np.full((viewers, k), -1, dtype=np.int64)
    scores = np.zeros((viewers, k), dtype=np.float32)
    because = np.full((viewers, k), -1, dtype=np.int64)
    if k == 0:
        return {"authors": chosen, "scores": scores, "because": because}
    own_column = {int(account): index for index, account in enumerate(matrix.account_ids)}
    history = model.history if model.history is not None else matrix.weights
    block = 512
    for start in range(0, viewers, block):
        rows = history[start : start + block]
        block_scores = model.score_rows(rows)
        for offset in range(rows.shape[0]):
            viewer = start + offset
            engaged = rows[offset]
            if engaged.nnz:  # more from the accounts the viewer already likes (item-item leaves them out)
                block_scores[offset, engaged.indices] += AFFINITY_WEIGHT * engaged.data / engaged.data.max()
            own = own_column.get(int(matrix.viewer_ids[viewer]))
            if own is not None:
                block_scores[offset, own] = -np.inf
            row = block_scores[offset]
            top = np.argpartition(-row, k - 1)[:k]
            top = top[np.argsort(-row[top], kind="stable")]
            chosen[viewer] = matrix.account_ids[top]
            scores[viewer] = row[top]
            because[viewer] = _because(model, rows[offset], top, matrix.account_ids)
    return {"authors": chosen, "scores": scores, "because": because}


def _because(
    model: Recommender, history: sp.csr_matrix, top: np.ndarray, account_ids: np.ndarray
) -> np.ndarray:
    """For each recommended column, the history account whose similarity contributed most."""
    items, weights = history.indices, history.data
    found = np.full(top.size, -1, dtype=np.int64)
    if items.size == 0:
        return found
    contribution = np.zeros((items.size, top.size), dtype=np.float32)
    if model.sparse is not None:
        contribution += model.sparse[items][:, top].toarray()
    if model.dense is not None and model.head_items.size:
        head_position = {int(item): index for index, item in enumerate(model.head_items)}
        in_head = [
            (row, head_position[int(item)]) for row, item in enumerate(items) if int(item) in head_position
        ]
        top_in_head = [
            (column, head_position[int(item)])
            for column, item in enumerate(top)
            if int(item) in head_position
        ]
        if in_head and top_in_head:
            history_rows = np.array([row for row, _ in in_head])
            head_rows = np.array([position for _, position in in_head])
            columns = np.array([column for column, _ in top_in_head])
            head_columns = np.array([position for _, position in top_in_head])
            contribution[np.ix_(history_rows, columns)] += model.dense[np.ix_(head_rows, head_columns)]
    contribution *= weights[:, None]
    for row, item in enumerate(items):  # an account the viewer engages with is its own reason
        contribution[row, top == item] += weights[row]
    best = contribution.argmax(axis=0)
    led = contribution[best, np.arange(top.size)] > 0
    found[led] = account_ids[items[best[led]]]
    return found


async def train(
    db: AsyncSession,
    models_dir: Path,
    *,
    window_days: int,
    ranker: bool = True,
    now: datetime | None = None,
) -> Trained | None:
    """Train on the log's last `window_days` and make the result the one served, with a ranking
    model when `ranker` and the log holds enough impressions; None (changing nothing) when the log
    holds too little to learn from (fewer than two viewers or accounts)."""
    started = time.perf_counter()
    now = now or datetime.now(UTC)
    signals, hashtags = await _read(db, now - timedelta(days=window_days))
    matrix = account_matrix(signals)
    if min(matrix.weights.shape) < 2:
        logger.info("The recommender has too little to learn from (%d signals): not trained", matrix.signals)
        return None
    model = _fit(matrix)
    candidates = candidates_of(model, matrix)
    fitted, impressions = train_ranker(signals, hashtags, now) if ranker else (None, None)
    digest = hashlib.sha256()
    for array in (matrix.viewer_ids, matrix.account_ids, matrix.weights.data, matrix.weights.indices):
        digest.update(np.ascontiguousarray(array).tobytes())
    version = f"r{now:%Y%m%d%H%M}-{digest.hexdigest()[:8]}"
    root = models_dir / MODEL_DIRECTORY
    directory = root / version
    staging = root / f".{version}.{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    model.save(staging / "model.npz")
    with (staging / "candidates.npz").open("wb") as file:
        np.savez(file, viewer_ids=matrix.viewer_ids, **candidates)  # type: ignore[arg-type]
    meta: dict[str, Any] = {
        "version": version,
        "trained_at": now.isoformat(),
        "window_days": window_days,
        "signals": matrix.signals,
        "viewers": int(matrix.weights.shape[0]),
        "accounts": int(matrix.weights.shape[1]),
        "pairs": int(matrix.weights.nnz),
        "params": model.params(),
        "fit_seconds": model.fit_seconds,
    }
    if fitted is not None:
        fitted.save(staging / RANKER_FILE)
    meta["ranker"] = {
        "impressions": len(impressions.labels) if impressions is not None else 0,
        "positives": int(impressions.labels.sum()) if impressions is not None else 0,
        "weights": fitted.weights() if fitted is not None else None,
    }
    (staging / "meta.json").write_text(json.dumps(meta, indent=2))
    shutil.rmtree(directory, ignore_errors=True)
    staging.rename(directory)
    pointer = root / f".{CURRENT}.{os.getpid()}"
    pointer.write_text(version)
    pointer.replace(root / CURRENT)
    _forget_old_versions(root, keep=version)
    seconds = round(time.perf_counter() - started, 2)
    logger.info(
        "Recommender %s trained on %d signals in %.1f s (%s)",
        version,
        matrix.signals,
        seconds,
        "with a ranker" if fitted is not None else "too few impressions for a ranker: the hand-set blend",
    )
    return Trained(version, directory, meta["viewers"], meta["accounts"], matrix.signals, seconds)


async def _read(db: AsyncSession, since: datetime) -> tuple[list[Signal], dict[int, tuple[int, ...]]]:
    """What training reads: the log since `since`, oldest first, and the hashtags of the posts it
    can be about; then the read transaction ends (nothing more is read)."""
    signals = await ranking.read_log(db, since)
    hashtags = await ranking.post_hashtags(db, since - timedelta(days=ranking.RANKER_DAYS))
    await db.rollback()
    return signals, hashtags


def _fit(matrix: AccountMatrix) -> Recommender:
    return Recommender(dense_items=min(DENSE_ACCOUNTS, matrix.weights.shape[1])).fit(
        matrix.weights, matrix.times
    )


def account_scores(model: Recommender, matrix: AccountMatrix) -> dict[int, dict[int, float]]:
    """viewer id → author id → the ranking model's account feature (`ranking.account_feature`, as
    serving works it out from the same candidates)."""
    found = candidates_of(model, matrix)
    return {
        int(viewer): ranking.account_feature(
            (int(author), float(score)) for author, score in zip(authors, row, strict=True) if author >= 0
        )
        for viewer, authors, row in zip(matrix.viewer_ids, found["authors"], found["scores"], strict=True)
    }


def train_ranker(
    signals: Sequence[Signal], hashtags: Mapping[int, tuple[int, ...]], now: datetime
) -> tuple[ranking.Ranker | None, ranking.Impressions]:
    """The ranking model, fitted on the impressions of the last RANKER_DAYS, their account feature
    from a recommender fitted on the signals before them (so that the likes it is to predict are not
    already in its scores); None with too few impressions of either label."""
    ranker_from = now - timedelta(days=ranking.RANKER_DAYS)
    cut = first_id_at(ranker_from)
    earlier = account_matrix(signal for signal in signals if signal.id < cut)
    scores = account_scores(_fit(earlier), earlier) if min(earlier.weights.shape) >= 2 else {}
    impressions = ranking.replay(signals, hashtags, scores, ranker_from)
    return ranking.fit_ranker(impressions.rows, impressions.labels), impressions


def _forget_old_versions(root: Path, keep: str) -> None:
    versions = sorted(
        (path for path in root.iterdir() if path.is_dir() and path.name.startswith("r")), reverse=True
    )
    for old in [path for path in versions if path.name != keep][KEEP_VERSIONS - 1 :]:
        shutil.rmtree(old, ignore_errors=True)


async def evaluate_ranker(
    db: AsyncSession, blend: ranking.HandSet, *, window_days: int, now: datetime | None = None
) -> dict[str, Any]:
    """The ranking model's offline figures on the log (ranking.evaluate), its impressions replayed as
    `train` replays them."""
    now = now or datetime.now(UTC)
    signals, hashtags = await _read(db, now - timedelta(days=window_days))
    _, impressions = train_ranker(signals, hashtags, now)
    return ranking.evaluate(impressions, blend)

"""The recommender's core (issue 16, decision 0067): item-to-item models learned from a users x items
matrix of implicit feedback, with no database, so any evaluation protocol (`viewfinder.recommend.evaluate`)
and the platform's own training job can run the same class.

**Model.** Two item-to-item models, each scoring an item by the items a user has already engaged with,
blended per user:

- *EASE* (Steck 2019, "Embarrassingly Shallow Autoencoders"): the closed-form ridge regression of every
  item on all the others, ``B = I - P / diag(P)`` with ``P = (XᵀX + λI)⁻¹`` and a zero diagonal. It is
  the stronger model on dense data, but ``P`` is a dense items x items inverse: O(n²) memory and O(n³)
  time. So it covers only the ``dense_items`` most-interacted items (all of them on a small catalogue;
  10,000 by default, a 400 MB float32 matrix that a two-core machine inverts in well under a minute).
- *RP3beta* (Paudel et al. 2017; Christoffel et al. 2015): a three-step random walk user -> item ->
  user -> item on the interaction graph, its transition probabilities raised to ``alpha``, each
  destination divided by its popularity to the power ``beta`` (so the walk stops favouring what
  everyone has seen), and only each item's ``neighbours`` strongest successors kept. Sparse, built in
  blocks of items, linear in the interactions: it scores every item of a large catalogue, the long
  tail that EASE leaves out included.

A user's scores from each model are divided by that user's highest score from it, then mixed:
``(1 - sparse_weight) * ease + sparse_weight * rp3beta + popularity_weight * popularity`` on EASE's
items, the walk's score alone on the others; popularity is each item's share of the most
interacted-with item's interactions. A small popularity term always breaks ties (an item nobody
co-engaged with still has an order), and a user with no interactions (or an index beyond the fitted
users: cold start) gets the popularity order alone.

**Recent history first.** Given the interactions' timestamps, a user is scored from their history
weighted by recency: the interaction n places before the user's latest counts ``0.5 ** (n /
recency_half_life)``. The item-item models are learned from the plain matrix. On MovieLens this is
most of the lead over ALS (decision 0067); on data without such drift it costs recall, so check it on
the instance's own log (``recency_half_life=None`` turns it off).

Everything is deterministic: no random state is drawn, so the same matrix and parameters give the
same model. The public attributes (``interactions``, ``history``, ``popularity``, ``head_items``,
``dense``, ``sparse``) are what the training job reads to explain a recommendation.

The defaults were chosen on a validation split carved out of MovieLens-100k's *training* data (the
test split was never used to choose them; `bench/recommend.py --tune` reruns the search).
"""

from __future__ import annotations

import json
import time
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any, Final

import numpy as np
import scipy.sparse as sp
from scipy.linalg import lapack

MODEL_FORMAT: Final = 1
"""The layout of a saved model (`Recommender.save`): bumped when it changes, checked on load."""
_SCORE_CELLS: Final = 1 << 24
"""Users x items scored at once by `recommend_many` (16M cells, 64 MB of float32 per block and its
one or two temporaries), whatever the catalogue's size."""
_NEIGHBOUR_BLOCK: Final = 2048
"""Items whose RP3beta successors are computed at once: bounds the sparse product's memory."""


class Recommender:
    """Item-to-item recommendations from implicit feedback: EASE on the most-interacted items blended
    with RP3beta on all of them (see the module's docstring).

    ``Recommender(...).fit(interactions)`` takes a ``scipy.sparse.csr_matrix`` of users x items with
    implicit weights (a positive weight is an interaction; weights are used as given) and returns the
    fitted recommender; ``recommend(user, k, exclude)`` gives item indices, best first.
    """

    def __init__(
        self,
        *,
        l2: float = 200.0,
        dense_items: int = 10_000,
        neighbours: int = 200,
        alpha: float = 0.3,
        beta: float = 0.6,
        sparse_weight: float = 0.5,
        popularity_weight: float = 0.0,
        recency_half_life: float | None = 5.0,
    ) -> None:
        if l2 <= 0:
            raise ValueError("l2 must be positive")
        if dense_items < 0 or neighbours < 1:
            raise ValueError("dense_items must be >= 0 and neighbours >= 1")
        if not 0.0 <= sparse_weight <= 1.0:
            raise ValueError("sparse_weight must lie between 0 and 1")
        if recency_half_life is not None and recency_half_life <= 0:
            raise ValueError("recency_half_life must be positive (or None)")
        self.l2 = l2
        self.dense_items = dense_items
        self.neighbours = neighbours
        self.alpha = alpha
        self.beta = beta
        self.sparse_weight = sparse_weight
        self.popularity_weight = popularity_weight
        self.recency_half_life = recency_half_life
        self.interactions: sp.csr_matrix | None = None
        self.history: sp.csr_matrix | None = None  # what a user is scored from: recency-weighted
        self.popularity = np.zeros(0, dtype=np.float32)
        self.head_items = np.zeros(0, dtype=np.int64)
        self.dense: np.ndarray | None = None  # EASE's B on head_items (float32, head x head)
        self.sparse: sp.csr_matrix | None = None  # RP3beta's items x items successors
        self.fit_seconds: dict[str, float] = {}

    # --- fitting ----------------------------------------------------------------------------------

    def params(self) -> dict[str, Any]:
        """The hyper-parameters, as given to the constructor."""
        return {
            "l2": self.l2,
            "dense_items": self.dense_items,
            "neighbours": self.neighbours,
            "alpha": self.alpha,
            "beta": self.beta,
            "sparse_weight": self.sparse_weight,
            "popularity_weight": self.popularity_weight,
            "recency_half_life": self.recency_half_life,
        }

    @property
    def n_users(self) -> int:
        """Users in the fitted matrix (0 before `fit`)."""
        return 0 if self.interactions is None else int(self.interactions.shape[0])

    @property
    def n_items(self) -> int:
        """Items in the fitted matrix: the catalogue recommendations are drawn from."""
        return 0 if self.interactions is None else int(self.interactions.shape[1])

    def fit(
        self,
        interactions: sp.spmatrix | sp.sparray,
        timestamps: sp.spmatrix | sp.sparray | None = None,
    ) -> Recommender:
        """Learn from a users x items matrix of implicit weights; returns self.

        ``timestamps``, a matrix of the same shape holding when each interaction happened (any
        increasing unit), makes a user's recent interactions count more when they are scored: the
        interaction n places from the user's latest weighs ``0.5 ** (n / recency_half_life)``.
        The item-item models are learned from ``interactions`` either way."""
        matrix = sp.csr_matrix(interactions, dtype=np.float32)
        matrix.sum_duplicates()
        matrix.eliminate_zeros()
        matrix.sort_indices()
        if matrix.data.size and matrix.data.min() < 0:
            raise ValueError("interaction weights must not be negative")
        self.interactions = matrix
        self.history = matrix
        if timestamps is not None and self.recency_half_life is not None:
            self.history = recency_weighted(matrix, timestamps, self.recency_half_life)
        counts = np.bincount(matrix.indices, minlength=matrix.shape[1]).astype(np.float32)
        self.popularity = counts / max(float(counts.max(initial=0.0)), 1.0)
        # The head: the most-interacted items, most first (ties by index, for a stable order).
        ranked = np.lexsort((np.arange(counts.size), -counts))
        head = ranked[: min(self.dense_items, int(np.count_nonzero(counts)))]
        self.head_items = np.sort(head).astype(np.int64)
        self.fit_seconds = {}
        started = time.perf_counter()
        self.dense = _ease(matrix[:, self.head_items], self.l2) if self.head_items.size else None
        self.fit_seconds["ease"] = round(time.perf_counter() - started, 3)
        started = time.perf_counter()
        covers_all = self.head_items.size == np.count_nonzero(counts)
        if self.sparse_weight > 0 or not covers_all:
            self.sparse = _rp3beta(matrix, counts, self.alpha, self.beta, self.neighbours)
        else:
            self.sparse = None
        self.fit_seconds["rp3beta"] = round(time.perf_counter() - started, 3)
        return self

    # --- scoring ----------------------------------------------------------------------------------

    def _require_fitted(self) -> sp.csr_matrix:
        if self.interactions is None:
            raise RuntimeError("the recommender is not fitted: call fit() or load() first")
        return self.interactions

    def _user_rows(self, users: np.ndarray) -> sp.csr_matrix:
        """The users' history rows; an index outside the fitted users gives an empty row."""
        self._require_fitted()
        matrix = self.history
        assert matrix is not None
        known = (users >= 0) & (users < matrix.shape[0])
        if known.all():
            return matrix[users]
        rows = matrix[np.where(known, users, 0)]
        keep = sp.diags(known.astype(np.float32))
        return sp.csr_matrix(keep @ rows)

    def score_rows(self, rows: sp.spmatrix | sp.sparray) -> np.ndarray:
        """Scores of every item (float32, len(rows) x items) for users given as interaction rows,
        which need not be fitted users (a session's history, an item alone for `similar_items`)."""
        matrix = self._require_fitted()
        history = sp.csr_matrix(rows, dtype=np.float32)
        scores = np.zeros((history.shape[0], matrix.shape[1]), dtype=np.float32)
        dense_share = 1.0 if self.sparse is None else 1.0 - self.sparse_weight
        if self.dense is not None and dense_share > 0:
            head_scores = np.asarray(history[:, self.head_items] @ self.dense, dtype=np.float32)
            _divide_by_row_max(head_scores)
            scores[:, self.head_items] = dense_share * head_scores
        if self.sparse is not None:
            walk_scores = np.asarray((history @ self.sparse).toarray(), dtype=np.float32)
            _divide_by_row_max(walk_scores)
            # Outside the head the walk is all there is, whatever its share inside it.
            weights = np.ones(matrix.shape[1], dtype=np.float32)
            weights[self.head_items] = self.sparse_weight if self.dense is not None else 1.0
            scores += weights * walk_scores
        # Tie-breaker, and the whole order for a user without interactions (cold start).
        popularity_share = max(self.popularity_weight, 1e-4)
        cold = np.diff(history.indptr) == 0
        scores += popularity_share * self.popularity
        scores[cold] = self.popularity
        return scores

    def scores(self, users: Sequence[int] | np.ndarray) -> np.ndarray:
        """Scores of every item for many fitted users at once (float32, len(users) x items); higher is
        better; nothing excluded. Unknown users (cold start) get the popularity scores."""
        return self.score_rows(self._user_rows(np.asarray(users, dtype=np.int64)))

    def recommend(self, user: int, k: int, exclude: Collection[int] = ()) -> list[int]:
        """Up to k item indices for the user, best first, none of them in ``exclude``; fewer only when
        the catalogue runs out. A user without interactions or beyond the fitted users gets the most
        popular items."""
        scores = self.scores([user])[0]
        excluded = np.fromiter((int(item) for item in exclude), dtype=np.int64, count=len(exclude))
        excluded = excluded[(excluded >= 0) & (excluded < scores.size)]
        scores[excluded] = -np.inf
        return _top(scores, k)

    def recommend_many(
        self, users: Sequence[int] | np.ndarray, k: int, *, exclude_seen: bool = True
    ) -> list[list[int]]:
        """`recommend` for many users, scored in blocks; ``exclude_seen`` leaves out each user's own
        fitted interactions (what an offline evaluation and a feed both want)."""
        user_array = np.asarray(users, dtype=np.int64)
        results: list[list[int]] = []
        block_size = max(1, _SCORE_CELLS // max(self.n_items, 1))
        for start in range(0, user_array.size, block_size):
            block = user_array[start : start + block_size]
            rows = self._user_rows(block)
            scores = self.score_rows(rows)
            if exclude_seen:
                seen_rows, seen_items = rows.nonzero()
                scores[seen_rows, seen_items] = -np.inf
            results.extend(_top(row, k) for row in scores)
        return results

    def similar_items(self, item: int, k: int) -> list[int]:
        """Up to k items most like the given one (as if a user had engaged with it alone), best
        first, never the item itself."""
        matrix = self._require_fitted()
        if not 0 <= item < matrix.shape[1]:
            raise IndexError(f"item {item} is outside the catalogue of {matrix.shape[1]} items")
        row = sp.csr_matrix(
            (np.ones(1, dtype=np.float32), (np.zeros(1, dtype=np.int64), np.array([item]))),
            shape=(1, matrix.shape[1]),
        )
        scores = self.score_rows(row)[0]
        scores[item] = -np.inf
        return _top(scores, k)

    # --- files ------------------------------------------------------------------------------------

    def save(self, path: str | Path) -> Path:
        """Write the fitted model to one NumPy ``.npz`` file (no pickle); returns its path."""
        matrix = self._require_fitted()
        path = Path(path)
        sparse = self.sparse if self.sparse is not None else sp.csr_matrix((0, 0), dtype=np.float32)
        arrays: dict[str, np.ndarray] = {
            "meta": np.array(json.dumps({"format": MODEL_FORMAT, "params": self.params()})),
            "interactions_data": matrix.data,
            "interactions_indices": matrix.indices,
            "interactions_indptr": matrix.indptr,
            "interactions_shape": np.array(matrix.shape, dtype=np.int64),
            "history_data": self.history.data if self.history is not None else matrix.data,
            "popularity": self.popularity,
            "head_items": self.head_items,
            "dense": self.dense if self.dense is not None else np.zeros((0, 0), dtype=np.float32),
            "sparse_data": sparse.data,
            "sparse_indices": sparse.indices,
            "sparse_indptr": sparse.indptr,
            "sparse_shape": np.array(sparse.shape, dtype=np.int64),
        }
        with path.open("wb") as file:
            np.savez(file, **arrays)  # type: ignore[arg-type]
        return path

    @classmethod
    def load(cls, path: str | Path) -> Recommender:
        """Read a model written by `save`."""
        with np.load(Path(path), allow_pickle=False) as saved:
            meta = json.loads(str(saved["meta"]))
            if meta.get("format") != MODEL_FORMAT:
                raise ValueError(f"{path}: model format {meta.get('format')}, expected {MODEL_FORMAT}")
            model = cls(**meta["params"])
            model.interactions = sp.csr_matrix(
                (saved["interactions_data"], saved["interactions_indices"], saved["interactions_indptr"]),
                shape=tuple(saved["interactions_shape"]),
            )
            history = model.interactions.copy()
            history.data = saved["history_data"]
            model.history = history
            model.popularity = saved["popularity"]
            model.head_items = saved["head_items"]
            dense = saved["dense"]
            model.dense = dense if dense.size else None
            sparse_shape = tuple(saved["sparse_shape"])
            model.sparse = (
                sp.csr_matrix(
                    (saved["sparse_data"], saved["sparse_indices"], saved["sparse_indptr"]),
                    shape=sparse_shape,
                )
                if sparse_shape[0]
                else None
            )
        return model


def recency_weighted(
    matrix: sp.csr_matrix, timestamps: sp.spmatrix | sp.sparray, half_life: float
) -> sp.csr_matrix:
    """The matrix with each user's interactions weighted down by how many of the user's interactions
    came after them (ties in time by item index): ``0.5 ** (places from the latest / half_life)``."""
    times = sp.csr_matrix(timestamps, dtype=np.float64)
    if times.shape != matrix.shape:
        raise ValueError(f"timestamps have shape {times.shape}, the interactions {matrix.shape}")
    rows, columns = matrix.nonzero()  # row by row, columns sorted: the order of matrix.data
    when = np.asarray(times[rows, columns]).ravel()
    order = np.lexsort((columns, when, rows))
    counts = np.diff(matrix.indptr)
    ends = np.repeat(matrix.indptr[1:], counts)
    places_from_latest = np.empty(rows.size, dtype=np.float64)
    places_from_latest[order] = ends - np.arange(rows.size) - 1
    weighted = matrix.copy()
    weighted.data = (matrix.data * np.power(0.5, places_from_latest / half_life)).astype(np.float32)
    return weighted


# --- the two models ---------------------------------------------------------------------------------


def _ease(matrix: sp.csr_matrix, l2: float) -> np.ndarray:
    """EASE's item-item weights (float32, items x items, zero diagonal) for the given columns."""
    gram = np.asarray((matrix.T @ matrix).toarray(), dtype=np.float32)
    gram[np.diag_indices_from(gram)] += np.float32(l2)
    # G is symmetric, so its C-ordered buffer is the Fortran-ordered G: LAPACK works in place (one
    # items x items buffer in all), Cholesky then the inverse from it, one triangle filled.
    factor, info = lapack.spotrf(gram.T, lower=False, overwrite_a=True, clean=False)
    if info != 0:
        raise np.linalg.LinAlgError(f"EASE: Cholesky factorisation failed (info={info})")
    inverse, info = lapack.spotri(factor, lower=False, overwrite_c=True)
    if info != 0:
        raise np.linalg.LinAlgError(f"EASE: inversion failed (info={info})")
    weights: np.ndarray = inverse.T  # C-ordered again, the valid triangle now the lower one
    _mirror_lower_triangle(weights)
    diagonal = weights.diagonal().copy()
    weights /= -diagonal[np.newaxis, :]
    weights[np.diag_indices_from(weights)] = 0.0
    return weights


def _mirror_lower_triangle(square: np.ndarray, block: int = 1024) -> None:
    """Copy the lower triangle onto the upper one in place, a block of rows at a time."""
    size = square.shape[0]
    for start in range(0, size, block):
        stop = min(start + block, size)
        square[start:stop, stop:] = square[stop:, start:stop].T
        rows = square[start:stop, start:stop]
        upper = np.triu_indices(stop - start, 1)
        rows[upper] = rows.T[upper]


def _rp3beta(
    matrix: sp.csr_matrix, counts: np.ndarray, alpha: float, beta: float, neighbours: int
) -> sp.csr_matrix:
    """RP3beta's item-item successors (items x items, each row's ``neighbours`` strongest kept)."""
    binary = matrix.copy()
    binary.data[:] = 1.0
    user_degree = np.asarray(binary.sum(axis=1)).ravel()
    user_to_item = sp.csr_matrix(sp.diags(1.0 / np.maximum(user_degree, 1.0)) @ binary, dtype=np.float32)
    item_to_user = sp.csr_matrix(sp.diags(1.0 / np.maximum(counts, 1.0)) @ binary.T.tocsr(), dtype=np.float32)
    user_to_item.data **= alpha
    item_to_user.data **= alpha
    penalty = np.power(np.maximum(counts, 1.0), -beta, dtype=np.float64).astype(np.float32)
    n_items = matrix.shape[1]
    blocks: list[sp.csr_matrix] = []
    for start in range(0, n_items, _NEIGHBOUR_BLOCK):
        stop = min(start + _NEIGHBOUR_BLOCK, n_items)
        walk = sp.csr_matrix(item_to_user[start:stop] @ user_to_item)
        walk = sp.csr_matrix(walk @ sp.diags(penalty))
        walk.setdiag(0.0)
        walk.eliminate_zeros()
        blocks.append(_keep_strongest(walk, neighbours))
    return sp.csr_matrix(sp.vstack(blocks, format="csr"), dtype=np.float32)


def _keep_strongest(rows: sp.csr_matrix, keep: int) -> sp.csr_matrix:
    """Each row's ``keep`` largest entries (ties by column), the rest dropped."""
    indptr = rows.indptr
    lengths = np.diff(indptr)
    if lengths.max(initial=0) <= keep:
        return rows
    kept_data: list[np.ndarray] = []
    kept_indices: list[np.ndarray] = []
    kept_indptr = np.zeros(rows.shape[0] + 1, dtype=np.int64)
    for row in range(rows.shape[0]):
        data = rows.data[indptr[row] : indptr[row + 1]]
        indices = rows.indices[indptr[row] : indptr[row + 1]]
        if data.size > keep:
            chosen = np.argpartition(-data, keep - 1)[:keep]
            data, indices = data[chosen], indices[chosen]
        kept_data.append(data)
        kept_indices.append(indices)
        kept_indptr[row + 1] = kept_indptr[row] + data.size
    kept = sp.csr_matrix(
        (np.concatenate(kept_data), np.concatenate(kept_indices), kept_indptr), shape=rows.shape
    )
    kept.sort_indices()
    return kept


# --- helpers ----------------------------------------------------------------------------------------


def _divide_by_row_max(scores: np.ndarray) -> None:
    """Scale each row in place so that its highest score is 1 (rows with no positive score stay)."""
    highest = scores.max(axis=1, keepdims=True)
    np.divide(scores, highest, out=scores, where=highest > 0)


def _top(scores: np.ndarray, k: int) -> list[int]:
    """The indices of the k highest finite scores, best first (ties by index)."""
    candidates = np.flatnonzero(np.isfinite(scores))
    if k <= 0 or candidates.size == 0:
        return []
    if candidates.size > k:
        chosen = candidates[np.argpartition(-scores[candidates], k - 1)[:k]]
    else:
        chosen = candidates
    order = np.lexsort((chosen, -scores[chosen]))
    return [int(item) for item in chosen[order]]

"""Serving the trained recommender (recommend.training): each viewer's candidate accounts, read from
the version `CURRENT` names, reloaded when a newer one appears (looked for at most every
`RECHECK_SECONDS`). No model is loaded here: only the arrays the training job worked out, and the
ranking model's few weights.

No trained version yet (a new instance), or a viewer the last training did not know: None, and the
caller falls back to what it did before a model existed (recent popular posts, friends of friends).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from viewfinder.recommend.ranking import Ranker

logger = logging.getLogger(__name__)

RECHECK_SECONDS = 30.0
MODEL_DIRECTORY = "recommender"
"""Under the models directory: one directory per trained version, and CURRENT."""
CURRENT = "CURRENT"
"""The file naming the version to serve (replaced atomically by the training job)."""
RANKER_FILE = "ranker.npz"
"""In a version's directory when the training job could fit the ranking model (recommend.ranking)."""


class AccountCandidate(NamedTuple):
    account_id: int
    score: float
    because_id: int | None
    """The account of the viewer's history that led here most (None: popularity)."""


@dataclass(frozen=True)
class Served:
    version: str
    rows: dict[int, int]
    """viewer id → row of the arrays."""
    authors: np.ndarray
    scores: np.ndarray
    because: np.ndarray
    ranker: Ranker | None = None
    """The ranking model trained with it (None: Explore blends its sources with hand-set weights)."""

    def for_viewer(self, viewer_id: int) -> list[AccountCandidate] | None:
        """The viewer's candidate accounts, best first; None for a viewer this version never saw."""
        row = self.rows.get(viewer_id)
        if row is None:
            return None
        return [
            AccountCandidate(int(author), float(score), int(because) if because >= 0 else None)
            for author, score, because in zip(
                self.authors[row], self.scores[row], self.because[row], strict=True
            )
            if author >= 0
        ]


class _Loaded:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.served: Served | None = None
        self.checked_at = 0.0
        self.root: Path | None = None


_loaded = _Loaded()


def served(models_dir: Path) -> Served | None:
    """The version to serve (None before the first training)."""
    root = models_dir / MODEL_DIRECTORY
    now = time.monotonic()
    if _loaded.root == root and now - _loaded.checked_at < RECHECK_SECONDS:
        return _loaded.served
    with _loaded.lock:
        if _loaded.root != root:
            _loaded.root, _loaded.served = root, None
        _loaded.checked_at = now
        try:
            version = (root / CURRENT).read_text().strip()
        except FileNotFoundError:
            _loaded.served = None
            return None
        if _loaded.served is None or _loaded.served.version != version:
            try:
                _loaded.served = _read(root / version, version)
            except (OSError, ValueError, KeyError):
                logger.exception("Cannot read recommender %s: serving the previous one", version)
        return _loaded.served


def forget() -> None:
    """Look for a new version on the next call (tests, and `viewfinder ml train-recommender`)."""
    _loaded.checked_at = 0.0


def _read(directory: Path, version: str) -> Served:
    with np.load(directory / "candidates.npz", allow_pickle=False) as saved:
        viewer_ids = saved["viewer_ids"]
        return Served(
            version=version,
            rows={int(viewer): row for row, viewer in enumerate(viewer_ids)},
            authors=saved["authors"],
            scores=saved["scores"],
            because=saved["because"],
            ranker=Ranker.load(directory / RANKER_FILE),
        )

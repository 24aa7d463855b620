"""Recommendations (issue 16): the recommender's core, `Recommender`, usable without a database.

`Recommender` is imported on first use: importing this package loads neither SciPy nor implicit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from viewfinder.recommend.model import Recommender

__all__ = ["Recommender"]


def __getattr__(name: str) -> Any:
    if name == "Recommender":
        from viewfinder.recommend.model import Recommender

        return Recommender
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

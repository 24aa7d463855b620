"""The online read-out of the recommender (issue 16): per model version, how the posts it chose did
with the people they were shown to, from the interaction log.

An impression on a recommendation surface (Explore, For you, suggested accounts) carries the version
that chose the post (`model`; none when popularity alone did). What the viewer did to that post
within `ATTRIBUTION` after its first impression (open, like, save, "not interested" or hide), and a
follow of its author in that time, count for that version. Versions are compared in the same run,
over the same days, the popularity rows (`POPULARITY`) being the baseline.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from viewfinder.core.ids import created_at_of
from viewfinder.recommend.log import Kind, Surface
from viewfinder.recommend.ranking import read_log

RECOMMENDATION_SURFACES = frozenset({Surface.EXPLORE, Surface.FOR_YOU, Surface.SUGGESTED_ACCOUNTS})
ATTRIBUTION = timedelta(hours=24)
POPULARITY = "popularity"
"""The row of impressions no model chose."""


@dataclass
class VersionFigures:
    impressions: int = 0
    opens: int = 0
    likes: int = 0
    saves: int = 0
    follows: int = 0
    not_interested: int = 0
    viewers: set[int] = field(default_factory=set)

    def rates(self) -> dict[str, float | int]:
        shown = self.impressions or 1
        return {
            "impressions": self.impressions,
            "viewers": len(self.viewers),
            "click_through": round(self.opens / shown, 4),
            "likes_per_impression": round(self.likes / shown, 4),
            "saves_per_impression": round(self.saves / shown, 4),
            "follows_per_impression": round(self.follows / shown, 4),
            "not_interested_rate": round(self.not_interested / shown, 4),
        }


async def read_out(
    db: AsyncSession, since: datetime, viewers: Collection[int] | None = None
) -> dict[str, dict[str, float | int]]:
    """Each version's figures over the log since `since` (the popularity baseline included), for
    every viewer or only these (a cohort: an experiment's variant, say)."""
    shown: dict[tuple[int, int], tuple[str, int]] = {}  # (viewer, post) → (version, first impression id)
    authors_shown: dict[tuple[int, int], tuple[str, int]] = {}  # (viewer, author) → the same
    figures: dict[str, VersionFigures] = defaultdict(VersionFigures)
    done: set[tuple[int, int, Kind]] = set()
    for signal in await read_log(db, since):  # oldest first (Cassandra's scan goes by token range)
        if viewers is not None and signal.viewer_id not in viewers:
            continue
        if signal.kind is Kind.IMPRESSION:
            if signal.surface not in RECOMMENDATION_SURFACES or signal.post_id is None:
                continue
            pair = (signal.viewer_id, signal.post_id)
            if pair not in shown:
                version = signal.model or POPULARITY
                shown[pair] = (version, signal.id)
                figures[version].impressions += 1
                figures[version].viewers.add(signal.viewer_id)
                if signal.author_id is not None:
                    authors_shown.setdefault((signal.viewer_id, signal.author_id), (version, signal.id))
            continue
        if signal.kind is Kind.FOLLOW and signal.author_id is not None:
            found = authors_shown.get((signal.viewer_id, signal.author_id))
        elif signal.post_id is not None:
            found = shown.get((signal.viewer_id, signal.post_id))
        else:
            found = None
        if found is None or created_at_of(signal.id) - created_at_of(found[1]) > ATTRIBUTION:
            continue
        key = (signal.viewer_id, signal.post_id or signal.author_id or 0, signal.kind)
        if key in done:  # one open, like ... per post and viewer
            continue
        done.add(key)
        counted = figures[found[0]]
        if signal.kind is Kind.OPEN:
            counted.opens += 1
        elif signal.kind is Kind.LIKE:
            counted.likes += 1
        elif signal.kind is Kind.SAVE:
            counted.saves += 1
        elif signal.kind is Kind.FOLLOW:
            counted.follows += 1
        elif signal.kind in (Kind.NOT_INTERESTED, Kind.HIDE):
            counted.not_interested += 1
    return {version: figures[version].rates() for version in sorted(figures)}

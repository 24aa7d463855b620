"""Request and response bodies of the interaction log."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

ClientKind = Literal["impression", "open", "dwell", "share", "not_interested", "hide"]
SurfaceName = Literal[
    "home_following",
    "home_ranked",
    "for_you",
    "explore",
    "profile",
    "post",
    "hashtag",
    "search",
    "saved",
    "suggested_accounts",
    "notifications",
]


class InteractionIn(msgspec.Struct, forbid_unknown_fields=True):
    """Something the viewer was shown or did that only the client can tell."""

    kind: ClientKind
    """impression: the post was on screen; open: the viewer opened it; dwell: how long it stayed on
    screen (`dwell_ms`); share: its link was copied or shared; not_interested / hide: show fewer
    like it (the next recommendations respect it)."""
    post_id: Annotated[str, msgspec.Meta(pattern=r"^[0-9]{1,19}$")]
    surface: SurfaceName | None = None
    # gt=-1, not ge=0: the same for whole numbers, and the OpenAPI document keeps it (it drops a 0 bound).
    position: Annotated[int, msgspec.Meta(gt=-1, le=10_000)] | None = None
    """Its place on the page (0 first)."""
    dwell_ms: Annotated[int, msgspec.Meta(gt=-1, le=3_600_000)] | None = None
    model: Annotated[str, msgspec.Meta(max_length=40)] | None = None
    """The `model` the page that showed it said served it."""


class InteractionsIn(msgspec.Struct, forbid_unknown_fields=True):
    events: Annotated[list[InteractionIn], msgspec.Meta(min_length=1, max_length=200)]


class InteractionsOut(msgspec.Struct):
    accepted: int
    """How many were kept: reports about posts the viewer may not see (or that are gone), and about
    the viewer's own posts, are not."""


class VersionReadOut(msgspec.Struct):
    """How the posts one recommender version chose did (or "popularity": those no model chose)."""

    version: str
    impressions: int
    viewers: int
    click_through: float
    likes_per_impression: float
    saves_per_impression: float
    follows_per_impression: float
    not_interested_rate: float


class ReadOutOut(msgspec.Struct):
    """The recommender's online read-out over the last `days` (recommend.readout)."""

    days: int
    serving: str | None
    """The version Explore and For you are served by now (None: none trained yet)."""
    ranker_weights: dict[str, float] | None
    """The served version's ranking model's weights by feature (None: the hand-set blend orders)."""
    versions: list[VersionReadOut]

"""Request and response bodies of the posts API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from viewfinder.accounts.schemas import UserSummary
from viewfinder.engagement.schemas import CommentOut
from viewfinder.media.schemas import MediaItemOut

Caption = Annotated[str, msgspec.Meta(max_length=2200)]
AltText = Annotated[str, msgspec.Meta(max_length=1000)]
Location = Annotated[str, msgspec.Meta(max_length=100)]


class PostItemIn(msgspec.Struct, forbid_unknown_fields=True):
    media_id: Annotated[str, msgspec.Meta(max_length=20)]
    alt_text: AltText = ""


class PostCreate(msgspec.Struct, forbid_unknown_fields=True):
    items: Annotated[list[PostItemIn], msgspec.Meta(min_length=1, max_length=20)]
    caption: Caption = ""
    location_name: Location = ""
    comments_enabled: bool = True
    hide_like_count: bool = False
    sensitive: bool = False
    """Show its media behind a tap-to-view warning (nudity, violence, anything others may not want
    to see unasked)."""


class PostUpdate(msgspec.Struct, forbid_unknown_fields=True):
    caption: Caption | msgspec.UnsetType = msgspec.UNSET
    location_name: Location | msgspec.UnsetType = msgspec.UNSET
    comments_enabled: bool | msgspec.UnsetType = msgspec.UNSET
    hide_like_count: bool | msgspec.UnsetType = msgspec.UNSET
    alt_texts: Annotated[dict[str, AltText], msgspec.Meta(max_length=20)] | msgspec.UnsetType = msgspec.UNSET
    """Alt text by media item id."""
    sensitive: bool | msgspec.UnsetType = msgspec.UNSET
    """Your own sensitive mark. Unmarking cannot take off a mark set by staff or by the automatic
    nudity check: the post then stays sensitive."""


class PostItemOut(msgspec.Struct):
    media: MediaItemOut
    alt_text: str


class Recommended(msgspec.Struct):
    """Why a recommendation surface (Explore, "For you") shows a post of someone the viewer does
    not follow."""

    reason: str
    """"Because you like posts by @name", "Popular in #tag", "Suggested for you" or "Popular this
    week"."""
    model: str | None
    """The recommender version that chose it (null: popularity alone). Send it back with the
    post's impressions (POST /interactions) so each version's results can be told apart."""


class PostOut(msgspec.Struct):
    id: str
    author: UserSummary
    state: str
    """"ready" when every item is; "processing" or "failed" are only ever shown to the author."""
    caption: str
    location_name: str
    comments_enabled: bool
    hide_like_count: bool
    items: list[PostItemOut]
    like_count: int | None
    """Null when the author hid it (the author still sees it)."""
    comment_count: int
    liked_by_viewer: bool
    saved_by_viewer: bool
    """Saves are private: only ever about the viewer's own saves."""
    comment_previews: list[CommentOut]
    """The newest top-level comments (up to two), oldest first."""
    created_at: datetime
    sensitive: bool
    """Its author, staff or the automatic nudity check marked its media sensitive: show it behind a
    tap-to-view warning."""
    moderation: str
    """"visible", or "held" (only ever shown to its author: waiting for staff to approve it);
    "removed" only in a staff member's case."""
    recommended: Recommended | None = None
    """Only on recommendation surfaces, for a post the viewer's follows did not bring: why it is
    there."""

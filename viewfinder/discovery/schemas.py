"""Response bodies of hashtag pages, search and suggestions (posts come as posts.schemas.PostOut)."""

from __future__ import annotations

import msgspec

from viewfinder.accounts.schemas import UserSummary
from viewfinder.discovery.services import HashtagView


class HashtagOut(msgspec.Struct):
    name: str
    """Lower-cased, without the #."""
    post_count: int
    """Posts that carry the tag and that the viewer may see (public ones, plus the private ones of
    accounts the viewer follows, and the viewer's own): never a count of posts hidden from them."""

    @classmethod
    def of(cls, hashtag: HashtagView) -> HashtagOut:
        return cls(name=hashtag.name, post_count=hashtag.post_count)


class SuggestionOut(msgspec.Struct):
    """An account the viewer might want to follow."""

    user: UserSummary
    mutual_count: int
    """How many of the accounts the viewer follows follow this one (0 for a popular-account filler)."""
    reason: str | None = None
    """Why it is suggested when no account the viewer follows follows it: the recommender's reason
    ("Because you like posts by @name") or an author the viewer likes who follows it ("Followed by
    @name"); null otherwise."""

"""Request and response bodies of announcements and featured accounts."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from viewfinder.accounts.schemas import UserSummary
from viewfinder.community.models import Announcement, FeaturedAccount
from viewfinder.community.services import MAX_NOTE, MAX_TEXT

Moment = Annotated[datetime, msgspec.Meta(tz=True, description="An ISO 8601 date and time with its offset.")]
AnnouncementText = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_TEXT)]


class AnnouncementCreate(msgspec.Struct, forbid_unknown_fields=True):
    text: AnnouncementText
    """Plain text, 1 to 1000 characters once trimmed; links are shown as links, nothing else is
    formatted."""
    starts_at: Moment | None = None
    """Shown from then on; null or absent: as soon as it is published."""
    ends_at: Moment | None = None
    """Shown until then; null or absent: until unpublished or deleted. After starts_at, in the future."""
    published: bool = False
    """false: a draft, seen by staff only."""


class AnnouncementUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """Only what is given changes; null clears starts_at or ends_at."""

    text: AnnouncementText | msgspec.UnsetType = msgspec.UNSET
    starts_at: Moment | msgspec.UnsetType | None = msgspec.UNSET
    ends_at: Moment | msgspec.UnsetType | None = msgspec.UNSET
    published: bool | msgspec.UnsetType = msgspec.UNSET


class AnnouncementOut(msgspec.Struct):
    id: str
    text: str
    starts_at: datetime | None
    ends_at: datetime | None
    published: bool
    created_at: datetime
    updated_at: datetime
    read: bool
    """Whether the viewer dismissed it (members' list); always false on the staff routes."""

    @classmethod
    def of(cls, announcement: Announcement, read: bool = False) -> AnnouncementOut:
        return cls(
            id=str(announcement.id),
            text=announcement.text,
            starts_at=announcement.starts_at,
            ends_at=announcement.ends_at,
            published=announcement.published,
            created_at=announcement.created_at,
            updated_at=announcement.updated_at,
            read=read,
        )


class AnnouncementList(msgspec.Struct):
    items: list[AnnouncementOut]


class FeatureRequest(msgspec.Struct, forbid_unknown_fields=True):
    note: Annotated[str, msgspec.Meta(max_length=MAX_NOTE)] | msgspec.UnsetType = msgspec.UNSET
    """Why staff feature the account, shown with it (0 to 200 characters); absent: "" for a newly
    featured account, unchanged for one already featured."""


class FeaturedOut(msgspec.Struct):
    account: UserSummary
    note: str
    featured_at: datetime
    featurable: bool
    """false (staff list only) when the account was limited, suspended, banned or deactivated after
    it was featured: it is hidden from every other list until it is featurable again or removed."""

    @classmethod
    def of(cls, featured: FeaturedAccount, account: UserSummary, featurable: bool) -> FeaturedOut:
        return cls(
            account=account, note=featured.note, featured_at=featured.featured_at, featurable=featurable
        )


class FeaturedList(msgspec.Struct):
    items: list[FeaturedOut]

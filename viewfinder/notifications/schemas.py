"""Request and response bodies of the notifications API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from viewfinder.accounts.schemas import UserSummary

IdString = Annotated[str, msgspec.Meta(max_length=20)]


class PostRef(msgspec.Struct):
    """The post a notification is about, as a small square to show beside it."""

    id: str
    thumbnail_url: str | None


class NotificationOut(msgspec.Struct):
    """One line of the inbox: "alice and 12 others liked your post"."""

    id: str
    kind: str
    """like, comment, reply, mention, comment_like, follow, follow_request or follow_accepted."""
    read: bool
    actors: list[UserSummary]
    """The newest actors (up to three), newest first."""
    actor_count: int
    """Everyone in the line, the three shown included."""
    post: PostRef | None
    """Null when the line is not about a post, or the viewer can no longer see it."""
    comment_id: str | None
    """The comment the line is about; null for a mention in a post's caption (and for kinds not
    about a comment)."""
    text: str
    """A preview of the comment, for comment, reply and mention lines (of the caption, for a mention
    in a caption)."""
    created_at: datetime
    updated_at: datetime


class UnreadCount(msgspec.Struct):
    unread: int


class MarkRead(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """Which lines to mark read: these ids, or every line when ids is left out."""

    ids: Annotated[list[IdString], msgspec.Meta(max_length=100)] | None = None

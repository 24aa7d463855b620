"""Request and response bodies of likes, comments, saves and collections."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from viewfinder.accounts.models import User
from viewfinder.accounts.schemas import UserSummary
from viewfinder.engagement.models import Comment
from viewfinder.mediakit.storage import MediaStorage


class CommentOut(msgspec.Struct):
    id: str
    post_id: str
    parent_id: str | None
    """The comment this replies to; null for a top-level comment."""
    author: UserSummary
    text: str
    like_count: int
    reply_count: int
    liked_by_viewer: bool
    created_at: datetime
    held: bool = False
    """Waiting for approval (a restricted account's comment, or one a rule held): only its author,
    the post's author and staff see it, and it is not counted until it is approved."""
    held_reason: str | None = None
    """Why it is held, for those who see it held: "restricted" (its author's account is),
    "rules" (a staff rule matched) or "spam" (the spam filter judged it likely spam); null when it is
    not held."""

    @classmethod
    def of(cls, comment: Comment, author: User, storage: MediaStorage, *, liked: bool) -> CommentOut:
        return cls(
            id=str(comment.id),
            post_id=str(comment.post_id),
            parent_id=str(comment.parent_id) if comment.parent_id is not None else None,
            author=UserSummary.of(author, storage, None),
            text=comment.text,
            like_count=comment.like_count,
            reply_count=comment.reply_count,
            liked_by_viewer=liked,
            created_at=comment.created_at,
            held=comment.moderation == "held",
            held_reason=comment.held_reason if comment.moderation == "held" else None,
        )


CommentText = Annotated[str, msgspec.Meta(min_length=1, max_length=2200)]
# Emptiness is checked by the service, so the message is a sentence rather than a schema error.
CollectionName = Annotated[str, msgspec.Meta(max_length=100)]


class CommentCreate(msgspec.Struct, forbid_unknown_fields=True):
    text: CommentText
    reply_to: Annotated[str, msgspec.Meta(max_length=20)] | None = None
    """The id of the comment this answers. A reply to a reply joins its top-level thread."""


class LikeOut(msgspec.Struct):
    liked: bool
    like_count: int | None
    """Null when the author hid the post's like count (the author still sees it)."""


class CommentLikeOut(msgspec.Struct):
    liked: bool
    like_count: int


class SaveOut(msgspec.Struct):
    saved: bool


class CollectionCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: CollectionName


class CollectionUpdate(msgspec.Struct, forbid_unknown_fields=True):
    name: CollectionName


class CollectionOut(msgspec.Struct):
    id: str
    name: str
    post_count: int
    """Posts in it that the owner can still see."""
    cover: str | None
    """The thumbnail URL of the post added last, or null when it holds none."""
    created_at: datetime

"""Request and response bodies of likes, comments, saves and collections."""

from __future__ import annotations

from datetime import datetime

import msgspec

from viewfinder.accounts.models import User
from viewfinder.accounts.schemas import UserSummary
from viewfinder.engagement.models import Comment
from viewfinder.media.storage import MediaStorage


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
        )

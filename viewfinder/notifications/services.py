"""Every write to the inbox goes through a function here.

CONTRACT (used by engagement, graph and posts services; implemented in the notifications work):
`notify` and `withdraw` run inside the caller's transaction and never commit. They do nothing
when the actor is the recipient, and `notify` does nothing when either has blocked the other.
"""

from __future__ import annotations

import enum

from sqlalchemy.ext.asyncio import AsyncSession


class Kind(enum.StrEnum):
    LIKE = "like"
    COMMENT = "comment"
    REPLY = "reply"
    MENTION = "mention"
    COMMENT_LIKE = "comment_like"
    FOLLOW = "follow"
    FOLLOW_REQUEST = "follow_request"
    FOLLOW_ACCEPTED = "follow_accepted"


async def notify(
    db: AsyncSession,
    *,
    recipient_id: int,
    actor_id: int,
    kind: Kind,
    post_id: int | None = None,
    comment_id: int | None = None,
    text: str = "",
) -> None:
    """Record that actor did `kind` to recipient (on a post or comment), and queue the real-time
    event in the same transaction."""
    raise NotImplementedError  # the notifications work replaces this


async def withdraw(
    db: AsyncSession,
    *,
    recipient_id: int,
    actor_id: int,
    kind: Kind,
    post_id: int | None = None,
    comment_id: int | None = None,
) -> None:
    """Take back an unread notification when its action is undone (unlike, unfollow, cancel)."""
    raise NotImplementedError  # the notifications work replaces this

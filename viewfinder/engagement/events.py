"""Events of engagement (core.events), emitted by engagement.services."""

from __future__ import annotations

from viewfinder.core.events import Event


class Liked(Event, frozen=True):
    post_id: int
    user_id: int
    post_author_id: int


class Unliked(Event, frozen=True):
    post_id: int
    user_id: int
    post_author_id: int


class Commented(Event, frozen=True):
    comment_id: int
    post_id: int
    author_id: int
    """Who wrote the comment."""
    post_author_id: int


class CommentDeleted(Event, frozen=True):
    comment_id: int
    post_id: int
    author_id: int
    """Who wrote the comment."""
    post_author_id: int

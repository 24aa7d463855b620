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
    thread_author_id: int | None = None
    """For a reply: the author of the top-level comment it joins, when they may still see the post
    (else None: the reply stands, but they are not told)."""
    mentioned_ids: tuple[int, ...] = ()
    """The accounts the comment links (and so tells), decided once when it was written."""


class CommentDeleted(Event, frozen=True):
    comment_id: int
    post_id: int
    author_id: int
    """Who wrote the comment."""
    post_author_id: int
    thread_author_id: int | None = None
    """For a reply: the author of the top-level comment it was in."""
    mentioned_ids: tuple[int, ...] = ()
    """The accounts the comment linked."""


class CommentLiked(Event, frozen=True):
    comment_id: int
    post_id: int
    user_id: int
    comment_author_id: int
    tell_author: bool
    """Whether the comment's author may still see the post (and so hears of the like)."""


class CommentUnliked(Event, frozen=True):
    comment_id: int
    post_id: int
    user_id: int
    comment_author_id: int


class Saved(Event, frozen=True):
    """user_id saved the post (privately: only the saver and the recommender know)."""

    post_id: int
    user_id: int
    post_author_id: int


class Unsaved(Event, frozen=True):
    post_id: int
    user_id: int
    post_author_id: int

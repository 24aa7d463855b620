"""Which posts a viewer may see, as SQL conditions every list (feed, hashtag, Explore) shares.

A post is visible when its author is active, neither has blocked the other, the author is public
or followed by the viewer (or is the viewer), and every one of its media items is ready.
"""

from __future__ import annotations

from sqlalchemy import Select, exists, false, or_, select
from sqlalchemy.sql.elements import ColumnElement

from viewfinder.accounts.models import User
from viewfinder.graph.models import Follow, Mute
from viewfinder.graph.rules import blocked_between
from viewfinder.posts.models import Post
from viewfinder.posts.services import post_is_ready


def author_open_to(viewer: User | None) -> ColumnElement[bool]:
    """True when the viewer may see the posts of User (the joined author)."""
    if viewer is None:
        return User.is_private == false()
    follows = exists().where(Follow.follower_id == viewer.id, Follow.followee_id == User.id)
    return or_(User.is_private == false(), User.id == viewer.id, follows)


def not_muted_by(viewer: User | None) -> ColumnElement[bool]:
    """True unless the viewer muted User (the joined author)."""
    if viewer is None:
        return ~false()
    return ~exists().where(Mute.muter_id == viewer.id, Mute.muted_id == User.id)


def visible_posts(viewer: User | None) -> Select[tuple[Post, User]]:
    """Posts with their authors, restricted to what the viewer may see; add order and limits."""
    query = (
        select(Post, User)
        .join(User, User.id == Post.author_id)
        .where(User.is_active, post_is_ready(), author_open_to(viewer))
    )
    if viewer is not None:
        query = query.where(~blocked_between(viewer.id, User.id))
    return query

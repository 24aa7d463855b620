"""Turn rows of (post, author) into full API posts in a fixed number of queries.

Every list of posts (home feed, profile grid, hashtag pages, Explore, saved posts) goes through
`hydrate_posts`: one query for media items, one for the viewer's like and save state, one for
the two newest comments of each post, whatever the number of posts.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import and_, exists, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from viewfinder.accounts.models import User
from viewfinder.engagement.models import Comment, CommentLike, PostLike, SavedPost
from viewfinder.engagement.schemas import CommentOut
from viewfinder.graph.rules import blocked_between
from viewfinder.media import signing
from viewfinder.media.storage import MediaStorage
from viewfinder.posts.models import Post
from viewfinder.posts.schemas import PostOut
from viewfinder.posts.services import items_of
from viewfinder.settings import Settings

COMMENT_PREVIEWS = 2


def urls_for_author(storage: MediaStorage, settings: Settings, author: User) -> MediaStorage:
    """Media URLs for an author's posts: signed and expiring when the account is private."""
    return signing.urls_for(
        storage, settings.secret, settings.signed_url_ttl_seconds, private=author.is_private
    )


async def viewer_state(
    db: AsyncSession, viewer: User | None, post_ids: list[int]
) -> tuple[set[int], set[int]]:
    """The posts among these that the viewer liked, and those they saved (one query)."""
    if viewer is None or not post_ids:
        return set(), set()
    rows = union_all(
        select(PostLike.post_id, literal("liked")).where(
            PostLike.user_id == viewer.id, PostLike.post_id.in_(post_ids)
        ),
        select(SavedPost.post_id, literal("saved")).where(
            SavedPost.user_id == viewer.id, SavedPost.post_id.in_(post_ids)
        ),
    )
    liked: set[int] = set()
    saved: set[int] = set()
    for post_id, kind in (await db.execute(rows)).all():
        (liked if kind == "liked" else saved).add(post_id)
    return liked, saved


async def comment_previews(
    db: AsyncSession, viewer: User | None, post_ids: list[int], storage: MediaStorage, per_post: int
) -> dict[int, list[CommentOut]]:
    """The newest top-level comments of each post (oldest of them first), in one query; comments
    by accounts blocked either way by the viewer are left out."""
    found: dict[int, list[CommentOut]] = {post_id: [] for post_id in post_ids}
    if not post_ids or per_post <= 0:
        return found
    rank = func.row_number().over(partition_by=Comment.post_id, order_by=Comment.id.desc()).label("rank")
    ranked = (
        select(Comment.id, rank)
        .join(User, User.id == Comment.author_id)
        # coalesce(): "parent_id IS NULL" would tempt SQLite to walk the parent index through every
        # top-level comment there is instead of the (post_id, id) index through these posts' few.
        .where(Comment.post_id.in_(post_ids), func.coalesce(Comment.parent_id, 0) == 0, User.is_active)
    )
    if viewer is not None:
        ranked = ranked.where(~blocked_between(viewer.id, User.id))
    newest = ranked.subquery()
    liked = (
        exists().where(CommentLike.comment_id == Comment.id, CommentLike.user_id == viewer.id)
        if viewer is not None
        else literal(False)
    )
    rows = await db.execute(
        select(Comment, User, liked)
        .join(newest, and_(newest.c.id == Comment.id, newest.c.rank <= per_post))
        .join(User, User.id == Comment.author_id)
        .order_by(Comment.id)
    )
    for comment, author, is_liked in rows.tuples():
        found[comment.post_id].append(CommentOut.of(comment, author, storage, liked=bool(is_liked)))
    return found


async def hydrate_posts(
    db: AsyncSession,
    viewer: User | None,
    rows: Sequence[tuple[Post, User]],
    storage: MediaStorage,
    settings: Settings,
    *,
    previews: int = COMMENT_PREVIEWS,
) -> list[PostOut]:
    """Full posts, in the order given: 3 queries at most, whatever the number of rows."""
    post_ids = [post.id for post, _ in rows]
    items = await items_of(db, post_ids)
    liked, saved = await viewer_state(db, viewer, post_ids)
    comments = await comment_previews(db, viewer, post_ids, storage, previews)
    return [
        PostOut.of(
            post,
            author,
            items[post.id],
            urls_for_author(storage, settings, author),
            viewer=viewer,
            liked=post.id in liked,
            saved=post.id in saved,
            comment_previews=comments[post.id],
        )
        for post, author in rows
    ]

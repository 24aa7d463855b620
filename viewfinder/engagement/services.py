"""Every write to likes, comments, saves and collections goes through a function here.

Counts (a post's likes and comments, a comment's likes and replies) move with SQL increments
only when a row was really inserted or deleted, so repeating an action never drifts them. A
duplicate insert, whether repeated or concurrent, surfaces as an IntegrityError on the primary
key and means "already done".

A rollback expires every object in the session (the viewer's User included), so the functions
that may roll back take the plain values they need before they write.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    Select,
    and_,
    bindparam,
    delete,
    exists,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from viewfinder.accounts.models import User
from viewfinder.core.db import erase_counted, move_counters, read_rows
from viewfinder.core.errors import ApiError, invalid, not_found
from viewfinder.core.events import emit
from viewfinder.core.ids import new_id
from viewfinder.core.links import count_links
from viewfinder.engagement.events import (
    CommentDeleted,
    Commented,
    CommentLiked,
    CommentUnliked,
    Liked,
    Saved,
    Unliked,
    Unsaved,
)
from viewfinder.engagement.models import (
    Collection,
    CollectionPost,
    Comment,
    CommentLike,
    CommentMention,
    PostLike,
    SavedPost,
)
from viewfinder.media.models import MediaItem
from viewfinder.moderation.models import ModerationCase
from viewfinder.policy import (
    audience_of,
    blocked_between,
    bound_account,
    comment_thread_open,
    may_comment,
    may_list_likers,
    visible_accounts,
    visible_comments,
    visible_posts,
)
from viewfinder.posts.cards import VIEWER_REF_COLUMNS, PostRef
from viewfinder.posts.models import Post, PostMedia
from viewfinder.posts.services import MAX_MENTIONS, mentions_in, visible_post
from viewfinder.screening import NewAccountLimits, refuse, screen, send_to_review

MAX_COMMENT = 2200
MAX_COLLECTION_NAME = 100


def _rowcount(result: Any) -> int:
    return int(result.rowcount or 0)


# Likes ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LikeState:
    liked: bool
    like_count: int | None
    """None when the author hid the count from this viewer."""


def _shown(count: int | None, hidden: bool) -> int | None:
    return None if hidden else (count or 0)


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)


async def _post_like_count(db: AsyncSession, post_id: int) -> int | None:
    return _int_or_none(await db.scalar(select(Post.like_count).where(Post.id == post_id)))


async def _move_post_likes(db: AsyncSession, post_id: int, step: int) -> int | None:
    return _int_or_none(
        await db.scalar(
            move_counters(Post, like_count=step)
            .where(Post.id == post_id)
            .returning(Post.like_count)
            .execution_options(synchronize_session=False)
        )
    )


async def like_post(db: AsyncSession, viewer: User, post_id: int) -> LikeState:
    """Like a post the viewer can see. Liking again changes nothing."""
    post, author = await visible_post(db, viewer, post_id)
    post_key, author_id, viewer_id = post.id, author.id, viewer.id
    hidden = post.hide_like_count and viewer_id != author_id
    try:
        await db.execute(insert(PostLike).values(id=new_id(), post_id=post_key, user_id=viewer_id))
    except IntegrityError:  # liked already, perhaps by a concurrent request
        await db.rollback()
        return LikeState(True, _shown(await _post_like_count(db, post_key), hidden))
    count = await _move_post_likes(db, post_key, +1)
    # The author hears of it from notifications.subscribers, once this commits (as for every
    # like, comment and mention below).
    await emit(db, Liked(post_id=post_key, user_id=viewer_id, post_author_id=author_id))
    await db.commit()
    return LikeState(True, _shown(count, hidden))


async def unlike_post(db: AsyncSession, viewer: User, post_id: int) -> LikeState:
    """Take a like back. Unliking a post not liked changes nothing."""
    post, author = await visible_post(db, viewer, post_id)
    hidden = post.hide_like_count and viewer.id != author.id
    removed = await db.execute(
        delete(PostLike)
        .where(PostLike.post_id == post.id, PostLike.user_id == viewer.id)
        .execution_options(synchronize_session=False)
    )
    if not _rowcount(removed):
        return LikeState(False, _shown(post.like_count, hidden))
    count = await _move_post_likes(db, post.id, -1)
    await emit(db, Unliked(post_id=post.id, user_id=viewer.id, post_author_id=author.id))
    await db.commit()
    return LikeState(False, _shown(count, hidden))


async def likers(
    db: AsyncSession, viewer: User | None, post_id: int, before: int | None, limit: int
) -> tuple[list[User], list[int]]:
    """A page (limit + 1 rows) of who liked a post, newest like first, with the like ids.

    Accounts blocked either way with the viewer are left out. When the author hid the like
    count, only the author may list the likers (the list would give the count away).
    """
    post, _ = await visible_post(db, viewer, post_id)
    if not may_list_likers(viewer, post):
        raise ApiError(403, "likes_hidden", "The author keeps this post's likes private.")
    query = (
        select(User, PostLike.id)
        .join(PostLike, PostLike.user_id == User.id)
        .where(PostLike.post_id == post.id, *visible_accounts(viewer.id if viewer is not None else None))
        .order_by(PostLike.id.desc())
        .limit(limit + 1)
    )
    if before is not None:
        query = query.where(PostLike.id < before)
    rows = (await db.execute(query)).tuples().all()
    return [user for user, _ in rows], [key for _, key in rows]


# Comments ---------------------------------------------------------------------------------------


async def visible_comment(
    db: AsyncSession, viewer: User | None, comment_id: int
) -> tuple[Comment, Post, User]:
    """A comment, its post and the post's author, as the viewer may see them, else 404.

    The post must be visible, and the comment's author (and, for a reply, its thread's author)
    active and not blocked either way with the viewer.
    """
    comment = await db.scalar(
        select(Comment)
        .join(User, User.id == Comment.author_id)
        .where(Comment.id == comment_id, comment_thread_open(viewer), *visible_comments(viewer))
    )
    if comment is None:
        raise not_found("No such comment.")
    try:
        post, author = await visible_post(db, viewer, comment.post_id)
    except ApiError:
        raise not_found("No such comment.") from None
    return comment, post, author


async def _may_see_post_of(db: AsyncSession, user_id: int, author: User) -> bool:
    """Whether that account may see the author's posts now (it may have unfollowed a private
    account, or been blocked by it, since it commented): only then is it told of activity on one."""
    if user_id == author.id:
        return True
    found = await db.scalar(select(User.id).where(User.id == user_id, *audience_of(author)))
    return found is not None


def clean_comment_text(text: str) -> str:
    """The text as stored (trimmed), or a 400 when it is blank, too long or mentions too many."""
    text = text.strip()
    if not text:
        raise invalid("text", "Write something.")
    if len(text) > MAX_COMMENT:
        raise invalid("text", f"Use at most {MAX_COMMENT} characters.")
    if len(mentions_in(text)) > MAX_MENTIONS:
        raise invalid("text", f"Mention at most {MAX_MENTIONS} accounts.")
    return text


async def add_comment(
    db: AsyncSession,
    viewer: User,
    post_id: int,
    text: str,
    *,
    reply_to: int | None = None,
    limits: NewAccountLimits | None = None,
) -> Comment:
    """Comment on a post, or reply to a comment on it.

    Replies are one level deep: a reply to a reply joins the thread of its top-level comment.
    Mentioned accounts are linked when they exist, can see the post and are not blocked either
    way with the commenter. The text meets the staff's rules (viewfinder.screening: blocked 422,
    held until staff approve it, or flagged; either of the last two opens a case), and a new
    account's links and mentions count against its hourly limits (`limits`; 429).
    """
    post, author = await visible_post(db, viewer, post_id)
    if not may_comment(post):
        raise ApiError(403, "comments_disabled", "Comments are turned off for this post.")
    text = clean_comment_text(text)
    verdict = await screen(db, {"text": text}, author=viewer)
    if verdict.blocked:
        raise refuse(verdict)

    parent_id: int | None = None
    parent_author_id: int | None = None
    if reply_to is not None:
        try:
            target, _, _ = await visible_comment(db, viewer, reply_to)
        except ApiError:
            target = None
        if target is None or target.post_id != post.id:
            raise invalid("reply_to", "No such comment on this post.")
        parent_id = target.parent_id if target.parent_id is not None else target.id
        if target.parent_id is None:
            parent_author_id = target.author_id
        else:
            parent_author_id = await db.scalar(select(Comment.author_id).where(Comment.id == parent_id))
        if parent_author_id is not None and not await _may_see_post_of(db, parent_author_id, author):
            parent_author_id = None  # the reply stands, but who can no longer see the post is not told

    names = mentions_in(text)
    mentioned: list[int] = []
    if names:
        mentioned = list(
            await db.scalars(
                select(User.id).where(
                    User.username_key.in_(names),
                    ~blocked_between(viewer.id, User.id),
                    *audience_of(author),
                )
            )
        )

    if limits is not None:
        await limits.spend(viewer, links=count_links(text), mentions=len(names))
    # A restricted account's comment is held: its author alone sees it, and it is counted and
    # its notifications go out only once the post's author (or staff) approves it. So is one a
    # hold rule matched, which staff approve (its case keeps it from the post's author's list).
    held = viewer.restricted or verdict.held
    held_reason = None
    if verdict.held:
        held_reason = "spam" if verdict.held_for_spam else "rules"
    elif held:
        held_reason = "restricted"
    comment = Comment(
        id=new_id(),
        post_id=post.id,
        author_id=viewer.id,
        parent_id=parent_id,
        text=text,
        like_count=0,
        reply_count=0,
        moderation="held" if held else "visible",
        held_reason=held_reason,
    )
    db.add(comment)
    await db.flush()
    for user_id in mentioned:
        db.add(CommentMention(comment_id=comment.id, user_id=user_id))
    await send_to_review(db, verdict, "comment", comment.id, viewer.id)
    if not held:
        await _publish_comment(db, comment, author.id, parent_author_id, tuple(mentioned))
    await db.commit()
    return comment


async def _publish_comment(
    db: AsyncSession,
    comment: Comment,
    post_author_id: int,
    thread_author_id: int | None,
    mentioned: tuple[int, ...],
) -> None:
    """Count a comment shown to others (its post's comments, its thread's replies) and tell whom it
    concerns: when it is written, or when a held one is approved. No commit."""
    await db.execute(
        move_counters(Post, comment_count=1)
        .where(Post.id == comment.post_id)
        .execution_options(synchronize_session=False)
    )
    if comment.parent_id is not None:
        await db.execute(
            update(Comment)
            .where(Comment.id == comment.parent_id)
            .values(reply_count=Comment.reply_count + 1)
            .execution_options(synchronize_session=False)
        )
    await emit(
        db,
        Commented(
            comment_id=comment.id,
            post_id=comment.post_id,
            author_id=comment.author_id,
            post_author_id=post_author_id,
            thread_author_id=thread_author_id,
            mentioned_ids=mentioned,
        ),
    )


UNCOUNTED_STATES = ("held", "removed")
"""Comment states not in a post's comment_count nor a thread's reply_count (held: until approved;
removed: by staff, moderation.actions.set_comment_state moves the counts)."""


async def delete_comment(db: AsyncSession, viewer: User, comment_id: int) -> None:
    """Delete a comment (and, for a top-level one, its replies): its author or the post's owner may.

    Others get 404 when they cannot see the comment and 403 when they can.
    """
    row = (
        (
            await db.execute(
                select(Comment, Post.author_id)
                .join(Post, Post.id == Comment.post_id)
                .where(Comment.id == comment_id)
            )
        )
        .tuples()
        .first()
    )
    if row is None:
        raise not_found("No such comment.")
    comment, post_author_id = row
    if viewer.id not in (comment.author_id, post_author_id):
        await visible_comment(db, viewer, comment_id)
        raise ApiError(403, "forbidden", "Only the comment's author or the post's owner can delete it.")

    parent_author_id = (
        await db.scalar(select(Comment.author_id).where(Comment.id == comment.parent_id))
        if comment.parent_id is not None
        else None
    )
    mentioned = list(
        await db.scalars(select(CommentMention.user_id).where(CommentMention.comment_id == comment.id))
    )

    # Replies first, then the comment: a cascade would delete them unseen by the row count. Only
    # the counted ones (not held) come off the counts.
    removed = counted = 0
    for doomed in (Comment.parent_id == comment.id, Comment.id == comment.id):
        uncounted = await db.scalar(
            select(func.count()).where(doomed, Comment.moderation.in_(UNCOUNTED_STATES))
        )
        result = await db.execute(delete(Comment).where(doomed).execution_options(synchronize_session=False))
        removed += _rowcount(result)
        counted += _rowcount(result) - int(uncounted or 0)
    if removed:
        await db.execute(
            move_counters(Post, comment_count=-counted)
            .where(Post.id == comment.post_id)
            .execution_options(synchronize_session=False)
        )
        if comment.parent_id is not None and comment.moderation not in UNCOUNTED_STATES:
            await db.execute(
                update(Comment)
                .where(Comment.id == comment.parent_id)
                .values(reply_count=Comment.reply_count - 1)
                .execution_options(synchronize_session=False)
            )
        await emit(
            db,
            CommentDeleted(
                comment_id=comment.id,
                post_id=comment.post_id,
                author_id=comment.author_id,
                post_author_id=post_author_id,
                thread_author_id=parent_author_id,
                mentioned_ids=tuple(mentioned),
            ),
        )
    await db.commit()


async def publish_held_comment(db: AsyncSession, comment: Comment, post_author_id: int) -> bool:
    """Make a held comment visible, counted and told (as `add_comment` does for any other); False,
    and it stays held, when its author and the post's author have blocked each other since (a
    comment that could not be written now is not published now). No commit."""
    blocked = await db.scalar(select(blocked_between(comment.author_id, post_author_id)))
    if blocked:
        return False
    comment.moderation = "visible"
    post_author = await db.get(User, post_author_id)
    thread_author_id: int | None = None
    if comment.parent_id is not None:
        thread_author_id = await db.scalar(select(Comment.author_id).where(Comment.id == comment.parent_id))
        if (
            thread_author_id is not None
            and post_author is not None
            and not await _may_see_post_of(db, thread_author_id, post_author)
        ):
            thread_author_id = None
    mentioned = tuple(
        await db.scalars(select(CommentMention.user_id).where(CommentMention.comment_id == comment.id))
    )
    await db.flush()
    await _publish_comment(db, comment, post_author_id, thread_author_id, mentioned)
    return True


def _no_open_case() -> ColumnElement[bool]:
    """Condition on Comment: no open moderation case is about it (a comment a keyword rule held is
    staff's to decide, not the post author's)."""
    return ~exists().where(
        ModerationCase.target_kind == "comment",
        ModerationCase.target_id == Comment.id,
        ModerationCase.status == "open",
    )


async def _held_post(db: AsyncSession, viewer: User, post_id: int, as_staff: bool) -> Post:
    """The post whose held comments the viewer may see and approve: its author's own, or any for
    staff allowed to act on content (`as_staff`). 404 when the viewer cannot see the post, 403
    when they can but it is not theirs."""
    if as_staff:
        post = await db.get(Post, post_id)
        if post is None:
            raise not_found("No such post.")
        return post
    post, _ = await visible_post(db, viewer, post_id)
    if post.author_id != viewer.id:
        raise ApiError(403, "forbidden", "Only the post's author can review its held comments.")
    return post


async def held_comments(
    db: AsyncSession, viewer: User, post_id: int, *, as_staff: bool, after: int | None, limit: int
) -> list[tuple[Comment, User]]:
    """A page (limit + 1 rows) of the post's held comments (replies included), oldest first, with
    their authors: for the post's author, those of restricted accounts (not the ones a rule holds for
    staff); for staff (`as_staff`), all of them."""
    post = await _held_post(db, viewer, post_id, as_staff)
    query = (
        select(Comment, User)
        .join(User, User.id == Comment.author_id)
        .where(Comment.post_id == post.id, Comment.moderation == "held", User.is_active)
        .order_by(Comment.id)
        .limit(limit + 1)
    )
    if not as_staff:
        query = query.where(_no_open_case(), ~blocked_between(viewer.id, User.id))
    if after is not None:
        query = query.where(Comment.id > after)
    return list((await db.execute(query)).tuples())


async def approve_comment(db: AsyncSession, viewer: User, comment_id: int, *, as_staff: bool) -> None:
    """Make a held comment visible to all who may see its post: counted, and its notifications go
    out now. The post's author may (for a comment no open case is about), and staff allowed to act
    on content. 404 for a comment that is not held or that the viewer may not review; when the
    comment's author and the post's author have blocked each other since, it stays held: 404 for
    the post's author (whose held list leaves it out), 409 `authors_blocked` for staff."""
    row = (
        await db.execute(
            select(Comment.post_id).where(Comment.id == comment_id, Comment.moderation == "held")
        )
    ).first()
    if row is None:
        raise not_found("No such held comment.")
    post = await _held_post(db, viewer, int(row.post_id), as_staff)
    query = select(Comment).where(Comment.id == comment_id, Comment.moderation == "held")
    if not as_staff:
        query = query.where(_no_open_case())
    comment = await db.scalar(query.with_for_update())
    if comment is None:
        raise not_found("No such held comment.")
    if not await publish_held_comment(db, comment, post.author_id):
        await db.rollback()
        if not as_staff:
            raise not_found("No such held comment.")
        raise ApiError(
            409,
            "authors_blocked",
            "The comment's author and the post's author have blocked each other: it stays held.",
        )
    await db.commit()


async def release_held_comments(db: AsyncSession, author_id: int) -> int:
    """Publish every held comment of the account that no open case is about (its restriction was
    lifted), but those on posts of accounts it blocked or was blocked by (they stay held); returns
    how many. No commit."""
    rows = (
        await db.execute(
            select(Comment, Post.author_id)
            .join(Post, Post.id == Comment.post_id)
            .where(
                Comment.author_id == author_id,
                Comment.moderation == "held",
                _no_open_case(),
                ~blocked_between(Comment.author_id, Post.author_id),
            )
            .order_by(Comment.id)
            .with_for_update(of=Comment)
        )
    ).tuples()
    released = 0
    for comment, post_author_id in list(rows):
        released += await publish_held_comment(db, comment, post_author_id)
    return released


def _comments_query(
    viewer: User | None, *conditions: ColumnElement[bool]
) -> Select[tuple[Comment, User, bool]]:
    liked = (
        exists().where(CommentLike.comment_id == Comment.id, CommentLike.user_id == viewer.id)
        if viewer is not None
        else literal(False)
    )
    return (
        select(Comment, User, liked)
        .join(User, User.id == Comment.author_id)
        .where(*conditions, *visible_comments(viewer))
        .order_by(Comment.id)
    )


async def _comment_page(
    db: AsyncSession, query: Select[tuple[Comment, User, bool]], after: int | None, limit: int
) -> list[tuple[Comment, User, bool]]:
    if after is not None:
        query = query.where(Comment.id > after)
    rows = (await db.execute(query.limit(limit + 1))).tuples().all()
    return [(comment, author, bool(liked)) for comment, author, liked in rows]


async def post_comments(
    db: AsyncSession, viewer: User | None, post_id: int, after: int | None, limit: int
) -> list[tuple[Comment, User, bool]]:
    """A page (limit + 1 rows) of a post's top-level comments, oldest first, each with its author
    and whether the viewer liked it."""
    post, _ = await visible_post(db, viewer, post_id)
    query = _comments_query(viewer, Comment.post_id == post.id, Comment.parent_id.is_(None))
    return await _comment_page(db, query, after, limit)


async def comment_replies(
    db: AsyncSession, viewer: User | None, comment_id: int, after: int | None, limit: int
) -> list[tuple[Comment, User, bool]]:
    """A page (limit + 1 rows) of the replies to a comment, oldest first."""
    comment, _, _ = await visible_comment(db, viewer, comment_id)
    return await _comment_page(db, _comments_query(viewer, Comment.parent_id == comment.id), after, limit)


@dataclass(frozen=True)
class CommentLikeState:
    liked: bool
    like_count: int


async def like_comment(db: AsyncSession, viewer: User, comment_id: int) -> CommentLikeState:
    """Like a comment the viewer can see. Liking again changes nothing. The comment's author is told
    only while they may still see the post."""
    comment, _, post_author = await visible_comment(db, viewer, comment_id)
    key, post_key, author_id, viewer_id = comment.id, comment.post_id, comment.author_id, viewer.id
    tell_author = await _may_see_post_of(db, author_id, post_author)
    try:
        await db.execute(insert(CommentLike).values(comment_id=key, user_id=viewer_id))
    except IntegrityError:  # liked already, perhaps by a concurrent request
        await db.rollback()
        count = await db.scalar(select(Comment.like_count).where(Comment.id == key))
        return CommentLikeState(True, count or 0)
    count = await _move_comment_likes(db, key, +1)
    await emit(
        db,
        CommentLiked(
            comment_id=key,
            post_id=post_key,
            user_id=viewer_id,
            comment_author_id=author_id,
            tell_author=tell_author,
        ),
    )
    await db.commit()
    return CommentLikeState(True, count or 0)


async def unlike_comment(db: AsyncSession, viewer: User, comment_id: int) -> CommentLikeState:
    comment, _, _ = await visible_comment(db, viewer, comment_id)
    removed = await db.execute(
        delete(CommentLike)
        .where(CommentLike.comment_id == comment.id, CommentLike.user_id == viewer.id)
        .execution_options(synchronize_session=False)
    )
    if not _rowcount(removed):
        return CommentLikeState(False, comment.like_count)
    count = await _move_comment_likes(db, comment.id, -1)
    await emit(
        db,
        CommentUnliked(
            comment_id=comment.id,
            post_id=comment.post_id,
            user_id=viewer.id,
            comment_author_id=comment.author_id,
        ),
    )
    await db.commit()
    return CommentLikeState(False, count or 0)


async def _move_comment_likes(db: AsyncSession, comment_id: int, step: int) -> int | None:
    return _int_or_none(
        await db.scalar(
            move_counters(Comment, like_count=step)
            .where(Comment.id == comment_id)
            .returning(Comment.like_count)
            .execution_options(synchronize_session=False)
        )
    )


# Saves and collections --------------------------------------------------------------------------


async def save_post(db: AsyncSession, viewer: User, post_id: int) -> None:
    """Save a post the viewer can see, privately. Saving again changes nothing."""
    post, _ = await visible_post(db, viewer, post_id)
    await _insert_saved(db, viewer.id, post)
    await db.commit()


async def _insert_saved(db: AsyncSession, user_id: int, post: Post) -> None:
    saved = exists().where(SavedPost.user_id == user_id, SavedPost.post_id == post.id)
    if not await db.scalar(select(saved)):
        db.add(SavedPost(id=new_id(), user_id=user_id, post_id=post.id))
        await db.flush()
        await emit(db, Saved(post_id=post.id, user_id=user_id, post_author_id=post.author_id))


async def unsave_post(db: AsyncSession, viewer: User, post_id: int) -> None:
    """Unsave a post; it also leaves every one of the viewer's collections."""
    post, _ = await visible_post(db, viewer, post_id)
    unsaved = await db.execute(
        delete(SavedPost)
        .where(SavedPost.user_id == viewer.id, SavedPost.post_id == post.id)
        .execution_options(synchronize_session=False)
    )
    if _rowcount(unsaved):
        await emit(db, Unsaved(post_id=post.id, user_id=viewer.id, post_author_id=post.author_id))
    await db.execute(
        delete(CollectionPost)
        .where(
            CollectionPost.post_id == post.id,
            CollectionPost.collection_id.in_(select(Collection.id).where(Collection.owner_id == viewer.id)),
        )
        .execution_options(synchronize_session=False)
    )
    await db.commit()


_LIMIT = bindparam("limit", type_=Integer())
_BEFORE = bindparam("before", type_=BigInteger())


def _refs_and_keys(rows: Sequence[Any]) -> tuple[list[PostRef], list[int]]:
    """Rows of (sort key, *VIEWER_REF_COLUMNS) as refs and keys."""
    return [PostRef(*row[1:]) for row in rows], [row[0] for row in rows]


@lru_cache(maxsize=2)
def _saved_query(before: bool) -> Select[Any]:
    """`saved_posts`' statement, built once per shape (the viewer, bound and limit bound)."""
    viewer = bound_account()
    # An alias: the "saved" column's EXISTS over saved_posts must not correlate with this join.
    save = aliased(SavedPost, name="save")
    query = (
        visible_posts(viewer)
        .with_only_columns(save.id, *VIEWER_REF_COLUMNS)
        .join(save, save.post_id == Post.id)
        .where(save.user_id == viewer.id)
        .order_by(save.id.desc())
        .limit(_LIMIT)
    )
    return query.where(save.id < _BEFORE) if before else query


async def saved_posts(
    db: AsyncSession, viewer: User, before: int | None, limit: int
) -> tuple[list[PostRef], list[int]]:
    """A page (limit + 1 rows) of the viewer's saved posts they can still see, newest save first,
    as refs for `cards.render_posts` (with the viewer's likes and saves), with the save ids."""
    values = {"viewer_id": viewer.id, "limit": limit + 1}
    if before is not None:
        values["before"] = before
    return _refs_and_keys(await read_rows(db, _saved_query(before is not None), values))


def _collection_name(name: str) -> tuple[str, str]:
    """The name as stored and its case-insensitive key, or a 400."""
    name = name.strip()
    if not name:
        raise invalid("name", "Give the collection a name.")
    if len(name) > MAX_COLLECTION_NAME:
        raise invalid("name", f"Use at most {MAX_COLLECTION_NAME} characters.")
    return name, name.lower()[:MAX_COLLECTION_NAME]


def _collection_exists() -> ApiError:
    return ApiError(
        409, "collection_exists", "You already have a collection by that name.", {"name": "taken"}
    )


async def _name_taken(db: AsyncSession, owner_id: int, key: str, other_than: int | None = None) -> bool:
    query = select(Collection.id).where(Collection.owner_id == owner_id, Collection.name_key == key)
    if other_than is not None:
        query = query.where(Collection.id != other_than)
    return await db.scalar(query) is not None


async def create_collection(db: AsyncSession, owner: User, name: str) -> Collection:
    name, key = _collection_name(name)
    if await _name_taken(db, owner.id, key):
        raise _collection_exists()
    collection = Collection(id=new_id(), owner_id=owner.id, name=name, name_key=key)
    db.add(collection)
    try:
        await db.commit()
    except IntegrityError as exc:  # the same name created concurrently
        await db.rollback()
        raise _collection_exists() from exc
    return collection


async def own_collection(db: AsyncSession, owner: User, collection_id: int) -> Collection:
    """One of the owner's collections; anyone else's is a 404 (collections are private)."""
    collection = await db.scalar(
        select(Collection).where(Collection.id == collection_id, Collection.owner_id == owner.id)
    )
    if collection is None:
        raise not_found("No such collection.")
    return collection


async def rename_collection(db: AsyncSession, owner: User, collection_id: int, name: str) -> Collection:
    collection = await own_collection(db, owner, collection_id)
    name, key = _collection_name(name)
    if await _name_taken(db, owner.id, key, other_than=collection.id):
        raise _collection_exists()
    collection.name, collection.name_key = name, key
    try:
        await db.commit()
    except IntegrityError as exc:
        await db.rollback()
        raise _collection_exists() from exc
    return collection


async def delete_collection(db: AsyncSession, owner: User, collection_id: int) -> None:
    """Delete a collection; its posts stay saved."""
    collection = await own_collection(db, owner, collection_id)
    await db.execute(
        delete(CollectionPost)
        .where(CollectionPost.collection_id == collection.id)
        .execution_options(synchronize_session=False)
    )
    await db.delete(collection)
    await db.commit()


async def add_to_collection(db: AsyncSession, owner: User, collection_id: int, post_id: int) -> Collection:
    """Put a post the owner can see in one of their collections, saving it if it was not."""
    collection = await own_collection(db, owner, collection_id)
    post, _ = await visible_post(db, owner, post_id)
    await _insert_saved(db, owner.id, post)
    present = exists().where(CollectionPost.collection_id == collection.id, CollectionPost.post_id == post.id)
    if not await db.scalar(select(present)):
        db.add(CollectionPost(id=new_id(), collection_id=collection.id, post_id=post.id))
    try:
        await db.commit()
    except IntegrityError:  # added at the same moment by another request: the outcome is the same
        await db.rollback()
        await db.refresh(owner)  # the rollback expired it, and the caller still needs it
        return await own_collection(db, owner, collection_id)
    return collection


async def remove_from_collection(
    db: AsyncSession, owner: User, collection_id: int, post_id: int
) -> Collection:
    """Take a post out of a collection; it stays saved."""
    collection = await own_collection(db, owner, collection_id)
    await db.execute(
        delete(CollectionPost)
        .where(CollectionPost.collection_id == collection.id, CollectionPost.post_id == post_id)
        .execution_options(synchronize_session=False)
    )
    await db.commit()
    return collection


async def list_collections(db: AsyncSession, owner: User, before: int | None, limit: int) -> list[Collection]:
    """A page (limit + 1 rows) of the owner's collections, newest first."""
    query = (
        select(Collection)
        .where(Collection.owner_id == owner.id)
        .order_by(Collection.id.desc())
        .limit(limit + 1)
    )
    if before is not None:
        query = query.where(Collection.id < before)
    return list(await db.scalars(query))


@dataclass(frozen=True)
class CollectionSummary:
    post_count: int
    cover: MediaItem | None
    """The first media item of the post added last."""
    cover_is_private: bool
    """Whether the cover's author is private (its URL must then be signed)."""


async def collection_summaries(
    db: AsyncSession, viewer: User, collection_ids: list[int]
) -> dict[int, CollectionSummary]:
    """Post count and cover of each collection, counting only posts the viewer can still see
    (one query whatever the number of collections)."""
    found = {collection_id: CollectionSummary(0, None, False) for collection_id in collection_ids}
    if not collection_ids:
        return found
    ranked = (
        visible_posts(viewer)
        .join(CollectionPost, CollectionPost.post_id == Post.id)
        .where(CollectionPost.collection_id.in_(collection_ids))
        .with_only_columns(
            CollectionPost.collection_id.label("collection_id"),
            Post.id.label("post_id"),
            User.is_private.label("is_private"),
            func.row_number()
            .over(partition_by=CollectionPost.collection_id, order_by=CollectionPost.id.desc())
            .label("rank"),
            func.count().over(partition_by=CollectionPost.collection_id).label("total"),
        )
        .subquery()
    )
    rows = await db.execute(
        select(ranked.c.collection_id, ranked.c.total, ranked.c.is_private, MediaItem)
        .join(PostMedia, and_(PostMedia.post_id == ranked.c.post_id, PostMedia.position == 0))
        .join(MediaItem, MediaItem.id == PostMedia.media_id)
        .where(ranked.c.rank == 1)
    )
    for collection_id, total, is_private, item in rows.tuples():
        found[collection_id] = CollectionSummary(total, item, bool(is_private))
    return found


async def collection_posts(
    db: AsyncSession, viewer: User, collection_id: int, before: int | None, limit: int
) -> tuple[list[PostRef], list[int]]:
    """A page (limit + 1 rows) of the posts in one of the viewer's collections that they can still
    see, newest added first, as refs for `cards.render_posts` (with the viewer's likes and saves),
    with the entry ids."""
    collection = await own_collection(db, viewer, collection_id)
    values = {"viewer_id": viewer.id, "collection_id": collection.id, "limit": limit + 1}
    if before is not None:
        values["before"] = before
    query = _collection_posts_query(before is not None)
    return _refs_and_keys(await read_rows(db, query, values))


@lru_cache(maxsize=2)
def _collection_posts_query(before: bool) -> Select[Any]:
    """`collection_posts`' statement, built once per shape (viewer, collection, bound, limit bound)."""
    viewer = bound_account()
    query = (
        visible_posts(viewer)
        .with_only_columns(CollectionPost.id, *VIEWER_REF_COLUMNS)
        .join(CollectionPost, CollectionPost.post_id == Post.id)
        .where(CollectionPost.collection_id == bindparam("collection_id", type_=BigInteger()))
        .order_by(CollectionPost.id.desc())
        .limit(_LIMIT)
    )
    return query.where(CollectionPost.id < _BEFORE) if before else query


# Account erasure (privacy.erasure) ---------------------------------------------------------------

ACCOUNT_DATA_TABLES = (
    "post_likes",
    "comment_likes",
    "comments",
    "comment_mentions",
    "saved_posts",
    "collections",
    "collection_posts",
)
"""Tables whose rows of an account `delete_account_data` removes (counts on others' rows corrected)."""
ERASE_BATCH = 500


async def delete_account_data(db: AsyncSession, user_id: int) -> None:
    """Erase the account's likes, comments, saves and collections, as Instagram does: its likes
    leave other people's posts and comments (their counts drop), its comments leave every post,
    each with the replies under it (as when a comment is deleted), and the post's comment count and
    the thread's reply count drop by what went. Each count moves in the transaction that deleted
    the rows it counts, so a retry after a crash never moves it twice."""
    await erase_counted(db, PostLike.user_id == user_id, PostLike.post_id, Post.like_count, batch=ERASE_BATCH)
    await erase_counted(
        db, CommentLike.user_id == user_id, CommentLike.comment_id, Comment.like_count, batch=ERASE_BATCH
    )
    while True:  # comments and replies, with the replies under them
        written = (
            await db.execute(
                select(Comment.id, Comment.post_id, Comment.parent_id)
                .where(Comment.author_id == user_id)
                .order_by(Comment.id)
                .limit(ERASE_BATCH)
            )
        ).all()
        if not written:
            break
        for comment_id, post_id, parent_id in written:
            replies = _rowcount(
                await db.execute(
                    delete(Comment)
                    .where(Comment.parent_id == comment_id)
                    .execution_options(synchronize_session=False)
                )
            )
            itself = _rowcount(
                await db.execute(
                    delete(Comment)
                    .where(Comment.id == comment_id)
                    .execution_options(synchronize_session=False)
                )
            )
            if replies + itself:
                await db.execute(
                    move_counters(Post, comment_count=-(replies + itself))
                    .where(Post.id == post_id)
                    .execution_options(synchronize_session=False)
                )
            if itself and parent_id is not None:
                await db.execute(
                    update(Comment)
                    .where(Comment.id == parent_id)
                    .values(reply_count=Comment.reply_count - 1)
                    .execution_options(synchronize_session=False)
                )
        await db.commit()
    await db.execute(delete(CommentMention).where(CommentMention.user_id == user_id))
    await db.execute(delete(SavedPost).where(SavedPost.user_id == user_id))
    own_collections = select(Collection.id).where(Collection.owner_id == user_id)
    await db.execute(delete(CollectionPost).where(CollectionPost.collection_id.in_(own_collections)))
    await db.execute(delete(Collection).where(Collection.owner_id == user_id))
    await db.commit()

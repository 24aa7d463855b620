"""Inbox lines made by subscribers (core.events): nobody else calls notify/withdraw.

The social graph's lines are written in the transaction of the change they announce, so a line
exists exactly when its follow or request does (and the real-time event queued with it, see
notifications.services).

Likes, comment likes, comments, replies and mentions are told after commit, in a job (the request
that liked or commented does not wait for the inbox; a rolled-back write tells nobody). Those
handlers run at least once and in no promised order, so each first checks that what it announces
still holds (the like, the comment, the mention is still there; the like is really gone) and then
relies on `notify` adding an actor to an unread line only once: delivering an event twice, or after
it was undone, changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from viewfinder.core.events import on
from viewfinder.engagement.events import (
    CommentDeleted,
    Commented,
    CommentLiked,
    CommentUnliked,
    Liked,
    Unliked,
)
from viewfinder.engagement.models import Comment, CommentLike, PostLike
from viewfinder.graph.events import (
    Blocked,
    Followed,
    FollowRequestApproved,
    FollowRequestDeclined,
    FollowRequested,
    Unfollowed,
)
from viewfinder.moderation.events import ActionTaken, AppealDecided, ReportsResolved
from viewfinder.notifications.services import Kind, notify, tell, withdraw
from viewfinder.posts.events import PostCreated, PostEdited
from viewfinder.posts.models import Post, PostMention

COMMENT_PREVIEW = 100
"""Characters of a comment (or of a caption, for a mention in it) quoted in the notifications it
causes."""


@on(FollowRequested)
async def announce_follow_request(db: AsyncSession, event: FollowRequested) -> None:
    await notify(db, recipient_id=event.target_id, actor_id=event.requester_id, kind=Kind.FOLLOW_REQUEST)


@on(Followed)
async def announce_follow(db: AsyncSession, event: Followed) -> None:
    await notify(db, recipient_id=event.followee_id, actor_id=event.follower_id, kind=Kind.FOLLOW)


@on(Unfollowed)
async def withdraw_follow(db: AsyncSession, event: Unfollowed) -> None:
    for kind in (Kind.FOLLOW, Kind.FOLLOW_REQUEST):
        await withdraw(db, recipient_id=event.followee_id, actor_id=event.follower_id, kind=kind)


@on(FollowRequestApproved)
async def announce_acceptance(db: AsyncSession, event: FollowRequestApproved) -> None:
    """A request became a follow: the request line leaves the owner's inbox, which gains a new
    follower, and the requester hears that they were accepted."""
    owner, requester = event.owner_id, event.requester_id
    await withdraw(db, recipient_id=owner, actor_id=requester, kind=Kind.FOLLOW_REQUEST)
    await notify(db, recipient_id=owner, actor_id=requester, kind=Kind.FOLLOW)
    await notify(db, recipient_id=requester, actor_id=owner, kind=Kind.FOLLOW_ACCEPTED)


@on(FollowRequestDeclined)
async def withdraw_declined_request(db: AsyncSession, event: FollowRequestDeclined) -> None:
    await withdraw(db, recipient_id=event.owner_id, actor_id=event.requester_id, kind=Kind.FOLLOW_REQUEST)


@on(Blocked)
async def withdraw_ended_follows(db: AsyncSession, event: Blocked) -> None:
    """The follows and requests a block ended leave the inbox too, so an unblock does not bring back
    a request that no longer exists (everything else of theirs is only hidden while blocked)."""
    pairs = ((event.blocker_id, event.blocked_id), (event.blocked_id, event.blocker_id))
    for recipient, actor in pairs:
        for kind in (Kind.FOLLOW, Kind.FOLLOW_REQUEST):
            await withdraw(db, recipient_id=recipient, actor_id=actor, kind=kind)


# --- likes, comments and mentions: after commit, at least once ------------------------------------


async def _holds(db: AsyncSession, *conditions: ColumnElement[bool]) -> bool:
    """Whether a row matching these conditions exists now."""
    return bool(await db.scalar(select(exists().where(*conditions))))


@on(Liked, after_commit=True)
async def announce_like(db: AsyncSession, event: Liked) -> None:
    if await _holds(db, PostLike.post_id == event.post_id, PostLike.user_id == event.user_id):
        await notify(
            db,
            recipient_id=event.post_author_id,
            actor_id=event.user_id,
            kind=Kind.LIKE,
            post_id=event.post_id,
        )


@on(Unliked, after_commit=True)
async def withdraw_like(db: AsyncSession, event: Unliked) -> None:
    if not await _holds(db, PostLike.post_id == event.post_id, PostLike.user_id == event.user_id):
        await withdraw(
            db,
            recipient_id=event.post_author_id,
            actor_id=event.user_id,
            kind=Kind.LIKE,
            post_id=event.post_id,
        )


@on(CommentLiked, after_commit=True)
async def announce_comment_like(db: AsyncSession, event: CommentLiked) -> None:
    liked = (CommentLike.comment_id == event.comment_id, CommentLike.user_id == event.user_id)
    if event.tell_author and await _holds(db, *liked):
        await notify(
            db,
            recipient_id=event.comment_author_id,
            actor_id=event.user_id,
            kind=Kind.COMMENT_LIKE,
            post_id=event.post_id,
            comment_id=event.comment_id,
        )


@on(CommentUnliked, after_commit=True)
async def withdraw_comment_like(db: AsyncSession, event: CommentUnliked) -> None:
    liked = (CommentLike.comment_id == event.comment_id, CommentLike.user_id == event.user_id)
    if not await _holds(db, *liked):
        await withdraw(
            db,
            recipient_id=event.comment_author_id,
            actor_id=event.user_id,
            kind=Kind.COMMENT_LIKE,
            post_id=event.post_id,
            comment_id=event.comment_id,
        )


def comment_recipients(
    post_author_id: int, thread_author_id: int | None, mentioned: Sequence[int]
) -> list[tuple[int, Kind]]:
    """Who hears of a comment, each once: the thread's author (reply), else the post's author
    (comment), then mentioned accounts."""
    found: dict[int, Kind] = {}
    if thread_author_id is not None:
        found[thread_author_id] = Kind.REPLY
    found.setdefault(post_author_id, Kind.COMMENT)
    for user_id in mentioned:
        found.setdefault(user_id, Kind.MENTION)
    return list(found.items())


@on(Commented, after_commit=True)
async def announce_comment(db: AsyncSession, event: Commented) -> None:
    text = await db.scalar(select(Comment.text).where(Comment.id == event.comment_id))
    if text is None:  # deleted before this was delivered: nothing to tell
        return
    for recipient_id, kind in comment_recipients(
        event.post_author_id, event.thread_author_id, event.mentioned_ids
    ):
        await notify(
            db,
            recipient_id=recipient_id,
            actor_id=event.author_id,
            kind=kind,
            post_id=event.post_id,
            comment_id=event.comment_id,
            text=text[:COMMENT_PREVIEW],
        )


@on(CommentDeleted, after_commit=True)
async def withdraw_comment(db: AsyncSession, event: CommentDeleted) -> None:
    for recipient_id, kind in comment_recipients(
        event.post_author_id, event.thread_author_id, event.mentioned_ids
    ):
        await withdraw(
            db,
            recipient_id=recipient_id,
            actor_id=event.author_id,
            kind=kind,
            post_id=event.post_id,
            comment_id=event.comment_id,
        )


async def _announce_caption_mentions(
    db: AsyncSession, post_id: int, author_id: int, mentioned_ids: Sequence[int]
) -> None:
    """Tell the accounts a caption newly links, while it still links them, quoting the caption (the
    line names no comment: that is how a reader tells it from a mention in a comment)."""
    if not mentioned_ids:
        return
    caption = await db.scalar(select(Post.caption).where(Post.id == post_id))
    if caption is None:  # deleted before this was delivered: nothing to tell
        return
    still = set(
        await db.scalars(
            select(PostMention.user_id).where(
                PostMention.post_id == post_id, PostMention.user_id.in_(mentioned_ids)
            )
        )
    )
    for user_id in mentioned_ids:
        if user_id in still:
            await notify(
                db,
                recipient_id=user_id,
                actor_id=author_id,
                kind=Kind.MENTION,
                post_id=post_id,
                text=caption[:COMMENT_PREVIEW],
            )


@on(PostCreated, after_commit=True)
async def announce_post_mentions(db: AsyncSession, event: PostCreated) -> None:
    await _announce_caption_mentions(db, event.post_id, event.author_id, event.mentioned_ids)


@on(PostEdited, after_commit=True)
async def announce_edited_mentions(db: AsyncSession, event: PostEdited) -> None:
    await _announce_caption_mentions(db, event.post_id, event.author_id, event.mentioned_ids)


# --- moderation: in the transaction of the action, so a line exists exactly when the action does --

ACTION_SUMMARIES = {
    ("remove_content", "post"): "Your post was removed",
    ("remove_content", "comment"): "Your comment was removed",
    ("mark_sensitive", "post"): "Your post was marked sensitive",
    ("delete", "post"): "Your post was deleted",
    ("delete", "comment"): "Your comment was deleted",
    ("delete", "user"): "Your account is being deleted",
    ("restrict", "user"): "Your account was restricted: your new comments wait for approval",
    ("limit", "user"): "Your account was limited: it is left out of Explore, search and hashtag pages",
    ("suspend", "user"): "Your account was suspended",
    ("ban", "user"): "Your account was banned",
}


def action_text(kind: str, target_kind: str, reason: str, policy: str, strike: bool) -> str:
    """What the account is told: what was done, why, and under which rule (its strikes page has
    the rest, and the appeal form)."""
    summary = ACTION_SUMMARIES.get((kind, target_kind), "Staff acted on your account")
    text = f"{summary}{' (a strike)' if strike else ''}: {reason}"
    return f"{text} [{policy}]" if policy else text


@on(ActionTaken)
async def tell_acted_against(db: AsyncSession, event: ActionTaken) -> None:
    text = action_text(event.kind, event.target_kind, event.reason, event.policy, event.strike)
    await tell(
        db, recipient_id=event.account_id, kind=Kind.MODERATION_ACTION, key=str(event.action_id), text=text
    )


REPORT_OUTCOMES = {
    "actioned": "Thank you for your report: we reviewed it and took action.",
    "dismissed": "Thank you for your report: we reviewed it and found no violation of our rules.",
}


@on(ReportsResolved)
async def tell_reporters(db: AsyncSession, event: ReportsResolved) -> None:
    """Each reporter hears the outcome, and nothing of the other account (no post, no name)."""
    text = REPORT_OUTCOMES.get(event.outcome, REPORT_OUTCOMES["dismissed"])
    for reporter_id in event.reporter_ids:
        await tell(db, recipient_id=reporter_id, kind=Kind.REPORT_RESOLVED, key=str(event.case_id), text=text)


APPEAL_OUTCOMES = {
    "reversed": "Your appeal was accepted: the action was reversed.",
    "upheld": "Your appeal was reviewed: the action stands.",
}


@on(AppealDecided)
async def tell_appellant(db: AsyncSession, event: AppealDecided) -> None:
    text = APPEAL_OUTCOMES.get(event.decision, APPEAL_OUTCOMES["upheld"])
    await tell(db, recipient_id=event.user_id, kind=Kind.APPEAL_DECIDED, key=str(event.appeal_id), text=text)

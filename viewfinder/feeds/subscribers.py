"""What home timelines do when posts and follows change (core.events, after commit), and the
ranked feed's affinities, which move with likes, comments and profile visits (in the transaction).

Each after-commit handler queues the feeds job that does the work, so the work keeps that job's retries,
outage policy and dead letters (feeds.tasks); the jobs are idempotent, as at-least-once delivery
needs."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from viewfinder.core.events import on
from viewfinder.core.jobs import enqueue
from viewfinder.engagement.events import CommentDeleted, Commented, Liked, Unliked
from viewfinder.feeds import affinity
from viewfinder.feeds.tasks import (
    backfill_timeline,
    fan_out_post,
    remove_author_from_timeline,
    remove_post_from_timelines,
)
from viewfinder.graph.events import (
    Blocked,
    Followed,
    FollowerRemoved,
    FollowRequestApproved,
    ProfileVisited,
    Unfollowed,
)
from viewfinder.posts.events import PostCreated, PostDeleted


@on(PostCreated, after_commit=True)
async def fan_out_new_post(db: AsyncSession, event: PostCreated) -> None:
    await enqueue(fan_out_post, event.post_id)


@on(PostDeleted, after_commit=True)
async def remove_deleted_post(db: AsyncSession, event: PostDeleted) -> None:
    await enqueue(remove_post_from_timelines, event.post_id)


@on(Followed, after_commit=True)
async def backfill_after_follow(db: AsyncSession, event: Followed) -> None:
    await enqueue(backfill_timeline, event.follower_id, event.followee_id)


@on(FollowRequestApproved, after_commit=True)
async def backfill_after_approval(db: AsyncSession, event: FollowRequestApproved) -> None:
    await enqueue(backfill_timeline, event.requester_id, event.owner_id)


@on(Unfollowed, after_commit=True)
async def clean_up_after_unfollow(db: AsyncSession, event: Unfollowed) -> None:
    await enqueue(remove_author_from_timeline, event.follower_id, event.followee_id)


@on(FollowerRemoved, after_commit=True)
async def clean_up_after_removed_follower(db: AsyncSession, event: FollowerRemoved) -> None:
    await enqueue(remove_author_from_timeline, event.follower_id, event.owner_id)


@on(Blocked, after_commit=True)
async def clean_up_after_block(db: AsyncSession, event: Blocked) -> None:
    await enqueue(remove_author_from_timeline, event.blocker_id, event.blocked_id)
    await enqueue(remove_author_from_timeline, event.blocked_id, event.blocker_id)


# --- affinity (in the transaction that liked, commented or visited) -------------------------------


@on(Liked)
async def affinity_after_like(db: AsyncSession, event: Liked) -> None:
    await affinity.bump(db, event.user_id, event.post_author_id, likes=+1)


@on(Unliked)
async def affinity_after_unlike(db: AsyncSession, event: Unliked) -> None:
    await affinity.bump(db, event.user_id, event.post_author_id, likes=-1)


@on(Commented)
async def affinity_after_comment(db: AsyncSession, event: Commented) -> None:
    await affinity.bump(db, event.author_id, event.post_author_id, comments=+1)


@on(CommentDeleted)
async def affinity_after_comment_deleted(db: AsyncSession, event: CommentDeleted) -> None:
    await affinity.bump(db, event.author_id, event.post_author_id, comments=-1)


@on(ProfileVisited)
async def affinity_after_visit(db: AsyncSession, event: ProfileVisited) -> None:
    await affinity.bump(db, event.viewer_id, event.owner_id, visits=1)

"""The server's own signals for the interaction log (recommend.log), from the domain events of the
writes that make them, in their transaction: a rolled-back like leaves no signal."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from viewfinder.core.events import on
from viewfinder.core.jobs import enqueue
from viewfinder.engagement.events import Commented, Liked, Saved, Unliked, Unsaved
from viewfinder.graph.events import Followed, FollowRequestApproved, ProfileVisited, Unfollowed
from viewfinder.posts.events import PostCreated, PostEdited
from viewfinder.recommend import services
from viewfinder.recommend.log import Kind
from viewfinder.recommend.tasks import embed_caption


@on(Liked)
async def log_like(db: AsyncSession, event: Liked) -> None:
    await services.record(db, event.user_id, Kind.LIKE, post_id=event.post_id, author_id=event.post_author_id)


@on(Unliked)
async def log_unlike(db: AsyncSession, event: Unliked) -> None:
    await services.record(
        db, event.user_id, Kind.UNLIKE, post_id=event.post_id, author_id=event.post_author_id
    )


@on(Commented)
async def log_comment(db: AsyncSession, event: Commented) -> None:
    await services.record(
        db, event.author_id, Kind.COMMENT, post_id=event.post_id, author_id=event.post_author_id
    )


@on(Saved)
async def log_save(db: AsyncSession, event: Saved) -> None:
    await services.record(db, event.user_id, Kind.SAVE, post_id=event.post_id, author_id=event.post_author_id)


@on(Unsaved)
async def log_unsave(db: AsyncSession, event: Unsaved) -> None:
    await services.record(
        db, event.user_id, Kind.UNSAVE, post_id=event.post_id, author_id=event.post_author_id
    )


@on(Followed)
async def log_follow(db: AsyncSession, event: Followed) -> None:
    await services.record(db, event.follower_id, Kind.FOLLOW, author_id=event.followee_id)


@on(FollowRequestApproved)
async def log_approved_follow(db: AsyncSession, event: FollowRequestApproved) -> None:
    await services.record(db, event.requester_id, Kind.FOLLOW, author_id=event.owner_id)


@on(Unfollowed)
async def log_unfollow(db: AsyncSession, event: Unfollowed) -> None:
    await services.record(db, event.follower_id, Kind.UNFOLLOW, author_id=event.followee_id)


@on(ProfileVisited)
async def log_profile_visit(db: AsyncSession, event: ProfileVisited) -> None:
    await services.record(db, event.viewer_id, Kind.PROFILE_VISIT, author_id=event.owner_id)


@on(PostCreated, after_commit=True)
async def embed_new_caption(db: AsyncSession, event: PostCreated) -> None:
    await enqueue(embed_caption, event.post_id)


@on(PostEdited, after_commit=True)
async def embed_edited_caption(db: AsyncSession, event: PostEdited) -> None:
    await enqueue(embed_caption, event.post_id)

"""Inbox lines that follow the social graph (core.events, in the emitting transaction).

Written in the transaction of the change they announce, so a line exists exactly when its follow or
request does (and the real-time event queued with it, see notifications.services)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from viewfinder.core.events import on
from viewfinder.graph.events import (
    Blocked,
    Followed,
    FollowRequestApproved,
    FollowRequestDeclined,
    FollowRequested,
    Unfollowed,
)
from viewfinder.notifications.services import Kind, notify, withdraw


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

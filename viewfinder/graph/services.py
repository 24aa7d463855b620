"""Every change to the social graph goes through a function here; counts move with the edges.

Each change emits its event (graph.events); notifications.subscribers writes and withdraws the
inbox lines in the same transaction, feeds.subscribers fixes home timelines after the commit."""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import CompoundSelect, and_, delete, false, func, insert, literal, or_, select, union_all
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import QueryableAttribute

from viewfinder.accounts.models import User
from viewfinder.core.db import erase_counted, move_counters, read_rows
from viewfinder.core.errors import ApiError, not_found
from viewfinder.core.events import emit
from viewfinder.core.idlists import in_ids
from viewfinder.core.ids import new_id
from viewfinder.graph.events import (
    Blocked,
    Followed,
    FollowerRemoved,
    FollowRequestApproved,
    FollowRequestDeclined,
    FollowRequested,
    Muted,
    ProfileVisited,
    Unblocked,
    Unfollowed,
    Unmuted,
)
from viewfinder.graph.models import Block, Follow, FollowRequest, Mute
from viewfinder.policy import block_target_visible, bound_account, discoverable, visible_accounts
from viewfinder.screening import NewAccountLimits

log = logging.getLogger(__name__)


class FollowState(enum.StrEnum):
    NONE = "none"
    FOLLOWING = "following"
    REQUESTED = "requested"


async def find_visible_user(db: AsyncSession, username: str, viewer: User | None) -> User:
    """The account this viewer may see by that name, else 404 (blocks hide both ways)."""
    visible = visible_accounts(viewer.id if viewer is not None else None)
    user = await db.scalar(select(User).where(User.username_key == username.lower(), *visible))
    if user is None:
        raise not_found("No such account.")
    return user


def _listed() -> list[Any]:
    """Accounts a search engine may list: those a signed-out visitor can find (active, not limited by
    staff) and whose posts anyone may see (public)."""
    return [*visible_accounts(None), discoverable(None), User.is_private == false()]


async def count_listed_profiles(db: AsyncSession) -> int:
    return int(await db.scalar(select(func.count()).select_from(User).where(*_listed())) or 0)


async def listed_profiles(db: AsyncSession, offset: int, limit: int) -> list[str]:
    """Usernames of the accounts a sitemap lists (`_listed`), oldest account first."""
    query = select(User.username).where(*_listed()).order_by(User.id).offset(offset).limit(limit)
    return list(await db.scalars(query))


async def find_block_target(db: AsyncSession, username: str, viewer: User) -> User:
    """The account by that name for blocking or unblocking: visible even if the viewer blocked it,
    but 404 when it blocked the viewer (that block must not be revealed)."""
    user = await db.scalar(
        select(User).where(User.username_key == username.lower(), *block_target_visible(viewer))
    )
    if user is None:
        raise not_found("No such account.")
    return user


async def is_following(db: AsyncSession, follower_id: int, followee_id: int) -> bool:
    found = await db.scalar(
        select(Follow.id).where(Follow.follower_id == follower_id, Follow.followee_id == followee_id)
    )
    return found is not None


async def _add_follow(db: AsyncSession, follower_id: int, followee_id: int) -> None:
    await db.execute(insert(Follow).values(id=new_id(), follower_id=follower_id, followee_id=followee_id))
    await _move_counts(db, follower_id, followee_id, +1)


async def _remove_follow(db: AsyncSession, follower_id: int, followee_id: int) -> bool:
    result = await db.execute(
        delete(Follow).where(Follow.follower_id == follower_id, Follow.followee_id == followee_id)
    )
    if result.rowcount:  # type: ignore[attr-defined]
        await _move_counts(db, follower_id, followee_id, -1)
        return True
    return False


async def _move_counts(db: AsyncSession, follower_id: int, followee_id: int, step: int) -> None:
    await db.execute(move_counters(User, following_count=step).where(User.id == follower_id))
    await db.execute(move_counters(User, followers_count=step).where(User.id == followee_id))


async def _commit_or_conflict(db: AsyncSession) -> None:
    try:
        await db.commit()
    except IntegrityError as exc:  # the same edge written concurrently: the other write won
        await db.rollback()
        raise ApiError(409, "conflict", "This changed at the same time; try again.") from exc


async def follow(
    db: AsyncSession, actor: User, target: User, *, limits: NewAccountLimits | None = None
) -> FollowState:
    """Follow a public account, or ask to follow a private one. Repeating it changes nothing. A new
    account's follows (and requests) count against its hourly limit (`limits`; 429)."""
    if actor.id == target.id:
        raise ApiError(400, "cannot_follow_self", "You cannot follow yourself.")
    if await is_following(db, actor.id, target.id):
        return FollowState.FOLLOWING
    if target.is_private:
        pending = await db.scalar(
            select(FollowRequest.id).where(
                FollowRequest.requester_id == actor.id, FollowRequest.target_id == target.id
            )
        )
        if pending is None:
            if limits is not None:
                await limits.spend(actor, follows=1)
            db.add(FollowRequest(id=new_id(), requester_id=actor.id, target_id=target.id))
            await emit(db, FollowRequested(requester_id=actor.id, target_id=target.id))
            await _commit_or_conflict(db)
        return FollowState.REQUESTED
    if limits is not None:
        await limits.spend(actor, follows=1)
    await _add_follow(db, actor.id, target.id)
    await emit(db, Followed(follower_id=actor.id, followee_id=target.id))
    await _commit_or_conflict(db)
    return FollowState.FOLLOWING


async def unfollow(db: AsyncSession, actor: User, target: User) -> FollowState:
    """Stop following, or withdraw a pending request. Repeating it changes nothing."""
    await _remove_follow(db, actor.id, target.id)
    await db.execute(
        delete(FollowRequest).where(
            FollowRequest.requester_id == actor.id, FollowRequest.target_id == target.id
        )
    )
    await emit(db, Unfollowed(follower_id=actor.id, followee_id=target.id))
    await db.commit()
    return FollowState.NONE


async def remove_follower(db: AsyncSession, owner: User, follower: User) -> None:
    """The owner removes someone from their followers without blocking them."""
    await _remove_follow(db, follower.id, owner.id)
    await emit(db, FollowerRemoved(follower_id=follower.id, owner_id=owner.id))
    await db.commit()


async def approve_request(db: AsyncSession, owner: User, requester: User) -> None:
    result = await db.execute(
        delete(FollowRequest).where(
            FollowRequest.requester_id == requester.id, FollowRequest.target_id == owner.id
        )
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise not_found("No pending follow request from this account.")
    if not await is_following(db, requester.id, owner.id):
        await _add_follow(db, requester.id, owner.id)
        await emit(db, FollowRequestApproved(requester_id=requester.id, owner_id=owner.id))
    await _commit_or_conflict(db)


async def decline_request(db: AsyncSession, owner: User, requester: User) -> None:
    result = await db.execute(
        delete(FollowRequest).where(
            FollowRequest.requester_id == requester.id, FollowRequest.target_id == owner.id
        )
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise not_found("No pending follow request from this account.")
    await emit(db, FollowRequestDeclined(requester_id=requester.id, owner_id=owner.id))
    await db.commit()


async def pending_requester_ids(db: AsyncSession, owner_id: int) -> list[int]:
    """The accounts waiting for owner to approve their follow requests, oldest request first."""
    return list(
        await db.scalars(
            select(FollowRequest.requester_id)
            .where(FollowRequest.target_id == owner_id)
            .order_by(FollowRequest.id)
        )
    )


async def approve_all_requests(db: AsyncSession, owner_id: int) -> None:
    """Turn every pending request to owner into a follow (when the account goes public:
    graph.subscribers, in the transaction that changes the account, which commits it)."""
    requester_ids = await pending_requester_ids(db, owner_id)
    await db.execute(delete(FollowRequest).where(FollowRequest.target_id == owner_id))
    for requester_id in requester_ids:
        if not await is_following(db, requester_id, owner_id):
            await _add_follow(db, requester_id, owner_id)
            await emit(db, FollowRequestApproved(requester_id=requester_id, owner_id=owner_id))


async def block(db: AsyncSession, actor: User, target: User) -> None:
    """Block: ends follows and requests both ways; each then sees the other as not existing."""
    if actor.id == target.id:
        raise ApiError(400, "cannot_block_self", "You cannot block yourself.")
    existing = await db.scalar(
        select(Block.id).where(Block.blocker_id == actor.id, Block.blocked_id == target.id)
    )
    if existing is not None:
        return
    await _remove_follow(db, actor.id, target.id)
    await _remove_follow(db, target.id, actor.id)
    await db.execute(
        delete(FollowRequest).where(
            or_(
                and_(FollowRequest.requester_id == actor.id, FollowRequest.target_id == target.id),
                and_(FollowRequest.requester_id == target.id, FollowRequest.target_id == actor.id),
            )
        )
    )
    db.add(Block(id=new_id(), blocker_id=actor.id, blocked_id=target.id))
    await emit(db, Blocked(blocker_id=actor.id, blocked_id=target.id))
    await _commit_or_conflict(db)


async def unblock(db: AsyncSession, actor: User, target: User) -> None:
    result = await db.execute(
        delete(Block).where(Block.blocker_id == actor.id, Block.blocked_id == target.id)
    )
    if result.rowcount:  # type: ignore[attr-defined]
        await emit(db, Unblocked(blocker_id=actor.id, blocked_id=target.id))
    await db.commit()


async def mute(db: AsyncSession, actor: User, target: User) -> None:
    """Hide target from actor's feeds without unfollowing; target is not told."""
    if actor.id == target.id:
        raise ApiError(400, "cannot_mute_self", "You cannot mute yourself.")
    existing = await db.scalar(select(Mute.id).where(Mute.muter_id == actor.id, Mute.muted_id == target.id))
    if existing is None:
        db.add(Mute(id=new_id(), muter_id=actor.id, muted_id=target.id))
        await emit(db, Muted(muter_id=actor.id, muted_id=target.id))
        await _commit_or_conflict(db)


async def unmute(db: AsyncSession, actor: User, target: User) -> None:
    result = await db.execute(delete(Mute).where(Mute.muter_id == actor.id, Mute.muted_id == target.id))
    if result.rowcount:  # type: ignore[attr-defined]
        await emit(db, Unmuted(muter_id=actor.id, muted_id=target.id))
    await db.commit()


@dataclass
class Relationship:
    """How the viewer stands with one other account."""

    following: bool = False
    requested: bool = False
    followed_by: bool = False
    blocking: bool = False
    muting: bool = False


async def record_profile_visit(db: AsyncSession, viewer_id: int, owner_id: int) -> None:
    """A logged-in viewer opened someone else's profile (the ranked feed counts such visits)."""
    if viewer_id == owner_id:
        return
    await emit(db, ProfileVisited(viewer_id=viewer_id, owner_id=owner_id))
    try:
        await db.commit()
    except IntegrityError:  # the first visit counted twice at once: one is enough
        await db.rollback()


async def record_profile_visit_after_response(
    sessions: async_sessionmaker[AsyncSession], viewer_id: int, owner_id: int
) -> None:
    """record_profile_visit in a session of its own, run once the profile has been sent: reading a
    profile never waits for the write queue (docs/decisions/0057). A visit that cannot be written
    (the database busy or gone) is a lost signal, logged, not the reader's error."""
    async with sessions() as db:
        try:
            await record_profile_visit(db, viewer_id, owner_id)
        except SQLAlchemyError:
            log.warning("a profile visit was not recorded", exc_info=True)


async def relationships(
    db: AsyncSession, viewer: User | None, user_ids: list[int]
) -> dict[int, Relationship]:
    """The viewer's relationship with each account, in one query whatever the number."""
    found = {user_id: Relationship() for user_id in user_ids}
    if viewer is None or not user_ids:
        return found
    for user_id, kind in await read_rows(
        db, _relationships_query(), {"viewer_id": viewer.id, "user_ids": user_ids}
    ):
        setattr(found[user_id], kind, True)
    return found


@lru_cache(maxsize=1)
def _relationships_query() -> CompoundSelect[tuple[int, str]]:
    """`relationships`' statement, built once (the viewer and the accounts bound)."""
    viewer_id = bound_account().id
    return union_all(
        select(Follow.followee_id, literal("following")).where(
            Follow.follower_id == viewer_id, in_ids(Follow.followee_id, "user_ids")
        ),
        select(Follow.follower_id, literal("followed_by")).where(
            Follow.followee_id == viewer_id, in_ids(Follow.follower_id, "user_ids")
        ),
        select(FollowRequest.target_id, literal("requested")).where(
            FollowRequest.requester_id == viewer_id, in_ids(FollowRequest.target_id, "user_ids")
        ),
        select(Block.blocked_id, literal("blocking")).where(
            Block.blocker_id == viewer_id, in_ids(Block.blocked_id, "user_ids")
        ),
        select(Mute.muted_id, literal("muting")).where(
            Mute.muter_id == viewer_id, in_ids(Mute.muted_id, "user_ids")
        ),
    )


async def list_edges(
    db: AsyncSession,
    viewer: User | None,
    model: type[Follow] | type[FollowRequest] | type[Block] | type[Mute],
    owner_column: QueryableAttribute[int],
    other_column: QueryableAttribute[int],
    owner_id: int,
    before: int | None,
    limit: int,
) -> tuple[list[User], list[int]]:
    """One page of the accounts at the other end of owner's edges, newest edge first.

    Fetches limit + 1 rows in a single query so the caller can tell whether a next page exists;
    accounts that block the viewer, or that the viewer blocks, are left out.
    """
    query = (
        select(User, model.id)
        .join(model, other_column == User.id)
        .where(
            owner_column == owner_id, *visible_accounts(viewer.id if viewer and model is not Block else None)
        )
        .order_by(model.id.desc())
        .limit(limit + 1)
    )
    if before is not None:
        query = query.where(model.id < before)
    rows = (await db.execute(query)).all()
    return [row[0] for row in rows], [row[1] for row in rows]


# --- account erasure (privacy.erasure) -------------------------------------------------------------

ACCOUNT_DATA_TABLES = ("follows", "follow_requests", "blocks", "mutes")
"""Tables whose rows of an account `delete_account_data` removes."""
ERASE_BATCH = 1000


async def delete_account_data(db: AsyncSession, user_id: int) -> None:
    """Erase every edge of the account, both ways: its follows (the followed accounts' follower
    counts drop) and its followers (their following counts drop), a batch per transaction, each
    count moving with the rows it counts; then requests, blocks and mutes either way. Nobody is
    notified: the account's lines leave every inbox in notifications.delete_account_data."""
    sides = (
        (Follow.follower_id, Follow.followee_id, User.followers_count),
        (Follow.followee_id, Follow.follower_id, User.following_count),
    )
    for mine, theirs, count in sides:
        await erase_counted(db, mine == user_id, theirs, count, batch=ERASE_BATCH)
    requests = or_(FollowRequest.requester_id == user_id, FollowRequest.target_id == user_id)
    await db.execute(delete(FollowRequest).where(requests))
    await db.execute(delete(Block).where(or_(Block.blocker_id == user_id, Block.blocked_id == user_id)))
    await db.execute(delete(Mute).where(or_(Mute.muter_id == user_id, Mute.muted_id == user_id)))
    await db.commit()

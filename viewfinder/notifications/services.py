"""Every write to the inbox goes through a function here.

CONTRACT (used by engagement, graph and posts services): `notify` and `withdraw` run inside the
caller's transaction and never commit. They do nothing when the actor is the recipient, and
`notify` does nothing when either has blocked the other.

Grouping: likes on one post, likes on one comment and new followers gather in the recipient's
*unread* group for that target ("alice and 12 others liked your post"); once the group is read the
next action starts a new one. The other kinds (comment, reply, mention, follow request, follow
accepted) are one line per event: their group key names the event, so the same code handles both.

Real time: every change to a recipient's inbox also writes a row to the `realtime_events` outbox in
the same transaction; the relay in `viewfinder.notifications.realtime` publishes it to the
recipient's channel once committed, whichever process wrote it.
"""

from __future__ import annotations

import enum
from typing import Any

import msgspec
from sqlalchemy import and_, delete, exists, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from viewfinder.accounts.models import User
from viewfinder.core.ids import new_id
from viewfinder.graph.rules import blocked_between
from viewfinder.notifications.models import NotificationActor, NotificationGroup, RealtimeEvent


class Kind(enum.StrEnum):
    LIKE = "like"
    COMMENT = "comment"
    REPLY = "reply"
    MENTION = "mention"
    COMMENT_LIKE = "comment_like"
    FOLLOW = "follow"
    FOLLOW_REQUEST = "follow_request"
    FOLLOW_ACCEPTED = "follow_accepted"


GROUPED_KINDS = frozenset({Kind.LIKE, Kind.COMMENT_LIKE, Kind.FOLLOW})
"""Kinds whose actions gather in one unread line per target; the others get a line per event."""


def user_channel(user_id: int) -> str:
    """The real-time channel a user's connected clients listen on."""
    return f"user:{user_id}"


def group_key(kind: Kind, *, actor_id: int, post_id: int | None = None, comment_id: int | None = None) -> str:
    """The key that decides which inbox line an action belongs to."""
    if kind is Kind.LIKE:
        return f"like:{post_id}"
    if kind is Kind.COMMENT_LIKE:
        return f"comment_like:{comment_id}"
    if kind is Kind.FOLLOW:
        return "follow"
    if kind in (Kind.COMMENT, Kind.REPLY):
        return f"{kind}:{comment_id}"
    if kind is Kind.MENTION:
        # A mention lives in a comment or, when there is none, in a post's caption.
        return f"mention:comment:{comment_id}" if comment_id is not None else f"mention:post:{post_id}"
    return f"{kind}:{actor_id}"  # follow request / follow accepted: one per pair of accounts


def visible_actor(recipient_id: int) -> ColumnElement[bool]:
    """An actor row the recipient should see: an active account, not blocked either way."""
    return exists().where(
        User.id == NotificationActor.actor_id,
        User.is_active,
        ~blocked_between(recipient_id, User.id),
    )


def unread_groups(recipient_id: int) -> ColumnElement[bool]:
    """The recipient's unread inbox lines that still have someone to show."""
    return and_(
        NotificationGroup.recipient_id == recipient_id,
        NotificationGroup.is_read.is_(False),
        exists().where(NotificationActor.group_id == NotificationGroup.id, visible_actor(recipient_id)),
    )


async def unread_count(db: AsyncSession, recipient_id: int) -> int:
    """How many inbox lines the recipient has not read (leaving out blocked accounts' lines)."""
    count = await db.scalar(select(func.count(NotificationGroup.id)).where(unread_groups(recipient_id)))
    return int(count or 0)


async def queue_event(db: AsyncSession, user_id: int, payload: dict[str, Any]) -> None:
    """Write a real-time event for user_id to the outbox, inside the caller's transaction."""
    await db.execute(
        insert(RealtimeEvent).values(
            channel=user_channel(user_id), payload=msgspec.json.encode(payload).decode()
        )
    )


async def queue_unread_event(db: AsyncSession, user_id: int) -> None:
    """Tell the user's connected clients the new unread count (after a withdrawal or a read)."""
    await queue_event(db, user_id, {"type": "unread", "unread": await unread_count(db, user_id)})


async def notify(
    db: AsyncSession,
    *,
    recipient_id: int,
    actor_id: int,
    kind: Kind,
    post_id: int | None = None,
    comment_id: int | None = None,
    text: str = "",
) -> None:
    """Record that actor did `kind` to recipient (on a post or comment), and queue the real-time
    event in the same transaction."""
    if actor_id == recipient_id:
        return
    kind = Kind(kind)
    actor = (
        await db.execute(
            select(User.username, User.display_name).where(
                User.id == actor_id, User.is_active, ~blocked_between(recipient_id, User.id)
            )
        )
    ).first()
    if actor is None:  # blocked either way, or no such active account
        return
    key = group_key(kind, actor_id=actor_id, post_id=post_id, comment_id=comment_id)
    group_id = await db.scalar(
        select(NotificationGroup.id)
        .where(
            NotificationGroup.recipient_id == recipient_id,
            NotificationGroup.group_key == key,
            NotificationGroup.is_read.is_(False),
        )
        .order_by(NotificationGroup.sort_id.desc())
        .limit(1)
    )
    if group_id is None:
        group_id = new_id()
        await db.execute(
            insert(NotificationGroup).values(
                id=group_id,
                recipient_id=recipient_id,
                kind=kind.value,
                group_key=key,
                post_id=post_id,
                comment_id=comment_id,
                text=text[:300],
                actor_count=0,
                sort_id=new_id(),
                is_read=False,
            )
        )
    else:
        already = await db.scalar(
            select(NotificationActor.id).where(
                NotificationActor.group_id == group_id, NotificationActor.actor_id == actor_id
            )
        )
        if already is not None:  # the same action repeated: nothing new to say
            return
    await db.execute(insert(NotificationActor).values(group_id=group_id, actor_id=actor_id, id=new_id()))
    changes: dict[str, Any] = {
        "actor_count": NotificationGroup.actor_count + 1,
        "sort_id": new_id(),
    }
    if text:
        changes["text"] = text[:300]
    await db.execute(update(NotificationGroup).where(NotificationGroup.id == group_id).values(**changes))
    await queue_event(
        db,
        recipient_id,
        {
            "type": "notification",
            "id": str(group_id),
            "kind": kind.value,
            "actor": {"id": str(actor_id), "username": actor.username, "display_name": actor.display_name},
            "post_id": str(post_id) if post_id is not None else None,
            "comment_id": str(comment_id) if comment_id is not None else None,
            "text": text[:300],
            "unread": await unread_count(db, recipient_id),
        },
    )


async def withdraw(
    db: AsyncSession,
    *,
    recipient_id: int,
    actor_id: int,
    kind: Kind,
    post_id: int | None = None,
    comment_id: int | None = None,
) -> None:
    """Take back an unread notification when its action is undone (unlike, unfollow, cancel).

    Grouped kinds lose the actor from the unread line only (a read line is history). A one-event
    line (a follow request, a mention) goes whether read or not: what it announced no longer exists.
    """
    if actor_id == recipient_id:
        return
    kind = Kind(kind)
    key = group_key(kind, actor_id=actor_id, post_id=post_id, comment_id=comment_id)
    query = select(NotificationGroup.id).where(
        NotificationGroup.recipient_id == recipient_id,
        NotificationGroup.group_key == key,
        exists().where(
            NotificationActor.group_id == NotificationGroup.id, NotificationActor.actor_id == actor_id
        ),
    )
    if kind in GROUPED_KINDS:
        query = query.where(NotificationGroup.is_read.is_(False))
    group_ids = list(await db.scalars(query))
    if not group_ids:
        return
    await db.execute(
        delete(NotificationActor).where(
            NotificationActor.group_id.in_(group_ids), NotificationActor.actor_id == actor_id
        )
    )
    await db.execute(
        update(NotificationGroup)
        .where(NotificationGroup.id.in_(group_ids))
        .values(actor_count=NotificationGroup.actor_count - 1)
    )
    await db.execute(
        delete(NotificationGroup).where(
            NotificationGroup.id.in_(group_ids), NotificationGroup.actor_count <= 0
        )
    )
    await queue_unread_event(db, recipient_id)


async def mark_read(db: AsyncSession, recipient: User, group_ids: list[int] | None) -> int:
    """Mark the recipient's lines read (these ids, or all); others' ids are ignored. Commits and
    returns the new unread count."""
    query = update(NotificationGroup).where(
        NotificationGroup.recipient_id == recipient.id, NotificationGroup.is_read.is_(False)
    )
    if group_ids is not None:
        query = query.where(NotificationGroup.id.in_(group_ids))
    changed = (await db.execute(query.values(is_read=True))).rowcount  # type: ignore[attr-defined]
    count = await unread_count(db, recipient.id)
    if changed:  # the recipient's other connections (another tab, the phone) update their badge
        await queue_event(db, recipient.id, {"type": "unread", "unread": count})
    await db.commit()
    return count


# Reading the inbox: a fixed number of queries whatever the page size.

SHOWN_ACTORS = 3
"""How many actors a line names ("alice, bob and carol" then "and 12 others")."""


async def inbox_page(
    db: AsyncSession, recipient_id: int, before_sort_id: int | None, limit: int
) -> list[NotificationGroup]:
    """limit + 1 of the recipient's lines, most recently active first (one query); lines whose
    every actor is blocked or gone are left out."""
    query = (
        select(NotificationGroup)
        .where(
            NotificationGroup.recipient_id == recipient_id,
            exists().where(NotificationActor.group_id == NotificationGroup.id, visible_actor(recipient_id)),
        )
        .order_by(NotificationGroup.sort_id.desc())
        .limit(limit + 1)
    )
    if before_sort_id is not None:
        query = query.where(NotificationGroup.sort_id < before_sort_id)
    return list(await db.scalars(query))


async def newest_actors(
    db: AsyncSession, recipient_id: int, group_ids: list[int], per_group: int = SHOWN_ACTORS
) -> dict[int, tuple[list[User], int]]:
    """Each line's newest visible actors and how many visible actors it has, in one query."""
    found: dict[int, tuple[list[User], int]] = {group_id: ([], 0) for group_id in group_ids}
    if not group_ids:
        return found
    rank = func.row_number().over(
        partition_by=NotificationActor.group_id, order_by=NotificationActor.id.desc()
    )
    total = func.count().over(partition_by=NotificationActor.group_id)
    ranked = (
        select(
            NotificationActor.group_id,
            NotificationActor.actor_id,
            rank.label("rank"),
            total.label("total"),
        )
        .where(NotificationActor.group_id.in_(group_ids), visible_actor(recipient_id))
        .subquery()
    )
    rows = await db.execute(
        select(ranked.c.group_id, ranked.c.total, User)
        .join(User, User.id == ranked.c.actor_id)
        .where(ranked.c.rank <= per_group)
        .order_by(ranked.c.group_id, ranked.c.rank)
    )
    for group_id, count, user in rows.tuples():
        found[group_id][0].append(user)
        found[group_id] = (found[group_id][0], int(count))
    return found

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

On Cassandra (inbox_backend = "cassandra", docs/decisions/0026) `notify`, `withdraw` and `mark_read`
write an `inbox_changes` row in the caller's transaction instead, and `apply_changes` moves those
rows into Cassandra (notifications.cassandra) in order, one recipient's changes by one caller at a
time, queueing the real-time event as each is applied. Every web process drains the outbox in the
background (notifications.realtime.InboxDrain); reading an inbox first applies the reader's own
pending changes, so what was committed before the read is in it.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import msgspec
from sqlalchemy import and_, delete, exists, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from viewfinder.accounts.models import User
from viewfinder.core.db import erase_counted
from viewfinder.core.ids import new_id
from viewfinder.core.jobs import current_settings
from viewfinder.notifications.models import InboxChange, NotificationActor, NotificationGroup, RealtimeEvent
from viewfinder.policy import visible_accounts
from viewfinder.settings import Settings

if TYPE_CHECKING:
    from viewfinder.notifications.cassandra import CassandraInbox, InboxLine


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


def cassandra_inbox(settings: Settings | None = None) -> CassandraInbox | None:
    """The Cassandra inbox store when the settings in force put inboxes there, else None."""
    settings = settings or current_settings()
    if settings.inbox_backend != "cassandra":
        return None
    from viewfinder.notifications.cassandra import CassandraInbox  # the driver only when asked for

    return CassandraInbox(settings)


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
    return exists().where(User.id == NotificationActor.actor_id, *visible_accounts(recipient_id))


def unread_groups(recipient_id: int) -> ColumnElement[bool]:
    """The recipient's unread inbox lines that still have someone to show."""
    return and_(
        NotificationGroup.recipient_id == recipient_id,
        NotificationGroup.is_read.is_(False),
        exists().where(NotificationActor.group_id == NotificationGroup.id, visible_actor(recipient_id)),
    )


async def unread_count(db: AsyncSession, recipient_id: int) -> int:
    """How many inbox lines the recipient has not read (leaving out blocked accounts' lines)."""
    inbox = cassandra_inbox()
    if inbox is not None:
        await apply_changes(db, inbox, recipient_id)
        return await _unread_on_cassandra(db, inbox, recipient_id)
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
                User.id == actor_id, *visible_accounts(recipient_id)
            )
        )
    ).first()
    if actor is None:  # blocked either way, or no such active account
        return
    key = group_key(kind, actor_id=actor_id, post_id=post_id, comment_id=comment_id)
    if cassandra_inbox() is not None:
        db.add(
            InboxChange(
                recipient_id=recipient_id,
                change="notify",
                kind=kind.value,
                group_key=key,
                actor_id=actor_id,
                post_id=post_id,
                comment_id=comment_id,
                text=text[:300],
            )
        )
        await db.flush()
        return
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
    if cassandra_inbox() is not None:
        db.add(
            InboxChange(
                recipient_id=recipient_id,
                change="withdraw",
                kind=kind.value,
                group_key=key,
                actor_id=actor_id,
            )
        )
        await db.flush()
        return
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
    inbox = cassandra_inbox()
    if inbox is not None:
        chosen = msgspec.json.encode(group_ids).decode() if group_ids is not None else None
        db.add(InboxChange(recipient_id=recipient.id, change="read", group_ids=chosen))
        await db.commit()
        return await unread_count(db, recipient.id)
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
) -> list[NotificationGroup] | list[InboxLine]:
    """limit + 1 of the recipient's lines, most recently active first (one query); lines whose
    every actor is blocked or gone are left out."""
    inbox = cassandra_inbox()
    if inbox is not None:
        return await _page_on_cassandra(db, inbox, recipient_id, before_sort_id, limit)
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
    db: AsyncSession,
    recipient_id: int,
    lines: Sequence[NotificationGroup] | Sequence[InboxLine],
    per_group: int = SHOWN_ACTORS,
) -> dict[int, tuple[list[User], int]]:
    """Each line's newest visible actors and how many visible actors it has, in one query."""
    group_ids = [line.id for line in lines]
    found: dict[int, tuple[list[User], int]] = {group_id: ([], 0) for group_id in group_ids}
    if cassandra_inbox() is not None:
        cassandra_lines: Sequence[InboxLine] = lines  # type: ignore[assignment]
        users = await _visible_actors(
            db, recipient_id, (a for line in cassandra_lines for a in line.actor_ids)
        )
        for line in cassandra_lines:
            shown = [users[actor_id] for actor_id in line.actor_ids if actor_id in users]
            found[line.id] = (shown[:per_group], len(shown))
        return found
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


# --- inboxes on Cassandra -------------------------------------------------------------------------

APPLY_BATCH = 200
"""Outbox rows one `apply_changes` call moves at most (the drain calls again while it is busy)."""


async def _visible_actors(db: AsyncSession, recipient_id: int, actor_ids: Iterable[int]) -> dict[int, User]:
    """The accounts among these the recipient may see in the inbox: active, not blocked either way."""
    wanted = sorted(set(actor_ids))
    if not wanted:
        return {}
    rows = await db.scalars(select(User).where(User.id.in_(wanted), *visible_accounts(recipient_id)))
    return {user.id: user for user in rows}


async def _unread_on_cassandra(db: AsyncSession, inbox: CassandraInbox, recipient_id: int) -> int:
    lines = await inbox.unread_lines(recipient_id)
    visible = await _visible_actors(db, recipient_id, (a for line in lines for a in line.actor_ids))
    return sum(1 for line in lines if any(actor_id in visible for actor_id in line.actor_ids))


async def _page_on_cassandra(
    db: AsyncSession, inbox: CassandraInbox, recipient_id: int, before_sort_id: int | None, limit: int
) -> list[InboxLine]:
    """limit + 1 lines with someone visible in them, reading on while blocked accounts' lines are
    skipped (rounds of twice limit + 1 lines)."""
    await apply_changes(db, inbox, recipient_id)
    wanted, cursor = limit + 1, before_sort_id
    found: list[InboxLine] = []
    while len(found) < wanted:
        lines, cursor = await inbox.page(recipient_id, cursor, 2 * wanted)
        visible = await _visible_actors(db, recipient_id, (a for line in lines for a in line.actor_ids))
        found += [line for line in lines if any(actor_id in visible for actor_id in line.actor_ids)]
        if cursor is None:
            break
    return found[:wanted]


async def apply_changes(
    db: AsyncSession, inbox: CassandraInbox, recipient_id: int | None = None, limit: int = APPLY_BATCH
) -> int:
    """Move pending `inbox_changes` rows (of one recipient, or everyone's) into Cassandra, oldest
    first, up to `limit`; returns how many were applied. Commits the session.

    Each row is claimed by deleting it (`DELETE ... RETURNING`) in a transaction that stays open
    while it is applied and its real-time event queued, and commits after, so one recipient's
    changes are applied by one caller at a time and in order:

    - a reader applying its own changes (`recipient_id`) takes the recipient's oldest row, and waits
      for a caller that holds it (PostgreSQL's row lock, SQLite's write lock);
    - the background drains (no `recipient_id`) take the oldest row whose recipient has no older row
      pending, skipping rows another caller holds (`FOR UPDATE SKIP LOCKED`; a row held is still
      there for the others to see, so its recipient's later rows wait): drains in many processes
      apply different recipients' changes side by side.

    A failure rolls the claim back: the row is applied again later (the store's writes are written
    to be re-run).
    """
    applied = 0
    for _ in range(limit):
        oldest = select(InboxChange.id).order_by(InboxChange.id).limit(1)
        if recipient_id is not None:
            oldest = oldest.where(InboxChange.recipient_id == recipient_id)
        else:
            earlier = aliased(InboxChange)
            oldest = oldest.where(
                ~exists().where(earlier.recipient_id == InboxChange.recipient_id, earlier.id < InboxChange.id)
            ).with_for_update(skip_locked=True)
        claimed = (
            await db.scalars(
                delete(InboxChange)
                .where(InboxChange.id == oldest.scalar_subquery())
                .returning(InboxChange)
                .execution_options(synchronize_session=False)
            )
        ).first()
        if claimed is None:
            await db.commit()
            if recipient_id is None:  # nothing free to take now: the next poll looks again
                break
            # Another caller held the oldest row until it committed: look again if rows remain.
            remaining = select(InboxChange.id).where(InboxChange.recipient_id == recipient_id).limit(1)
            if await db.scalar(remaining) is None:
                break
            continue
        try:
            await _apply(db, inbox, claimed)
            await db.commit()
        except BaseException:
            await db.rollback()
            raise
        applied += 1
    return applied


async def _apply(db: AsyncSession, inbox: CassandraInbox, change: InboxChange) -> None:
    recipient_id = change.recipient_id
    if change.change == "notify":
        assert change.actor_id is not None
        group_id = await inbox.add(
            recipient_id,
            kind=change.kind,
            key=change.group_key,
            actor_id=change.actor_id,
            post_id=change.post_id,
            comment_id=change.comment_id,
            text=change.text,
        )
        actor = (
            await db.execute(select(User.username, User.display_name).where(User.id == change.actor_id))
        ).first()
        if group_id is None or actor is None:
            return
        await queue_event(
            db,
            recipient_id,
            {
                "type": "notification",
                "id": str(group_id),
                "kind": change.kind,
                "actor": {
                    "id": str(change.actor_id),
                    "username": actor.username,
                    "display_name": actor.display_name,
                },
                "post_id": str(change.post_id) if change.post_id is not None else None,
                "comment_id": str(change.comment_id) if change.comment_id is not None else None,
                "text": change.text,
                "unread": await _unread_on_cassandra(db, inbox, recipient_id),
            },
        )
        return
    if change.change == "withdraw":
        assert change.actor_id is not None
        changed = await inbox.remove(
            recipient_id,
            key=change.group_key,
            actor_id=change.actor_id,
            only_unread=Kind(change.kind) in GROUPED_KINDS,
        )
    else:
        ids = msgspec.json.decode(change.group_ids, type=list[int]) if change.group_ids is not None else None
        changed = await inbox.mark_read(recipient_id, ids)
    if changed:
        await queue_event(
            db,
            recipient_id,
            {"type": "unread", "unread": await _unread_on_cassandra(db, inbox, recipient_id)},
        )


# --- account erasure (privacy.erasure) -------------------------------------------------------------

ACCOUNT_DATA_TABLES = ("notification_groups", "notification_actors", "inbox_changes", "realtime_events")
"""Tables whose rows of an account `delete_account_data` removes (realtime_events names accounts in
its channel and payload text rather than in a column)."""
ACCOUNT_DATA_CASSANDRA_TABLES = ("inbox_lines", "inbox_order", "inbox_actors", "inbox_keys", "inbox_unread")
ERASE_BATCH = 500


async def delete_account_data(db: AsyncSession, user_id: int, username: str) -> None:
    """Erase the account from every inbox: its own inbox, and itself from the lines of others (a
    line it alone was in goes; "alice and 2 others" loses alice). Pending outbox changes to or by it
    go first, so no drain brings any of it back; then its real-time events. On Cassandra the store
    forgets it too (`CassandraInbox.forget_account`, a filtered scan of inbox_actors)."""
    await db.execute(
        delete(InboxChange).where(or_(InboxChange.recipient_id == user_id, InboxChange.actor_id == user_id))
    )
    await db.commit()

    async def drop_emptied(group_ids: list[int]) -> None:
        await db.execute(
            delete(NotificationGroup)
            .where(
                NotificationGroup.id.in_(group_ids),
                ~exists().where(NotificationActor.group_id == NotificationGroup.id),
            )
            .execution_options(synchronize_session=False)
        )

    await erase_counted(
        db,
        NotificationActor.actor_id == user_id,
        NotificationActor.group_id,
        NotificationGroup.actor_count,
        batch=ERASE_BATCH,
        then=drop_emptied,
    )
    await db.execute(delete(NotificationGroup).where(NotificationGroup.recipient_id == user_id))
    await db.execute(
        delete(RealtimeEvent).where(
            or_(
                RealtimeEvent.channel == user_channel(user_id),
                RealtimeEvent.payload.contains(f'"{user_id}"'),
                RealtimeEvent.payload.contains(f'"username":"{username}"'),
            )
        )
    )
    await db.commit()
    inbox = cassandra_inbox()
    if inbox is not None:
        await inbox.forget_account(user_id)

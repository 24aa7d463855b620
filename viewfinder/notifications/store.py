"""The inbox store: each account's notification lines, behind one small interface.

Like the timeline store (feeds.store), the inbox sits behind `InboxStore` so the embedded default
(`SqlInboxStore`, the main database's `notification_groups` and `notification_actors`) and the
scale-out engine (`notifications.cassandra.CassandraInboxStore`, docs/decisions/0026) are
interchangeable and pass the same tests (tests/notifications/test_inbox_store.py).
`notifications.services` decides *what* to record (self-actions, blocks, group keys); the store
decides *where*. Which store a process uses is chosen once, by viewfinder.wiring, and handed in with
`use`; no domain picks it from the settings.

Every method takes the caller's session: the writes (`add`, `withdraw`) run inside the caller's
transaction and never commit, so a line exists exactly when the action it announces does.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple, Protocol

import msgspec
from sqlalchemy import (
    BigInteger,
    Integer,
    Select,
    and_,
    bindparam,
    delete,
    exists,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from viewfinder.accounts.models import User
from viewfinder.core.db import erase_counted
from viewfinder.core.idlists import in_ids
from viewfinder.core.ids import created_at_of, new_id
from viewfinder.notifications.models import NotificationActor, NotificationGroup, RealtimeEvent
from viewfinder.policy import bound_account, visible_accounts


class Kind(enum.StrEnum):
    LIKE = "like"
    COMMENT = "comment"
    REPLY = "reply"
    MENTION = "mention"
    COMMENT_LIKE = "comment_like"
    FOLLOW = "follow"
    FOLLOW_REQUEST = "follow_request"
    FOLLOW_ACCEPTED = "follow_accepted"
    MODERATION_ACTION = "moderation_action"
    """Staff acted against the recipient's account or content (what and why)."""
    REPORT_RESOLVED = "report_resolved"
    """A report the recipient filed was resolved (the outcome only)."""
    APPEAL_DECIDED = "appeal_decided"
    """Staff decided the recipient's appeal."""


GROUPED_KINDS = frozenset({Kind.LIKE, Kind.COMMENT_LIKE, Kind.FOLLOW})
"""Kinds whose actions gather in one unread line per target; the others get a line per event."""

ONCE_PER_TARGET_KINDS = frozenset({Kind.LIKE, Kind.COMMENT_LIKE})
"""Grouped kinds in which an actor appears once per target, read lines included: an unlike leaves a
read line as it was (history), so liking again is no news and starts no second line."""

SHOWN_ACTORS = 3
"""How many actors a line names ("alice, bob and carol" then "and 12 others")."""

ERASE_BATCH = 500


@dataclass
class InboxLine:
    """One line of an inbox as the Cassandra store keeps it; the same attributes as the SQL
    `NotificationGroup` that the API reads."""

    id: int
    kind: str
    group_key: str
    post_id: int | None
    comment_id: int | None
    text: str
    sort_id: int
    is_read: bool
    updated_at: datetime
    actor_ids: list[int] = field(default_factory=list)
    """Everyone who acted in the line, newest first (visible or not)."""

    @property
    def created_at(self) -> datetime:
        return created_at_of(self.id)


Line = NotificationGroup | InboxLine
"""An inbox line as a store returns it."""


class Actor(NamedTuple):
    """Who acted, as the real-time event names them."""

    id: int
    username: str
    display_name: str


class InboxStore(Protocol):
    """Notification inboxes: written through notifications.services by the domain-event handlers
    (notifications.subscribers), read by the inbox endpoints and the unread badge."""

    needs_drain: bool
    """Whether changes wait outside the store until `drain` moves them in: every web process then
    runs a background drain (notifications.realtime.InboxDrain)."""

    async def add(
        self,
        db: AsyncSession,
        *,
        recipient_id: int,
        actor: Actor,
        kind: Kind,
        key: str,
        post_id: int | None,
        comment_id: int | None,
        text: str,
    ) -> None:
        """Put the actor in the recipient's unread line for `key` (a new line when there is none),
        move it to the top and tell the recipient's clients; nothing when the actor is there
        already (for `ONCE_PER_TARGET_KINDS`, in any line for `key`, read or not). In the caller's
        transaction; never commits."""
        ...

    async def withdraw(
        self, db: AsyncSession, *, recipient_id: int, actor_id: int, kind: Kind, key: str
    ) -> None:
        """Take the actor out of the recipient's lines for `key` (the unread one only for grouped
        kinds); a line left with nobody goes. In the caller's transaction; never commits."""
        ...

    async def mark_read(self, db: AsyncSession, recipient_id: int, group_ids: Sequence[int] | None) -> int:
        """Mark these lines (or all) read; others' ids are ignored. Commits; the new unread count."""
        ...

    async def unread_count(self, db: AsyncSession, recipient_id: int) -> int:
        """How many unread lines have someone the recipient may see in them."""
        ...

    async def page(
        self, db: AsyncSession, recipient_id: int, before_sort_id: int | None, limit: int
    ) -> list[Line]:
        """Up to `limit` lines with someone visible in them, most recently active first, with sort
        ids below `before_sort_id` when it is given."""
        ...

    async def newest_actors(
        self, db: AsyncSession, recipient_id: int, lines: Sequence[Line], per_group: int
    ) -> dict[int, tuple[list[User], int]]:
        """Each line's newest `per_group` visible actors, and how many visible actors it has."""
        ...

    async def remove_account(self, db: AsyncSession, user_id: int) -> None:
        """Account erasure: drop the account's own inbox and take it out of every line it acted in
        (a line left with nobody goes). Commits."""
        ...

    async def drain(self, db: AsyncSession, limit: int) -> int:
        """Move up to `limit` changes waiting outside the store into it; how many were moved (the
        background drain calls it; a store written in the caller's transaction has none)."""
        ...


# --- the slot viewfinder.wiring fills ------------------------------------------------------------

_installed: InboxStore | None = None


def use(store: InboxStore) -> None:
    """Make this the inbox store of the process (viewfinder.wiring, at start-up)."""
    global _installed
    _installed = store


def inbox_store() -> InboxStore:
    """The process's inbox store, as viewfinder.wiring installed it."""
    if _installed is None:
        raise RuntimeError("no inbox store: viewfinder.wiring's build_backends(settings).install() sets it")
    return _installed


# --- helpers both stores use ---------------------------------------------------------------------


def user_channel(user_id: int) -> str:
    """The real-time channel a user's connected clients listen on."""
    return f"user:{user_id}"


async def queue_event(db: AsyncSession, user_id: int, payload: dict[str, Any]) -> None:
    """Write a real-time event for user_id to the outbox, inside the caller's transaction."""
    await db.execute(
        insert(RealtimeEvent).values(
            channel=user_channel(user_id), payload=msgspec.json.encode(payload).decode()
        )
    )


def notification_event(
    group_id: int,
    kind: str,
    actor: Actor,
    post_id: int | None,
    comment_id: int | None,
    text: str,
    unread: int,
) -> dict[str, Any]:
    """The real-time event that announces a new action in a line."""
    return {
        "type": "notification",
        "id": str(group_id),
        "kind": kind,
        "actor": {"id": str(actor.id), "username": actor.username, "display_name": actor.display_name},
        "post_id": str(post_id) if post_id is not None else None,
        "comment_id": str(comment_id) if comment_id is not None else None,
        "text": text,
        "unread": unread,
    }


def visible_actor(recipient_id: int | ColumnElement[int]) -> ColumnElement[bool]:
    """An actor row the recipient should see: an active account, not blocked either way."""
    return exists().where(User.id == NotificationActor.actor_id, *visible_accounts(recipient_id))


@lru_cache(maxsize=2)
def _page_query(before: bool) -> Select[tuple[NotificationGroup]]:
    """`SqlInboxStore.page`'s statement, built once per shape (recipient, bound and limit bound)."""
    recipient_id = bound_account("recipient_id").id
    query = (
        select(NotificationGroup)
        .where(
            NotificationGroup.recipient_id == recipient_id,
            exists().where(NotificationActor.group_id == NotificationGroup.id, visible_actor(recipient_id)),
        )
        .order_by(NotificationGroup.sort_id.desc())
        .limit(bindparam("limit", type_=Integer()))
    )
    if before:
        query = query.where(NotificationGroup.sort_id < bindparam("before", type_=BigInteger()))
    return query


@lru_cache(maxsize=1)
def _newest_actors_query() -> Select[tuple[int, int, User]]:
    """`SqlInboxStore.newest_actors`' statement, built once (recipient, lines and count bound): the
    newest visible actors of each line, with how many visible ones it has."""
    rank = func.row_number().over(
        partition_by=NotificationActor.group_id, order_by=NotificationActor.id.desc()
    )
    total = func.count().over(partition_by=NotificationActor.group_id)
    ranked = (
        select(
            NotificationActor.group_id, NotificationActor.actor_id, rank.label("rank"), total.label("total")
        )
        .where(
            in_ids(NotificationActor.group_id, "group_ids"),
            visible_actor(bound_account("recipient_id").id),
        )
        .subquery()
    )
    return (
        select(ranked.c.group_id, ranked.c.total, User)
        .join(User, User.id == ranked.c.actor_id)
        .where(ranked.c.rank <= bindparam("per_group", type_=Integer()))
        .order_by(ranked.c.group_id, ranked.c.rank)
    )


def unread_groups(recipient_id: int) -> ColumnElement[bool]:
    """The recipient's unread SQL inbox lines that still have someone to show."""
    return and_(
        NotificationGroup.recipient_id == recipient_id,
        NotificationGroup.is_read.is_(False),
        exists().where(NotificationActor.group_id == NotificationGroup.id, visible_actor(recipient_id)),
    )


async def visible_users(db: AsyncSession, recipient_id: int, actor_ids: Iterable[int]) -> dict[int, User]:
    """The accounts among these the recipient may see in the inbox: active, not blocked either way."""
    wanted = sorted(set(actor_ids))
    if not wanted:
        return {}
    rows = await db.scalars(select(User).where(User.id.in_(wanted), *visible_accounts(recipient_id)))
    return {user.id: user for user in rows}


async def erase_sql_lines(db: AsyncSession, user_id: int) -> None:
    """Erase the account from the SQL inbox tables: its own lines, and itself from others' lines (a
    line it alone was in goes; "alice and 2 others" loses alice). Commits."""

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
    await db.commit()


# --- the SQL store (the embedded default) --------------------------------------------------------


class SqlInboxStore:
    """Inboxes in the main database: a `notification_groups` row per line, a `notification_actors`
    row per actor in it. Reads take a fixed number of queries whatever the page size."""

    needs_drain = False  # written in the caller's transaction

    async def add(
        self,
        db: AsyncSession,
        *,
        recipient_id: int,
        actor: Actor,
        kind: Kind,
        key: str,
        post_id: int | None,
        comment_id: int | None,
        text: str,
    ) -> None:
        if kind in ONCE_PER_TARGET_KINDS and await db.scalar(
            select(
                exists().where(
                    NotificationGroup.recipient_id == recipient_id,
                    NotificationGroup.group_key == key,
                    NotificationActor.group_id == NotificationGroup.id,
                    NotificationActor.actor_id == actor.id,
                )
            )
        ):
            return  # liked before, unliked after reading, liked again: the line already says so
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
                    text=text,
                    actor_count=0,
                    sort_id=new_id(),
                    is_read=False,
                )
            )
        else:
            already = await db.scalar(
                select(NotificationActor.id).where(
                    NotificationActor.group_id == group_id, NotificationActor.actor_id == actor.id
                )
            )
            if already is not None:  # the same action repeated: nothing new to say
                return
        await db.execute(insert(NotificationActor).values(group_id=group_id, actor_id=actor.id, id=new_id()))
        changes: dict[str, Any] = {"actor_count": NotificationGroup.actor_count + 1, "sort_id": new_id()}
        if text:
            changes["text"] = text
        await db.execute(update(NotificationGroup).where(NotificationGroup.id == group_id).values(**changes))
        unread = await self.unread_count(db, recipient_id)
        await queue_event(
            db,
            recipient_id,
            notification_event(group_id, kind.value, actor, post_id, comment_id, text, unread),
        )

    async def withdraw(
        self, db: AsyncSession, *, recipient_id: int, actor_id: int, kind: Kind, key: str
    ) -> None:
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
        await queue_event(
            db, recipient_id, {"type": "unread", "unread": await self.unread_count(db, recipient_id)}
        )

    async def mark_read(self, db: AsyncSession, recipient_id: int, group_ids: Sequence[int] | None) -> int:
        query = update(NotificationGroup).where(
            NotificationGroup.recipient_id == recipient_id, NotificationGroup.is_read.is_(False)
        )
        if group_ids is not None:
            query = query.where(NotificationGroup.id.in_(group_ids))
        changed = (await db.execute(query.values(is_read=True))).rowcount  # type: ignore[attr-defined]
        count = await self.unread_count(db, recipient_id)
        if changed:  # the recipient's other connections (another tab, the phone) update their badge
            await queue_event(db, recipient_id, {"type": "unread", "unread": count})
        await db.commit()
        return count

    async def unread_count(self, db: AsyncSession, recipient_id: int) -> int:
        count = await db.scalar(select(func.count(NotificationGroup.id)).where(unread_groups(recipient_id)))
        return int(count or 0)

    async def page(
        self, db: AsyncSession, recipient_id: int, before_sort_id: int | None, limit: int
    ) -> list[Line]:
        values: dict[str, Any] = {"recipient_id": recipient_id, "limit": limit}
        if before_sort_id is not None:
            values["before"] = before_sort_id
        return list(await db.scalars(_page_query(before_sort_id is not None), values))

    async def newest_actors(
        self, db: AsyncSession, recipient_id: int, lines: Sequence[Line], per_group: int
    ) -> dict[int, tuple[list[User], int]]:
        group_ids = [line.id for line in lines]
        found: dict[int, tuple[list[User], int]] = {group_id: ([], 0) for group_id in group_ids}
        if not group_ids:
            return found
        rows = await db.execute(
            _newest_actors_query(),
            {"recipient_id": recipient_id, "group_ids": group_ids, "per_group": per_group},
        )
        for group_id, count, user in rows.tuples():
            found[group_id][0].append(user)
            found[group_id] = (found[group_id][0], int(count))
        return found

    async def remove_account(self, db: AsyncSession, user_id: int) -> None:
        await erase_sql_lines(db, user_id)

    async def drain(self, db: AsyncSession, limit: int) -> int:
        return 0  # written in the caller's transaction: nothing ever waits

"""Notification inboxes on Apache Cassandra (inbox_backend = "cassandra").

Tables (core.cassandra.schema), each one partition per recipient: `inbox_lines`, `inbox_order`,
`inbox_actors`, `inbox_keys` and `inbox_unread`.

Grouping is a read-then-write ("the recipient's unread line for this key, else a new one"), which is
safe here without lightweight transactions because one recipient's changes are applied by one
caller at a time, in order (`apply_changes` below claims them from the `inbox_changes` outbox).
A change may be applied again after a failure half-way through, so each method is written to be
re-run: pointers are written before what they point to, and readers skip
an `inbox_order` row that no longer matches its line.

Which accounts a line may show (blocks, deactivation) is the main database's business: this store
returns every actor id, and `CassandraInboxStore` filters them with one SQL query.

`CassandraInboxStore` is the `notifications.store.InboxStore` on top of it: `add`, `withdraw` and
`mark_read` write an `inbox_changes` row in the caller's transaction, and `apply_changes` moves those
rows into Cassandra in order, queueing the real-time event as each is applied. Every web process
drains the outbox in the background (notifications.realtime.InboxDrain, through `drain`); reading an
inbox first applies the reader's own pending changes, so what was committed before the read is in it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import msgspec
from sqlalchemy import delete, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from viewfinder.accounts.models import User
from viewfinder.core.cassandra import Cassandra
from viewfinder.core.db import utcnow
from viewfinder.core.ids import new_id
from viewfinder.notifications.models import InboxChange
from viewfinder.notifications.store import (
    GROUPED_KINDS,
    ONCE_PER_TARGET_KINDS,
    Actor,
    InboxLine,
    Kind,
    Line,
    erase_sql_lines,
    notification_event,
    queue_event,
    visible_users,
)
from viewfinder.settings import Settings

UNREAD_SCAN = 1000
"""Unread lines read at most to count the badge or to mark all read (the newest ones)."""

_KEYS = "SELECT group_id FROM {ks}.inbox_keys WHERE recipient_id = ? AND group_key = ?"
_UNREAD_AMONG = "SELECT group_id FROM {ks}.inbox_unread WHERE recipient_id = ? AND group_id IN ?"
_UNREAD = "SELECT group_id FROM {ks}.inbox_unread WHERE recipient_id = ? LIMIT ?"
_HAS_ACTOR = (
    "SELECT group_id FROM {ks}.inbox_actors WHERE recipient_id = ? AND group_id IN ? AND actor_id = ?"
)
_ANY_ACTOR = "SELECT actor_id FROM {ks}.inbox_actors WHERE recipient_id = ? AND group_id = ? LIMIT 1"
_SORT_OF = "SELECT group_id, sort_id FROM {ks}.inbox_lines WHERE recipient_id = ? AND group_id IN ?"
_LINES = (
    "SELECT group_id, kind, group_key, post_id, comment_id, text, sort_id, is_read, updated_at"
    " FROM {ks}.inbox_lines WHERE recipient_id = ? AND group_id IN ?"
)
_ACTORS = (
    "SELECT group_id, actor_id, acted_id FROM {ks}.inbox_actors WHERE recipient_id = ? AND group_id IN ?"
)
_ORDER = "SELECT sort_id, group_id FROM {ks}.inbox_order WHERE recipient_id = ? LIMIT ?"
_ORDER_BEFORE = (
    "SELECT sort_id, group_id FROM {ks}.inbox_order WHERE recipient_id = ? AND sort_id < ? LIMIT ?"
)

_ADD_KEY = "INSERT INTO {ks}.inbox_keys (recipient_id, group_key, group_id) VALUES (?, ?, ?)"
_ADD_UNREAD = "INSERT INTO {ks}.inbox_unread (recipient_id, group_id) VALUES (?, ?)"
_WRITE_LINE = (
    "INSERT INTO {ks}.inbox_lines (recipient_id, group_id, kind, group_key, post_id, comment_id, text,"
    " sort_id, is_read, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, false, ?)"
)
_ADD_ORDER = "INSERT INTO {ks}.inbox_order (recipient_id, sort_id, group_id) VALUES (?, ?, ?)"
_ADD_ACTOR = "INSERT INTO {ks}.inbox_actors (recipient_id, group_id, actor_id, acted_id) VALUES (?, ?, ?, ?)"
_DELETE_ORDER = "DELETE FROM {ks}.inbox_order WHERE recipient_id = ? AND sort_id = ?"
_DELETE_ACTOR = "DELETE FROM {ks}.inbox_actors WHERE recipient_id = ? AND group_id = ? AND actor_id = ?"
_DELETE_LINE = "DELETE FROM {ks}.inbox_lines WHERE recipient_id = ? AND group_id = ?"
_DELETE_KEY = "DELETE FROM {ks}.inbox_keys WHERE recipient_id = ? AND group_key = ? AND group_id = ?"
_DELETE_UNREAD = "DELETE FROM {ks}.inbox_unread WHERE recipient_id = ? AND group_id IN ?"
_MARK_READ = "UPDATE {ks}.inbox_lines SET is_read = true WHERE recipient_id = ? AND group_id IN ?"
# Account erasure: a whole inbox, and one actor wherever it acted (a filtered scan of inbox_actors).
_DROP_INBOX = [
    "DELETE FROM {ks}.inbox_lines WHERE recipient_id = ?",
    "DELETE FROM {ks}.inbox_order WHERE recipient_id = ?",
    "DELETE FROM {ks}.inbox_actors WHERE recipient_id = ?",
    "DELETE FROM {ks}.inbox_keys WHERE recipient_id = ?",
    "DELETE FROM {ks}.inbox_unread WHERE recipient_id = ?",
]
_ACTED_IN = "SELECT recipient_id, group_id FROM {ks}.inbox_actors WHERE actor_id = ? ALLOW FILTERING"
_KEY_OF = "SELECT group_key FROM {ks}.inbox_lines WHERE recipient_id = ? AND group_id = ?"


class CassandraInbox:
    """The inboxes in a Cassandra keyspace. Writes are for `apply_changes` only (see the module)."""

    def __init__(self, settings: Settings) -> None:
        self._db = Cassandra(settings)

    # --- writes ----------------------------------------------------------------------------------

    async def add(
        self,
        recipient_id: int,
        *,
        kind: str,
        key: str,
        actor_id: int,
        post_id: int | None,
        comment_id: int | None,
        text: str,
    ) -> int | None:
        """Put the actor in the recipient's unread line for `key` (a new line when there is none)
        and move the line to the top; the line's id, or None when the actor was there already
        (for `ONCE_PER_TARGET_KINDS`, in any line for `key`, read or not)."""
        keyed = [row.group_id for row in await self._db.execute(_KEYS, (recipient_id, key))]
        if (
            Kind(kind) in ONCE_PER_TARGET_KINDS
            and keyed
            and await self._db.execute(_HAS_ACTOR, (recipient_id, keyed, actor_id))
        ):
            return None
        group_id = max(await self._unread_among(recipient_id, keyed), default=None)
        old_sort: int | None = None
        if group_id is None:
            group_id = new_id()
            # Pointers first: a retry after a failure from here on finds this line again.
            await self._db.execute_all(
                [(_ADD_KEY, (recipient_id, key, group_id)), (_ADD_UNREAD, (recipient_id, group_id))]
            )
        else:
            holding, sorts = await self._db.execute_all(
                [(_HAS_ACTOR, (recipient_id, [group_id], actor_id)), (_SORT_OF, (recipient_id, [group_id]))]
            )
            if holding:
                return None
            old_sort = sorts[0].sort_id if sorts else None
        sort_id = new_id()
        work: list[tuple[str, Sequence[Any]]] = [
            (
                _WRITE_LINE,
                (recipient_id, group_id, kind, key, post_id, comment_id, text, sort_id, utcnow()),
            ),
            (_ADD_ORDER, (recipient_id, sort_id, group_id)),
        ]
        if old_sort is not None:
            work.append((_DELETE_ORDER, (recipient_id, old_sort)))
        await self._db.execute_all(work)
        # The actor last: until it is written, a retry does all of the above again.
        await self._db.execute(_ADD_ACTOR, (recipient_id, group_id, actor_id, sort_id))
        return group_id

    async def remove(self, recipient_id: int, *, key: str, actor_id: int, only_unread: bool) -> bool:
        """Take the actor out of the recipient's lines for `key` (the unread one only, when asked);
        a line left with nobody goes. Whether anything changed."""
        group_ids = [row.group_id for row in await self._db.execute(_KEYS, (recipient_id, key))]
        if only_unread:
            group_ids = await self._unread_among(recipient_id, group_ids)
        if not group_ids:
            return False
        holding = [
            row.group_id for row in await self._db.execute(_HAS_ACTOR, (recipient_id, group_ids, actor_id))
        ]
        for group_id in holding:
            await self._db.execute(_DELETE_ACTOR, (recipient_id, group_id, actor_id))
            if not await self._db.execute(_ANY_ACTOR, (recipient_id, group_id)):
                await self._drop_line(recipient_id, key, group_id)
        return bool(holding)

    async def mark_read(self, recipient_id: int, group_ids: Sequence[int] | None) -> bool:
        """Mark these unread lines (or every unread line) read; whether any was unread."""
        unread = [row.group_id for row in await self._db.execute(_UNREAD, (recipient_id, UNREAD_SCAN))]
        if group_ids is not None:
            wanted = set(group_ids)
            unread = [group_id for group_id in unread if group_id in wanted]
        if not unread:
            return False
        await self._db.execute(_MARK_READ, (recipient_id, unread))
        await self._db.execute(_DELETE_UNREAD, (recipient_id, unread))
        return True

    async def forget_account(self, user_id: int) -> None:
        """Account erasure: drop the account's own inbox, and take it out of every line it acted in
        (a line left with nobody goes). Finding those lines scans inbox_actors across the cluster
        (ALLOW FILTERING): rare and in a background job, it costs a read of the table per erased
        account (docs/decisions/0032-your-data.md). Written to be re-run after a failure."""
        for recipient_id, group_id in [
            (row.recipient_id, row.group_id) for row in await self._db.execute(_ACTED_IN, (user_id,))
        ]:
            if recipient_id == user_id:
                continue
            await self._db.execute(_DELETE_ACTOR, (recipient_id, group_id, user_id))
            if await self._db.execute(_ANY_ACTOR, (recipient_id, group_id)):
                continue
            keys = await self._db.execute(_KEY_OF, (recipient_id, group_id))
            if keys and keys[0].group_key is not None:
                await self._drop_line(recipient_id, keys[0].group_key, group_id)
            else:  # a line a failed write left without its fields: drop what there is
                sorts = await self._db.execute(_SORT_OF, (recipient_id, [group_id]))
                await self._db.execute_all(
                    [(_DELETE_ORDER, (recipient_id, row.sort_id)) for row in sorts if row.sort_id is not None]
                    + [(_DELETE_LINE, (recipient_id, group_id)), (_DELETE_UNREAD, (recipient_id, [group_id]))]
                )
        await self._db.execute_all([(statement, (user_id,)) for statement in _DROP_INBOX])

    # --- reads -----------------------------------------------------------------------------------

    async def page(
        self, recipient_id: int, before_sort_id: int | None, limit: int
    ) -> tuple[list[InboxLine], int | None]:
        """Up to `limit` lines, most recently active first, below `before_sort_id` when given; and
        the sort id to continue below (None at the end)."""
        if before_sort_id is None:
            rows = await self._db.execute(_ORDER, (recipient_id, limit))
        else:
            rows = await self._db.execute(_ORDER_BEFORE, (recipient_id, before_sort_id, limit))
        lines = {line.id: line for line in await self.lines(recipient_id, [row.group_id for row in rows])}
        current = [
            lines[row.group_id]
            for row in rows
            if row.group_id in lines and lines[row.group_id].sort_id == row.sort_id
        ]
        return current, (rows[-1].sort_id if len(rows) == limit else None)

    async def unread_lines(self, recipient_id: int) -> list[InboxLine]:
        """The newest UNREAD_SCAN unread lines with their actors."""
        rows = await self._db.execute(_UNREAD, (recipient_id, UNREAD_SCAN))
        return [
            line
            for line in await self.lines(recipient_id, [row.group_id for row in rows])
            if not line.is_read
        ]

    async def lines(self, recipient_id: int, group_ids: Sequence[int]) -> list[InboxLine]:
        """These lines (those that exist), each with its actors newest first."""
        if not group_ids:
            return []
        wanted = list(dict.fromkeys(group_ids))
        line_rows, actor_rows = await self._db.execute_all(
            [(_LINES, (recipient_id, wanted)), (_ACTORS, (recipient_id, wanted))]
        )
        acted: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for row in actor_rows:
            acted[row.group_id].append((row.acted_id, row.actor_id))
        return [
            InboxLine(
                id=row.group_id,
                kind=row.kind,
                group_key=row.group_key,
                post_id=row.post_id,
                comment_id=row.comment_id,
                text=row.text or "",
                sort_id=row.sort_id,
                is_read=bool(row.is_read),
                updated_at=row.updated_at,
                actor_ids=[actor for _, actor in sorted(acted[row.group_id], reverse=True)],
            )
            for row in line_rows
            if row.kind is not None  # a line a failed write left without its fields
        ]

    # --- helpers ---------------------------------------------------------------------------------

    async def _unread_among(self, recipient_id: int, group_ids: list[int]) -> list[int]:
        if not group_ids:
            return []
        return [row.group_id for row in await self._db.execute(_UNREAD_AMONG, (recipient_id, group_ids))]

    async def _drop_line(self, recipient_id: int, key: str, group_id: int) -> None:
        sorts = await self._db.execute(_SORT_OF, (recipient_id, [group_id]))
        work: list[tuple[str, Sequence[Any]]] = [
            (_DELETE_ORDER, (recipient_id, row.sort_id)) for row in sorts
        ]
        work += [(_DELETE_LINE, (recipient_id, group_id)), (_DELETE_UNREAD, (recipient_id, [group_id]))]
        await self._db.execute_all(work)
        # The key last: until it goes, a retry finds the line to finish dropping.
        await self._db.execute(_DELETE_KEY, (recipient_id, key, group_id))


# --- the inbox store on Cassandra (docs/decisions/0026) --------------------------------------------

APPLY_BATCH = 200
"""Outbox rows one `apply_changes` call moves at most (the drain calls again while it is busy)."""


class CassandraInboxStore:
    """`notifications.store.InboxStore` with the lines in Cassandra and the changes carried there
    through the main database's `inbox_changes` outbox (see the module)."""

    needs_drain = True  # changes wait in `inbox_changes` until a drain applies them

    def __init__(self, settings: Settings) -> None:
        self.inbox = CassandraInbox(settings)

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
        db.add(
            InboxChange(
                recipient_id=recipient_id,
                change="notify",
                kind=kind.value,
                group_key=key,
                actor_id=actor.id,
                post_id=post_id,
                comment_id=comment_id,
                text=text,
            )
        )
        await db.flush()

    async def withdraw(
        self, db: AsyncSession, *, recipient_id: int, actor_id: int, kind: Kind, key: str
    ) -> None:
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

    async def mark_read(self, db: AsyncSession, recipient_id: int, group_ids: Sequence[int] | None) -> int:
        chosen = msgspec.json.encode(list(group_ids)).decode() if group_ids is not None else None
        db.add(InboxChange(recipient_id=recipient_id, change="read", group_ids=chosen))
        await db.commit()
        return await self.unread_count(db, recipient_id)

    async def unread_count(self, db: AsyncSession, recipient_id: int) -> int:
        await apply_changes(db, self.inbox, recipient_id)
        return await unread_on_cassandra(db, self.inbox, recipient_id)

    async def page(
        self, db: AsyncSession, recipient_id: int, before_sort_id: int | None, limit: int
    ) -> list[Line]:
        """Reads on while blocked accounts' lines are skipped (rounds of twice `limit` lines)."""
        await apply_changes(db, self.inbox, recipient_id)
        cursor = before_sort_id
        found: list[Line] = []
        while len(found) < limit:
            lines, cursor = await self.inbox.page(recipient_id, cursor, 2 * limit)
            visible = await visible_users(db, recipient_id, (a for line in lines for a in line.actor_ids))
            found += [line for line in lines if any(actor_id in visible for actor_id in line.actor_ids)]
            if cursor is None:
                break
        return found[:limit]

    async def newest_actors(
        self, db: AsyncSession, recipient_id: int, lines: Sequence[Line], per_group: int
    ) -> dict[int, tuple[list[User], int]]:
        stored = [line for line in lines if isinstance(line, InboxLine)]
        users = await visible_users(db, recipient_id, (a for line in stored for a in line.actor_ids))
        found: dict[int, tuple[list[User], int]] = {line.id: ([], 0) for line in lines}
        for line in stored:
            shown = [users[actor_id] for actor_id in line.actor_ids if actor_id in users]
            found[line.id] = (shown[:per_group], len(shown))
        return found

    async def remove_account(self, db: AsyncSession, user_id: int) -> None:
        """Pending outbox changes to or by it go first, so no drain brings any of it back; lines left
        in SQL from before the switch to Cassandra go too; then Cassandra forgets it."""
        await db.execute(
            delete(InboxChange).where(
                or_(InboxChange.recipient_id == user_id, InboxChange.actor_id == user_id)
            )
        )
        await db.commit()
        await erase_sql_lines(db, user_id)
        await self.inbox.forget_account(user_id)

    async def drain(self, db: AsyncSession, limit: int = APPLY_BATCH) -> int:
        return await apply_changes(db, self.inbox, None, limit)


async def unread_on_cassandra(db: AsyncSession, inbox: CassandraInbox, recipient_id: int) -> int:
    """Unread lines with someone visible in them (pending changes not applied)."""
    lines = await inbox.unread_lines(recipient_id)
    visible = await visible_users(db, recipient_id, (a for line in lines for a in line.actor_ids))
    return sum(1 for line in lines if any(actor_id in visible for actor_id in line.actor_ids))


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
        unread = await unread_on_cassandra(db, inbox, recipient_id)
        named = Actor(change.actor_id, actor.username, actor.display_name)
        await queue_event(
            db,
            recipient_id,
            notification_event(
                group_id, change.kind, named, change.post_id, change.comment_id, change.text, unread
            ),
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
            db, recipient_id, {"type": "unread", "unread": await unread_on_cassandra(db, inbox, recipient_id)}
        )

"""Notification inboxes on Apache Cassandra (inbox_backend = "cassandra").

Tables (core.cassandra.schema), each one partition per recipient: `inbox_lines`, `inbox_order`,
`inbox_actors`, `inbox_keys` and `inbox_unread`.

Grouping is a read-then-write ("the recipient's unread line for this key, else a new one"), which is
safe here without lightweight transactions because one recipient's changes are applied by one
caller at a time, in order (notifications.services.apply_changes claims them from the
`inbox_changes` outbox). A change may be applied again after a failure half-way through, so each
method is written to be re-run: pointers are written before what they point to, and readers skip
an `inbox_order` row that no longer matches its line.

Which accounts a line may show (blocks, deactivation) is the main database's business: this store
returns every actor id, and notifications.services filters them with one SQL query.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from viewfinder.core.cassandra import Cassandra
from viewfinder.core.db import utcnow
from viewfinder.core.ids import created_at_of, new_id
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


@dataclass
class InboxLine:
    """One line of an inbox as stored; the same attributes as the SQL `NotificationGroup`."""

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
        and move the line to the top; the line's id, or None when the actor was there already."""
        group_id = max(await self._unread_with_key(recipient_id, key), default=None)
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

    async def _unread_with_key(self, recipient_id: int, key: str) -> list[int]:
        group_ids = [row.group_id for row in await self._db.execute(_KEYS, (recipient_id, key))]
        return await self._unread_among(recipient_id, group_ids)

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

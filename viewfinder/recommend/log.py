"""The interaction log: what each account was shown and what it did, behind one small interface
(docs/decisions/0068).

Signals come from two places: the web app reports what it showed and what the viewer did that the
server cannot see (impressions with their surface and position, opens, dwell, shares, "not
interested", hide) through `POST /interactions`; the server records the rest itself from the domain
events of the writes that make them (likes, comments, saves, follows, profile visits; see
recommend.subscribers), in the transaction that made them, so a rolled-back like leaves no signal.

Like the timeline and inbox stores, the log sits behind `InteractionLog`: the embedded default keeps
rows in the main database (`SqlInteractionLog`, table `interactions`), the scale-out stack in
Cassandra (recommend.cassandra, one partition per viewer, expiring by TTL). Which one a process uses
is chosen by viewfinder.wiring (`interaction_backend`) and handed in with `use`.

The log is the viewer's own: no endpoint shows it to anyone, it is erased with the account, and rows
older than `interaction_retention_days` go.
"""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator, Collection, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol, cast

import msgspec
from sqlalchemy import Table, delete, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from viewfinder.core.db import utcnow
from viewfinder.core.ids import first_id_at
from viewfinder.recommend.models import Interaction


class Kind(enum.IntEnum):
    """What happened. The codes are stored: never renumber one."""

    IMPRESSION = 1
    OPEN = 2
    DWELL = 3
    SHARE = 4
    NOT_INTERESTED = 5
    HIDE = 6
    LIKE = 10
    UNLIKE = 11
    COMMENT = 12
    SAVE = 13
    UNSAVE = 14
    PROFILE_VISIT = 15
    FOLLOW = 16
    UNFOLLOW = 17


NEGATIVE_KINDS = frozenset({Kind.NOT_INTERESTED, Kind.HIDE})


class Surface(enum.IntEnum):
    """Where a post was shown or acted on. The codes are stored: never renumber one."""

    HOME_FOLLOWING = 1
    HOME_RANKED = 2
    FOR_YOU = 3
    EXPLORE = 4
    PROFILE = 5
    POST = 6
    HASHTAG = 7
    SEARCH = 8
    SAVED = 9
    SUGGESTED_ACCOUNTS = 10
    NOTIFICATIONS = 11


class Signal(msgspec.Struct, frozen=True):
    """One row of the log."""

    id: int
    """A snowflake: when it happened (core.ids.created_at_of)."""
    viewer_id: int
    kind: Kind
    post_id: int | None = None
    author_id: int | None = None
    surface: Surface | None = None
    position: int | None = None
    dwell_ms: int | None = None
    model: str | None = None


class InteractionLog(Protocol):
    """Where signals are kept. Every method takes the caller's session; none but `prune` commits."""

    async def record(self, db: AsyncSession, signals: Sequence[Signal]) -> None:
        """Keep these signals if and when the caller's transaction commits."""
        ...

    async def recent(
        self,
        db: AsyncSession,
        viewer_id: int,
        *,
        kinds: Collection[Kind] | None = None,
        limit: int = 500,
        before: int | None = None,
    ) -> list[Signal]:
        """The viewer's newest signals (of these kinds; older than the id `before`), newest first."""
        ...

    def scan(self, db: AsyncSession, *, since: datetime) -> AsyncIterator[list[Signal]]:
        """Every signal since `since`, in batches (training reads the whole log this way)."""
        ...

    async def erase_account(self, db: AsyncSession, user_id: int) -> None:
        """Forget everything the account did, and every signal about it or its posts (its erasure)."""
        ...

    async def prune(self, db: AsyncSession, *, before: datetime) -> int:
        """Drop signals older than `before`, committing as it goes; how many went (a store that
        expires rows itself: 0)."""
        ...


_TABLE = cast(Table, Interaction.__table__)
SCAN_BATCH = 5000
PRUNE_BATCH = 5000

_COLUMNS = (
    Interaction.id,
    Interaction.viewer_id,
    Interaction.kind,
    Interaction.post_id,
    Interaction.author_id,
    Interaction.surface,
    Interaction.position,
    Interaction.dwell_ms,
    Interaction.model,
)


def signal_of(row: Any) -> Signal:
    """A Signal from a row of the log's columns, in `_COLUMNS` order."""
    id_, viewer_id, kind, post_id, author_id, surface, position, dwell_ms, model = row
    return Signal(
        id=id_,
        viewer_id=viewer_id,
        kind=Kind(kind),
        post_id=post_id,
        author_id=author_id,
        surface=Surface(surface) if surface is not None else None,
        position=position,
        dwell_ms=dwell_ms,
        model=model,
    )


def row_of(signal: Signal) -> dict[str, object]:
    return {
        "id": signal.id,
        "viewer_id": signal.viewer_id,
        "kind": int(signal.kind),
        "post_id": signal.post_id,
        "author_id": signal.author_id,
        "surface": int(signal.surface) if signal.surface is not None else None,
        "position": signal.position,
        "dwell_ms": signal.dwell_ms,
        "model": signal.model,
    }


class SqlInteractionLog:
    """The log in the main database's `interactions` table, written in the caller's transaction."""

    async def record(self, db: AsyncSession, signals: Sequence[Signal]) -> None:
        if signals:  # a Core insert: one executemany whatever columns are empty (the ORM's splits)
            await db.execute(insert(_TABLE), [row_of(signal) for signal in signals])

    async def recent(
        self,
        db: AsyncSession,
        viewer_id: int,
        *,
        kinds: Collection[Kind] | None = None,
        limit: int = 500,
        before: int | None = None,
    ) -> list[Signal]:
        query = select(*_COLUMNS).where(Interaction.viewer_id == viewer_id)
        if before is not None:
            query = query.where(Interaction.id < before)
        if kinds is not None:
            query = query.where(Interaction.kind.in_([int(kind) for kind in kinds]))
        rows = await db.execute(query.order_by(Interaction.id.desc()).limit(limit))
        return [signal_of(row) for row in rows]

    async def scan(self, db: AsyncSession, *, since: datetime) -> AsyncIterator[list[Signal]]:
        after = first_id_at(since) - 1
        while True:
            rows = (
                await db.execute(
                    select(*_COLUMNS).where(Interaction.id > after).order_by(Interaction.id).limit(SCAN_BATCH)
                )
            ).all()
            if not rows:
                return
            yield [signal_of(row) for row in rows]
            after = rows[-1][0]

    async def erase_account(self, db: AsyncSession, user_id: int) -> None:
        # No index on author_id (it would slow every write for a rare erasure): one scan per erasure.
        await db.execute(
            delete(Interaction).where(or_(Interaction.viewer_id == user_id, Interaction.author_id == user_id))
        )

    async def prune(self, db: AsyncSession, *, before: datetime) -> int:
        oldest_kept = first_id_at(before)
        gone = 0
        while True:
            batch = select(Interaction.id).where(Interaction.id < oldest_kept).limit(PRUNE_BATCH)
            result = await db.execute(delete(Interaction).where(Interaction.id.in_(batch.scalar_subquery())))
            count = int(getattr(result, "rowcount", 0) or 0)
            gone += count
            if count < PRUNE_BATCH:
                return gone
            await db.commit()  # a batch at a time: never one long write lock


_log: InteractionLog = SqlInteractionLog()


def use(log: InteractionLog) -> None:
    """Make this process keep signals in `log` (viewfinder.wiring calls it)."""
    global _log
    _log = log


def interaction_log() -> InteractionLog:
    return _log


def retention_cutoff(days: int, now: datetime | None = None) -> datetime:
    return (now or utcnow()) - timedelta(days=days)

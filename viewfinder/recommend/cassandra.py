"""The interaction log on Apache Cassandra (interaction_backend = "cassandra").

Table `interactions` (core.cassandra.schema): one partition per viewer, newest first, every row
written with a TTL of `interaction_retention_days`, so retention needs no sweep; `interactions_about`
indexes the same rows by the account they are about, for the account's erasure.

Cassandra takes no part in the SQL transaction, so `record` keeps the signals in the session until
its transaction commits and writes them then (an after-commit hook); a rolled-back write leaves
none. A signal whose write fails after the commit is lost, with one warning: the log feeds
recommendations, and a missing impression costs less than a failed like.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import event as sqlalchemy_event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from viewfinder.core.cassandra import Cassandra
from viewfinder.core.db import on_session_commit
from viewfinder.core.ids import first_id_at
from viewfinder.recommend.log import Kind, Signal, interaction_log, row_of, signal_of
from viewfinder.settings import Settings

logger = logging.getLogger(__name__)

_COLUMNS = "id, viewer_id, kind, post_id, author_id, surface, position, dwell_ms, model"
_WRITE = (
    "INSERT INTO {ks}.interactions (id, viewer_id, kind, post_id, author_id, surface, position, dwell_ms,"
    " model) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) USING TTL ?"
)
_RECENT_BEFORE = (
    "SELECT id, viewer_id, kind, post_id, author_id, surface, position, dwell_ms, model"
    " FROM {ks}.interactions WHERE viewer_id = ? AND id < ? LIMIT ?"
)
_RANGE = (
    "SELECT id, viewer_id, kind, post_id, author_id, surface, position, dwell_ms, model"
    " FROM {ks}.interactions WHERE token(viewer_id) > ? AND token(viewer_id) <= ?"
)
_ABOUT = "INSERT INTO {ks}.interactions_about (author_id, viewer_id, id) VALUES (?, ?, ?) USING TTL ?"
_ABOUT_ACCOUNT = "SELECT viewer_id, id FROM {ks}.interactions_about WHERE author_id = ?"
_ERASE_VIEWER = "DELETE FROM {ks}.interactions WHERE viewer_id = ?"
_ERASE_ONE = "DELETE FROM {ks}.interactions WHERE viewer_id = ? AND id = ?"
_ERASE_ABOUT = "DELETE FROM {ks}.interactions_about WHERE author_id = ?"
_AUTHORS_OF = "SELECT author_id FROM {ks}.interactions WHERE viewer_id = ?"
_ERASE_ABOUT_BY = "DELETE FROM {ks}.interactions_about WHERE author_id = ? AND viewer_id = ?"

SCAN_RANGES = 64
"""The token ring is read in this many slices (each one batch)."""
_RING_START = -(2**63)
_RING_END = 2**63 - 1

_PENDING = "viewfinder.interactions.pending"
_COMMITTED = "viewfinder.interactions.committed"


class CassandraInteractionLog:
    def __init__(self, settings: Settings) -> None:
        self.cassandra = Cassandra(settings)
        self.ttl = settings.interaction_retention_days * 86_400

    async def record(self, db: AsyncSession, signals: Sequence[Signal]) -> None:
        if not signals:
            return
        await db.connection()  # the session's transaction: its commit writes them, its rollback drops them
        db.sync_session.info.setdefault(_PENDING, []).extend(signals)

    async def write(self, signals: Sequence[Signal]) -> None:
        writes: list[tuple[str, Sequence[Any]]] = []
        for signal in signals:
            writes.append((_WRITE, [*_values(signal), self.ttl]))
            if signal.author_id is not None:
                writes.append((_ABOUT, [signal.author_id, signal.viewer_id, signal.id, self.ttl]))
        await self.cassandra.execute_all(writes)

    async def recent(
        self,
        db: AsyncSession,
        viewer_id: int,
        *,
        kinds: Collection[Kind] | None = None,
        limit: int = 500,
        before: int | None = None,
    ) -> list[Signal]:
        # A viewer's partition is mostly impressions: read more than asked when filtering by kind.
        wanted = limit if kinds is None else limit * 20
        rows = await self.cassandra.execute(_RECENT_BEFORE, [viewer_id, before or _RING_END, wanted])
        signals = [signal_of(row) for row in rows]
        if kinds is not None:
            signals = [signal for signal in signals if signal.kind in kinds]
        return signals[:limit]

    async def scan(self, db: AsyncSession, *, since: datetime) -> AsyncIterator[list[Signal]]:
        oldest = first_id_at(since)
        step = (_RING_END - _RING_START) // SCAN_RANGES
        start = _RING_START
        for index in range(SCAN_RANGES):
            end = _RING_END if index == SCAN_RANGES - 1 else start + step
            rows = await self.cassandra.execute(_RANGE, [start, end])
            batch = [signal_of(row) for row in rows if row.id >= oldest]
            if batch:
                yield batch
            start = end

    async def erase_account(self, db: AsyncSession, user_id: int) -> None:
        about = await self.cassandra.execute(_ABOUT_ACCOUNT, [user_id])
        await self.cassandra.execute_all((_ERASE_ONE, [row.viewer_id, row.id]) for row in about)
        # Its own signals are indexed under the accounts they were about: those index rows go first.
        authors = {row.author_id for row in await self.cassandra.execute(_AUTHORS_OF, [user_id])}
        authors.discard(None)
        await self.cassandra.execute_all((_ERASE_ABOUT_BY, [author, user_id]) for author in authors)
        await self.cassandra.execute_all([(_ERASE_VIEWER, [user_id]), (_ERASE_ABOUT, [user_id])])

    async def prune(self, db: AsyncSession, *, before: datetime) -> int:
        return 0  # rows expire by their TTL


def _values(signal: Signal) -> list[Any]:
    row = row_of(signal)
    return [row[name] for name in _COLUMNS.split(", ")]


@sqlalchemy_event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending:
        session.info.setdefault(_COMMITTED, []).extend(pending)


@sqlalchemy_event.listens_for(Session, "after_transaction_end")
def _ended(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # after a commit `_committed` took them: these were rolled back
        session.info.pop(_PENDING, None)


async def _write_committed(session: AsyncSession) -> None:
    committed: list[Signal] | None = session.info.pop(_COMMITTED, None)
    if not committed:
        return
    log = interaction_log()
    if not isinstance(log, CassandraInteractionLog):
        return
    try:
        await log.write(committed)
    except Exception as exc:
        logger.warning("Lost %d interaction signals: Cassandra refused them (%s)", len(committed), exc)


on_session_commit(_write_committed)

"""Domain events: services say what changed; subscribers react, in the transaction or after commit.

A service that changes state emits a typed event (`emit(db, PostCreated(...))`) before it commits.
Each domain declares its events in its own `events.py` (ids only, plus what a subscriber needs;
never ORM objects) and subscribes its handlers in its own `subscribers.py`, listed once in
`SUBSCRIBER_MODULES` and imported by `load_subscribers` (the app at start-up, the worker and `emit`
itself on first use, so every process knows every subscriber).

- An in-transaction handler (`@on(Kind)`) runs inside `emit`, on the emitting session, before the
  commit: what it writes commits or rolls back with the change, and if it raises, the change fails.
- An after-commit handler (`@on(Kind, after_commit=True)`) runs later in a job, with a session of its
  own, at least once: it must be idempotent. `emit` writes the event to the `domain_events` outbox
  in the same transaction; once the session commits (`AppSession`'s after-commit hook) the commit's
  events are handed to the job queue as `deliver_event(event_id)` jobs, which run every after-commit
  handler of the event and then delete its row. A rollback writes no row and hands nothing over.
- If the process dies between the commit and the hand-off, the row stays: the recovery sweep
  (`redeliver_stale_events`, on every consumer heartbeat and every minute) hands over again any
  row still there after `REDELIVER_AFTER` (`QUEUE_BUSY_GRACE` later while the queue still holds
  jobs, which it may be among), waiting longer after each try. Nothing is lost; an event may be
  delivered twice. See docs/decisions/0038-domain-events.md.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

import msgspec
from huey import crontab
from sqlalchemy import delete, insert, select, update
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from viewfinder.core.db import on_session_commit, utcnow
from viewfinder.core.ids import new_id
from viewfinder.core.jobs import database_engine, enqueue, huey, register_sweep, run_with_db
from viewfinder.core.models import DomainEvent

logger = logging.getLogger(__name__)

SUBSCRIBER_MODULES = (
    "viewfinder.feeds.subscribers",
    "viewfinder.graph.subscribers",
    "viewfinder.media.subscribers",
    "viewfinder.privacy.subscribers",
    "viewfinder.moderation.subscribers",
    "viewfinder.notifications.subscribers",
    "viewfinder.recommend.subscribers",
)
"""Every module that subscribes handlers (imported once per process by `load_subscribers`)."""

REDELIVER_AFTER = timedelta(seconds=10)
"""How long after its commit an event still in the outbox counts as lost on its way to the queue
(its delivery job normally deletes it within a moment); each further try waits twice as long."""
REDELIVER_MAX_WAIT = timedelta(hours=1)
QUEUE_BUSY_GRACE = timedelta(minutes=2)
"""While the job queue still holds jobs, an overdue event may be one of them (a worker behind, or just
restarted): it is handed over again only once it is this much later, so that a backlog is not doubled
by copies of itself just when the worker is catching up."""
REDELIVER_BATCH = 500


class Event(msgspec.Struct, frozen=True, tag=True):
    """A fact a service states about a change it made: ids and the little a subscriber needs."""


E = TypeVar("E", bound=Event)
Handler = Callable[[AsyncSession, Any], Awaitable[None]]

_in_transaction: dict[type[Event], list[Handler]] = {}
_after_commit: dict[type[Event], list[Handler]] = {}
_types: dict[str, type[Event]] = {}
_loaded = False

_PENDING = "viewfinder.events.pending"
"""session.info key: ids of outbox rows written in the session's open transaction."""
_COMMITTED = "viewfinder.events.committed"
"""session.info key: ids of outbox rows of committed transactions, not yet handed over."""


def event_name(kind: type[Event]) -> str:
    """The name an event type is stored under (its class name, unique across domains)."""
    return kind.__name__


def on(
    event_type: type[E], *, after_commit: bool = False
) -> Callable[[Callable[[AsyncSession, E], Awaitable[None]]], Callable[[AsyncSession, E], Awaitable[None]]]:
    """Subscribe the decorated `async def handler(db, event)` to events of this type: in the
    emitting transaction (default), or after its commit, in a job (at least once)."""
    name = event_name(event_type)
    known = _types.setdefault(name, event_type)
    if known is not event_type:
        raise TypeError(f"Two event types are named {name}: {known} and {event_type}")

    def register(
        handler: Callable[[AsyncSession, E], Awaitable[None]],
    ) -> Callable[[AsyncSession, E], Awaitable[None]]:
        handlers = (_after_commit if after_commit else _in_transaction).setdefault(event_type, [])
        if handler not in handlers:
            handlers.append(handler)
        return handler

    return register


def off(event_type: type[E], handler: Callable[[AsyncSession, E], Awaitable[None]]) -> None:
    """Unsubscribe a handler (tests that subscribe one of their own)."""
    for registry in (_in_transaction, _after_commit):
        if handler in registry.get(event_type, ()):
            registry[event_type].remove(handler)


def load_subscribers() -> None:
    """Import every subscriber module (once per process)."""
    global _loaded
    if _loaded:
        return
    for module in SUBSCRIBER_MODULES:
        importlib.import_module(module)
    _loaded = True


async def emit(db: AsyncSession, event: Event) -> None:
    """State that this change happened, in the session's transaction (call it before the commit).

    Runs the in-transaction handlers now (an exception from one fails the change); when the type
    has after-commit handlers, records the event in the outbox, to be delivered once it commits.
    """
    load_subscribers()
    kind = type(event)
    for handler in _in_transaction.get(kind, ()):
        await handler(db, event)
    if not _after_commit.get(kind):
        return
    event_id = new_id()
    now = utcnow()
    await db.execute(
        insert(DomainEvent).values(
            id=event_id,
            name=event_name(kind),
            payload=msgspec.msgpack.encode(event),
            created_at=now,
            due_at=now + REDELIVER_AFTER,
            attempts=0,
        )
    )
    db.info.setdefault(_PENDING, []).append(event_id)


# --- from commit to the job queue -----------------------------------------------------------------


@sqlalchemy_event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending:
        session.info.setdefault(_COMMITTED, []).extend(pending)


@sqlalchemy_event.listens_for(Session, "after_transaction_end")
def _ended(session: Session, transaction: SessionTransaction) -> None:
    # After a commit `_committed` has already taken the ids; what is left ended in a rollback (or
    # a close without commit): those rows were never written, so there is nothing to hand over.
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


async def _hand_off(session: AsyncSession) -> None:
    """After a commit: one `deliver_event` job per event it wrote. A failure here loses nothing
    (the rows stay in the outbox for the sweep)."""
    committed: list[int] | None = session.info.pop(_COMMITTED, None)
    for event_id in committed or ():
        await enqueue(deliver_event, event_id)


on_session_commit(_hand_off)


# --- delivery ---------------------------------------------------------------------------------------


async def deliver(db: AsyncSession, event_id: int) -> bool:
    """Run every after-commit handler of this outbox event, then delete it, in one transaction;
    False when it is gone already (delivered by an earlier try) or another delivery has it.

    Two deliveries of one event may run at once (the sweep handed it over again while the first
    was still on its way; two processes' sweeps). Only one of them commits its handlers' writes
    (docs/decisions/0049-exactly-once-delivery-effects.md):

    - on PostgreSQL the first locks the row (`FOR UPDATE SKIP LOCKED`) and the other steps aside at
      once (if the first then fails, the row is still there for the sweep);
    - on SQLite (no row locks) both may run their handlers, but the delete of the row is the claim:
      it runs in the handlers' write transaction (one writer at a time), and a delivery whose delete
      finds the row gone rolls its writes back. So the handlers must not commit.
    """
    load_subscribers()
    row = (
        await db.execute(
            select(DomainEvent.name, DomainEvent.payload)
            .where(DomainEvent.id == event_id)
            .with_for_update(skip_locked=True)
        )
    ).first()
    if row is None:
        await db.rollback()
        return False
    kind = _types.get(row.name)
    if kind is None:
        logger.warning("Domain event %d (%s) has no subscriber any more; dropped", event_id, row.name)
    else:
        event = msgspec.msgpack.decode(row.payload, type=kind)
        for handler in _after_commit.get(kind, ()):
            await handler(db, event)
    claimed = await db.execute(delete(DomainEvent).where(DomainEvent.id == event_id))
    if not claimed.rowcount:  # type: ignore[attr-defined]  # a DML result has a rowcount
        # Another delivery committed this event while ours ran: its writes stand, ours go.
        await db.rollback()
        logger.info("Domain event %d was delivered by another worker meanwhile", event_id)
        return False
    await db.commit()
    return True


@huey.task(retries=5, retry_delay=5, retry_backoff=2)  # type: ignore[untyped-decorator]  # Huey is untyped
def deliver_event(event_id: int) -> None:
    """Run the after-commit subscribers of one committed domain event (at least once)."""
    run_with_db(lambda db: deliver(db, event_id))


def _next_wait(attempts: int) -> timedelta:
    wait: timedelta = REDELIVER_AFTER * (2**attempts)
    return min(wait, REDELIVER_MAX_WAIT)


def redeliver_stale_events(now: datetime | None = None) -> int:
    """Hand over again the outbox events whose delivery is overdue (lost between a commit and the
    queue, or with a killed worker); returns how many. Each waits longer before its next turn."""
    now = now or utcnow()
    due = now - QUEUE_BUSY_GRACE if _queue_busy() else now
    with database_engine().begin() as connection:
        rows = connection.execute(
            select(DomainEvent.id, DomainEvent.attempts)
            .where(DomainEvent.due_at <= due)
            .order_by(DomainEvent.due_at)
            .limit(REDELIVER_BATCH)
            .with_for_update(skip_locked=True)
        ).all()
        for event_id, attempts in rows:
            connection.execute(
                update(DomainEvent)
                .where(DomainEvent.id == event_id)
                .values(attempts=attempts + 1, due_at=now + _next_wait(attempts + 1))
            )
    for event_id, _ in rows:
        deliver_event(event_id)
    if rows:
        logger.warning("Handed %d overdue domain events to the job queue again", len(rows))
    return len(rows)


def _queue_busy() -> bool:
    try:
        return int(huey.pending_count()) > 0
    except Exception:  # the queue is unavailable: its outage is logged where jobs meet it
        return False


@huey.periodic_task(crontab(minute="*"))  # type: ignore[untyped-decorator]  # Huey is untyped
def redeliver_events() -> int:
    """Every minute (and on every consumer heartbeat): hand over overdue outbox events again."""
    return redeliver_stale_events()


register_sweep(redeliver_events.call_local)

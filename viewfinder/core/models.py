"""Tables of the core (see core.jobs and core.events): the job queue's hand-off while Redis is
unavailable, the jobs that gave up (dead letters), the heartbeats of running job consumers, and the
outbox of domain events."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from viewfinder.core.db import Base, UtcDateTime, utcnow


class PendingJob(Base):
    """A job that could not reach Redis when it was enqueued, kept here until Redis answers again."""

    __tablename__ = "pending_jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    queue: Mapped[str] = mapped_column(String(120), nullable=False)
    """The Redis queue it is for (the instance's namespace)."""
    data: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    """Huey's serialised task message, exactly as it would have been pushed."""
    run_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    """When a delayed job (a retry with backoff) is due; None for "as soon as possible"."""
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utcnow)


class DeadLetter(Base):
    """A job that gave up (its retries spent on a failure that was not an outage): kept for an
    operator to see and replay (`viewfinder dead-letters`). One row per task and arguments; the
    same job giving up again counts on the same row."""

    __tablename__ = "dead_letters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    signature: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    """sha256 of the task's name and arguments: what makes two failures the same job."""
    task: Mapped[str] = mapped_column(String(200), nullable=False)
    """The task's full name, e.g. viewfinder.feeds.tasks.fan_out_post."""
    arguments: Mapped[str] = mapped_column(Text, nullable=False)
    """The arguments as the log shows them, e.g. (712345678901234567,)."""
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    """The last failure: exception type and message."""
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    """Runs of the job before it gave up the last time."""
    failures: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    """How many times it gave up (a replay that fails again counts here)."""
    data: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    """Huey's serialised message of a fresh copy of the job (full retries), what a replay enqueues."""
    first_failed_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utcnow)
    last_failed_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utcnow)


class JobConsumer(Base):
    """A running job consumer (`viewfinder worker`), as its heartbeat last described it. A row whose
    beat is older than `job_consumer_timeout_seconds` is a consumer that died (or hangs); a
    consumer that stops cleanly deletes its row."""

    __tablename__ = "job_consumers"
    __table_args__ = (Index("ix_job_consumers_beat_at", "beat_at"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    host: Mapped[str] = mapped_column(String(255), nullable=False)
    pid: Mapped[int] = mapped_column(Integer, nullable=False)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    beat_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    polled_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    """When one of its workers last asked the queue for a job (taken or not)."""
    pending: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """Jobs waiting in the queue at the last beat (None: the queue could not be read)."""
    running: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    """Jobs it was running at the last beat."""


class DomainEvent(Base):
    """The outbox of domain events (core.events): an event whose type has after-commit subscribers,
    written in the transaction that emitted it and deleted once every such subscriber ran. A row
    still here after `due_at` is one whose hand-off to the job queue was lost (the process died
    right after the commit): the recovery sweep hands it over again."""

    __tablename__ = "domain_events"
    __table_args__ = (Index("ix_domain_events_due_at", "due_at"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    """The event's type, e.g. PostCreated (its msgspec tag)."""
    payload: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    """The event, msgpack-encoded by msgspec."""
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utcnow)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    """When the recovery sweep may hand it to the job queue (again) if it is still here."""
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    """Hand-offs by the recovery sweep so far (each waits longer before the next)."""

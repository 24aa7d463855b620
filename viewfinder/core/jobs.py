"""The background-job queue: Huey on its own SQLite file (embedded default) or on Redis (scale-out).

The embedded queue lives in a separate file from the main database so a busy queue never holds the
main database's write lock. With `jobs_backend="redis"` the same tasks run on Redis, so workers on
many machines share one queue; a job that cannot reach Redis when it is enqueued (Redis down,
unreachable, refusing writes) is *handed off* to the `pending_jobs` table of the main database and
moved into Redis once it answers again: by the next enqueue that reaches Redis in the same process,
by the `flush_job_handoff` periodic task every minute, or by `viewfinder flush-jobs`. So a request
never fails, and no job is lost, because Redis is away. See docs/decisions/0022-redis.md.

Tasks are plain functions registered on ``huey``; the worker imports every domain's ``tasks``
module through ``load_tasks``. Every task runs under one policy (`run_job`, docs/decisions/0037):

- A failure that says one of the platform's services is unavailable (the database, Cassandra,
  Redis, the media storage) is no failure of the job: it is tried again, the wait doubling up to
  `job_retry_max_delay_seconds`, for as long as the outage lasts, without spending its retries.
  Such outages are logged once when they begin and once when they end (`job_outages`), not with a
  traceback per try or per poll of the queue.
- Any other failure spends one of the task's retries (one log line each). A job whose retries are
  spent gives up: one error line with its name, arguments and reason, and a row in the
  `dead_letters` table, which `viewfinder dead-letters list` shows and `... replay` enqueues again.
- Periodic tasks are not retried (they run again at their next time); a periodic task that keeps
  failing logs once when it starts failing and once when it works again.

A consumer (`viewfinder worker`) runs a `ConsumerHeartbeat`: every `job_heartbeat_seconds` it
records that it is alive in the `job_consumers` table (what /readyz reads), renews the leases of
the items its workers hold (`holding`), and runs the quick recovery sweeps the domains registered
(`register_sweep`), so an item a dead worker held is taken up again within seconds.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib
import logging
import os
import socket
import sqlite3
import threading
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import anyio
import redis
import sqlalchemy.exc
from huey import Huey
from huey.api import PeriodicTask, TaskWrapper
from huey.exceptions import CancelExecution, RateLimitExceeded, RetryTask, TaskLockedException
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage
from sqlalchemy import Connection, Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from viewfinder.core.db import make_async_engine, make_sessionmaker, make_sync_engine, utcnow
from viewfinder.core.errors import ServiceUnavailable
from viewfinder.core.models import DeadLetter, JobConsumer, PendingJob
from viewfinder.core.redis_client import UNAVAILABLE, Outage, redis_url, sync_pool
from viewfinder.settings import Settings, get_settings

logger = logging.getLogger(__name__)

TASK_MODULES = (
    "viewfinder.core.tasks",
    "viewfinder.core.events",
    "viewfinder.accounts.tasks",
    "viewfinder.media.tasks",
    "viewfinder.feeds.tasks",
    "viewfinder.notifications.tasks",
    "viewfinder.privacy.tasks",
    "viewfinder.core.mail",
    "viewfinder.accounts.email_tasks",
    "viewfinder.moderation.tasks",
    "viewfinder.recommend.tasks",
)
QUEUE_NAME = "viewfinder"
HANDOFF_BATCH = 500
"""Handed-off jobs moved into Redis per transaction."""
QUEUE_RETRY_SECONDS = 1.0
"""How long a worker waits before asking an unavailable queue again (what a blocking read that
found nothing would have taken)."""
CONSUMER_POLL_SECONDS = 1.0
"""The longest an idle worker waits between two looks at a non-blocking (SQLite) queue."""
FORGET_CONSUMERS_AFTER = timedelta(hours=1)
"""Rows of consumers gone this long are deleted by the next heartbeat."""

T = TypeVar("T")


class JobNotQueued(RuntimeError):
    """Neither Redis nor the database could take a job."""


def _aware(moment: datetime | None) -> datetime | None:
    """Huey (utc=True) deals in naive UTC datetimes; the database column wants aware ones."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


# --- outages ---------------------------------------------------------------------------------------


class JobOutages:
    """What this process's jobs know about the services they need: one line when one becomes
    unavailable and one when it is back, whatever number of jobs and polls meet it meanwhile."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._down: dict[str, float] = {}

    def failed(self, service: str, error: BaseException) -> None:
        with self._lock:
            if service in self._down:
                return
            self._down[service] = time.monotonic()
        logger.warning(
            "%s is unavailable (%s); the jobs that need it wait and are retried until it is back",
            _capitalised(service),
            describe(error),
        )

    def recovered(self, service: str) -> None:
        with self._lock:
            since = self._down.pop(service, None)
        if since is not None:
            logger.warning(
                "%s is available again after %.0f s; waiting jobs resume",
                _capitalised(service),
                time.monotonic() - since,
            )

    def down(self) -> list[str]:
        """The services this process currently knows to be unavailable."""
        with self._lock:
            return sorted(self._down)


job_outages = JobOutages()


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def describe(error: BaseException) -> str:
    """An error in one line: its type and message (and a ServiceUnavailable's detail)."""
    detail = getattr(error, "detail", "") or str(error)
    text = f"{type(error).__name__}: {detail}" if detail else type(error).__name__
    return " ".join(text.split())[:1000]


_SERVICE_ERRORS = {"CassandraUnavailable": "Cassandra", "StorageUnavailable": "the media storage"}
_REDIS_NOT_SERVING = ("READONLY", "LOADING", "MASTERDOWN")
_NOT_AN_OUTAGE = ("no such table", "no such column", "syntax error", "has no column")


def unavailable_service(error: BaseException) -> str | None:
    """The service this error says is unavailable (down, unreachable, too busy to answer), or None
    when it is another kind of failure (a bug, bad data), which trying again soon will not cure."""
    if isinstance(error, ServiceUnavailable):
        return _SERVICE_ERRORS.get(type(error).__name__, "a service")
    if isinstance(error, JobNotQueued):
        return "the job queue"
    if isinstance(error, redis.ConnectionError | redis.TimeoutError | redis.BusyLoadingError):
        return "Redis"
    if isinstance(error, redis.ResponseError) and str(error).startswith(_REDIS_NOT_SERVING):
        return "Redis"
    if isinstance(error, sqlalchemy.exc.OperationalError | sqlite3.OperationalError):
        # SQLite reports a missing table as an OperationalError too: that is a bug (or a missing
        # migration), not an outage, and must not be retried for ever in silence.
        return None if any(text in str(error) for text in _NOT_AN_OUTAGE) else "the database"
    if isinstance(error, sqlalchemy.exc.InterfaceError | sqlalchemy.exc.TimeoutError):
        return "the database"
    if isinstance(error, sqlalchemy.exc.DBAPIError) and error.connection_invalidated:
        return "the database"
    # Other network errors (a mail server refusing) spend the job's retries and end in the
    # dead-letter list: the platform's own services are what an outage is waited out for.
    return None


# --- the policy every task runs under -------------------------------------------------------------

_HUEY_CONTROL = (RetryTask, CancelExecution, TaskLockedException, RateLimitExceeded)
"""Exceptions by which a task steers Huey itself: passed through untouched."""


class _JobState:
    """This process's bookkeeping of jobs: how many run now, which outages each has met (so its
    next success can report them over), and which periodic tasks are failing."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running = 0
        self.met: dict[str, set[str]] = {}
        self.failing_periodic: set[str] = set()


_jobs = _JobState()


def task_name(task: Any) -> str:
    """A task's (or task class's) full name, as Huey registers it: viewfinder.feeds.tasks.fan_out_post."""
    kind = task if isinstance(task, type) else type(task)
    return f"{kind.__module__}.{kind.__name__}"


def call_text(task: Any) -> str:
    """How a job shows in logs and the dead-letter list: name(arguments)."""
    args = [repr(value) for value in task.args or ()]
    args += [f"{key}={value!r}" for key, value in (task.kwargs or {}).items() if key != "task"]
    return f"{task_name(task)}({', '.join(args)})"


def _outage_delay(task: Any) -> float:
    """The wait before the next try of a job that met an outage: doubling, capped by the settings."""
    cap = float(current_settings().job_retry_max_delay_seconds)
    delay = min(cap, max(float(task.retry_delay or 0), 1.0))
    task.retry_delay = min(cap, delay * 2)
    return delay


def _failure_delay(task: Any) -> float:
    """The wait before the next try after a failure that is not an outage (the task's own backoff)."""
    delay = float(task.retry_delay or 0)
    if task.retry_backoff:
        task.retry_delay = min(
            delay * task.retry_backoff, float(current_settings().job_retry_max_delay_seconds)
        )
    return delay


def run_job(task: Any, execute: Callable[[Any], Any]) -> Any:
    """Run one try of a job under the policy in this module's docstring."""
    periodic = isinstance(task, PeriodicTask)
    with _jobs.lock:
        _jobs.running += 1
    try:
        result = execute(task)
    except _HUEY_CONTROL:
        raise
    except Exception as error:
        return _failed(task, error, periodic)
    finally:
        with _jobs.lock:
            _jobs.running -= 1
    _succeeded(task, periodic)
    return result


def _succeeded(task: Any, periodic: bool) -> None:
    name = task_name(task)
    with _jobs.lock:
        met = _jobs.met.pop(task.id, set())
        if periodic:
            met |= _jobs.met.pop(name, set())
        was_failing = periodic and name in _jobs.failing_periodic
        _jobs.failing_periodic.discard(name)
    for service in met:
        job_outages.recovered(service)
    if was_failing:
        logger.warning("Periodic job %s works again", name)


def _failed(task: Any, error: Exception, periodic: bool) -> None:
    name = task_name(task)
    service = unavailable_service(error)
    if service is not None:
        job_outages.failed(service, error)
        with _jobs.lock:
            _jobs.met.setdefault(name if periodic else task.id, set()).add(service)
        if periodic:
            return  # it runs again at its next time
        raise RetryTask(delay=_outage_delay(task)) from error
    if periodic:
        with _jobs.lock:
            first = name not in _jobs.failing_periodic
            _jobs.failing_periodic.add(name)
        if first:
            logger.error("Periodic job %s failed: %s (it runs again at its next time)", name, describe(error),
                         exc_info=error)  # fmt: skip
        return
    if task.retries > 0:
        delay = _failure_delay(task)
        task.retries -= 1  # Huey counts a RetryTask as no try: this one is spent here
        logger.warning(
            "Job %s failed: %s; trying again in %.0f s (%d more tries)",
            call_text(task), describe(error), delay, task.retries,
        )  # fmt: skip
        raise RetryTask(delay=delay) from error
    _give_up(task, error)


def _give_up(task: Any, error: Exception) -> None:
    """Record a job whose retries are spent as a dead letter, and say so once."""
    attempts = int(getattr(type(task), "default_retries", 0) or 0) + 1
    try:
        letter_id = record_dead_letter(task, error, attempts)
    except Exception as record_error:  # the database is away too: keep the job until it is back
        service = unavailable_service(record_error) or "the database"
        job_outages.failed(service, record_error)
        with _jobs.lock:
            _jobs.met.setdefault(task.id, set()).add(service)
        raise RetryTask(delay=_outage_delay(task)) from error
    with _jobs.lock:
        _jobs.met.pop(task.id, None)
    logger.error(
        "Job %s gave up after %d tries: %s. It is dead letter %d: see `viewfinder dead-letters list`, "
        "and `viewfinder dead-letters replay %d` once the cause is fixed.",
        call_text(task), attempts, describe(error), letter_id, letter_id,
        exc_info=error,
    )  # fmt: skip


class PolicyTaskWrapper(TaskWrapper):  # type: ignore[misc]  # Huey is untyped
    """Huey's task wrapper, with every try of the task run through `run_job`."""

    def create_task(self, func: Any, context: bool = False, name: str | None = None, **settings: Any) -> Any:
        task_class = super().create_task(func, context, name, **settings)
        inner = task_class.execute

        def execute(task: Any) -> Any:
            return run_job(task, inner)

        task_class.execute = execute
        return task_class


# --- dead letters ----------------------------------------------------------------------------------

_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def database_engine(url: str | None = None) -> Engine:
    """This process's synchronous engine for the main database (dead letters, heartbeats); the
    one of the settings in force unless a URL is given. Kept for the process's life."""
    url = url or current_settings().resolved_database_url
    with _engines_lock:
        engine = _engines.get(url)
        if engine is None:
            for stale in _engines.values():  # tests switch databases; one engine at a time is enough
                stale.dispose()
            _engines.clear()
            engine = _engines[url] = make_sync_engine(url)
        return engine


def _signature(name: str, arguments: str) -> str:
    return hashlib.sha256(f"{name}\n{arguments}".encode()).hexdigest()


def record_dead_letter(task: Any, error: BaseException, attempts: int) -> int:
    """Keep a job that gave up (a fresh copy, full retries, is what a replay enqueues); the same
    job giving up again updates its row. Returns the row's id."""
    name, arguments = task_name(task), call_text(task).removeprefix(task_name(task))
    fresh = type(task)(args=task.args, kwargs={k: v for k, v in (task.kwargs or {}).items() if k != "task"})
    values = {"task": name, "arguments": arguments, "reason": describe(error), "attempts": attempts,
              "data": huey.serialize_task(fresh), "last_failed_at": utcnow()}  # fmt: skip
    signature = _signature(name, arguments)
    engine = database_engine()
    for _ in range(2):  # a concurrent first insert of the same job: update it instead
        try:
            with engine.begin() as connection:
                found = connection.execute(
                    update(DeadLetter)
                    .where(DeadLetter.signature == signature)
                    .values(**values, failures=DeadLetter.failures + 1)
                    .returning(DeadLetter.id)
                ).scalar()
                if found is not None:
                    return int(found)
                return int(
                    connection.execute(
                        insert(DeadLetter)
                        .values(
                            **values,
                            signature=signature,
                            failures=1,
                            first_failed_at=values["last_failed_at"],
                        )
                        .returning(DeadLetter.id)
                    ).scalar_one()
                )
        except IntegrityError:
            continue
    raise RuntimeError("could not record the dead letter")


@dataclass(frozen=True)
class DeadLetterView:
    """A dead letter as the CLI lists it."""

    id: int
    task: str
    arguments: str
    reason: str
    attempts: int
    failures: int
    first_failed_at: datetime
    last_failed_at: datetime


def dead_letters(ids: Sequence[int] | None = None) -> list[DeadLetterView]:
    """The dead letters (these ids, or all), oldest first."""
    query = select(
        DeadLetter.id, DeadLetter.task, DeadLetter.arguments, DeadLetter.reason, DeadLetter.attempts,
        DeadLetter.failures, DeadLetter.first_failed_at, DeadLetter.last_failed_at,
    ).order_by(DeadLetter.id)  # fmt: skip
    if ids is not None:
        query = query.where(DeadLetter.id.in_(list(ids)))
    with database_engine().connect() as connection:
        return [DeadLetterView(*row) for row in connection.execute(query)]


def replay_dead_letters(ids: Sequence[int] | None = None) -> list[int]:
    """Enqueue these dead letters (or all) again, with full retries, and delete them; the ids
    replayed. Every task must be loaded (`load_tasks`). A job that fails again comes back."""
    replayed = []
    query = select(DeadLetter.id, DeadLetter.data).order_by(DeadLetter.id)
    if ids is not None:
        query = query.where(DeadLetter.id.in_(list(ids)))
    with database_engine().connect() as connection:
        rows = connection.execute(query).all()
    for letter_id, data in rows:
        task = huey.deserialize_task(data)
        # Deleted first: the job may run (and give up again) before this returns, in immediate mode.
        discard_dead_letters([letter_id])
        try:
            huey.enqueue(task)
        except BaseException:
            with database_engine().begin() as connection:  # not enqueued: keep it
                connection.execute(insert(DeadLetter).values(**_row_values(letter_id, data, task)))
            raise
        replayed.append(letter_id)
    return replayed


def _row_values(letter_id: int, data: bytes, task: Any) -> dict[str, Any]:
    name, arguments = task_name(task), call_text(task).removeprefix(task_name(task))
    now = utcnow()
    return {"id": letter_id, "signature": _signature(name, arguments), "task": name, "arguments": arguments,
            "reason": "not replayed: the queue did not take it", "attempts": 0, "failures": 1, "data": data,
            "first_failed_at": now, "last_failed_at": now}  # fmt: skip


def discard_dead_letters(ids: Sequence[int] | None = None) -> int:
    """Delete these dead letters (or all) without running them; how many were deleted."""
    statement = delete(DeadLetter)
    if ids is not None:
        statement = statement.where(DeadLetter.id.in_(list(ids)))
    with database_engine().begin() as connection:
        return int(connection.execute(statement).rowcount or 0)


class _QueueOutage(Outage):
    """The Redis storage's pause after a failure, logged through `job_outages` (one voice for the
    queue's outage, whether enqueueing or taking jobs met it)."""

    def failed(self, error: BaseException) -> None:
        self._skip_until = time.monotonic() + self.pause_seconds
        self.down = True
        job_outages.failed("Redis", error)

    def recovered(self) -> None:
        self._skip_until = 0.0
        self.down = False
        job_outages.recovered("Redis")


class RedisStorageWithHandoff(RedisStorage):  # type: ignore[misc]  # Huey is untyped
    """Huey's Redis storage; a job Redis cannot take goes to the database's `pending_jobs` instead.

    After a failure Redis is skipped for a moment (`Outage`), so a burst of enqueues during an
    outage does not wait for a connection timeout each.
    """

    def __init__(self, name: str, redis_url: str, database_url: str) -> None:
        super().__init__(name=name, connection_pool=sync_pool(redis_url), read_timeout=1)
        self._database_url = database_url
        self._engine: Engine | None = None
        self._engine_lock = threading.Lock()
        self._outage = _QueueOutage("the job queue", pause_seconds=2.0)
        self._handed_off = False
        """This process handed a job off since it last flushed: flush at the next success."""

    def enqueue(self, data: bytes, priority: int | None = None) -> None:
        self._push(data, None)

    def add_to_schedule(self, data: bytes, ts: datetime) -> None:
        self._push(data, ts)

    def _push(self, data: bytes, run_at: datetime | None) -> None:
        if not self._outage.skipping():
            try:
                self._push_to_redis(data, run_at)
            except UNAVAILABLE as error:
                self._outage.failed(error)
            else:
                self._outage.recovered()
                if self._handed_off:
                    self._flush_after_recovery()
                return
        self._hand_off(data, run_at)

    def _push_to_redis(self, data: bytes, run_at: datetime | None) -> None:
        if run_at is None:
            super().enqueue(data)
        else:
            super().add_to_schedule(data, run_at)

    def _database(self) -> Engine:
        with self._engine_lock:
            if self._engine is None:
                self._engine = make_sync_engine(self._database_url)
            return self._engine

    def _hand_off(self, data: bytes, run_at: datetime | None) -> None:
        try:
            with self._database().begin() as connection:
                connection.execute(
                    insert(PendingJob).values(
                        queue=self.name, data=data, run_at=_aware(run_at), created_at=utcnow()
                    )
                )
        except Exception as error:
            raise JobNotQueued(f"neither Redis nor the database took a job: {error}") from error
        self._handed_off = True
        # The outage itself was logged once (job_outages); a line per job would flood the log.
        logger.debug("Redis is unavailable: a job was handed off to the database until it returns")

    def _flush_after_recovery(self) -> None:
        self._handed_off = False
        try:
            moved = self.flush_handoff()
        except Exception:  # the periodic flush will try again
            self._handed_off = True
            logger.exception("Moving handed-off jobs into Redis failed; the periodic flush will retry")
        else:
            if moved:
                logger.warning("Redis is back: moved %d handed-off jobs into the queue", moved)

    def flush_handoff(self) -> int:
        """Move every handed-off job of this queue into Redis, oldest first; returns how many.

        At least once: a batch is deleted only after all of it reached Redis, so a failure half-way
        may push some jobs twice (every task is idempotent). `SKIP LOCKED` keeps two flushers on
        PostgreSQL from taking the same rows.
        """
        moved = 0
        while True:
            with self._database().begin() as connection:
                rows = connection.execute(
                    select(PendingJob.id, PendingJob.data, PendingJob.run_at)
                    .where(PendingJob.queue == self.name)
                    .order_by(PendingJob.id)
                    .limit(HANDOFF_BATCH)
                    .with_for_update(skip_locked=True)
                ).all()
                for _, data, run_at in rows:
                    self._push_to_redis(data, None if run_at is None else _naive_utc(run_at))
                if rows:
                    connection.execute(delete(PendingJob).where(PendingJob.id.in_([row.id for row in rows])))
            moved += len(rows)
            if len(rows) < HANDOFF_BATCH:
                return moved

    def close(self) -> None:
        self.pool.disconnect()
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    # --- claims (see `JobQueue.dequeue`) ---------------------------------------------------------

    def _claimed_key(self, consumer: str) -> str:
        return f"{self.queue_key}:claimed:{consumer}"

    def dequeue_claimed(self, consumer: str) -> tuple[bytes, Any] | None:
        """Take the next job and, in the same step (BLMOVE), put it in this consumer's list of
        jobs taken and not finished; the job and its claim, or None when none came in time."""
        claimed = self._claimed_key(consumer)
        data = self.conn.blmove(self.queue_key, claimed, self.read_timeout, "RIGHT", "LEFT")
        return None if data is None else (data, (claimed, data))

    def release(self, claim: Any) -> None:
        """The job of this claim finished (or was scheduled, or gave up): forget it."""
        claimed, data = claim
        self.conn.lrem(claimed, 1, data)

    def requeue_claims(self, alive: set[str], older_than: float = 0.0) -> int:
        """Put back at the head of the queue the jobs taken by consumers not in `alive` (dead or
        hung); how many. LMOVE moves each one atomically: two sweeps never both move one. (The
        lists keep no times: `older_than` is not used.)"""
        moved = 0
        prefix = self._claimed_key("")
        for key in self.conn.scan_iter(match=f"{prefix}*"):
            name = key.decode() if isinstance(key, bytes) else str(key)
            if name[len(prefix) :] in alive:
                continue
            while self.conn.lmove(name, self.queue_key, "RIGHT", "RIGHT") is not None:
                moved += 1
        return moved


class ClaimingSqliteStorage(SqliteStorage):  # type: ignore[misc]  # Huey is untyped
    """Huey's SQLite queue, where a consumer's worker takes a job and records its claim on it in one
    transaction of the queue's file (see `JobQueue.dequeue`)."""

    table_claims = (
        "create table if not exists claims (id integer primary key autoincrement, queue text not null,"
        " consumer text not null, data blob not null, claimed_at real not null)"
    )
    ddl = [*SqliteStorage.ddl, table_claims]

    def dequeue_claimed(self, consumer: str) -> tuple[bytes, Any] | None:
        """Take the next job and record this consumer's claim on it, atomically; the job and the
        claim's id, or None when the queue is empty."""
        if not self.sql("select 1 from task where queue = ? limit 1", (self.name,), results=True):
            return None
        with self.db(commit=True) as cursor:
            cursor.execute(
                "select id, data from task where queue = ? order by priority desc, id limit 1", (self.name,)
            )
            row = cursor.fetchone()
            if row is None:
                return None
            task_id, data = row
            cursor.execute("delete from task where id = ?", (task_id,))
            if cursor.rowcount != 1:
                return None
            cursor.execute(
                "insert into claims (queue, consumer, data, claimed_at) values (?, ?, ?, ?)",
                (self.name, consumer, data, time.time()),
            )
            return data, cursor.lastrowid

    def release(self, claim: Any) -> None:
        """The job of this claim finished (or was scheduled, or gave up): forget it."""
        self.sql("delete from claims where id = ?", (claim,), commit=True)

    def requeue_claims(self, alive: set[str], older_than: float = 0.0) -> int:
        """Put back in the queue the jobs taken more than `older_than` seconds ago by consumers
        not in `alive` (dead or hung); how many. One transaction moves them, so two sweeps never
        both move one; nothing is written when there is nothing to move."""
        cut_off = time.time() - older_than
        rows = self.sql("select consumer, claimed_at from claims where queue = ?", (self.name,), results=True)
        if not any(consumer not in alive and claimed_at < cut_off for consumer, claimed_at in rows):
            return 0
        with self.db(commit=True) as cursor:
            cursor.execute("select id, consumer, data, claimed_at from claims where queue = ?", (self.name,))
            orphaned = [
                (claim, data)
                for claim, consumer, data, claimed_at in cursor.fetchall()
                if consumer not in alive and claimed_at < cut_off
            ]
            for claim, data in orphaned:
                cursor.execute(
                    "insert into task (queue, data, priority) values (?, ?, ?)", (self.name, data, 0.0)
                )
                cursor.execute("delete from claims where id = ?", (claim,))
        return len(orphaned)


def make_storage(settings: Settings) -> Any:
    """The Huey storage for these settings (Huey's storages are untyped)."""
    if settings.jobs_immediate:
        return MemoryStorage(QUEUE_NAME)
    if settings.jobs_backend == "redis":
        return RedisStorageWithHandoff(
            settings.redis_namespace, redis_url(settings), settings.resolved_database_url
        )
    path = settings.resolved_jobs_database_path
    path.parent.mkdir(parents=True, exist_ok=True)
    return ClaimingSqliteStorage(QUEUE_NAME, filename=str(path))


def _storage_identity(settings: Settings) -> tuple[object, ...]:
    if settings.jobs_immediate:
        return ("immediate",)
    if settings.jobs_backend == "redis":
        return ("redis", settings.redis_url, settings.redis_namespace, settings.resolved_database_url)
    return ("sqlite", str(settings.resolved_jobs_database_path))


class JobQueue(Huey):  # type: ignore[misc]  # Huey is untyped
    """Huey with its storage chosen by the settings in force (and re-chosen by `configure`), every
    task under `run_job`'s policy, and a queue that is unavailable met quietly: its workers wait
    and ask again, and the outage is logged once (Huey's own loops log a traceback per poll)."""

    storage: Any
    storage_kwargs: dict[str, Any]

    def __init__(self, settings: Settings) -> None:
        self.identity = _storage_identity(settings)
        self.last_polled: float | None = None
        """When (time.time()) a worker of this process last asked the queue for a job."""
        self.consumer_id: str | None = None
        """This process's consumer (its heartbeat's id) once it runs one: its workers then claim
        the jobs they take (see `dequeue`)."""
        self._claims: dict[int, Any] = {}
        self._claims_lock = threading.Lock()
        super().__init__(
            name=QUEUE_NAME,
            immediate=settings.jobs_immediate,
            # Nothing waits on results, and keeping errors as results only grows the queue.
            results=False,
            store_intermediate_errors=False,
            utc=True,
            settings=settings,
        )

    def get_task_wrapper_class(self) -> type[PolicyTaskWrapper]:
        # Huey sets its instance's task_wrapper_class from this method in __init__ (a class
        # attribute would be shadowed): every task registered on this queue runs under run_job.
        return PolicyTaskWrapper

    def create_storage(self) -> Any:
        # Immediate mode runs tasks inline on a memory storage, as Huey's own immediate mode does.
        return make_storage(self.storage_kwargs["settings"])

    def use(self, settings: Settings) -> None:
        """Switch to the storage these settings describe (a no-op when it is the same one)."""
        identity = _storage_identity(settings)
        if identity == self.identity:
            return
        previous = self.storage
        self.storage_kwargs = {"settings": settings}
        self._immediate = settings.jobs_immediate
        self.storage = self.create_storage()
        self.identity = identity
        if isinstance(previous, RedisStorageWithHandoff):
            previous.close()

    @property
    def queue_service(self) -> str:
        """What the queue lives on, as outage lines name it."""
        return "Redis" if isinstance(self.storage, RedisStorageWithHandoff) else "the job queue's database"

    def dequeue(self) -> Any:
        """The next job for a worker. A consumer's worker also claims it, in the same step as it
        takes it (the queue's own transaction on SQLite, BLMOVE on Redis), and keeps the claim until
        the job has run (`execute`): if the consumer dies (killed, or hung past
        `job_consumer_timeout_seconds`) anywhere between, every other consumer's heartbeat puts
        the job back in the queue (`requeue_abandoned_jobs`), so it runs again within seconds
        instead of being lost with the process (docs/decisions/0037, 0050)."""
        self.last_polled = time.time()
        consumer, claim = self.consumer_id, None
        try:
            if consumer is not None and hasattr(self.storage, "dequeue_claimed"):
                taken = self.storage.dequeue_claimed(consumer)
                data, claim = (None, None) if taken is None else taken
            else:
                data = self.storage.dequeue()
        except Exception as error:  # down or locked: wait a moment, as an empty blocking read would
            job_outages.failed(self.queue_service, error)
            time.sleep(QUEUE_RETRY_SECONDS)
            return None
        job_outages.recovered(self.queue_service)
        if data is None:
            return None
        task = self.deserialize_task(data)
        if claim is not None:
            with self._claims_lock:
                self._claims[id(task)] = claim
        return task

    def execute(self, task: Any, timestamp: datetime | None = None) -> Any:
        try:
            return super().execute(task, timestamp)
        finally:
            with self._claims_lock:
                claim = self._claims.pop(id(task), None)
            if claim is not None:
                try:
                    self.storage.release(claim)
                except Exception as error:  # the claim stays: it matters only if this consumer dies
                    job_outages.failed(self.queue_service, error)

    def read_schedule(self, timestamp: datetime | None = None) -> list[Any]:
        try:
            return list(super().read_schedule(timestamp))
        except Exception as error:  # the scheduler asks again in a second
            job_outages.failed(self.queue_service, error)
            return []

    def create_consumer(self, **options: Any) -> Any:
        # An idle worker looks at a SQLite queue at least every second (Huey's default backs off
        # to 10 s), so a job enqueued after a quiet spell starts within a second.
        options.setdefault("max_delay", CONSUMER_POLL_SECONDS)
        return super().create_consumer(**options)


huey = JobQueue(get_settings())
_current_settings: Settings | None = None


def configure(settings: Settings) -> None:
    """Make tasks and the queue follow these settings (the app's), rather than the environment's."""
    global _current_settings
    _current_settings = settings
    huey.use(settings)


def current_settings() -> Settings:
    return _current_settings or get_settings()


# --- heartbeats: consumers alive, items held, quick recovery ---------------------------------------

LeaseRenewal = Callable[[Connection, list[int]], None]
"""Renews the leases of these held items (by id) in the main database, on this connection."""

_held: dict[str, Counter[int]] = {}
_renewals: dict[str, LeaseRenewal] = {}
_sweeps: list[Callable[[], object]] = []
_held_lock = threading.Lock()


def register_lease(kind: str, renew: LeaseRenewal) -> None:
    """Have every consumer heartbeat renew the leases of the items of this kind its workers hold."""
    _renewals[kind] = renew


def register_sweep(sweep: Callable[[], object]) -> None:
    """Have every consumer heartbeat run this quick recovery sweep (it must be cheap: it runs every
    `job_heartbeat_seconds`), e.g. taking up again the items whose holder stopped renewing them."""
    if sweep not in _sweeps:
        _sweeps.append(sweep)


@contextmanager
def holding(kind: str, item_id: int) -> Iterator[None]:
    """While inside, this process's heartbeat renews the item's lease (`register_lease`)."""
    with _held_lock:
        _held.setdefault(kind, Counter())[item_id] += 1
    try:
        yield
    finally:
        with _held_lock:
            held = _held[kind]
            held[item_id] -= 1
            if held[item_id] <= 0:
                del held[item_id]


def held_items(kind: str) -> list[int]:
    with _held_lock:
        return sorted(_held.get(kind, ()))


def running_jobs() -> int:
    """Jobs this process is running now."""
    with _jobs.lock:
        return _jobs.running


class ConsumerHeartbeat:
    """The heartbeat of one consumer process (`viewfinder worker`), on a thread of its own."""

    def __init__(self, settings: Settings, queue: JobQueue) -> None:
        self.id = uuid.uuid4().hex
        self.interval = settings.job_heartbeat_seconds
        self._settings = settings
        self._queue = queue
        self._started_at = utcnow()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._queue.consumer_id = self.id  # its workers claim the jobs they take (JobQueue.dequeue)
        self.beat()
        self._thread = threading.Thread(target=self._run, name="viewfinder-heartbeat", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop beating and remove this consumer's row (it stopped; it did not die)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        try:
            with database_engine(self._settings.resolved_database_url).begin() as connection:
                connection.execute(delete(JobConsumer).where(JobConsumer.id == self.id))
        except Exception as error:  # the row ages out by itself
            logger.warning("Could not remove this consumer's heartbeat: %s", describe(error))

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.beat()

    def beat(self) -> None:
        """Record that this consumer is alive, renew held leases, run the quick sweeps."""
        try:
            self._record()
        except Exception as error:
            job_outages.failed(unavailable_service(error) or "the database", error)
        else:
            job_outages.recovered("the database")
        for sweep in list(_sweeps):
            if self._stop.is_set():
                return
            try:
                sweep()
            except Exception as error:
                service = unavailable_service(error)
                if service is None:
                    logger.exception("Recovery sweep %s failed", getattr(sweep, "__name__", sweep))
                else:
                    job_outages.failed(service, error)

    def _pending(self) -> int | None:
        try:
            return int(self._queue.pending_count())
        except Exception:  # the queue is unavailable: its outage is logged where jobs meet it
            return None

    def _record(self) -> None:
        now = utcnow()
        polled = self._queue.last_polled
        values = {
            "beat_at": now,
            "polled_at": None if polled is None else datetime.fromtimestamp(polled, UTC),
            "pending": self._pending(),
            "running": running_jobs(),
        }
        with database_engine(self._settings.resolved_database_url).begin() as connection:
            updated = connection.execute(
                update(JobConsumer).where(JobConsumer.id == self.id).values(**values)
            )
            if not updated.rowcount and not self._stop.is_set():  # (stopping: its row stays gone)
                connection.execute(
                    delete(JobConsumer).where(JobConsumer.beat_at < now - FORGET_CONSUMERS_AFTER)
                )
                connection.execute(
                    insert(JobConsumer).values(
                        id=self.id,
                        host=socket.gethostname()[:255],
                        pid=os.getpid(),
                        started_at=self._started_at,
                        **values,
                    )
                )
            for kind, renew in _renewals.items():
                if held := held_items(kind):
                    renew(connection, held)


def requeue_abandoned_jobs() -> int:
    """Put back in the queue the jobs that consumers which stopped beating (killed, or hung past
    `job_consumer_timeout_seconds`) had taken and not finished; how many. Every consumer's
    heartbeat runs it (a quick sweep: one query, and the queue's claims)."""
    storage = huey.storage
    if not hasattr(storage, "requeue_claims"):
        return 0  # immediate mode: no queue, no consumers
    settings = current_settings()
    since = utcnow() - timedelta(seconds=settings.job_consumer_timeout_seconds)
    with database_engine(settings.resolved_database_url).connect() as connection:
        alive = set(connection.scalars(select(JobConsumer.id).where(JobConsumer.beat_at >= since)))
    if huey.consumer_id is not None:
        alive.add(huey.consumer_id)  # this one is alive, whether its own beat was written or not
    # A claim younger than the timeout may be a consumer's that has not written its first beat yet.
    moved = int(storage.requeue_claims(alive, older_than=settings.job_consumer_timeout_seconds))
    if moved:
        logger.warning(
            "Queued again %d jobs that a consumer which stopped (killed or hung) had taken and not finished",
            moved,
        )
    return moved


register_sweep(requeue_abandoned_jobs)


@dataclass(frozen=True)
class ConsumersState:
    """What the consumers' heartbeats say, for /readyz."""

    alive: int
    """Consumers heard from within job_consumer_timeout_seconds."""
    pending: int
    """Jobs waiting in the queue, as the latest beats saw it."""
    stalled_seconds: float
    """How long jobs have waited with no consumer taking one (0 when none waits)."""
    last_seen: datetime | None
    """The newest beat of any consumer, alive or not."""


async def consumers_state(connection: Any, settings: Settings) -> ConsumersState:
    """Read the consumers' heartbeats (one query) on an async connection to the main database."""
    now = utcnow()
    columns = (JobConsumer.started_at, JobConsumer.beat_at, JobConsumer.polled_at, JobConsumer.pending)
    rows = (await connection.execute(select(*columns))).all()
    timeout = timedelta(seconds=settings.job_consumer_timeout_seconds)
    alive = [row for row in rows if row.beat_at >= now - timeout]
    pending = max((row.pending for row in alive if row.pending is not None), default=0)
    polls = [row.polled_at for row in alive if row.polled_at is not None]
    stalled = 0.0
    if alive and pending > 0:
        since = max(polls) if polls else min(row.started_at for row in alive)
        stalled = max(0.0, (now - since).total_seconds())
    return ConsumersState(
        alive=len(alive),
        pending=pending,
        stalled_seconds=stalled,
        last_seen=max((row.beat_at for row in rows), default=None),
    )


async def enqueue(task: Callable[..., Any], *args: Any) -> None:
    """Enqueue a task; call it only after the transaction that made its rows has committed.

    Enqueueing is blocking I/O (SQLite or Redis, and in immediate mode the task itself), so it
    happens in a worker thread rather than on the event loop. When neither Redis nor the database
    can take the job, the request that made it has still succeeded: the loss is logged as an error
    (the periodic sweeps and `viewfinder rebuild-timelines` repair what such a job would have done).
    """
    try:
        await anyio.to_thread.run_sync(lambda: task(*args))
    except JobNotQueued:
        logger.exception("Job %s%r was not queued", getattr(task, "name", task), args)


def flush_handoff() -> int:
    """Move jobs handed off to the database while Redis was unavailable into Redis (0 when the
    queue is not on Redis); raises when Redis is still unavailable."""
    storage = huey.storage
    if isinstance(storage, RedisStorageWithHandoff):
        return storage.flush_handoff()
    return 0


def load_tasks() -> None:
    """Import every module that registers tasks, so a worker knows them all."""
    for module in TASK_MODULES:
        importlib.import_module(module)


class _KeptDatabase(threading.local):
    """A consumer thread's event loop and engine, kept from one job to the next (`keep_job_engines`)."""

    runner: asyncio.Runner | None = None
    engine: AsyncEngine | None = None
    url: str | None = None


_kept = _KeptDatabase()
_keeping = False


def keep_job_engines() -> None:
    """From now on each thread that runs jobs on PostgreSQL keeps its event loop and engine (closed
    when its consumer worker stops). A stand-alone consumer calls this: a new connection per job
    is a new server process on PostgreSQL, and the first soak spent more CPU on those than on the
    jobs. SQLite keeps one engine per job (aiosqlite's connection threads would hold up exit)."""
    global _keeping
    _keeping = True
    huey.on_shutdown("close_job_engine")(close_job_engine)


def close_job_engine() -> None:
    """Close this thread's kept engine and event loop, if it has them."""
    runner, engine = _kept.runner, _kept.engine
    _kept.runner = _kept.engine = _kept.url = None
    if runner is None:
        return
    try:
        if engine is not None:
            runner.run(engine.dispose())
    finally:
        runner.close()


def run_with_db(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run an async service function from a (synchronous) worker thread: on an engine of its own,
    or on the thread's kept one (`keep_job_engines`)."""
    url = current_settings().resolved_database_url
    if _keeping and not url.startswith("sqlite"):
        return _run_kept(url, work)

    async def runner() -> T:
        engine = make_async_engine(url)
        try:
            async with make_sessionmaker(engine)() as session:
                return await work(session)
        finally:
            await engine.dispose()

    return asyncio.run(runner())


def _run_kept(url: str, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    if _kept.url != url:
        close_job_engine()
    if _kept.runner is None:
        # Its own loop, not set as the thread's: nothing else in the thread finds it by accident.
        _kept.runner = asyncio.Runner(loop_factory=asyncio.new_event_loop)

    async def runner() -> T:
        if _kept.engine is None:
            _kept.engine, _kept.url = make_async_engine(url, pool_size=1, max_overflow=4), url
        async with make_sessionmaker(_kept.engine)() as session:
            return await work(session)

    return _kept.runner.run(runner())

"""The background-job queue: Huey on its own SQLite file (embedded default) or on Redis (scale-out).

The embedded queue lives in a separate file from the main database so a busy queue never holds the
main database's write lock. With `jobs_backend="redis"` the same tasks run on Redis, so workers on
many machines share one queue; a job that cannot reach Redis when it is enqueued (Redis down,
unreachable, refusing writes) is *handed off* to the `pending_jobs` table of the main database and
moved into Redis once it answers again: by the next enqueue that reaches Redis in the same process,
by the `flush_job_handoff` periodic task every minute, or by `viewfinder flush-jobs`. So a request
never fails, and no job is lost, because Redis is away. See docs/decisions/0022-redis.md.

Tasks are plain functions registered on ``huey``; the worker imports every domain's ``tasks``
module through ``load_tasks``.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import threading
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import anyio
from huey import Huey
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage
from sqlalchemy import Engine, delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from viewfinder.core.db import make_async_engine, make_sessionmaker, make_sync_engine, utcnow
from viewfinder.core.models import PendingJob
from viewfinder.core.redis_client import UNAVAILABLE, Outage, redis_url, sync_pool
from viewfinder.settings import Settings, get_settings

logger = logging.getLogger(__name__)

TASK_MODULES = (
    "viewfinder.core.tasks",
    "viewfinder.accounts.tasks",
    "viewfinder.media.tasks",
    "viewfinder.feeds.tasks",
    "viewfinder.notifications.tasks",
    "viewfinder.privacy.tasks",
    "viewfinder.core.mail",
    "viewfinder.accounts.email_tasks",
)
QUEUE_NAME = "viewfinder"
HANDOFF_BATCH = 500
"""Handed-off jobs moved into Redis per transaction."""

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
        self._outage = Outage("the job queue", pause_seconds=2.0)
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
        logger.info("Redis is unavailable: a job was handed off to the database until it returns")

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
    return SqliteStorage(QUEUE_NAME, filename=str(path))


def _storage_identity(settings: Settings) -> tuple[object, ...]:
    if settings.jobs_immediate:
        return ("immediate",)
    if settings.jobs_backend == "redis":
        return ("redis", settings.redis_url, settings.redis_namespace, settings.resolved_database_url)
    return ("sqlite", str(settings.resolved_jobs_database_path))


class JobQueue(Huey):  # type: ignore[misc]  # Huey is untyped
    """Huey with its storage chosen by the settings in force (and re-chosen by `configure`)."""

    storage: Any
    storage_kwargs: dict[str, Any]

    def __init__(self, settings: Settings) -> None:
        self.identity = _storage_identity(settings)
        super().__init__(
            name=QUEUE_NAME,
            immediate=settings.jobs_immediate,
            # Nothing waits on results, and keeping errors as results only grows the queue.
            results=False,
            store_intermediate_errors=False,
            utc=True,
            settings=settings,
        )

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


huey = JobQueue(get_settings())
_current_settings: Settings | None = None


def configure(settings: Settings) -> None:
    """Make tasks and the queue follow these settings (the app's), rather than the environment's."""
    global _current_settings
    _current_settings = settings
    huey.use(settings)


def current_settings() -> Settings:
    return _current_settings or get_settings()


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


def run_with_db(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run an async service function from a (synchronous) worker thread with its own engine."""

    async def runner() -> T:
        engine = make_async_engine(current_settings().resolved_database_url)
        try:
            async with make_sessionmaker(engine)() as session:
                return await work(session)
        finally:
            await engine.dispose()

    return asyncio.run(runner())

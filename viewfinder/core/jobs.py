"""The background-job queue: Huey on its own SQLite file (embedded default).

The queue lives in a separate file from the main database so a busy queue never holds the main
database's write lock. Tasks are plain functions registered on ``huey``; the worker imports every
domain's ``tasks`` module through ``load_tasks``.
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import anyio
from huey import Huey, SqliteHuey
from sqlalchemy.ext.asyncio import AsyncSession

from viewfinder.core.db import make_async_engine, make_sessionmaker
from viewfinder.settings import Settings, get_settings

TASK_MODULES = (
    "viewfinder.accounts.tasks",
    "viewfinder.media.tasks",
    "viewfinder.feeds.tasks",
    "viewfinder.notifications.tasks",
)

T = TypeVar("T")


def make_huey(settings: Settings) -> Huey:
    path = settings.resolved_jobs_database_path
    if not settings.jobs_immediate:
        path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(
        name="viewfinder",
        filename=str(path),
        immediate=settings.jobs_immediate,
        # Nothing waits on results, and keeping errors as results only grows the file.
        results=False,
        store_intermediate_errors=False,
        utc=True,
    )


huey = make_huey(get_settings())
_current_settings: Settings | None = None


def configure(settings: Settings) -> None:
    """Make tasks run against these settings (the app's), rather than the environment's."""
    global _current_settings
    _current_settings = settings


def current_settings() -> Settings:
    return _current_settings or get_settings()


async def enqueue(task: Callable[..., Any], *args: Any) -> None:
    """Enqueue a task; call it only after the transaction that made its rows has committed.

    Enqueueing writes to the queue's SQLite file (and in immediate mode runs the task), both
    blocking, so it happens in a worker thread rather than on the event loop.
    """
    await anyio.to_thread.run_sync(lambda: task(*args))


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

"""Reads in the event loop's thread on SQLite (docs/decisions/0045-hot-read-path.md).

A SELECT outside a write transaction runs on a read-only connection of the calling thread instead of
a trip to its connection's thread. What a user would notice if that went wrong: a read that misses
a write another process just committed, a transaction that cannot see its own writes, a slow read
that freezes every other request of the process, or a read of a database file that was replaced.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import time
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import event, literal_column, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from viewfinder.core import db as core_db
from viewfinder.core.db import IN_LOOP_READ_BUDGET_S, make_async_engine, make_sessionmaker, read_rows

pytestmark = pytest.mark.skipif(
    os.environ.get("VIEWFINDER_TEST_STACK") == "scale", reason="the embedded stack's SQLite path"
)

SLOW_READ = (
    "WITH RECURSIVE numbers(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM numbers WHERE n < 3000000) "
    "SELECT count(*) FROM numbers"
)
"""A read that takes SQLite far longer than the in-loop budget (about a second)."""


async def _engine(path: Path) -> AsyncEngine:
    engine = make_async_engine(f"sqlite+aiosqlite:///{path}")
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body TEXT)"))
    return engine


async def test_a_read_sees_what_another_process_committed_at_once(tmp_path: Path) -> None:
    writer, reader = await _engine(tmp_path / "db.sqlite"), await _engine(tmp_path / "db.sqlite")
    try:
        async with make_sessionmaker(reader)() as session:
            assert (await session.execute(text("SELECT count(*) FROM notes"))).scalar_one() == 0
            for number in range(1, 4):
                async with writer.begin() as connection:
                    await connection.execute(text("INSERT INTO notes (body) VALUES ('hello')"))
                count = (await session.execute(text("SELECT count(*) FROM notes"))).scalar_one()
                assert count == number
    finally:
        await writer.dispose()
        await reader.dispose()


async def test_a_write_transaction_reads_its_own_uncommitted_writes(tmp_path: Path) -> None:
    engine = await _engine(tmp_path / "db.sqlite")
    try:
        async with make_sessionmaker(engine)() as session:
            await session.execute(text("INSERT INTO notes (body) VALUES ('draft')"))
            seen = (await session.execute(text("SELECT body FROM notes"))).scalars().all()
            assert seen == ["draft"]
            await session.rollback()
            assert (await session.execute(text("SELECT count(*) FROM notes"))).scalar_one() == 0
    finally:
        await engine.dispose()


async def test_a_slow_read_does_not_hold_up_the_event_loop(tmp_path: Path) -> None:
    """The read is cut off after its CPU budget and finishes on the connection's thread, with the
    right answer, while the loop keeps ticking."""
    engine = await _engine(tmp_path / "db.sqlite")
    gaps: list[float] = []
    done = asyncio.Event()

    async def ticker() -> None:
        last = time.perf_counter()
        while not done.is_set():
            await asyncio.sleep(0.005)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    try:
        ticking = asyncio.create_task(ticker())
        await asyncio.sleep(0.02)
        started = time.perf_counter()
        async with make_sessionmaker(engine)() as session:
            count = (await session.execute(text(SLOW_READ))).scalar_one()
        took = time.perf_counter() - started
        done.set()
        await ticking
    finally:
        await engine.dispose()
    assert count == 3_000_000
    assert took > 0.1, "the read was meant to be slow"
    # Without the budget the loop would stop for the whole read (`took`); a busy test machine may
    # pause the process for a while, but not for most of a slow read.
    assert max(gaps) < max(0.25, took / 2), (max(gaps), took, IN_LOOP_READ_BUDGET_S)


async def test_a_replaced_database_file_is_read_afresh(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    engine = await _engine(path)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("INSERT INTO notes (body) VALUES ('old')"))
        async with make_sessionmaker(engine)() as session:
            assert (await session.execute(text("SELECT body FROM notes"))).scalars().all() == ["old"]
        await engine.dispose()
        for leftover in os.listdir(tmp_path):  # the database and its WAL files
            os.unlink(tmp_path / leftover)
        engine = await _engine(path)
        async with engine.begin() as connection:
            await connection.execute(text("INSERT INTO notes (body) VALUES ('new')"))
        async with make_sessionmaker(engine)() as session:
            assert (await session.execute(text("SELECT body FROM notes"))).scalars().all() == ["new"]
    finally:
        await engine.dispose()


async def test_reads_outside_a_transaction_do_not_go_to_the_connection_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The point of it all: a plain read costs no trip to the connection's thread; nor, when no
    other connection holds the write lock, does a write transaction (decision 0057)."""
    engine = await _engine(tmp_path / "db.sqlite")
    trips: list[str] = []
    original = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, function: Any, *args: Any, **kwargs: Any) -> Any:
        if function is core_db._run_statement:  # a statement's trip (closing the connection is not)
            trips.append(args[1])
        elif function is core_db._end_on_connection_thread:
            trips.append("COMMIT" if args[1] else "ROLLBACK")
        return await original(self, function, *args, **kwargs)  # type: ignore[no-untyped-call]

    async with make_sessionmaker(engine)() as session:
        await session.execute(text("SELECT 1"))  # the pool's first connection is opened
    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    try:
        async with make_sessionmaker(engine)() as session:
            for _ in range(5):
                await session.execute(text("SELECT count(*) FROM notes"))
            await session.execute(text("INSERT INTO notes (body) VALUES ('x')"))
            await session.execute(text("SELECT count(*) FROM notes"))
            await session.commit()
        async with make_sessionmaker(engine)() as session:
            assert (await session.execute(text("SELECT count(*) FROM notes"))).scalar() == 1
    finally:
        await engine.dispose()
    assert trips == [], trips


async def test_a_write_transaction_waits_on_the_connection_thread_while_another_holds_the_lock(
    tmp_path: Path,
) -> None:
    """Another process's write lock is waited for on the connection's thread (never in the event
    loop), and the transaction goes on once it is free."""
    engine = await _engine(tmp_path / "db.sqlite")
    other = sqlite3.connect(tmp_path / "db.sqlite", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        async with make_sessionmaker(engine)() as session:
            write = asyncio.create_task(session.execute(text("INSERT INTO notes (body) VALUES ('later')")))
            ticks = 0
            while not write.done() and ticks < 20:  # the loop keeps running meanwhile
                await asyncio.sleep(0.01)
                ticks += 1
            assert ticks == 20
            assert not write.done()
            other.execute("COMMIT")
            await asyncio.wait_for(write, 5)
            await session.commit()
        async with make_sessionmaker(engine)() as session:
            assert (await session.execute(text("SELECT body FROM notes"))).scalars().all()[-1] == "later"
    finally:
        other.close()
        await engine.dispose()


async def test_a_read_lets_what_already_waits_in_the_loop_go_first(tmp_path: Path) -> None:
    """A write's next step (holding the process's write transaction) or a health check waiting in
    the loop runs before an in-loop read, not after the whole synchronous page."""
    engine = await _engine(tmp_path / "db.sqlite")
    order: list[str] = []
    event.listen(engine.sync_engine, "before_cursor_execute", lambda *_: order.append("read"))
    try:
        async with make_sessionmaker(engine)() as session:
            await session.execute(text("SELECT 1"))  # the session's connection is set up
            order.clear()
            asyncio.get_running_loop().call_soon(order.append, "waiting")
            assert await read_rows(session, select(literal_column("1"))) == [(1,)]
        assert order[:2] == ["waiting", "read"]
    finally:
        await engine.dispose()

"""Database access: the declarative base, engines and the per-request session.

The embedded default is SQLite in WAL mode; the same models run on PostgreSQL, through a pool of
`database_pool_size` (+ `database_max_overflow`) connections per process; one idle for a while is
checked before use, so a restarted server costs no failed request (PING_AFTER_IDLE_S). With
`database_replica_url` set, read-only requests (GET, HEAD) read from the replica and write to the
primary (see ReplicaRoutingSession and docs/decisions/0021-postgresql.md). Services commit their own
transactions (see STYLE.md: every write behind one named function).
"""

from __future__ import annotations

import asyncio
import collections
import functools
import logging
import os
import re
import sqlite3
import threading
import time
import weakref
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple, TypeGuard, cast

import aiosqlite
import psycopg
from litestar import Request, Response
from litestar.datastructures import State
from litestar.types import Message, Scope
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    CompoundSelect,
    DateTime,
    Engine,
    MetaData,
    Select,
    create_engine,
    delete,
    event,
    select,
    update,
)
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DataError, DisconnectionError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, InstrumentedAttribute, Mapped, Session, mapped_column
from sqlalchemy.sql import Executable
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator
from sqlalchemy.util.concurrency import await_only, greenlet_spawn

from viewfinder.core.errors import error_body, handle_unexpected
from viewfinder.core.ids import new_id

logger = logging.getLogger("viewfinder.db")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given; use datetime.now(UTC)")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def utcnow() -> datetime:
    return datetime.now(UTC)


def move_counters(model: Any, **steps: Any) -> Any:
    """An UPDATE of `model` rows moving counter columns by `steps` (ints or SQL expressions), to be
    given its WHERE. It leaves `updated_at` where it is: that column versions what a row shows
    (post cards are keyed by it, posts/cards.py), and a like, a comment or a follow changes only a
    count, which pages read live. Without this, `onupdate` would make every like a new card version."""
    values: dict[str, Any] = {name: getattr(model, name) + step for name, step in steps.items()}
    if hasattr(model, "updated_at"):
        values["updated_at"] = model.updated_at
    return update(model).values(values)


class unindexed(FunctionElement[Any]):
    """A column SQLite must not read through an index: `+column` there, the column elsewhere.

    For `WHERE author_id IN (...) ORDER BY id DESC LIMIT n`, SQLite walks the primary key from the
    top and tests every post's author, which reads the whole table when the authors have few posts;
    ordering by `+id` makes it seek each author's posts by the (author_id, id) index and sort those
    (2.9 ms to 0.01 ms with 10,000 posts). PostgreSQL plans that statement well as it is."""

    inherit_cache = True


@compiles(unindexed)
def _unindexed(element: unindexed, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.clauses, **kw))


@compiles(unindexed, "sqlite")
def _unindexed_sqlite(element: unindexed, compiler: Any, **kw: Any) -> str:
    return "+" + str(compiler.process(element.clauses, **kw))


class Base(DeclarativeBase):
    """Base of every model; IDs are the time-sortable 64-bit kind from core.ids."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class IdMixin:
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False, default=new_id)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, nullable=False)


def _is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


SQLITE_BUSY_TIMEOUT_MS = 5000
"""How long a write transaction waits at BEGIN IMMEDIATE for another process's write lock (on its
connection's thread, never the event loop's) before it fails with "database is locked"."""
SQLITE_WRITE_QUEUE_SECONDS = 10.0
"""How long a write transaction waits (asynchronously) behind the other write transactions of its
own process and event loop before it fails with "database is locked"."""


def _configure_sqlite(dbapi_connection: Any, _: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


# The SQLite write path (docs/decisions/0036-sqlite-write-path.md) -------------------------------
#
# aiosqlite runs each connection on a thread of its own, and SQLite holds a connection's mutex for
# as long as a statement runs, including while it sleeps in the busy handler waiting for another
# connection's write lock. Three rules keep the event loop from ever waiting on such a mutex, and
# so from ever joining a wait cycle with the transaction it would have to drive:
#
# 1. No sqlite3 cursor leaves its connection's thread. A statement is prepared, run, fetched and
#    its cursor closed in one call on that thread, even when it fails, so the garbage collector
#    (which runs on the event loop) never finalises an open cursor. SQLAlchemy's stock adapter
#    leaves the cursor of a failed statement (an IntegrityError, "database is locked") to the
#    collector, and finalising it takes the connection's mutex: that was the freeze of issue 12.
# 2. One write transaction at a time per process (per event loop and database file): a write
#    waits its turn on an asyncio lock, so the loop stays free and the transaction ahead of it,
#    driven by that same loop, always finishes. Reads never wait for it.
# 3. A write transaction starts with BEGIN IMMEDIATE at its first writing statement (as the sqlite3
#    module's own implicit BEGIN would, but taking the write lock at once): a wait for another
#    process's lock happens there, before any work, on the connection's thread, bounded by
#    SQLITE_BUSY_TIMEOUT_MS; once begun, a transaction never waits again, and never fails to
#    upgrade a stale read snapshot. Reads outside a write transaction run in autocommit, so a
#    request's reads before its first write behave as before (and as READ COMMITTED does on
#    PostgreSQL).

_READ_ONLY_WORDS = frozenset({"SELECT", "PRAGMA", "EXPLAIN", "VALUES"})
_TRANSACTION_CONTROL_WORDS = frozenset(
    {"BEGIN", "COMMIT", "END", "ROLLBACK", "RELEASE", "VACUUM", "ATTACH", "DETACH"}
)
_FIRST_WORD = re.compile(r"\s*(?:(?:--[^\n]*\n|/\*.*?\*/)\s*)*([A-Za-z]+)", re.DOTALL)
_WRITING_WORD = re.compile(r"\b(?:INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)


@functools.lru_cache(maxsize=2048)
def _opens_write_transaction(statement: str) -> bool:
    """Whether a statement run outside a transaction must first BEGIN IMMEDIATE: any that may
    write (DML, DDL, SAVEPOINT), but not a read, a PRAGMA or explicit transaction control."""
    found = _FIRST_WORD.match(statement)
    word = found.group(1).upper() if found else ""
    if word in _READ_ONLY_WORDS or word in _TRANSACTION_CONTROL_WORDS:
        return False
    if word == "WITH":
        return _WRITING_WORD.search(statement) is not None
    return True


_write_gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Lock]] = (
    weakref.WeakKeyDictionary()
)


def _write_gate(database: str) -> tuple[asyncio.Lock, asyncio.AbstractEventLoop]:
    """The lock that lets one write transaction at a time into this database from this event loop,
    whichever engine it comes through (the app's, the real-time relay's, a job's)."""
    loop = asyncio.get_running_loop()
    gates = _write_gates.get(loop)
    if gates is None:
        gates = _write_gates[loop] = {}
    gate = gates.get(database)
    if gate is None:
        gate = gates[database] = asyncio.Lock()
    return gate, loop


class _Ran(NamedTuple):
    """What one statement left, carried back from its connection's thread (no cursor with it)."""

    description: Any
    rows: list[Any]
    rowcount: int
    lastrowid: int | None
    in_transaction: bool
    error: Exception | None = None


def _run_statement(connection: Any, statement: str, parameters: Any, *, many: bool, begin: bool) -> _Ran:
    """Run one statement to completion (on the connection's own thread, or in the event loop's
    inside a write transaction this process holds), its cursor closed before returning, whatever
    happens; an error is returned rather than raised, with whether a transaction is open after it."""
    raw = connection._conn  # the sqlite3 connection, used by one thread at a time
    cursor = raw.cursor()
    try:
        if begin:
            _begin_immediate(cursor, SQLITE_BUSY_TIMEOUT_MS / 1000)
        if many:
            cursor.executemany(statement, parameters)
        else:
            cursor.execute(statement, () if parameters is None else parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return _Ran(description, rows, cursor.rowcount, cursor.lastrowid, raw.in_transaction)
    except Exception as error:  # carried back, and raised on the caller's side
        return _Ran(None, [], -1, None, raw.in_transaction, error)
    finally:
        cursor.close()


def _begin_immediate(cursor: sqlite3.Cursor, patience: float) -> bool:
    """BEGIN IMMEDIATE, trying again every millisecond for up to `patience` seconds while another
    connection holds the write lock; False (nothing begun) when it was still held then, if patience
    is 0, else "database is locked" raised.

    SQLite's own busy handler sleeps ever longer between its tries (up to 100 ms each), so a waiter
    in one process kept losing the lock to another process that took it the moment it was free
    (decision 0057): the job worker's transactions starved behind the web processes' short ones.
    Trying every millisecond, every waiter has the same chance."""
    cursor.execute("PRAGMA busy_timeout=0")
    try:
        deadline = time.monotonic() + patience
        while True:
            try:
                cursor.execute("BEGIN IMMEDIATE")
                return True
            except sqlite3.OperationalError as error:
                if error.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY:  # an extended code's base
                    raise
                if time.monotonic() >= deadline:
                    if patience == 0:
                        return False
                    raise
            time.sleep(0.001)
    finally:
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")


def _begin_at_once(connection: Any) -> bool:
    """BEGIN IMMEDIATE in the calling thread if no other connection holds the write lock, without
    waiting; False, with nothing begun, when one does: the caller then begins on the connection's
    thread, where waiting for the lock belongs."""
    cursor = connection._conn.cursor()
    try:
        return _begin_immediate(cursor, 0)
    finally:
        cursor.close()


def _end_on_connection_thread(connection: Any, commit: bool) -> _Ran:
    raw = connection._conn
    try:
        raw.commit() if commit else raw.rollback()
    except Exception as error:  # carried back, and raised on the caller's side
        return _Ran(None, [], -1, None, raw.in_transaction, error)
    return _Ran(None, [], -1, None, raw.in_transaction)


class _SqliteCursor(AsyncAdapt_aiosqlite_cursor):
    """A DBAPI cursor whose every statement runs in one call on the connection's thread (rule 1);
    rows come back buffered, as SQLAlchemy's own aiosqlite cursor buffers them."""

    __slots__ = ()

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        connection = cast(_SqliteConnection, self._adapt_connection)
        self._take(connection.run(operation, parameters, many=False))

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        connection = cast(_SqliteConnection, self._adapt_connection)
        self._take(connection.run(operation, seq_of_parameters, many=True))

    def _take(self, ran: _Ran) -> None:
        self.description = ran.description
        self._rows = collections.deque(ran.rows)
        self.rowcount = ran.rowcount
        self.lastrowid = ran.lastrowid  # type: ignore[assignment]  # sqlite3 gives None too


class _SqliteConnection(AsyncAdapt_aiosqlite_connection):
    """An aiosqlite connection in autocommit mode whose write transactions begin with BEGIN
    IMMEDIATE behind the process's write gate (rules 2 and 3)."""

    __slots__ = ("_database", "_gate", "_in_transaction")

    def __init__(self, dbapi: Any, connection: Any, database: str) -> None:
        super().__init__(dbapi, connection)
        self._database = database
        self._gate: tuple[asyncio.Lock, asyncio.AbstractEventLoop] | None = None
        self._in_transaction = False

    def cursor(self, server_side: bool = False) -> _SqliteCursor:
        # Never a server-side cursor: it would keep an open sqlite3 cursor beyond one call.
        return _SqliteCursor(self)

    def execute(self, *args: Any, **kwargs: Any) -> Any:
        cursor = self.cursor()
        cursor.execute(*args, **kwargs)
        return cursor

    def run(self, statement: str, parameters: Any, *, many: bool) -> _Ran:
        if self._in_transaction and self._gate is not None:
            # Inside the write transaction this process holds: the statement runs here, without a
            # trip through the event loop, so the transaction holds the lock for as short a time as
            # its work takes, however busy the loop is (docs/decisions/0057). It cannot wait: the
            # lock is ours. The connection's thread is idle meanwhile (its statements are awaited).
            here = _run_statement(self._connection, statement, parameters, many=many, begin=False)
            return self._ran_here(here)
        if not many and not self._in_transaction and _reads_in_loop(statement):
            read = _in_loop_readers.run(self._database, statement, parameters)
            if read is not None:
                # SQLAlchemy's AsyncConnection insists that a statement awaited something.
                self.await_(_nothing())
                return read
        begin = not self._in_transaction and _opens_write_transaction(statement)
        if begin:
            self._enter_gate()
            if _begin_at_once(self._connection):
                # No other process held the lock: the transaction is ours, and runs here.
                self._in_transaction = True
                return self.run(statement, parameters, many=many)
        if begin or not _reads_only_statement(statement):
            # Until the thread says otherwise: an await cut short (a cancelled request) must still
            # roll back whatever the statement began.
            self._in_transaction = True
        try:
            ran: _Ran = self.await_(
                self._connection._execute(
                    _run_statement, self._connection, statement, parameters, many=many, begin=begin
                )
            )
        except Exception as error:
            self._handle_exception(error)
        self._settle(ran.in_transaction)
        if ran.error is not None:
            self._handle_exception(ran.error)
        return ran

    def _ran_here(self, ran: _Ran) -> _Ran:
        """What a statement run in this thread left: settled as one run on the connection's."""
        self.await_(_nothing())  # SQLAlchemy's AsyncConnection insists that a statement awaited
        self._settle(ran.in_transaction)
        if ran.error is not None:
            self._handle_exception(ran.error)
        return ran

    def commit(self) -> None:
        self._end(commit=True)

    def rollback(self) -> None:
        self._end(commit=False)

    def _end(self, *, commit: bool) -> None:
        if not self._in_transaction:
            return  # autocommit reads left nothing to end: no trip to the thread
        if self._gate is not None:
            # The write transaction this process holds ends here too: in WAL mode a commit waits
            # for no one (it may checkpoint the log, every ~4 MB written).
            self._ran_here(_end_on_connection_thread(self._connection, commit))
            return
        try:
            ran: _Ran = self.await_(
                self._connection._execute(_end_on_connection_thread, self._connection, commit)
            )
        except Exception as error:
            self._handle_exception(error)
        self._settle(ran.in_transaction)
        if ran.error is not None:
            self._handle_exception(ran.error)

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._in_transaction = False
            self._leave_gate()

    async def _terminate_graceful_close(self) -> None:
        try:
            await super()._terminate_graceful_close()
        finally:
            self._in_transaction = False
            self._leave_gate()

    def _terminate_force_close(self) -> None:
        try:
            super()._terminate_force_close()
        finally:
            self._in_transaction = False
            self._leave_gate()

    def _settle(self, in_transaction: bool) -> None:
        self._in_transaction = in_transaction
        if not in_transaction:
            self._leave_gate()

    def _enter_gate(self) -> None:
        if self._gate is not None:
            return
        gate, loop = _write_gate(self._database)
        try:
            self.await_(asyncio.wait_for(gate.acquire(), SQLITE_WRITE_QUEUE_SECONDS))
        except TimeoutError:
            raise self.dbapi.OperationalError(
                f"database is locked (waited {SQLITE_WRITE_QUEUE_SECONDS:g} s behind this process's writes)"
            ) from None
        self._gate = (gate, loop)

    def _leave_gate(self) -> None:
        if self._gate is None:
            return
        gate, loop = self._gate
        self._gate = None
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            gate.release()
        elif not loop.is_closed():  # a connection dropped by the collector on another thread
            loop.call_soon_threadsafe(gate.release)


# Reads in the event loop's thread (docs/decisions/0045-hot-read-path.md) ---------------------------
#
# A statement's trip to its connection's thread and back costs 150-250 us of CPU (a queue, a future,
# a wake-up of the loop), ten times what SQLite spends on an indexed read of a few rows; a feed page
# made five such trips. In WAL mode a read never waits for a writer, so a SELECT outside a write
# transaction runs instead on a read-only connection of the calling thread's own (rule 1 holds: its
# cursors never leave that thread), in autocommit, which is what the trip would have done too. It is
# given IN_LOOP_READ_BUDGET_S: a longer read is interrupted and goes to the connection's thread after
# all (and that statement goes there directly for a while), and so does a read that would have to
# wait (a busy WAL index) or fails (a table of the connection's own), so its error is the usual one.

IN_LOOP_READ_BUDGET_S = 0.005
"""The most CPU time a read may spend in the event loop's thread before it is sent to the
connection's thread (CPU time, not wall time: a busy machine pausing the process is not the read's
fault, and would otherwise send every read to the thread)."""
PROGRESS_STEPS = 8000
"""SQLite virtual-machine steps between two looks at the CPU clock (about half a millisecond of a
typical read here). Every 1,000 steps cost a feed page 15 % of its CPU time: reading a thread's
clock is a system call, and system calls are slow in this kind of sandboxed machine."""
SLOW_READ_MEMORY_S = 60.0
SLOW_READ_STRIKES = 3
"""A statement that ran over its budget this many times within SLOW_READ_MEMORY_S (not just once:
a first run reads cold pages) is sent straight to the thread for the rest of that time."""
_IN_LOOP_CONNECTIONS = 8
"""Read-only connections a thread keeps (one per database file; tests use many files)."""


@functools.lru_cache(maxsize=2048)
def _reads_in_loop(statement: str) -> bool:
    found = _FIRST_WORD.match(statement)
    word = found.group(1).upper() if found else ""
    return word == "SELECT" or (word == "WITH" and _WRITING_WORD.search(statement) is None)


IDENTITY_RECHECK_S = 1.0
"""How long a read-only connection is trusted to be on the file its name now points to before the
file is looked at again (a `stat`), unless the pool has opened a connection to it since."""
_pool_connects: collections.Counter[str] = collections.Counter()
"""Connections opened by the engines' pools, per database file: a new one (a new engine, after the
file was replaced, say) has the in-loop connections look at the file again at once."""


class _Reader(NamedTuple):
    identity: tuple[int, int]
    connection: sqlite3.Connection
    opened: int
    """`_pool_connects` of its file when it was last looked at."""
    checked: float


class _InLoopReaders(threading.local):
    """This thread's read-only SQLite connections, one per database file, opened on first use."""

    def __init__(self) -> None:
        self.connections: collections.OrderedDict[str, _Reader] = collections.OrderedDict()
        self.slow: dict[str, tuple[int, float]] = {}
        self.deadline = 0.0

    def run(self, database: str, statement: str, parameters: Any) -> _Ran | None:
        """The statement's rows, or None when it must go to the connection's thread."""
        strikes = self.slow.get(statement)
        if strikes is not None:
            if time.monotonic() - strikes[1] >= SLOW_READ_MEMORY_S:
                del self.slow[statement]
            elif strikes[0] >= SLOW_READ_STRIKES:
                return None
        connection = self._connection(database)
        if connection is None:
            return None
        self.deadline = time.thread_time() + IN_LOOP_READ_BUDGET_S
        cursor = connection.cursor()
        try:
            cursor.execute(statement, () if parameters is None else parameters)
            return _Ran(cursor.description, cursor.fetchall(), cursor.rowcount, cursor.lastrowid, False)
        except sqlite3.OperationalError as error:
            if "interrupted" in str(error):
                if len(self.slow) > 256:
                    self.slow.clear()
                count, since = self.slow.get(statement, (0, time.monotonic()))
                self.slow[statement] = (count + 1, since)
            return None
        except sqlite3.Error:
            return None
        finally:
            cursor.close()

    def _connection(self, database: str) -> sqlite3.Connection | None:
        if database.startswith("file:") or database in ("", ":memory:"):
            return None  # another connection would not see a private or in-memory database
        found = self.connections.get(database)
        now = time.monotonic()
        opened = _pool_connects.get(database, 0)
        if found is not None and found.opened == opened and now - found.checked < IDENTITY_RECHECK_S:
            self.connections.move_to_end(database)
            return found.connection
        try:
            stat = os.stat(database)  # tens of microseconds here: not on every read
        except OSError:
            return None
        identity = (stat.st_dev, stat.st_ino)  # a file replaced under the same name is another database
        if found is not None:
            if found.identity == identity:
                self.connections[database] = found._replace(opened=opened, checked=now)
                self.connections.move_to_end(database)
                return found.connection
            del self.connections[database]
            found.connection.close()
        try:
            # timeout=0: never sleep in the event loop for a lock; such a read goes to the thread.
            connection = sqlite3.connect(database, timeout=0, isolation_level=None, check_same_thread=True)
            connection.execute("PRAGMA query_only=1")
        except sqlite3.Error:
            return None
        connection.set_progress_handler(self._over_budget, PROGRESS_STEPS)
        self.connections[database] = _Reader(identity, connection, opened, now)
        while len(self.connections) > _IN_LOOP_CONNECTIONS:
            _, oldest = self.connections.popitem(last=False)
            oldest.connection.close()
        return connection

    def _over_budget(self) -> bool:
        return time.thread_time() > self.deadline


_in_loop_readers = _InLoopReaders()


async def _nothing() -> None:
    return None


def _reads_only_statement(statement: str) -> bool:
    found = _FIRST_WORD.match(statement)
    return found is not None and found.group(1).upper() in _READ_ONLY_WORDS


class _SqliteDriver(AsyncAdapt_aiosqlite_dbapi):
    """SQLAlchemy's aiosqlite DBAPI adapter, handing out _SqliteConnection (docs/decisions/0036)."""

    def connect(self, *args: Any, **kwargs: Any) -> _SqliteConnection:
        kwargs.pop("async_fallback", None)
        kwargs.pop("async_creator_fn", None)
        kwargs["isolation_level"] = None  # autocommit: this adapter, not the sqlite3 module, BEGINs
        # A write transaction's statements after its BEGIN run in the event loop's thread (run()),
        # one at a time, while the connection's own thread waits for work.
        kwargs["check_same_thread"] = False
        database = str(args[0] if args else kwargs.get("database", ""))
        connection = self.aiosqlite.connect(*args, **kwargs)
        connection._thread.daemon = True
        key = (
            database
            if database.startswith("file:") or database in ("", ":memory:")
            else os.path.realpath(database)
        )
        _pool_connects[key] += 1
        return _SqliteConnection(self, await_only(connection), key)


def sync_url(url: str) -> str:
    """The synchronous-driver twin of an async URL (for migrations and background jobs)."""
    parsed = make_url(url)
    driver = {"sqlite": "pysqlite", "postgresql": "psycopg"}.get(parsed.get_backend_name())
    if driver is None:
        return url
    return parsed.set(drivername=f"{parsed.get_backend_name()}+{driver}").render_as_string(
        hide_password=False
    )


def _prepare_sqlite_file(url: str) -> None:
    database = make_url(url).database
    if database and database != ":memory:":
        from pathlib import Path

        Path(database).parent.mkdir(parents=True, exist_ok=True)


def make_async_engine(url: str, *, pool_size: int = 5, max_overflow: int = 10) -> AsyncEngine:
    """An engine for the app's requests and jobs.

    PostgreSQL: a pool of `pool_size` (+ `max_overflow`) connections. SQLite: aiosqlite through the
    write path above (one write transaction at a time per process, BEGIN IMMEDIATE, no cursor left
    open), with SQLAlchemy's default pool of connections for reads.
    """
    if _is_sqlite(url):
        if make_url(url).get_driver_name() != "aiosqlite":
            raise ValueError(f"an async SQLite URL must name the aiosqlite driver: {url}")
        _prepare_sqlite_file(url)
        engine = create_async_engine(url, module=_SqliteDriver(aiosqlite, sqlite3))
        event.listen(engine.sync_engine, "connect", _configure_sqlite)
        return engine
    engine = create_async_engine(url, pool_size=pool_size, max_overflow=max_overflow)
    event.listen(engine.sync_engine.pool, "checkin", _note_checkin)
    event.listen(
        engine.sync_engine.pool, "checkout", functools.partial(_ping_if_idle, engine.sync_engine.dialect)
    )
    return engine


PING_AFTER_IDLE_S = 2.0
"""A pooled PostgreSQL connection idle for longer than this is checked (one round trip) before it
is lent out: after a server restart or a failover the dead connections are replaced instead of
failing the next requests. One in steady use is lent without the check (SQLAlchemy's pre_ping would
cost a round trip per request); should its server have gone meanwhile, the failure invalidates the
whole pool at once and the request gets a 503 (a read through `read_rows` is retried first)."""


def _note_checkin(dbapi_connection: Any, record: Any) -> None:
    record.info["returned_at"] = time.monotonic()


def _ping_if_idle(dialect: Any, dbapi_connection: Any, record: Any, proxy: Any) -> None:
    returned_at = record.info.get("returned_at")
    if returned_at is None or time.monotonic() - returned_at < PING_AFTER_IDLE_S:
        return  # a new connection, or one in steady use
    try:
        dialect.do_ping(dbapi_connection)
    except Exception as exc:
        raise DisconnectionError(f"a pooled connection failed its check: {exc}") from exc


def make_sync_engine(url: str) -> Engine:
    """A synchronous engine (migrations; the Redis job hand-off). Not used to serve requests, so
    SQLite keeps the sqlite3 module's own transactions here."""
    url = sync_url(url)
    if _is_sqlite(url):
        _prepare_sqlite_file(url)
        engine = create_engine(url)
        event.listen(engine, "connect", _configure_sqlite)
        return engine
    return create_engine(url, pool_pre_ping=True)


async def erase_counted(
    db: AsyncSession,
    where: ColumnElement[bool],
    points_to: InstrumentedAttribute[int],
    counter: InstrumentedAttribute[int],
    *,
    batch: int,
    then: Callable[[list[int]], Awaitable[object]] | None = None,
) -> None:
    """Delete the rows `where` selects (of the table `points_to` belongs to), a batch per
    transaction, and lower by one, in the same transaction, the `counter` of each row they pointed
    to (`points_to` holds its id): a retry after a crash never lowers a count twice. `then` runs on
    each batch's pointed-to ids before the commit (e.g. to drop what the deletion left empty).
    Erasing an account's likes, follows or notification lines is this, domain by domain."""
    rows = points_to.class_
    counted = counter.class_
    while True:
        ids = list(await db.scalars(select(points_to).where(where).limit(batch)))
        if not ids:
            return
        gone = list(
            await db.scalars(
                delete(rows)
                .where(where, points_to.in_(ids))
                .returning(points_to)
                .execution_options(synchronize_session=False)
            )
        )
        if gone:
            await db.execute(
                move_counters(counted, **{counter.key: -1})
                .where(counted.id.in_(gone))
                .execution_options(synchronize_session=False)
            )
            if then is not None:
                await then(gone)
        await db.commit()


AfterCommitHook = Callable[[AsyncSession], Awaitable[None]]
"""Runs after a session's transaction committed (core.events hands that commit's events over)."""
_after_commit_hooks: list[AfterCommitHook] = []


def on_session_commit(hook: AfterCommitHook) -> None:
    """Have every session of `make_sessionmaker` run this hook once its commit has succeeded."""
    if hook not in _after_commit_hooks:
        _after_commit_hooks.append(hook)


class AppSession(AsyncSession):
    """The application's async session: once a commit has succeeded it runs the after-commit hooks
    (`on_session_commit`). Closing runs them too, for a transaction committed through `begin()`,
    which does not pass through `commit()`. A hook never fails the commit: what it leaves undone
    has its own recovery (core.events' sweep)."""

    async def commit(self) -> None:
        await super().commit()
        await self._after_commit()

    async def close(self) -> None:
        try:
            await self._after_commit()
        finally:
            await super().close()

    async def _after_commit(self) -> None:
        for hook in _after_commit_hooks:
            try:
                await hook(self)
            except Exception:
                logger.exception("After-commit hook %s failed", getattr(hook, "__name__", hook))


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, class_=AppSession)


def _reads_only(clause: object) -> bool:
    """True for a plain SELECT (not SELECT ... FOR UPDATE); text() and anything else count as writes."""
    return (
        isinstance(clause, Executable)
        and clause.is_select
        and getattr(clause, "_for_update_arg", None) is None
    )


class ReplicaRoutingSession(Session):
    """A session for a read-only request when a replica is configured.

    Plain SELECTs go to the replica until the session writes anything (an INSERT, UPDATE or DELETE,
    a flush, a locking read or raw SQL); that statement and every one after it go to the primary, so
    a request reads its own writes, and a replica (read-only, as a hot standby is) is never written.
    A GET that writes (a session's last-seen time, a profile visit) therefore still works.
    """

    def __init__(self, *, primary: Engine, replica: Engine, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.primary = primary
        self.replica = replica
        self.wrote = False

    def get_bind(self, mapper: Any = None, clause: Any = None, **kwargs: Any) -> Engine:
        if clause is None and not self._flushing:
            return self.primary  # `session.connection()` or a look at the dialect: no statement yet
        if not self.wrote and not self._flushing and _reads_only(clause):
            return self.replica
        self.wrote = True
        return self.primary


def make_replica_sessionmaker(primary: AsyncEngine, replica: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that read from the replica and write to the primary (see ReplicaRoutingSession)."""
    return async_sessionmaker(
        expire_on_commit=False,
        class_=AppSession,
        sync_session_class=ReplicaRoutingSession,
        primary=primary.sync_engine,
        replica=replica.sync_engine,
    )


ReadStatement = Select[Any] | CompoundSelect[Any]
"""What `read_rows` runs: a SELECT of columns (or a UNION of them)."""


async def read_rows(
    session: AsyncSession, statement: ReadStatement, values: Mapping[str, Any] | None = None
) -> Sequence[Any]:
    """The rows (tuples) of a read-only Core statement (columns, not entities), for the hot read
    paths (feed, cards), which run several per page: no autoflush, no ORM result set-up.

    On SQLite, outside a write transaction of this session, the statement runs straight on this
    thread's read-only connection (see _InLoopReaders): compiled once (`_prepare_read`), its
    parameters and results put through the same type processors as SQLAlchemy would, without the
    engine's per-statement machinery or a connection checked out of the pool (~150 us less per
    statement). On PostgreSQL (psycopg), until the session's transaction holds a connection, it
    runs alone in autocommit on a pooled connection (`_run_autocommit`: no BEGIN and ROLLBACK
    round trips; decision 0071). Anywhere else, or when the read cannot be done there, it runs on
    the connection the session would pick for it (so a replica session still reads from the
    replica, and from the primary once it has written). Nothing pending in the session is flushed
    first: do not use it to read back your own unflushed changes.
    """
    given = values or {}
    bind = session.sync_session.get_bind(clause=statement)
    database = _fast_read_database(bind)
    if database is not None and not await _writing(session, statement):
        prepared = _prepare_read(statement, bind.dialect)
        if prepared is not None and prepared.expanding.isdisjoint(given):
            arguments = tuple(prepared.bound(given))
            # One turn of the loop first: what already waits (a write's next step, which holds the
            # process's write transaction meanwhile; a health check) runs before this read, rather
            # than after the whole synchronous page (decision 0070: write p99 under the soak).
            await asyncio.sleep(0)
            prepared.announce(bind, arguments)
            ran = _in_loop_readers.run(database, prepared.sql, arguments)
            if ran is not None:
                return prepared.processed(ran.rows)
    elif _reads_autocommit(bind) and not _holds_connection(session):
        prepared = _prepare_read(statement, bind.dialect)
        if prepared is not None and prepared.expanding.isdisjoint(given):
            named = dict(zip(prepared.names, prepared.bound(given), strict=True))
            prepared.announce(bind, named)
            rows: list[Any] | None = await greenlet_spawn(_run_autocommit, bind, prepared.sql, named)
            if rows is not None:
                return prepared.processed(rows)
    connection = await session.connection(bind_arguments={"clause": statement})
    return (await connection.execute(statement, given)).all()


class _PreparedRead(NamedTuple):
    sql: str
    names: tuple[str, ...]
    """The parameters in the order of the statement's placeholders (all of them, for named ones)."""
    constants: dict[str, Any]
    """The values the statement itself holds (literals, and constant IN lists expanded)."""
    expanding: frozenset[str]
    """Parameters expanded into one placeholder per item: must not be given at run time."""
    binds: dict[str, Callable[[Any], Any]]
    results: tuple[tuple[int, Callable[[Any], Any]], ...]
    """(column index, result processor) of the columns that have one."""

    def bound(self, given: Mapping[str, Any]) -> list[Any]:
        """The values for the placeholders (in `names` order), through the types' bind processors."""
        parameters = {**self.constants, **given}
        return [
            processor(parameters[name]) if (processor := self.binds.get(name)) else parameters[name]
            for name in self.names
        ]

    def announce(self, bind: Any, arguments: Any) -> None:
        """Tell what listens to the engine's statements (query counts) that this one runs now."""
        if bind.dispatch.before_cursor_execute:
            bind.dispatch.before_cursor_execute(None, None, self.sql, arguments, None, False)

    def processed(self, rows: list[Any]) -> list[Any]:
        if not self.results:
            return rows  # sqlite3's tuples as they are
        done = []
        for row in rows:
            values = list(row)
            for index, process in self.results:
                values[index] = process(values[index])
            done.append(tuple(values))
        return done


_prepared_reads: dict[tuple[int, str], tuple[ReadStatement, _PreparedRead | None]] = {}


def _prepare_read(statement: ReadStatement, dialect: Any) -> _PreparedRead | None:
    """The SQL, parameter order and type processors of a statement, worked out once (statements on
    the hot paths are built once too). None for a statement this cannot prepare."""
    key = (id(statement), dialect.name)
    found = _prepared_reads.get(key)
    if found is not None and found[0] is statement:
        return found[1]
    prepared: _PreparedRead | None
    try:
        compiled: Any = statement.compile(dialect=dialect)
        expanding = frozenset(param.key for param in compiled.post_compile_params)
        # Constant IN lists are expanded once; what the caller binds is filled in at run time.
        expanded = compiled._process_parameters_for_postcompile(compiled.construct_params(_check=False))
        columns = compiled._result_columns
        processors = (column[3]._cached_result_processor(dialect, None) for column in columns)
        results = tuple((index, process) for index, process in enumerate(processors) if process)
        prepared = _PreparedRead(
            expanded.statement,
            tuple(expanded.positiontup or expanded.parameters),  # named (psycopg): every parameter
            dict(expanded.parameters),
            expanding,
            {**compiled._bind_processors, **expanded.processors},
            results,
        )
    except Exception:  # an unusual statement: the ordinary path runs it
        logger.debug("Cannot prepare a fast read of %s", statement, exc_info=True)
        prepared = None
    if len(_prepared_reads) > 256:
        _prepared_reads.clear()
    _prepared_reads[key] = (statement, prepared)
    return prepared


def _reads_autocommit(bind: Any) -> TypeGuard[Engine]:
    return isinstance(bind, Engine) and bind.dialect.driver == "psycopg"


def _run_autocommit(bind: Engine, sql: str, arguments: dict[str, Any]) -> list[Any] | None:
    """PostgreSQL, a session whose transaction holds no connection: the statement alone, in
    autocommit, straight on a pooled psycopg connection (no BEGIN and ROLLBACK round trips, none of
    the engine's per-statement machinery). The statement is prepared on the connection at its first
    run there, not its sixth (psycopg's default): planning a feed page's card query costs the server
    more than running it, and a new pooled connection would plan it five more times. What it reads
    is what the session's first statement would have read (READ COMMITTED: each statement its own
    snapshot). None when it failed: the caller runs it the ordinary way, on a fresh connection if
    this one was broken, so its error (a 503) is the usual one. Run in a greenlet: the pool's
    check-out and check-in await the driver."""
    pooled = bind.raw_connection()
    connection: psycopg.AsyncConnection[Any] = pooled.driver_connection  # type: ignore[assignment]
    try:
        await_only(connection.set_autocommit(True))
        try:
            cursor = await_only(connection.execute(sql, arguments, prepare=True))
            rows: list[Any] = await_only(cursor.fetchall())
        finally:
            if not connection.broken:
                await_only(connection.set_autocommit(False))
    except psycopg.Error as exc:
        if connection.broken:
            pooled.invalidate(exc)
        else:
            pooled.close()
        logger.debug("A read in autocommit failed; running it the ordinary way", exc_info=True)
        return None
    except BaseException as exc:  # cancelled mid-statement: the connection may still be busy
        pooled.invalidate(exc)
        raise
    pooled.close()
    return rows


def _fast_read_database(bind: Any) -> str | None:
    """The SQLite file a fast read through this bind would use, or None when it must not."""
    if not isinstance(bind, Engine) or bind.dialect.name != "sqlite":
        return None  # a session bound to one connection (its transaction) is read through it
    return _database_file(bind.url.database or "")


@functools.lru_cache(maxsize=64)
def _database_file(database: str) -> str | None:
    if database.startswith("file:") or database in ("", ":memory:"):
        return None
    return os.path.realpath(database)


def _holds_connection(session: AsyncSession) -> bool:
    """Whether the session's transaction has a connection yet. One begun without (by `merge()`, as
    the auth cache's copies are attached to each request's session, or by `add()`) has read and
    written nothing."""
    transaction = session.sync_session.get_transaction()
    return transaction is not None and bool(transaction._connections)


async def _writing(session: AsyncSession, statement: ReadStatement) -> bool:
    """Whether this session holds a write transaction, whose changes only its own connection sees."""
    if not _holds_connection(session):
        return False
    connection = await session.connection(bind_arguments={"clause": statement})
    adapted = connection.sync_connection.connection.dbapi_connection if connection.sync_connection else None
    return bool(getattr(adapted, "_in_transaction", True))


# Where the request's session waits in the ASGI scope until the response goes out.
SESSION_SCOPE_KEY = "viewfinder_db_session"


READ_ONLY_METHODS = frozenset({"GET", "HEAD"})


async def provide_db_session(state: State, scope: Scope) -> AsyncSession:
    """One session per request, closed by close_db_session when the response starts.

    Read-only requests (GET, HEAD) get `state.read_sessionmaker` (the replica's, when one is
    configured); every other method gets the primary's. Not a generator dependency: Litestar skips
    a generator's clean-up when a later dependency raises (an authentication refusal, say), which
    would leave the connection checked out.
    """
    sessionmaker: async_sessionmaker[AsyncSession] = state.sessionmaker
    if scope.get("method") in READ_ONLY_METHODS:
        sessionmaker = getattr(state, "read_sessionmaker", sessionmaker)
    session = sessionmaker()
    scope.setdefault("state", {})[SESSION_SCOPE_KEY] = session
    return session


async def close_db_session(message: Message, scope: Scope) -> None:
    """A before-send hook: give the connection back, rolling back whatever no service committed."""
    if message["type"] not in ("http.response.start", "websocket.close", "websocket.http.response.start"):
        return
    session: AsyncSession | None = scope.get("state", {}).pop(SESSION_SCOPE_KEY, None)
    if session is not None:
        await session.close()


def handle_database_unavailable(
    request: Request[Any, Any, Any], exc: OperationalError | PoolTimeoutError
) -> Response[dict[str, Any]]:
    """A 503 in the API's error shape when the database cannot be reached or is too busy.

    A restarted or failed-over server, a full pool, a locked SQLite file: the client may retry.
    """
    logger.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc)
    return Response(
        error_body("unavailable", "The database is unavailable; try again shortly."),
        status_code=503,
        headers={"retry-after": "1"},
    )


def handle_unstorable_value(request: Request[Any, Any, Any], exc: DataError) -> Response[dict[str, Any]]:
    """A 400 for a value the database refuses to store or compare, which validation let through.

    PostgreSQL is stricter than SQLite here: text holding a NUL character (`/users/%00`), a number out
    of its column's range. The statement failed, so its transaction wrote nothing.
    """
    logger.info("value refused by the database on %s %s: %s", request.method, request.url.path, exc.orig)
    return Response(
        error_body("bad_request", "The request holds a value that cannot be stored (a NUL character?)."),
        status_code=400,
    )


def handle_integer_overflow(request: Request[Any, Any, Any], exc: OverflowError) -> Response[dict[str, Any]]:
    """A 400 for an integer past 64 bits that reached SQLite, whose driver cannot even bind it
    (PostgreSQL compares it and finds nothing, or refuses to store it: DataError above).

    IDs are checked where they are read (core.params.parse_id); this is the net under any that is
    not. Any other OverflowError is a bug of ours, answered and logged as one.
    """
    if "SQLite INTEGER" not in str(exc):
        return handle_unexpected(request, exc)
    logger.info("integer too large for SQLite on %s %s", request.method, request.url.path)
    return Response(
        error_body("bad_request", "The request holds a number too large for an ID."), status_code=400
    )


DATABASE_EXCEPTION_HANDLERS = {
    OperationalError: handle_database_unavailable,
    PoolTimeoutError: handle_database_unavailable,
    DataError: handle_unstorable_value,
    OverflowError: handle_integer_overflow,
}

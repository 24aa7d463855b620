"""Database access: the declarative base, engines and the per-request session.

The embedded default is SQLite in WAL mode; the same models run on PostgreSQL, through a pool of
`database_pool_size` (+ `database_max_overflow`) connections per process that are checked before use,
so a restarted server costs no failed request. With `database_replica_url` set, read-only requests
(GET, HEAD) read from the replica and write to the primary (see ReplicaRoutingSession and
docs/decisions/0021-postgresql.md). Services commit their own transactions (see STYLE.md: every write
behind one named function).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from litestar import Request, Response
from litestar.datastructures import State
from litestar.types import Message, Scope
from sqlalchemy import BigInteger, DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DataError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from sqlalchemy.sql import Executable
from sqlalchemy.types import TypeDecorator

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


class Base(DeclarativeBase):
    """Base of every model; IDs are the time-sortable 64-bit kind from core.ids."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class IdMixin:
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False, default=new_id)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, nullable=False)


def _is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _configure_sqlite(dbapi_connection: Any, _: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


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
    """An engine for the app's requests; pool sizes apply to servers (SQLite has no such pool)."""
    if _is_sqlite(url):
        _prepare_sqlite_file(url)
        engine = create_async_engine(url)
        event.listen(engine.sync_engine, "connect", _configure_sqlite)
        return engine
    # pre_ping checks a pooled connection before lending it out: after a server restart or a
    # failover the dead connections are replaced instead of failing the next requests.
    return create_async_engine(url, pool_pre_ping=True, pool_size=pool_size, max_overflow=max_overflow)


def make_sync_engine(url: str) -> Engine:
    url = sync_url(url)
    if _is_sqlite(url):
        _prepare_sqlite_file(url)
        engine = create_engine(url)
        event.listen(engine, "connect", _configure_sqlite)
        return engine
    return create_engine(url, pool_pre_ping=True)


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


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
        sync_session_class=ReplicaRoutingSession,
        primary=primary.sync_engine,
        replica=replica.sync_engine,
    )


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

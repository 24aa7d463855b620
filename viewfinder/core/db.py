"""Database access: the declarative base, engines and the per-request session.

The embedded default is SQLite in WAL mode; the same models run on PostgreSQL. Services commit
their own transactions (see STYLE.md: every write behind one named function).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from litestar.datastructures import State
from litestar.types import Message, Scope
from sqlalchemy import BigInteger, DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from viewfinder.core.ids import new_id

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


def make_async_engine(url: str) -> AsyncEngine:
    if _is_sqlite(url):
        _prepare_sqlite_file(url)
        engine = create_async_engine(url)
        event.listen(engine.sync_engine, "connect", _configure_sqlite)
        return engine
    return create_async_engine(url, pool_pre_ping=True)


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


# Where the request's session waits in the ASGI scope until the response goes out.
SESSION_SCOPE_KEY = "viewfinder_db_session"


async def provide_db_session(state: State, scope: Scope) -> AsyncSession:
    """One session per request, closed by close_db_session when the response starts.

    Not a generator dependency: Litestar skips a generator's clean-up when a later dependency
    raises (an authentication refusal, say), which would leave the connection checked out.
    """
    sessionmaker: async_sessionmaker[AsyncSession] = state.sessionmaker
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

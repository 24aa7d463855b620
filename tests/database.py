"""Raw SQL on a test's own database, whichever stack the run is on (SQLite file or PostgreSQL).

Tests that check rows behind the API's back use these rather than opening the SQLite file, so that
on the scale stack they look at the PostgreSQL database the app really wrote to.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine
from sqlalchemy.engine import make_url

from tests.stacks import SCALE, postgres
from viewfinder.core.db import sync_url
from viewfinder.settings import Settings


class Rows:
    """One connection; `execute` takes SQL with `?` placeholders on either backend."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.paramstyle = connection.dialect.paramstyle

    def execute(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        if params and self.paramstyle != "qmark":
            sql = sql.replace("%", "%%").replace("?", "%s")
        result = self.connection.exec_driver_sql(sql, tuple(params))
        return [tuple(row) for row in result] if result.returns_rows else []

    def tables(self) -> list[str]:
        """The application's tables (one cheap catalogue query: reflection costs ~50 ms on PostgreSQL)."""
        if self.connection.dialect.name == "sqlite":
            sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        else:
            sql = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        return sorted(name for (name,) in self.execute(sql) if name != "alembic_version")


# The engine of the database last asked for: tests query their own database many times in a row.
_engine: tuple[str, Engine] | None = None


def _engine_for(url: str) -> Engine:
    global _engine
    if _engine is None or _engine[0] != url:
        if _engine is not None:
            _engine[1].dispose()
        _engine = (url, create_engine(sync_url(url), pool_size=1))
    return _engine[1]


@contextmanager
def connect(settings_or_url: Settings | str) -> Iterator[Rows]:
    """A connection to the test's database (autocommitting on PostgreSQL, so reads see every commit)."""
    url = settings_or_url if isinstance(settings_or_url, str) else settings_or_url.resolved_database_url
    with _engine_for(url).connect() as connection:
        if connection.dialect.name == "postgresql":
            connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        yield Rows(connection)
        connection.commit()


def query(settings_or_url: Settings | str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """The rows of one statement on the test's database."""
    with connect(settings_or_url) as rows:
        return rows.execute(sql, *params)


def all_rows(settings_or_url: Settings | str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every application table, sorted, to compare a database before and after."""
    with connect(settings_or_url) as rows:
        return {table: sorted(rows.execute(f"SELECT * FROM {table}"), key=repr) for table in rows.tables()}  # noqa: S608


@contextmanager
def fresh_database() -> Iterator[dict[str, str]]:
    """Settings overrides giving a test-made Settings its own migrated database on the scale stack.

    Embedded, {}: the caller's data folder holds its SQLite file. With PostgreSQL active, a new
    database cloned from the run's template, dropped afterwards.
    """
    if not (SCALE and postgres.server_url() is not None):
        yield {}
        return
    with postgres.extra_database() as url:
        yield {"database_url": url}


def is_postgresql(settings: Settings) -> bool:
    return make_url(settings.resolved_database_url).get_backend_name() == "postgresql"


def database_environment(settings: Settings) -> dict[str, str]:
    """Environment variables that point a `viewfinder` subprocess at these settings' database."""
    return {"VIEWFINDER_DATABASE_URL": settings.database_url} if settings.database_url else {}

"""The postgres part of the scale-out test stack (see tests/stacks/__init__.py).

Active when ``VIEWFINDER_DATABASE_URL`` names a PostgreSQL server (``scripts/services/postgres env``
exports it). Each test process migrates one template database once; each test then gets its own
database cloned from it (``CREATE DATABASE ... TEMPLATE``, about 30 ms) and dropped afterwards, so
tests never see each other's rows and the migrations run once per process, not once per test.
Names carry the process id, so two runs against one server never collide, and databases left by a
run that was killed are dropped by the next one.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy.engine import URL, make_url

from tests.stacks.processes import alive
from viewfinder.core.migrate import upgrade

PREFIX = "vf_test_"
_NAME = re.compile(rf"^{PREFIX}(\d+)_")


def server_url() -> URL | None:
    """The PostgreSQL server this run uses, or None when the database is the embedded SQLite."""
    raw = os.environ.get("VIEWFINDER_DATABASE_URL", "")
    if not raw:
        return None
    url = make_url(raw)
    return url if url.get_backend_name() == "postgresql" else None


def _libpq_url(url: URL, database: str | None = None) -> str:
    """The plain libpq form of a SQLAlchemy URL, for psycopg itself."""
    return url.set(drivername="postgresql", database=database or url.database).render_as_string(
        hide_password=False
    )


class _Databases:
    """This process's template and per-test databases on one server, through one admin connection."""

    def __init__(self, url: URL) -> None:
        self.url = url
        self.pid = os.getpid()
        self.admin = self._connect()
        self.counter = itertools.count()
        self._drop_leftovers()
        self.template = f"{PREFIX}{self.pid}_template"
        self._create(self.template)
        upgrade(self.url_of(self.template))
        atexit.register(self.close)

    def _connect(self) -> psycopg.Connection[Any]:
        return psycopg.connect(_libpq_url(self.url), autocommit=True)

    def _execute(self, statement: sql.Composed | str, params: tuple[Any, ...] | None = None) -> list[Any]:
        """Run one admin statement, reconnecting once if the server was restarted (fault tests)."""
        try:
            cursor = self.admin.execute(statement, params)
        except psycopg.OperationalError:
            self.admin.close()
            self.admin = self._connect()
            cursor = self.admin.execute(statement, params)
        return cursor.fetchall() if cursor.description else []

    def url_of(self, database: str) -> str:
        return self.url.set(database=database).render_as_string(hide_password=False)

    def _create(self, database: str, template: str | None = None) -> None:
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database))
        if template is not None:
            statement = sql.SQL("{} TEMPLATE {}").format(statement, sql.Identifier(template))
        self._execute(statement)

    def drop(self, database: str) -> None:
        # FORCE ends whatever connection a test left open (a pool not yet disposed, say).
        self._execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))

    def _drop_leftovers(self) -> None:
        """Drop the databases of test processes that are gone (a run killed before clean-up)."""
        rows = self._execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s", (PREFIX.replace("_", r"\_") + "%",)
        )
        for (name,) in rows:
            match = _NAME.match(name)
            if match and not alive(int(match.group(1))):
                self.drop(name)

    def new_test_database(self) -> str:
        name = f"{PREFIX}{self.pid}_{next(self.counter)}"
        self._create(name, template=self.template)
        return name

    def close(self) -> None:
        if self.admin.closed:
            return
        # If the server is gone, the next run drops what is left (see _drop_leftovers).
        with contextlib.suppress(psycopg.Error):
            self.drop(self.template)
        self.admin.close()


_databases: _Databases | None = None


def _process_databases(url: URL) -> _Databases:
    global _databases
    if _databases is None or _databases.pid != os.getpid():
        _databases = _Databases(url)
    return _databases


@contextmanager
def for_test(test_name: str, worker: str) -> Iterator[dict[str, Any]]:
    """Settings overrides isolating one test on postgres; cleaned up when the test ends."""
    url = server_url()
    if url is None:
        yield {}
        return
    databases = _process_databases(url)
    name = databases.new_test_database()
    try:
        yield {"database_url": databases.url_of(name)}
    finally:
        databases.drop(name)


@contextmanager
def extra_database() -> Iterator[str]:
    """The URL of one more migrated, empty database on this run's server, dropped afterwards.

    Tests use it where they need two databases, as a stand-in for a read replica that holds other data.
    """
    url = server_url()
    if url is None:
        raise RuntimeError("VIEWFINDER_DATABASE_URL does not name a PostgreSQL server")
    databases = _process_databases(url)
    name = databases.new_test_database()
    try:
        yield databases.url_of(name)
    finally:
        databases.drop(name)

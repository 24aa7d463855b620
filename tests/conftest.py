"""Fixtures shared by every test: a migrated database per test, the app, and API clients."""

from __future__ import annotations

import os

# Set before any viewfinder module reads the environment (the job queue is built at import).
os.environ["VIEWFINDER_ENV"] = "test"
os.environ["VIEWFINDER_JOBS_IMMEDIATE"] = "true"

import shutil
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from tests.mailbox import Mailbox, MailServer
from tests.stacks import cassandra as cassandra_stack
from tests.stacks import scale_overrides
from viewfinder.app import API_PREFIX, create_app
from viewfinder.core import crypto, ids
from viewfinder.core.db import make_async_engine, make_sessionmaker
from viewfinder.core.migrate import upgrade
from viewfinder.settings import Settings
from viewfinder.wiring import build_backends

PASSWORD = "a long and unusual password"
BASE_URL = "https://testserver.local"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Drop what this test process made on the scale stack's shared servers."""
    cassandra_stack.finish()


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with every migration applied, made once per test process and copied per test."""
    path = tmp_path_factory.mktemp("template") / "viewfinder.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def mail_server() -> Iterator[MailServer]:
    """A real SMTP server (aiosmtpd) on a free loopback port, for this test process (tests.mailbox)."""
    with MailServer.running() as server:
        yield server


@pytest.fixture
def settings(tmp_path: Path, migrated_database: Path, request: pytest.FixtureRequest) -> Iterator[Settings]:
    """The test's settings: its own data folder and database, on the stack chosen for the run; they
    send mail to the test SMTP server only when the test reads a `mailbox` (otherwise none is sent)."""
    data_dir = tmp_path / "var"
    data_dir.mkdir()
    shutil.copy(migrated_database, data_dir / "viewfinder.db")
    mail: dict[str, Any] = {}
    if "mailbox" in request.fixturenames:
        mail = request.getfixturevalue("mail_server").settings_for()
    with scale_overrides(request.node.nodeid) as overrides:
        settings = Settings(
            env="test",
            data_dir=data_dir,
            allowed_hosts=["testserver.local"],
            jobs_immediate=True,
            public_url="https://testserver.local",
            **overrides,
            **mail,
        )
        crypto.configure(settings)  # encryption at rest reads this test's database's data keys
        # Services and jobs called without an app use this test's stores (an app installs its own).
        build_backends(settings).install()
        yield settings


@pytest.fixture
def mailbox(mail_server: MailServer, settings: Settings) -> Mailbox:
    """Every email this test's app sent, read from the test SMTP server."""
    return Mailbox(mail_server, settings)


@pytest.fixture
def app(settings: Settings) -> Iterator[Litestar]:
    yield create_app(settings)
    ids.release_shard()  # the app claimed an ID shard under this test's data directory


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[AsyncSession]:
    """A session on the test's database, for service-level tests."""
    engine = make_async_engine(settings.resolved_database_url)
    async with make_sessionmaker(engine)() as session:
        yield session
    await engine.dispose()


@dataclass
class Api:
    """A test client for one person: prefixes API paths and sends the CSRF token with writes."""

    client: TestClient[Litestar]
    username: str = ""
    csrf_token: str = ""
    me: dict[str, Any] = field(default_factory=dict)

    def _headers(self, headers: dict[str, str] | None) -> dict[str, str]:
        merged = {"x-csrf-token": self.csrf_token} if self.csrf_token else {}
        merged.update(headers or {})
        return merged

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.client.get(API_PREFIX + path, **kwargs)

    def post(self, path: str, headers: dict[str, str] | None = None, **kwargs: Any) -> httpx.Response:
        return self.client.post(API_PREFIX + path, headers=self._headers(headers), **kwargs)

    def put(self, path: str, headers: dict[str, str] | None = None, **kwargs: Any) -> httpx.Response:
        return self.client.put(API_PREFIX + path, headers=self._headers(headers), **kwargs)

    def patch(self, path: str, headers: dict[str, str] | None = None, **kwargs: Any) -> httpx.Response:
        return self.client.patch(API_PREFIX + path, headers=self._headers(headers), **kwargs)

    def delete(self, path: str, headers: dict[str, str] | None = None, **kwargs: Any) -> httpx.Response:
        return self.client.delete(API_PREFIX + path, headers=self._headers(headers), **kwargs)

    def signup(self, username: str, password: str = PASSWORD, email: str | None = None) -> Api:
        response = self.post(
            "/accounts/signup",
            json={"username": username, "email": email or f"{username}@example.com", "password": password},
        )
        assert response.status_code == 201, response.text
        self.username = username
        self.csrf_token = response.json()["csrf_token"]
        self.me = response.json()["me"]
        return self


@pytest.fixture
def server(app: Litestar) -> Iterator[TestClient[Litestar]]:
    """The app running (lifespan started) behind a test client."""
    with TestClient(app, base_url=BASE_URL) as client:
        yield client


@pytest.fixture
def make_api(app: Litestar, server: TestClient[Litestar]) -> Callable[[], Api]:
    """Makes anonymous clients, each with its own cookie jar (one per person in a test).

    They share the server's event loop and lifespan, as browsers share one running server.
    """

    def make() -> Api:
        client = TestClient(app, base_url=BASE_URL)
        client.blocking_portal = server.blocking_portal
        return Api(client)

    return make


@pytest.fixture
def anon(make_api: Callable[[], Api]) -> Api:
    return make_api()


@pytest.fixture
def alice(make_api: Callable[[], Api]) -> Api:
    return make_api().signup("alice")


@pytest.fixture
def bob(make_api: Callable[[], Api]) -> Api:
    return make_api().signup("bob")


@pytest.fixture
def carol(make_api: Callable[[], Api]) -> Api:
    return make_api().signup("carol")


@dataclass
class QueryLog:
    statements: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(app: Litestar) -> Callable[[], Any]:
    """Context manager that records the SQL statements the app runs inside it."""

    @contextmanager
    def counting() -> Iterator[QueryLog]:
        log = QueryLog()
        engine = app.state.engine.sync_engine

        def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            log.statements.append(statement)

        event.listen(engine, "before_cursor_execute", record)
        try:
            yield log
        finally:
            event.remove(engine, "before_cursor_execute", record)

    return counting

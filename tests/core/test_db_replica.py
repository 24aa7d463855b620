"""A read replica: read-only requests (GET, HEAD) read from it, and every write goes to the primary.

To tell the two apart, the "replica" here is a second database on the same server holding different
rows (on the scale stack a PostgreSQL database, embedded a second SQLite file: the routing is the same).
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import BASE_URL, Api
from tests.helpers import assert_error, dedicated_api
from tests.stacks import postgres
from viewfinder.accounts import services as accounts
from viewfinder.accounts.models import User, UserSession
from viewfinder.core.db import make_async_engine, make_sessionmaker
from viewfinder.feeds.models import Affinity
from viewfinder.settings import Settings


@pytest.fixture
def replica_url(settings: Settings, migrated_database: Path, tmp_path: Path) -> Iterator[str]:
    """A second migrated database beside the test's own, on the same server."""
    if settings.resolved_database_url.startswith("postgresql"):
        with postgres.extra_database() as url:
            yield url
    else:
        path = tmp_path / "replica.db"
        shutil.copy(migrated_database, path)
        yield f"sqlite+aiosqlite:///{path}"


@pytest.fixture
async def replica_db(replica_url: str) -> AsyncIterator[AsyncSession]:
    engine = make_async_engine(replica_url)
    async with make_sessionmaker(engine)() as session:
        yield session
    await engine.dispose()


@pytest.fixture
def replicated(settings: Settings, replica_url: str) -> Iterator[Callable[[], Api]]:
    """Makes clients (one per person) of an app whose replica is replica_url."""
    with dedicated_api(settings, database_replica_url=replica_url) as first:
        clients = [first]

        def make() -> Api:
            if clients:
                return clients.pop()
            client = TestClient(first.client.app, base_url=BASE_URL)
            client.blocking_portal = first.client.blocking_portal
            return Api(client)

        yield make


async def count(db: AsyncSession, model: Any, *conditions: Any) -> int:
    return int(await db.scalar(select(func.count()).select_from(model).where(*conditions)) or 0)


async def test_get_reads_the_replica_and_post_writes_the_primary(
    replicated: Callable[[], Api], db: AsyncSession, replica_db: AsyncSession
) -> None:
    await accounts.signup(
        replica_db, username="rita", email="rita@example.com", password="a long unusual password"
    )

    bob = replicated().signup("bob")  # a POST: the primary gets the account, the replica does not
    assert await count(db, User, User.username == "bob") == 1
    assert await count(replica_db, User, User.username == "bob") == 0

    anon = replicated()
    assert anon.get("/users/rita").json()["username"] == "rita"  # only the replica has rita
    assert_error(anon.get("/users/bob"), 404, "not_found")  # ... and only the primary has bob
    # bob's session cookie is unknown to the replica, so his own GET finds no session there.
    assert_error(bob.get("/accounts/me"), 401, "not_authenticated")
    assert bob.patch("/accounts/me", json={"bio": "on the primary"}).status_code == 200
    assert await count(db, User, User.bio == "on the primary") == 1


async def copy_rows(source: AsyncSession, target: AsyncSession, *models: Any) -> None:
    """Replicate these tables' rows by hand (what streaming replication would have done)."""
    for model in models:
        rows = (await source.execute(select(model.__table__))).mappings().all()
        await target.execute(insert(model.__table__), [dict(row) for row in rows])
    await target.commit()


async def test_a_get_that_writes_sends_its_writes_to_the_primary(
    replicated: Callable[[], Api], db: AsyncSession, replica_db: AsyncSession
) -> None:
    alice = replicated().signup("alice")
    replicated().signup("bob")
    await copy_rows(db, replica_db, User, UserSession)

    # Visiting a profile counts toward affinity: a write inside a GET, which a read-only replica
    # would refuse. Reads before it came from the replica; the write and what follows, the primary.
    for _ in range(2):
        assert alice.get("/users/bob").status_code == 200
    visits = select(Affinity.visits)
    assert (await db.scalars(visits)).all() == [2]
    assert (await replica_db.scalars(visits)).all() == []
    assert alice.get("/accounts/me").json()["profile"]["username"] == "alice"


def test_primary_and_replica_on_one_server(settings: Settings) -> None:
    """Both URLs naming the same database (a test set-up, or a proxy that routes by itself) works."""
    url = settings.resolved_database_url
    with dedicated_api(settings, database_url=url, database_replica_url=url) as alice:
        alice.signup("alice")
        assert alice.patch("/accounts/me", json={"bio": "hello"}).status_code == 200
        assert alice.get("/accounts/me").json()["profile"]["bio"] == "hello"
        assert alice.get("/users/alice/posts").json()["items"] == []
        assert alice.get("/feed").json()["items"] == []
        assert alice.get("/notifications").status_code == 200

"""PostgreSQL specifics: the migrations build the models' schema there too, and the pool follows settings."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from litestar.testing import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.conftest import BASE_URL, Api
from tests.database import is_postgresql
from tests.helpers import assert_error
from tests.stacks import SCALE, postgres
from viewfinder.app import create_app
from viewfinder.core import db as core_db
from viewfinder.core import ids, jobs
from viewfinder.core.db import Base, make_async_engine, make_sessionmaker, make_sync_engine, read_rows
from viewfinder.core.jobs import close_job_engine, run_with_db
from viewfinder.core.migrate import current_revision_is_head, upgrade
from viewfinder.models import load_models
from viewfinder.settings import Settings

pytestmark = pytest.mark.skipif(
    not (SCALE and postgres.server_url() is not None),
    reason="PostgreSQL only: runs on the scale stack (scripts/services/postgres)",
)


def test_migrations_match_the_models_on_postgresql(settings: Settings) -> None:
    assert is_postgresql(settings)
    url = settings.resolved_database_url  # a clone of the run's freshly migrated template
    upgrade(url)  # already at head: nothing to do
    assert current_revision_is_head(url)
    load_models()
    engine = make_sync_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert differences == [], "models and migrations disagree on PostgreSQL"


def test_each_process_pools_connections_as_configured(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"database_pool_size": 3, "database_max_overflow": 2}))
    try:
        with TestClient(app, base_url=BASE_URL) as client:
            assert client.get("/readyz").status_code == 200
            pool = app.state.engine.sync_engine.pool
            assert (pool.size(), pool._max_overflow) == (3, 2)
            assert app.state.read_sessionmaker is app.state.sessionmaker  # no replica configured
    finally:
        ids.release_shard()


_PID = select(func.pg_backend_pid().label("pid"))


@contextlib.asynccontextmanager
async def _pool_of_one_killed_connection(
    url: str,
) -> AsyncIterator[tuple[async_sessionmaker[AsyncSession], int]]:
    """Sessions over a pool of one connection, just used and then killed by the server (what a
    restart, a failover or an idle-connection reaper does), and that connection's server pid."""
    engine = make_async_engine(url, pool_size=1, max_overflow=0)
    sessions = make_sessionmaker(engine)
    try:
        async with sessions() as db:
            pid = (await db.execute(_PID)).scalar_one()
        killer = make_sync_engine(url)
        try:
            with killer.connect() as connection:
                connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        finally:
            killer.dispose()
        yield sessions, pid
    finally:
        await engine.dispose()


async def test_a_pooled_connection_whose_server_went_away_is_replaced_before_use(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A connection idle for a while is checked before it is lent (one in steady use is not: that
    round trip per request is what the check costs), so a request after a restart succeeds."""
    async with _pool_of_one_killed_connection(settings.resolved_database_url) as (sessions, killed):
        monkeypatch.setattr(core_db, "PING_AFTER_IDLE_S", 0.0)  # as if it had been idle
        async with sessions() as db:
            assert await db.scalar(_PID) != killed


async def test_a_hot_read_on_a_dead_pooled_connection_is_read_again_on_a_new_one(settings: Settings) -> None:
    """Reads through `read_rows` run in autocommit on a pooled connection without the check; when
    that connection turns out dead, the read is run again the ordinary way, on a new connection."""
    async with _pool_of_one_killed_connection(settings.resolved_database_url) as (sessions, killed):
        async with sessions() as db:
            rows = await read_rows(db, _PID)
            assert rows
            assert rows[0][0] != killed
        async with sessions() as db:  # and the fast read runs outside any transaction of the session
            assert list(await read_rows(db, _PID)) == list(rows)
            assert not db.sync_session.in_transaction()


async def test_a_hot_read_is_prepared_on_its_connection_at_its_first_run(settings: Settings) -> None:
    """A page's reads are planned by the server once per connection, not at each of their first
    runs there (planning a feed page's card query costs more than running it)."""
    engine = make_async_engine(settings.resolved_database_url, pool_size=1, max_overflow=0)
    sessions = make_sessionmaker(engine)
    hot = select(func.count()).select_from(text("pg_class")).where(text("relkind = 'r'"))
    try:
        async with sessions() as db:
            await read_rows(db, hot)
        async with sessions() as db:  # the same, only, connection
            prepared = (await db.scalars(text("SELECT statement FROM pg_prepared_statements"))).all()
        assert any("pg_class" in statement for statement in prepared), prepared
    finally:
        await engine.dispose()


def test_text_postgresql_cannot_store_is_a_400_not_a_500(alice: Api) -> None:
    assert_error(alice.patch("/accounts/me", json={"bio": "nul \u0000 inside"}), 400, "bad_request")
    assert_error(alice.get("/users/a%00b"), 400, "bad_request")
    assert alice.get("/accounts/me").json()["profile"]["bio"] == ""


def test_a_job_consumer_thread_runs_its_jobs_on_one_server_connection(settings, monkeypatch) -> None:
    """On PostgreSQL each new connection is a new server process: a consumer opening one per job
    spent more CPU on that than on the jobs (the first PostgreSQL soak)."""

    async def server_process(db: AsyncSession) -> int:
        return int(await db.scalar(text("SELECT pg_backend_pid()")))

    def three_jobs() -> list[int]:
        try:
            return [run_with_db(server_process) for _ in range(3)]
        finally:
            close_job_engine()

    monkeypatch.setattr(jobs, "_keeping", True)  # as `viewfinder worker` does (keep_job_engines)
    with ThreadPoolExecutor(1) as consumer_thread:
        assert len(set(consumer_thread.submit(three_jobs).result())) == 1

    monkeypatch.setattr(jobs, "_keeping", False)  # elsewhere (the CLI, tests) each job connects anew
    assert len({run_with_db(server_process) for _ in range(3)}) == 3

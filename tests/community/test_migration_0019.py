"""Migration 0019 adds the announcements and featured accounts tables and takes them away again, on
the test's own database (SQLite, or PostgreSQL on the scale stack)."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect

from viewfinder.core.db import make_sync_engine
from viewfinder.core.migrate import alembic_config, current_revision_is_head, upgrade

TABLES = {"announcements", "announcement_reads", "featured_accounts"}


def table_names(url: str) -> set[str]:
    engine = make_sync_engine(url)
    try:
        with engine.connect() as connection:
            return set(inspect(connection).get_table_names())
    finally:
        engine.dispose()


def test_0019_goes_down_and_up_again(settings):
    url = settings.resolved_database_url
    assert table_names(url) >= TABLES

    command.downgrade(alembic_config(url), "0018")

    assert not TABLES & table_names(url)
    assert "users" in table_names(url)

    upgrade(url)

    assert table_names(url) >= TABLES
    assert current_revision_is_head(url)

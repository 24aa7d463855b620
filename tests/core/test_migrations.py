"""The Alembic migrations build exactly the schema the models describe, on a fresh database."""

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from viewfinder.core.db import Base, make_sync_engine
from viewfinder.core.migrate import current_revision_is_head, upgrade
from viewfinder.models import load_models


def test_migrations_match_the_models(tmp_path: Path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    upgrade(url)
    load_models()
    engine = make_sync_engine(url)
    try:
        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
            tables = set(inspect(connection).get_table_names())
    finally:
        engine.dispose()
    assert differences == [], "models changed without a migration: run alembic revision --autogenerate"
    assert {"users", "user_sessions", "api_tokens", "follows", "follow_requests", "blocks", "mutes"} <= tables


def test_upgrade_is_idempotent_and_reports_head(tmp_path: Path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'twice.db'}"
    upgrade(url)
    upgrade(url)
    assert current_revision_is_head(url)

"""Applying Alembic migrations from code (the CLI, `serve` and the tests)."""

from __future__ import annotations

from importlib.resources import files

from alembic import command
from alembic.config import Config

from viewfinder.core.db import sync_url


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(files("viewfinder") / "migrations"))
    config.set_main_option("sqlalchemy.url", sync_url(database_url).replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def current_revision_is_head(database_url: str) -> bool:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from viewfinder.core.db import make_sync_engine

    config = alembic_config(database_url)
    engine = make_sync_engine(database_url)
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_heads()
    finally:
        engine.dispose()
    return set(current) == set(ScriptDirectory.from_config(config).get_heads())

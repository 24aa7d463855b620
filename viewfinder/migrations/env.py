"""Alembic environment: migrations run on a synchronous connection to the configured database."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from viewfinder.core.db import Base, make_sync_engine
from viewfinder.models import load_models

load_models()
target_metadata = Base.metadata


def run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite can only ALTER by rebuilding tables
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    engine = make_sync_engine(context.config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as new_connection:
        run(new_connection)
    engine.dispose()

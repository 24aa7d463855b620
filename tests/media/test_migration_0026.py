"""Migration 0026 adds media items' turn and adjustments and takes them away again, on the test's own
database (SQLite, or PostgreSQL on the scale stack), keeping the items that were there."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect

from tests.database import query
from viewfinder.core.db import make_sync_engine
from viewfinder.core.migrate import alembic_config, current_revision_is_head, upgrade

COLUMNS = {"rotation", "adjustments"}


def media_columns(url: str) -> set[str]:
    engine = make_sync_engine(url)
    try:
        with engine.connect() as connection:
            return {column["name"] for column in inspect(connection).get_columns("media_items")}
    finally:
        engine.dispose()


def test_0026_goes_down_and_up_again_keeping_the_items(alice, small_jpeg, settings):
    uploaded = alice.post(
        "/media",
        files={"file": ("photo.jpg", small_jpeg, "image/jpeg")},
        data={"rotate": "90", "adjust": "fade=20"},
    )
    assert uploaded.status_code == 202, uploaded.text
    url = settings.resolved_database_url
    assert media_columns(url) >= COLUMNS

    command.downgrade(alembic_config(url), "0025")

    assert not COLUMNS & media_columns(url)
    assert query(url, "SELECT id, state FROM media_items") == [(int(uploaded.json()["id"]), "ready")]

    upgrade(url)

    assert media_columns(url) >= COLUMNS
    # An item from before the migration has no turn and no adjustments.
    assert query(url, "SELECT rotation, adjustments FROM media_items") == [(0, None)]
    assert current_revision_is_head(url)

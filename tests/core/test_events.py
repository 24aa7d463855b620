"""Domain events (core.events): delivered after commit at least once, never for a rolled-back write."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests import database
from tests.helpers import assert_error
from tests.posts.test_api import create, photo, upload
from viewfinder.core.db import utcnow
from viewfinder.core.errors import ApiError
from viewfinder.core.events import QUEUE_BUSY_GRACE, emit, off, on, redeliver_stale_events
from viewfinder.core.jobs import huey
from viewfinder.posts.events import PostCreated
from viewfinder.settings import Settings

# Commits a post through the service, and dies the moment the commit has succeeded: before the
# commit's events reach the job queue (its hook runs before core.events' hand-off).
CRASH_AFTER_COMMIT = """
import asyncio, os, sys
from viewfinder.core import db as core_db

async def die(session):
    os._exit(17)

core_db.on_session_commit(die)  # before core.events is imported: runs before its hand-off

from viewfinder.accounts.models import User
from viewfinder.core import crypto
from viewfinder.posts import services as posts
from viewfinder.settings import get_settings

async def main():
    settings = get_settings()
    crypto.configure(settings)
    engine = core_db.make_async_engine(settings.resolved_database_url)
    async with core_db.make_sessionmaker(engine)() as db:
        author = await db.get(User, int(sys.argv[1]))
        items = [posts.NewItem(int(sys.argv[2]), "")]
        await posts.create_post(db, author, items, caption="made just before a crash")
    sys.exit(3)  # not reached: the commit's hook ended the process

asyncio.run(main())
"""


def outbox(settings: Settings) -> list[tuple[Any, ...]]:
    return database.query(settings, "SELECT name, attempts FROM domain_events")


def feed_captions(api: Any) -> list[str]:
    response = api.get("/feed")
    assert response.status_code == 200, response.text
    return [post["caption"] for post in response.json()["items"]]


@pytest.fixture
def recorded() -> Iterator[list[PostCreated]]:
    """The PostCreated events an after-commit subscriber of the test's own received."""
    seen: list[PostCreated] = []

    async def record(db: AsyncSession, event: PostCreated) -> None:
        seen.append(event)

    on(PostCreated, after_commit=True)(record)
    yield seen
    off(PostCreated, record)


def test_a_committed_post_is_delivered_once_and_leaves_the_outbox(alice, bob, settings, recorded):
    bob.post("/users/alice/follow")
    post = create(alice, [upload(alice, photo())], caption="hello")
    assert post.status_code == 201, post.text

    assert [event.post_id for event in recorded] == [int(post.json()["id"])]
    assert outbox(settings) == []
    assert feed_captions(bob) == ["hello"]


def test_an_in_transaction_subscriber_that_fails_rolls_the_write_back(alice, bob, settings, recorded):
    async def refuse(db: AsyncSession, event: PostCreated) -> None:
        raise ApiError(409, "refused", "A subscriber refused this post.")

    bob.post("/users/alice/follow")
    media_id = upload(alice, photo())
    on(PostCreated)(refuse)
    try:
        assert_error(create(alice, [media_id], caption="never"), 409, "refused")
    finally:
        off(PostCreated, refuse)

    # Nothing of the post: no row, no count, no outbox row, no after-commit subscriber run.
    assert database.query(settings, "SELECT COUNT(*) FROM posts") == [(0,)]
    assert alice.get("/users/alice").json()["posts_count"] == 0
    assert outbox(settings) == []
    assert recorded == []
    assert feed_captions(bob) == []
    # The media item is still free to post, and posting it works once the subscriber is gone.
    assert create(alice, [media_id], caption="again").status_code == 201
    assert feed_captions(bob) == ["again"]
    assert len(recorded) == 1


async def test_a_rolled_back_transaction_emits_nothing(alice, db, settings, recorded):
    await emit(db, PostCreated(post_id=1, author_id=int(alice.me["profile"]["id"])))
    await db.rollback()
    await db.commit()  # a later commit of the same session hands nothing over

    assert recorded == []
    assert outbox(settings) == []


@pytest.mark.parametrize("queue", ["idle", "still working through jobs"])
def test_a_post_committed_by_a_process_that_died_before_the_hand_off_still_reaches_followers(
    alice, bob, settings, recorded, queue
):
    bob.post("/users/alice/follow")
    media_id = upload(alice, photo())
    env = {key: value for key, value in os.environ.items() if not key.startswith("VIEWFINDER_")}
    env.update(
        VIEWFINDER_ENV="test",
        VIEWFINDER_DATA_DIR=str(settings.data_dir),
        VIEWFINDER_JOBS_IMMEDIATE="true",
        **database.database_environment(settings),
    )
    crashed = subprocess.run(
        [sys.executable, "-c", CRASH_AFTER_COMMIT, alice.me["profile"]["id"], media_id],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert crashed.returncode == 17, crashed.stderr

    # Committed, but no follower heard of it: the event waits in the outbox.
    assert [post["caption"] for post in alice.get("/users/alice/posts").json()["items"]] == [
        "made just before a crash"
    ]
    assert outbox(settings) == [("PostCreated", 0)]
    assert feed_captions(bob) == []
    # A fresh event is in flight, not lost: the sweep leaves it alone until it is overdue.
    assert redeliver_stale_events() == 0

    overdue = utcnow() + timedelta(seconds=11)
    if queue == "idle":
        assert redeliver_stale_events(now=overdue) == 1
    else:  # the event may be one of the jobs waiting: it is given longer before a copy is queued
        huey.storage.enqueue(b"a job the worker has not reached yet")
        try:
            assert redeliver_stale_events(now=overdue) == 0
            assert feed_captions(bob) == []
            assert redeliver_stale_events(now=overdue + QUEUE_BUSY_GRACE) == 1
        finally:
            huey.storage.flush_queue()

    assert feed_captions(bob) == ["made just before a crash"]
    assert [event.post_id for event in recorded] == [
        int(alice.get("/users/alice/posts").json()["items"][0]["id"])
    ]
    assert outbox(settings) == []
    assert redeliver_stale_events(now=utcnow() + timedelta(hours=2)) == 0

"""`read_rows`, the hot read paths' way to run a statement (docs/decisions/0045-hot-read-path.md).

On SQLite a read outside a write transaction skips the engine: compiled once, run on the thread's
read-only connection, its parameters and results put through SQLAlchemy's type processors by hand.
What a user would notice if that went wrong: a feed, a card or a comment preview that differs from
what the engine would have read (a number where a date belongs, 1 for true, a missing row), or a
request that cannot see the like it has just written.
"""

from __future__ import annotations

import os
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.pool import QueuePool

from tests.helpers import assert_fast_reads_match_the_engine, make_post
from viewfinder.accounts.models import User
from viewfinder.core.db import make_async_engine, make_sessionmaker, read_rows
from viewfinder.engagement.models import PostLike
from viewfinder.feeds import services, store
from viewfinder.posts import cards
from viewfinder.settings import Settings

SQLITE = os.environ.get("VIEWFINDER_TEST_STACK") != "scale"


def _id(api: Any) -> int:
    return int(api.me["profile"]["id"])


async def test_each_hot_statement_reads_what_the_engine_reads(alice, bob, carol, db: AsyncSession, settings):
    assert bob.post("/users/alice/follow").status_code in (200, 201)
    posts = [int(make_post(alice, f"photo {i} #sea @carol")["id"]) for i in range(3)]
    for post_id in posts[:2]:
        assert carol.post(f"/posts/{post_id}/comments", json={"text": "lovely"}).status_code == 201
        assert bob.post(f"/posts/{post_id}/like").status_code in (200, 201, 204)
    assert bob.post(f"/posts/{posts[0]}/save").status_code in (200, 201, 204)
    viewer = _id(bob)
    threshold = settings.feed_fanout_threshold
    statements: list[tuple[Any, dict[str, Any]]] = [
        (
            services._following_query(threshold, True, False, False),
            {"viewer_id": viewer, "ids": posts, "limit": 21, "before": None, "floor": None},
        ),
        (services._chosen_query(), {"viewer_id": viewer, "chosen": posts}),
        (cards._cards_query(), {"post_ids": posts}),
        (cards._viewer_state_query(), {"viewer_id": viewer, "post_ids": posts}),
        (cards._previews_query(True, False), {"viewer_id": viewer, "post_ids": posts, "per_post": 2}),
        (cards._previews_query(False, False), {"post_ids": posts, "per_post": 2}),
    ]
    if db.get_bind().dialect.name == "postgresql":  # the form it runs there; SQLite has no LATERAL
        for with_viewer in (True, False):
            values = {"viewer_id": viewer, "post_ids": posts, "per_post": 2}
            lateral = list(await read_rows(db, cards._previews_query(with_viewer, True), values))
            assert lateral == list(await read_rows(db, cards._previews_query(with_viewer, False), values))
            assert len(lateral) == 2
    if settings.timeline_backend == "sql":  # else timelines are in Cassandra, and the table empty
        statements += [
            (store._page_query(False), {"user_id": viewer, "limit": 10}),
            (store._page_query(True), {"user_id": viewer, "limit": 10, "before": posts[2]}),
        ]
    for statement, values in statements:
        await assert_fast_reads_match_the_engine(db, statement, values)


async def test_a_session_that_wrote_reads_its_own_uncommitted_writes(alice, bob, db: AsyncSession):
    post_id = int(make_post(alice, "to like")["id"])
    values = {"viewer_id": _id(bob), "post_ids": [post_id]}
    assert list(await read_rows(db, cards._viewer_state_query(), values)) == []

    db.add(PostLike(post_id=post_id, user_id=_id(bob)))
    await db.flush()
    assert list(await read_rows(db, cards._viewer_state_query(), values)) == [(post_id, "liked")]

    await db.rollback()
    assert list(await read_rows(db, cards._viewer_state_query(), values)) == []


async def test_a_fast_read_takes_no_connection_from_the_pool(alice, settings: Settings):
    """The point of it: a page's reads hold no connection nor transaction of the session (on SQLite
    no checkout at all; on PostgreSQL a pooled connection in autocommit, given back at once: no
    BEGIN, no ROLLBACK)."""
    post_id = int(make_post(alice, "x")["id"])
    engine = make_async_engine(settings.resolved_database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            rows = await read_rows(session, cards._cards_query(), {"post_ids": [post_id]})
            assert [row[0] for row in rows] == [post_id]
            assert not session.sync_session.in_transaction()
            pool = engine.sync_engine.pool
            assert isinstance(pool, QueuePool)
            assert pool.checkedout() == 0
    finally:
        await engine.dispose()


async def test_a_session_with_the_viewer_attached_still_reads_without_a_connection(alice, settings: Settings):
    """Each request's session gets its viewer from the auth cache by `merge()`, which begins the
    session's transaction without a connection: the page's reads must still take the fast path."""
    post_id = int(make_post(alice, "x")["id"])
    engine = make_async_engine(settings.resolved_database_url)
    try:
        sessions = make_sessionmaker(engine)
        async with sessions() as loading:
            viewer = await loading.get(User, _id(alice))
            assert viewer is not None
            loading.expunge(viewer)
        async with sessions() as session:
            session.sync_session.merge(viewer, load=False)
            assert session.sync_session.in_transaction()
            rows = await read_rows(session, cards._cards_query(), {"post_ids": [post_id]})
            assert [row[0] for row in rows] == [post_id]
            pool = engine.sync_engine.pool
            assert isinstance(pool, QueuePool)
            assert pool.checkedout() == 0
    finally:
        await engine.dispose()

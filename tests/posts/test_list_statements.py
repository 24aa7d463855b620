"""The lists of posts other than the home feed (profile grid, hashtag pages, Explore, saved posts,
collections) read their pages as refs with statements built once, through `read_rows`.

What a user would notice if one of them read differently on the fast path than through the engine
(docs/decisions/0045): a like count or a liked heart that is wrong, a card rebuilt on every read
because its version stamp differs, an Explore score computed from a date read as text (a 500).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.helpers import assert_fast_reads_match_the_engine, make_post
from viewfinder.core.ids import first_id_at, last_id_at
from viewfinder.discovery import services as discovery
from viewfinder.engagement import services as engagement
from viewfinder.posts import services as posts
from viewfinder.posts.models import Hashtag


def _id(api: Any) -> int:
    return int(api.me["profile"]["id"])


async def test_each_list_statement_reads_what_the_engine_reads(alice, bob, carol, db: AsyncSession):
    made = [int(make_post(alice, f"photo {i} #sea")["id"]) for i in range(3)]
    assert carol.post(f"/posts/{made[0]}/comments", json={"text": "lovely"}).status_code == 201
    assert bob.post(f"/posts/{made[0]}/like").status_code == 200
    for post_id in made[:2]:
        assert bob.post(f"/posts/{post_id}/save").status_code == 200
    collection = bob.post("/collections", json={"name": "sea"}).json()
    assert bob.put(f"/collections/{collection['id']}/posts/{made[1]}").status_code == 200
    hashtag_id = await db.scalar(select(Hashtag.id).where(Hashtag.name == "sea"))
    await db.rollback()
    author, viewer = _id(alice), _id(bob)
    now = datetime.now(UTC)
    since = now - timedelta(days=30)
    window: dict[str, Any] = {"first_id": first_id_at(since), "last_id": last_id_at(now), "since": since}
    statements: list[tuple[Any, dict[str, Any]]] = [
        (posts._grid_query(False, False, False), {"author_id": author, "limit": 10}),
        (
            posts._grid_query(True, False, True),
            {"author_id": author, "viewer_id": viewer, "limit": 10, "before": made[2] + 1},
        ),
        (posts._grid_query(True, True, False), {"author_id": author, "viewer_id": author, "limit": 10}),
        (discovery._hashtag_recent_query(False, False), {"hashtag_id": hashtag_id, "limit": 10}),
        (
            discovery._hashtag_recent_query(True, True),
            {"hashtag_id": hashtag_id, "viewer_id": viewer, "limit": 10, "before": made[2] + 1},
        ),
        (discovery._hashtag_top_query(False), {"hashtag_id": hashtag_id, "offset": 0, "limit": 10, **window}),
        (
            discovery._hashtag_top_query(True),
            {"hashtag_id": hashtag_id, "viewer_id": viewer, "offset": 1, "limit": 10, **window},
        ),
        (discovery._explore_query(False), window),
        (discovery._explore_query(True), {"viewer_id": viewer, **window}),
        (engagement._saved_query(False), {"viewer_id": viewer, "limit": 10}),
        (engagement._saved_query(True), {"viewer_id": viewer, "limit": 10, "before": 2**62}),
        (
            engagement._collection_posts_query(False),
            {"viewer_id": viewer, "collection_id": int(collection["id"]), "limit": 10},
        ),
    ]
    for statement, values in statements:
        await assert_fast_reads_match_the_engine(db, statement, values)

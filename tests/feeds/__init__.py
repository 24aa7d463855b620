"""Tests of timelines and the home feed, with helpers shared by the test files."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import Api
from tests.stacks import cassandra as cassandra_stack
from viewfinder.feeds.models import TimelineRow


def feed(api: Api, mode: str = "following", **params: Any) -> list[str]:
    """The post ids of the first page of someone's home feed."""
    response = api.get("/feed", params={"mode": mode, **params})
    assert response.status_code == 200, response.text
    return [post["id"] for post in response.json()["items"]]


def every_page(api: Api, mode: str, limit: int) -> list[str]:
    """The post ids of a whole feed, page by page."""
    ids: list[str] = []
    cursor = None
    for _ in range(100):
        params: dict[str, Any] = {"mode": mode, "limit": limit}
        if cursor:
            params["cursor"] = cursor
        body = api.get("/feed", params=params).json()
        ids += [post["id"] for post in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            return ids
    raise AssertionError("the feed never ended")


def user_id(api: Api) -> int:
    return int(api.me["profile"]["id"])


async def timeline_of(db: AsyncSession, api: Api) -> list[str]:
    """What someone's stored timeline holds (post ids, newest first), in the store in use."""
    store = cassandra_stack.current_store()
    if store is not None:
        return [str(entry.post_id) for entry in await store.page(user_id(api), None, 100_000)]
    rows = await db.scalars(
        select(TimelineRow.post_id)
        .where(TimelineRow.user_id == user_id(api))
        .order_by(TimelineRow.post_id.desc())
    )
    return [str(post_id) for post_id in rows]


async def timelines_holding(db: AsyncSession, post_id: str) -> int:
    """How many stored timelines hold this post, in the store in use."""
    store = cassandra_stack.current_store()
    if store is not None:
        return len(await store.holders(int(post_id)))
    rows = await db.scalars(select(TimelineRow.user_id).where(TimelineRow.post_id == int(post_id)))
    return len(list(rows))

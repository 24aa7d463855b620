"""Tests of hashtag pages, search, Explore and suggested accounts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import Api
from viewfinder.posts.models import Post


def ids(page: dict[str, Any] | list[dict[str, Any]]) -> list[str]:
    """The post ids of a page (or of a plain list of posts), in order."""
    items = page["items"] if isinstance(page, dict) else page
    return [item["id"] for item in items]


def names(users: list[dict[str, Any]]) -> list[str]:
    return [user["username"] for user in users]


async def set_engagement(db: AsyncSession, post: dict[str, Any], likes: int = 0, comments: int = 0) -> None:
    """Give a post like and comment counts directly (the counts are what rankings read)."""
    await db.execute(
        update(Post).where(Post.id == int(post["id"])).values(like_count=likes, comment_count=comments)
    )
    await db.commit()


def follow(follower: Api, followee: Api) -> None:
    response = follower.post(f"/users/{followee.username}/follow")
    assert response.status_code == 200, response.text


def make_private(api: Api) -> None:
    response = api.patch("/accounts/me", json={"is_private": True})
    assert response.status_code == 200, response.text


def approve(owner: Api, requester: Api) -> None:
    response = owner.post(f"/accounts/follow-requests/{requester.username}/approve")
    assert response.status_code == 204, response.text

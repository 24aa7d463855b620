"""Lists of accounts run a fixed number of SQL statements, whatever their length (no N+1 queries).

Each test measures a page of 5 accounts, grows the list to 50 and measures a page of 50; the
viewer is logged in and follows some of the accounts listed, so relationships are filled in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import Api, QueryLog
from tests.graph import follow_all, get_user, make_users
from tests.helpers import cache_session
from viewfinder.accounts.models import User
from viewfinder.accounts.services import ProfileChanges, update_profile
from viewfinder.graph import services as graph


async def _people(db: AsyncSession, prefix: str, number: int, viewer: User) -> list[User]:
    """New accounts, every third of which the viewer follows."""
    people = await make_users(db, [f"{prefix}{i}" for i in range(number)])
    for person in people[::3]:
        await graph.follow(db, viewer, person)
    return people


def _measure(
    api: Api, path: str, limit: int, count_queries: Callable[[], Any]
) -> tuple[QueryLog, list[dict[str, Any]]]:
    cache_session(api, count_queries)
    with count_queries() as log:
        response = api.get(path, params={"limit": limit})
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert len(items) == limit
    return log, items


async def test_followers_list_runs_three_statements_for_5_or_50(db, alice, bob, count_queries):
    owner, viewer = await get_user(db, "alice"), await get_user(db, "bob")
    await follow_all(db, await _people(db, "first", 5, viewer), owner)
    small, _ = _measure(bob, "/users/alice/followers", 5, count_queries)

    await follow_all(db, await _people(db, "more", 45, viewer), owner)
    large, items = _measure(bob, "/users/alice/followers", 50, count_queries)

    assert sum(u["relationship"]["following"] for u in items) == 17
    # The session behind the cookie comes from the auth cache. 1 the account by name (blocks
    # excluded); 2 the page of followers (limit + 1 rows, blocks excluded); 3 the viewer's
    # relationships to them.
    assert small.count == 3, small.statements
    assert large.count == 3, large.statements


async def test_private_followers_list_adds_only_the_follower_check(db, alice, bob, count_queries):
    owner, viewer = await get_user(db, "alice"), await get_user(db, "bob")
    await graph.follow(db, viewer, owner)
    await follow_all(db, await _people(db, "first", 4, viewer), owner)
    await update_profile(db, owner, ProfileChanges(is_private=True))
    small, _ = _measure(bob, "/users/alice/followers", 5, count_queries)

    await update_profile(db, owner, ProfileChanges(is_private=False))
    await follow_all(db, await _people(db, "more", 45, viewer), owner)
    await update_profile(db, owner, ProfileChanges(is_private=True))
    large, _ = _measure(bob, "/users/alice/followers", 50, count_queries)

    # (session cached) 1 the account by name; 2 whether the viewer follows this private account;
    # 3 the page of followers; 4 the viewer's relationships to them.
    assert small.count == 4, small.statements
    assert large.count == 4, large.statements


async def test_following_list_runs_three_statements_for_5_or_50(db, alice, bob, count_queries):
    owner, viewer = await get_user(db, "alice"), await get_user(db, "bob")
    for person in await _people(db, "first", 5, viewer):
        await graph.follow(db, owner, person)
    small, _ = _measure(bob, "/users/alice/following", 5, count_queries)

    for person in await _people(db, "more", 45, viewer):
        await graph.follow(db, owner, person)
    large, items = _measure(bob, "/users/alice/following", 50, count_queries)

    assert sum(u["relationship"]["following"] for u in items) == 17
    # (session cached) 1 the account by name; 2 the page of followed accounts; 3 the viewer's
    # relationships.
    assert small.count == 3, small.statements
    assert large.count == 3, large.statements


async def test_follow_requests_list_runs_two_statements_for_5_or_50(db, alice, count_queries):
    owner = await get_user(db, "alice")
    await update_profile(db, owner, ProfileChanges(is_private=True))
    await follow_all(db, await _people(db, "first", 5, owner), owner)
    small, _ = _measure(alice, "/accounts/follow-requests", 5, count_queries)

    await follow_all(db, await _people(db, "more", 45, owner), owner)
    large, items = _measure(alice, "/accounts/follow-requests", 50, count_queries)

    assert sum(u["relationship"]["following"] for u in items) == 17
    # (session cached) 1 the page of requesters (limit + 1 rows); 2 the owner's relationships to them.
    assert small.count == 2, small.statements
    assert large.count == 2, large.statements

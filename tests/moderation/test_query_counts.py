"""The staff lists run a fixed number of SQL statements, whatever the page size (no N+1 queries)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import Api, QueryLog
from tests.graph import make_users
from tests.helpers import cache_session
from tests.moderation.staff import give_role, make_staff
from viewfinder.moderation.services import file_report


def measure(api: Api, path: str, limit: int, count_queries: Callable[[], Any], **params: str) -> QueryLog:
    cache_session(api, count_queries)
    with count_queries() as log:
        response = api.get(path, params={"limit": limit, **params})
    assert response.status_code == 200, response.text
    assert len(response.json()["items"]) == limit
    measured: QueryLog = log
    return measured


async def report_accounts(db: AsyncSession, prefix: str, number: int) -> None:
    reporters = await make_users(db, [f"{prefix}r{i}" for i in range(2)])
    for target in await make_users(db, [f"{prefix}t{i}" for i in range(number)]):
        await file_report(db, reporters[0], "user", target.id, "spam")
        await file_report(db, reporters[1], "user", target.id, "hate")


async def test_the_queue_runs_three_statements_for_5_or_50(make_api, db: AsyncSession, count_queries):
    moderator = await make_staff(make_api, db, "mia", "moderator")
    await report_accounts(db, "a", 5)
    small = measure(moderator, "/staff/cases", 5, count_queries)

    await report_accounts(db, "b", 46)
    large = measure(moderator, "/staff/cases", 50, count_queries)
    cursor = moderator.get("/staff/cases", params={"limit": 10}).json()["next_cursor"]
    later = measure(moderator, "/staff/cases", 40, count_queries, cursor=cursor)

    # 1 the page of cases (limit + 1); 2 their reports by reason; 3 the accounts they name.
    assert small.count == 3, small.statements
    assert large.count == 3, large.statements
    assert later.count == 4, later.statements  # and the key of the case the cursor names


async def test_the_audit_log_runs_two_statements_for_5_or_50(make_api, db: AsyncSession, count_queries):
    owner = await make_staff(make_api, db, "ada", "owner")
    people = await make_users(db, [f"p{i}" for i in range(50)])
    for person in people[:5]:
        assert owner.put(f"/staff/roles/{person.username}", json={"role": "analyst"}).status_code == 200
    small = measure(owner, "/staff/audit", 5, count_queries)
    for person in people[5:]:
        await give_role(db, person.username, "analyst")
    assert owner.put("/staff/roles/p0", json={"role": "moderator"}).status_code == 200
    large = measure(owner, "/staff/audit", 50, count_queries)
    by_actor = measure(owner, "/staff/audit", 1, count_queries, actor="ada")

    # 1 the page of entries (limit + 1); 2 the usernames of their actors (none to look up when the
    # operator made every entry of the page).
    assert small.count == 2, small.statements
    assert large.count == 2, large.statements
    assert by_actor.count == 3, by_actor.statements  # and the actor by name

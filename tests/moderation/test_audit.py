"""The audit log: every change of role (and every staff action) recorded with its before and after,
read newest first by whoever holds audit.read, filtered and paged; never changed through the API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import Api
from tests.helpers import assert_error
from tests.moderation.staff import make_staff


def every_page(api: Api, path: str, **params: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        response = api.get(path, params={**params, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200, response.text
        items += response.json()["items"]
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return items


async def test_role_changes_are_listed_newest_first_with_who_did_what(make_api, db: AsyncSession):
    owner = await make_staff(make_api, db, "ada", "owner")
    make_api().signup("bob")
    make_api().signup("cat")
    assert owner.put("/staff/roles/bob", json={"role": "moderator", "reason": "on call"}).status_code == 200
    assert owner.put("/staff/roles/cat", json={"role": "analyst"}).status_code == 200
    assert owner.put("/staff/roles/bob", json={"role": "none", "reason": "left"}).status_code == 200

    items = owner.get("/staff/audit").json()["items"]

    mine = [i for i in items if i["actor_username"] == "ada"]
    assert [(i["action"], i["before"], i["after"], i["reason"]) for i in mine] == [
        ("role.changed", {"role": "moderator"}, {"role": "none"}, "left"),
        ("role.changed", {"role": "none"}, {"role": "analyst"}, ""),
        ("role.changed", {"role": "none"}, {"role": "moderator"}, "on call"),
    ]
    assert {i["actor_id"] for i in mine} == {owner.me["profile"]["id"]}
    assert all(i["target_kind"] == "user" for i in mine)
    # ada's own role came from the operator (the CLI's path): no staff actor.
    operator = [i for i in items if i["actor_id"] is None]
    assert [(i["target_id"], i["after"]) for i in operator] == [
        (owner.me["profile"]["id"], {"role": "owner"})
    ]


async def test_filters_and_pages(make_api, db: AsyncSession):
    owner = await make_staff(make_api, db, "ada", "owner")
    admin = await make_staff(make_api, db, "bea", "admin")
    bob = make_api().signup("bob")
    for role in ("moderator", "analyst", "community_manager", "moderator", "none"):
        assert admin.put("/staff/roles/bob", json={"role": role}).status_code == 200
    assert owner.put("/staff/roles/bea", json={"role": "moderator"}).status_code == 200

    by_bea = every_page(owner, "/staff/audit", actor="BEA", limit="2")
    about_bob = every_page(owner, "/staff/audit", target_kind="user", target_id=bob.me["profile"]["id"])
    about_bea = every_page(owner, "/staff/audit", target_id=admin.me["profile"]["id"], action="role.changed")
    now = datetime.now(UTC)
    recent = every_page(owner, "/staff/audit", since=(now - timedelta(minutes=5)).isoformat())
    future = every_page(owner, "/staff/audit", since=(now + timedelta(minutes=5)).isoformat())
    before = every_page(owner, "/staff/audit", until=(now - timedelta(minutes=5)).isoformat())

    assert [i["after"]["role"] for i in by_bea] == [
        "none",
        "moderator",
        "community_manager",
        "analyst",
        "moderator",
    ]
    assert len(about_bob) == 5
    assert [i["after"]["role"] for i in about_bea] == ["moderator", "admin"]
    assert len(recent) == 8  # ada and bea given their roles by the operator, five for bob, one for bea
    assert future == []
    assert before == []
    assert every_page(owner, "/staff/audit", actor="nobody") == []
    assert every_page(owner, "/staff/audit", action="post.removed") == []
    assert every_page(owner, "/staff/audit", target_id="not-an-id") == []


async def test_only_audit_readers_see_it_and_nobody_changes_it(make_api, db: AsyncSession, anon):
    owner = await make_staff(make_api, db, "ada", "owner")
    moderator = await make_staff(make_api, db, "mo", "moderator")
    analyst = await make_staff(make_api, db, "al", "analyst")
    member = make_api().signup("bob")

    assert_error(anon.get("/staff/audit"), 401, "not_authenticated")
    for api in (moderator, analyst, member):
        assert_error(api.get("/staff/audit"), 403, "forbidden")
    entry = owner.get("/staff/audit").json()["items"][0]
    for method in ("put", "patch", "delete"):
        response = getattr(owner, method)(f"/staff/audit/{entry['id']}")
        assert response.status_code in (404, 405)
    assert owner.get("/staff/audit").json()["items"][0] == entry
    assert_error(owner.get("/staff/audit", params={"cursor": "forged"}), 400, "invalid_cursor")
    assert_error(owner.get("/staff/audit", params={"since": "yesterday"}), 400, "validation_error")


async def test_a_refused_change_leaves_no_entry(make_api, db: AsyncSession):
    owner = await make_staff(make_api, db, "ada", "owner")
    before = owner.get("/staff/audit").json()["items"]

    assert_error(owner.put("/staff/roles/ada", json={"role": "none"}), 409, "last_owner")
    assert owner.put("/staff/roles/ada", json={"role": "owner"}).status_code == 200  # no change

    assert owner.get("/staff/audit").json()["items"] == before

"""Featured accounts: staff choose them (permission announcements.manage, every write audited),
everyone sees them on /discover/featured, and suggestions put them first (decision 0058). What may
be featured and shown is policy's: active, not limited, no block either way with the viewer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import Api
from tests.helpers import assert_error
from tests.moderation.enforce import act, undo
from viewfinder.community import services as community
from viewfinder.community.models import AnnouncementRead, FeaturedAccount
from viewfinder.moderation.models import AuditEntry


def feature(staff: Api, username: str, **body: Any) -> dict[str, Any]:
    response = staff.put(f"/staff/featured/{username}", json=body)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def shown(api: Api) -> list[str]:
    response = api.get("/discover/featured")
    assert response.status_code == 200, response.text
    return [item["account"]["username"] for item in response.json()["items"]]


def staff_list(staff: Api) -> list[tuple[str, bool]]:
    items = staff.get("/staff/featured").json()["items"]
    return [(item["account"]["username"], item["featurable"]) for item in items]


async def audit_rows(db: AsyncSession) -> list[tuple[Any, ...]]:
    rows = await db.execute(
        select(
            AuditEntry.action,
            AuditEntry.target_kind,
            AuditEntry.target_id,
            AuditEntry.before,
            AuditEntry.after,
        )
        .where(AuditEntry.action.like("featured.%"))
        .order_by(AuditEntry.id)
    )
    return [tuple(row) for row in rows]


async def test_featuring_is_idempotent_updates_the_note_and_is_audited(cora, alice, anon, db):
    alice_id = int(alice.me["profile"]["id"])

    first = feature(cora, "alice", note="Great street photography")
    again = feature(cora, "ALICE", note="Great street photography")
    kept = feature(cora, "alice")  # no note: the note stays
    changed = feature(cora, "alice", note="  Landscapes too  ")

    assert first["account"]["username"] == "alice"
    assert first["account"]["id"] == str(alice_id)
    assert (first["note"], first["featurable"]) == ("Great street photography", True)
    assert again == first
    assert kept == first
    assert changed["note"] == "Landscapes too"
    assert changed["featured_at"] == first["featured_at"]  # still featured since then
    assert staff_list(cora) == [("alice", True)]
    assert shown(anon) == ["alice"]
    assert anon.get("/discover/featured").json()["items"][0]["note"] == "Landscapes too"
    assert await db.scalar(select(func.count()).select_from(FeaturedAccount)) == 1

    assert cora.delete("/staff/featured/alice").status_code == 204
    assert_error(cora.delete("/staff/featured/alice"), 404, "not_found")

    assert shown(anon) == []
    assert staff_list(cora) == []
    assert await audit_rows(db) == [
        ("featured.added", "user", alice_id, None, {"note": "Great street photography"}),
        (
            "featured.changed",
            "user",
            alice_id,
            {"note": "Great street photography"},
            {"note": "Landscapes too"},
        ),
        ("featured.removed", "user", alice_id, {"note": "Landscapes too"}, None),
    ]


def test_newest_featured_first_and_a_new_one_has_an_empty_note(cora, alice, bob, carol, anon):
    for name in ("bob", "alice", "carol"):
        feature(cora, name)

    assert shown(anon) == ["carol", "alice", "bob"]
    assert [username for username, _ in staff_list(cora)] == ["carol", "alice", "bob"]
    assert anon.get("/discover/featured").json()["items"][0]["note"] == ""


def test_unknown_and_deactivated_accounts_are_404(cora, alice):
    assert_error(cora.put("/staff/featured/nobody", json={}), 404, "not_found")
    assert alice.post("/accounts/me/deactivate").status_code == 204
    assert_error(cora.put("/staff/featured/alice", json={}), 404, "not_found")
    assert_error(cora.delete("/staff/featured/nobody"), 404, "not_found")
    assert_error(cora.put("/staff/featured/alice", json={"note": "x" * 201}), 400, "validation_error")


@pytest.mark.parametrize("kind", ["limit", "suspend", "ban"])
async def test_limited_suspended_or_banned_accounts_are_not_featurable(cora, alice, db, kind):
    until = datetime.now(UTC) + timedelta(days=3) if kind == "suspend" else None
    await act(db, "alice", kind, until)

    assert_error(cora.put("/staff/featured/alice", json={"note": "x"}), 409, "not_featurable")
    assert await db.scalar(select(func.count()).select_from(FeaturedAccount)) == 0
    assert await audit_rows(db) == []

    await undo(db, "alice", kind)
    assert feature(cora, "alice")["featurable"] is True


@pytest.mark.parametrize("kind", ["limit", "suspend", "ban"])
async def test_an_account_sanctioned_after_it_was_featured_is_hidden_until_it_is_lifted(
    cora, alice, bob, anon, db, kind
):
    feature(cora, "alice")
    feature(cora, "bob")
    until = datetime.now(UTC) + timedelta(days=3) if kind == "suspend" else None

    await act(db, "alice", kind, until)

    assert shown(anon) == ["bob"]
    assert shown(bob) == ["bob"]
    assert staff_list(cora) == [("bob", True), ("alice", False)]  # staff still see it, to decide
    assert_error(cora.put("/staff/featured/alice", json={"note": "new"}), 409, "not_featurable")
    await undo(db, "alice", kind)
    assert shown(anon) == ["bob", "alice"]


def test_a_deactivated_account_is_hidden_and_staff_may_remove_it(cora, alice, anon):
    feature(cora, "alice")

    assert alice.post("/accounts/me/deactivate").status_code == 204

    assert shown(anon) == []
    assert staff_list(cora) == [("alice", False)]
    assert cora.delete("/staff/featured/alice").status_code == 204


def test_blocks_either_way_hide_a_featured_account(cora, alice, bob, carol, anon):
    feature(cora, "alice")
    feature(cora, "bob")

    assert bob.post("/users/alice/block").status_code == 204  # bob blocked alice

    assert shown(bob) == ["bob"]
    assert shown(alice) == ["alice"]
    assert shown(carol) == ["bob", "alice"]
    assert shown(anon) == ["bob", "alice"]


def test_private_accounts_are_listed_with_the_viewers_relationship(cora, alice, bob):
    assert alice.patch("/accounts/me", json={"is_private": True}).status_code == 200
    feature(cora, "alice")

    item = bob.get("/discover/featured").json()["items"][0]

    assert item["account"]["is_private"] is True
    assert item["account"]["relationship"] is not None
    assert alice.get("/discover/featured").json()["items"][0]["account"]["relationship"] is None


def test_suggestions_put_featured_accounts_first(cora, alice, bob, carol, make_api):
    dave = make_api().signup("dave")
    assert carol.post("/users/alice/follow").status_code == 200  # alice: the most followed
    feature(cora, "dave")  # followed by nobody

    suggested = [item["user"]["username"] for item in bob.get("/suggestions/accounts").json()]

    assert suggested[:2] == ["dave", "alice"]
    assert bob.post("/users/dave/follow").status_code == 200
    # Once followed, a featured account is no longer suggested; blocked either way, neither.
    assert "dave" not in [item["user"]["username"] for item in bob.get("/suggestions/accounts").json()]
    assert dave.post("/users/carol/block").status_code == 204
    assert "dave" not in [item["user"]["username"] for item in carol.get("/suggestions/accounts").json()]


def test_members_cannot_feature(alice, bob):
    assert_error(alice.put("/staff/featured/bob", json={}), 403, "forbidden")
    assert_error(alice.get("/staff/featured"), 403, "forbidden")
    assert_error(alice.delete("/staff/featured/bob"), 403, "forbidden")


async def test_erasing_an_account_takes_its_featured_row_and_its_reads(cora, alice, bob, db):
    feature(cora, "alice")
    feature(cora, "bob")
    made = cora.post("/staff/announcements", json={"text": "hi", "published": True}).json()
    assert alice.post(f"/announcements/{made['id']}/read").status_code == 204
    assert bob.post(f"/announcements/{made['id']}/read").status_code == 204
    alice_id = int(alice.me["profile"]["id"])

    await community.delete_account_data(db, alice_id)

    assert list(await db.scalars(select(FeaturedAccount.user_id))) == [int(bob.me["profile"]["id"])]
    assert list(await db.scalars(select(AnnouncementRead.user_id))) == [int(bob.me["profile"]["id"])]

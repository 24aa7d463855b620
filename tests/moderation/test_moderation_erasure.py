"""Deleting a staff account that was also reported: its notes, claims, reports and the cases about
it go; the audit log keeps every entry, unlinked from the account."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from tests.database import connect
from tests.helpers import make_post
from tests.moderation.staff import make_staff


async def test_an_erased_staff_member_leaves_the_audit_log_whole_but_unnamed(
    make_api, db: AsyncSession, settings
):
    owner = await make_staff(make_api, db, "ada", "owner")
    zelda = await make_staff(make_api, db, "zelda_leaving", "moderator")
    bob = make_api().signup("bob")
    bobs_post = make_post(bob)
    assert (
        zelda.post(
            "/reports", json={"target": "post", "target_id": bobs_post["id"], "reason": "spam"}
        ).status_code
        == 201
    )
    other_case = owner.get("/staff/cases").json()["items"][0]["id"]
    assert zelda.post(f"/staff/cases/{other_case}/claim").status_code == 200
    assert zelda.post(f"/staff/cases/{other_case}/notes", json={"text": "mine"}).status_code == 201
    assert owner.post(f"/staff/cases/{other_case}/notes", json={"text": "ada's"}).status_code == 201
    zeldas_post = make_post(zelda)
    for target, target_id in (("post", zeldas_post["id"]), ("user", zelda.me["profile"]["id"])):
        assert (
            bob.post(
                "/reports", json={"target": target, "target_id": target_id, "reason": "spam"}
            ).status_code
            == 201
        )
    assert (
        owner.put("/staff/roles/zelda_leaving", json={"role": "analyst", "reason": "moved"}).status_code
        == 200
    )
    entries_before = len(owner.get("/staff/audit").json()["items"])
    zelda_id = int(zelda.me["profile"]["id"])

    assert zelda.post("/accounts/me/delete", json={"now": True}).status_code == 202

    with connect(settings) as rows:
        assert rows.execute("SELECT count(*) FROM moderation_cases WHERE target_owner_id = ?", zelda_id) == [
            (0,)
        ]
        assert rows.execute("SELECT count(*) FROM moderation_cases WHERE claimed_by_id = ?", zelda_id) == [
            (0,)
        ]
        assert rows.execute("SELECT text FROM moderation_case_notes") == [("ada's",)]
        assert rows.execute("SELECT count(*) FROM reports WHERE reporter_id = ?", zelda_id) == [(0,)]
        assert rows.execute(
            "SELECT count(*) FROM audit_entries WHERE actor_id = ? OR target_id = ?", zelda_id, zelda_id
        ) == [(0,)]
    entries = owner.get("/staff/audit").json()["items"]
    assert len(entries) == entries_before
    role_change = next(e for e in entries if e["reason"] == "moved")
    assert (role_change["actor_username"], role_change["target_id"], role_change["before"]) == (
        "ada",
        None,
        None,
    )
    claim = next(e for e in entries if e["action"] == "case.claimed")
    assert (claim["actor_id"], claim["target_id"]) == (None, other_case)
    assert owner.get(f"/staff/cases/{other_case}").json()["case"]["claimed_by"] is None

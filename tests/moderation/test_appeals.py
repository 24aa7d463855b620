"""Strikes and appeals through the API: the strikes page, one appeal per action, appeals in the
queue for a moderator other than the one who acted, and what upholding or reversing does."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import Api
from tests.database import connect
from tests.helpers import assert_error, make_post
from tests.moderation.acting import act, notifications, reported_case
from tests.moderation.staff import make_staff


def strikes(api: Api) -> list[dict[str, Any]]:
    response = api.get("/accounts/me/strikes")
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def appeal(api: Api, action_id: str, text: str = "Please look again.", status: int = 201) -> dict[str, Any]:
    response = api.post(f"/accounts/me/strikes/{action_id}/appeal", json={"text": text})
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def appeal_case(staff: Api) -> str:
    items = staff.get("/staff/cases").json()["items"]
    return str(next(c["id"] for c in items if c["target"] == "appeal"))


async def test_the_strikes_page_lists_actions_against_the_viewer_newest_first(
    make_api, db: AsyncSession, alice, bob, carol
):
    mia = await make_staff(make_api, db, "mia", "moderator")
    first, second, fine = make_post(alice, "a"), make_post(alice, "b"), make_post(alice, "c")
    act(mia, reported_case(bob, mia, "post", first["id"]), "remove_content", strike=True, policy="Spam")
    act(mia, reported_case(bob, mia, "post", second["id"]), "mark_sensitive")
    act(mia, reported_case(bob, mia, "post", fine["id"]), "dismiss")

    listed = strikes(alice)
    assert [(s["kind"], s["target_id"], s["strike"]) for s in listed] == [
        ("mark_sensitive", second["id"], False),
        ("remove_content", first["id"], True),
    ]
    assert listed[1]["policy"] == "Spam"
    assert listed[1]["reason"] == "Breaks the rules."
    assert all(s["appealable"] and s["appeal"] is None for s in listed)
    assert strikes(bob) == []
    assert strikes(carol) == []
    page = alice.get("/accounts/me/strikes", params={"limit": 1}).json()
    assert len(page["items"]) == 1
    assert page["next_cursor"]
    rest = alice.get("/accounts/me/strikes", params={"limit": 1, "cursor": page["next_cursor"]}).json()
    assert [s["id"] for s in rest["items"]] == [listed[1]["id"]]


async def test_an_action_is_appealed_once_and_only_by_its_account(make_api, db: AsyncSession, alice, bob):
    mia = await make_staff(make_api, db, "mia", "moderator")
    post = make_post(alice, "a")
    act(mia, reported_case(bob, mia, "post", post["id"]), "remove_content")
    (strike,) = strikes(alice)
    assert_error(
        bob.post(f"/accounts/me/strikes/{strike['id']}/appeal", json={"text": "x"}), 404, "not_found"
    )
    made = appeal(alice, strike["id"])
    assert (made["status"], made["text"]) == ("open", "Please look again.")
    assert_error(
        alice.post(f"/accounts/me/strikes/{strike['id']}/appeal", json={"text": "again"}),
        409,
        "appeal_exists",
    )
    (listed,) = strikes(alice)
    assert listed["appeal"]["id"] == made["id"]
    assert listed["appealable"] is False
    assert alice.post(f"/accounts/me/strikes/{strike['id']}/appeal", json={"text": ""}).status_code == 400
    assert_error(alice.post("/accounts/me/strikes/nope/appeal", json={"text": "x"}), 404, "not_found")


async def test_the_acting_moderator_cannot_take_the_appeal(make_api, db: AsyncSession, alice, bob):
    mia = await make_staff(make_api, db, "mia", "moderator")
    max_ = await make_staff(make_api, db, "max", "moderator")
    post = make_post(alice, "a")
    act(mia, reported_case(bob, mia, "post", post["id"]), "remove_content")
    (strike,) = strikes(alice)
    appeal(alice, strike["id"], "It was art.")
    case = appeal_case(mia)

    detail = mia.get(f"/staff/cases/{case}").json()
    assert detail["case"]["target"] == "appeal"
    assert detail["appeal"]["text"] == "It was art."
    assert detail["appeal"]["action"]["id"] == strike["id"]
    assert detail["target"]["post"]["id"] == post["id"]  # the removed post, in context

    assert_error(mia.post(f"/staff/cases/{case}/claim"), 409, "case_excluded")
    decision = {"decision": "reverse", "reason": "I changed my mind."}
    assert_error(mia.post(f"/staff/cases/{case}/appeal", json=decision), 409, "case_excluded")
    assert_error(alice.get(f"/posts/{post['id']}"), 404, "not_found")  # nothing changed

    assert max_.post(f"/staff/cases/{case}/claim").status_code == 200
    upheld = max_.post(f"/staff/cases/{case}/appeal", json={"decision": "uphold", "reason": "It stands."})
    assert upheld.status_code == 200, upheld.text
    assert (upheld.json()["appeal"]["status"], upheld.json()["case"]["status"]) == ("upheld", "dismissed")
    assert upheld.json()["appeal"]["action"]["reversed_at"] is None
    assert_error(alice.get(f"/posts/{post['id']}"), 404, "not_found")
    assert [n["text"] for n in notifications(alice, "appeal_decided")] == [
        "Your appeal was reviewed: the action stands."
    ]
    assert_error(max_.post(f"/staff/cases/{case}/appeal", json=decision), 409, "case_closed")


async def test_reversing_a_suspension_reactivates_the_account(make_api, db: AsyncSession, alice, bob):
    mia = await make_staff(make_api, db, "mia", "moderator")
    adam = await make_staff(make_api, db, "adam", "admin")
    post = make_post(alice, "a")
    act(mia, reported_case(bob, mia, "post", post["id"]), "restrict")
    (strike,) = strikes(alice)
    appeal(alice, strike["id"])
    case = appeal_case(adam)
    decided = adam.post(f"/staff/cases/{case}/appeal", json={"decision": "reverse", "reason": "ok"})
    assert decided.status_code == 200, decided.text
    (listed,) = strikes(alice)
    assert listed["reversed_at"] is not None
    assert listed["appealable"] is False
    audit = adam.get("/staff/audit", params={"action": "appeal.reversed"}).json()["items"]
    assert audit[0]["before"]["restricted"] is True
    assert audit[0]["after"]["restricted"] is False


async def test_deciding_an_appeal_needs_the_actions_permission_and_an_appeal_case(
    make_api, db: AsyncSession, alice, bob
):
    mia = await make_staff(make_api, db, "mia", "moderator")
    anna = await make_staff(make_api, db, "anna", "analyst")
    post = make_post(alice, "a")
    report_case = reported_case(bob, mia, "post", post["id"])
    assert_error(
        mia.post(f"/staff/cases/{report_case}/appeal", json={"decision": "reverse", "reason": "r"}),
        422,
        "bad_action",
    )
    act(mia, report_case, "remove_content")
    appeal(alice, strikes(alice)[0]["id"])
    case = appeal_case(mia)
    assert_error(
        anna.post(f"/staff/cases/{case}/appeal", json={"decision": "reverse", "reason": "r"}),
        403,
        "forbidden",
    )
    assert (
        mia.post(f"/staff/cases/{case}/appeal", json={"decision": "maybe", "reason": "r"}).status_code == 400
    )
    assert_error(
        mia.post(f"/staff/cases/{case}/actions", json={"action": "remove_content", "reason": "r"}),
        422,
        "bad_action",
    )


async def test_erasure_takes_an_accounts_strikes_and_appeals_and_unnames_the_moderator(
    make_api, db: AsyncSession, alice, bob, settings
):
    mia = await make_staff(make_api, db, "mia", "moderator")
    adam = await make_staff(make_api, db, "adam", "admin")
    post, bobs = make_post(alice, "a"), make_post(bob, "b")
    act(mia, reported_case(bob, mia, "post", post["id"]), "remove_content", strike=True)
    appeal(alice, strikes(alice)[0]["id"])
    bobs_action = act(mia, reported_case(alice, mia, "post", bobs["id"]), "mark_sensitive")["action"]
    alice_id, mia_id = int(alice.me["profile"]["id"]), int(mia.me["profile"]["id"])

    assert alice.post("/accounts/me/delete", json={"now": True}).status_code == 202
    assert mia.post("/accounts/me/delete", json={"now": True}).status_code == 202

    with connect(settings) as rows:
        assert rows.execute(
            "SELECT count(*) FROM moderation_actions WHERE target_owner_id = ?", alice_id
        ) == [(0,)]
        assert rows.execute("SELECT count(*) FROM moderation_appeals") == [(0,)]
        assert rows.execute("SELECT count(*) FROM moderation_actions WHERE actor_id = ?", mia_id) == [(0,)]
    (left,) = strikes(bob)
    assert left["id"] == bobs_action["id"]
    entries = adam.get("/staff/audit", params={"action": "action.mark_sensitive"}).json()["items"]
    assert [e["actor_id"] for e in entries] == [None]

"""Staff actions on cases through the API: what each does, who may take it, who is told, what is
audited, and the 409s and 422s of cases that cannot take it."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import Api
from tests.helpers import assert_error, make_post
from tests.moderation.acting import act, case_of, notifications, report, reported_case
from tests.moderation.staff import give_role, make_staff
from viewfinder.moderation import roles
from viewfinder.moderation.models import Report


async def test_a_dismissal_closes_the_case_and_its_reports_and_tells_only_the_reporters(
    make_api, db: AsyncSession, alice, bob, carol
):
    mia = await make_staff(make_api, db, "mia", "moderator")
    post = make_post(alice, "fine")
    report(bob, "post", post["id"])
    report(carol, "post", post["id"], "nudity")
    case = case_of(mia, "post", post["id"])

    result = act(mia, case, "dismiss")
    assert (result["case"]["status"], result["action"]["kind"]) == ("dismissed", "dismiss")
    assert result["case"]["resolved_at"] is not None
    statuses = set((await db.scalars(select(Report.status).where(Report.case_id == int(case)))).all())
    assert statuses == {"dismissed"}
    assert case not in [c["id"] for c in mia.get("/staff/cases").json()["items"]]
    for reporter in (bob, carol):
        told = notifications(reporter, "report_resolved")
        assert [n["text"] for n in told] == [
            "Thank you for your report: we reviewed it and found no violation of our rules."
        ]
    assert notifications(alice, "moderation_action") == []
    assert alice.get("/accounts/me/strikes").json()["items"] == []
    assert alice.get(f"/posts/{post['id']}").status_code == 200


async def test_reporters_learn_the_outcome_and_nothing_about_the_other_account(
    make_api, db: AsyncSession, alice, bob
):
    mia = await make_staff(make_api, db, "mia", "moderator")
    post = make_post(alice, "spam spam")
    case = reported_case(bob, mia, "post", post["id"])
    act(mia, case, "remove_content", policy="No spam")
    (line,) = notifications(bob, "report_resolved")
    assert line["text"] == "Thank you for your report: we reviewed it and took action."
    assert line["post"] is None
    assert line["comment_id"] is None
    assert [a["username"] for a in line["actors"]] == ["bob"]  # no staff member, not alice
    assert "alice" not in str(line)
    assert "No spam" not in str(line)
    assert "mia" not in str(line)
    (told,) = notifications(alice, "moderation_action")
    assert told["text"] == "Your post was removed: Breaks the rules. [No spam]"
    assert "mia" not in str(told)


async def test_every_action_is_audited_with_its_before_and_after(make_api, db: AsyncSession, alice, bob):
    adam = await make_staff(make_api, db, "adam", "admin")
    post = make_post(alice, "x")
    act(adam, reported_case(bob, adam, "post", post["id"]), "mark_sensitive", strike=True)
    entries = adam.get("/staff/audit", params={"action": "action.mark_sensitive"}).json()["items"]
    assert len(entries) == 1
    entry = entries[0]
    assert (entry["target_kind"], entry["target_id"], entry["reason"]) == (
        "post",
        post["id"],
        "Breaks the rules.",
    )
    assert (entry["before"]["sensitive"], entry["after"]["sensitive"]) == (False, True)


async def test_an_account_action_on_a_post_case_applies_to_its_author(make_api, db: AsyncSession, alice, bob):
    mia = await make_staff(make_api, db, "mia", "moderator")
    post = make_post(alice, "x")
    case = reported_case(bob, mia, "post", post["id"])
    result = act(mia, case, "suspend", duration_hours=48, strike=True)
    action = result["action"]
    assert (action["target"], action["target_id"]) == ("user", alice.me["profile"]["id"])
    assert action["until"] is not None
    assert_error(bob.get(f"/posts/{post['id']}"), 404, "not_found")
    assert bob.get("/users/alice").status_code == 404
    adam = await make_staff(make_api, db, "adam", "admin")
    entry = adam.get("/staff/audit", params={"action": "action.suspend"}).json()
    assert entry["items"]
    assert entry["items"][0]["after"]["is_active"] is False


async def test_a_whole_number_of_hours_may_be_written_as_a_float(make_api, db: AsyncSession, alice, bob):
    """24.0 is an integer to JSON Schema, so the API takes it like 24 (the API fuzzing sent 8309.0);
    a fraction of an hour is refused in the error shape and nothing happens."""
    mia = await make_staff(make_api, db, "mia", "moderator")
    case = reported_case(bob, mia, "post", make_post(alice, "x")["id"])
    refused = mia.post(
        f"/staff/cases/{case}/actions", json={"action": "suspend", "reason": "r", "duration_hours": 1.5}
    )
    assert_error(refused, 400, "validation_error", ["duration_hours"])
    assert mia.get(f"/staff/cases/{case}").json()["actions"] == []
    action = act(mia, case, "suspend", duration_hours=24.0)["action"]
    until = datetime.fromisoformat(action["until"])
    created = datetime.fromisoformat(action["created_at"])
    assert abs((until - created) - timedelta(hours=24)) < timedelta(minutes=1)


async def test_delete_removes_the_post_for_good(make_api, db: AsyncSession, alice, bob):
    mia = await make_staff(make_api, db, "mia", "moderator")
    post = make_post(alice, "x")
    case = reported_case(bob, mia, "post", post["id"])
    result = act(mia, case, "delete")
    assert result["action"]["kind"] == "delete"
    assert_error(alice.get(f"/posts/{post['id']}"), 404, "not_found")
    assert alice.get("/users/alice").json()["posts_count"] == 0
    (strike,) = alice.get("/accounts/me/strikes").json()["items"]
    assert (strike["kind"], strike["appealable"]) == ("delete", False)


async def test_a_deleted_target_allows_only_a_dismissal(make_api, db: AsyncSession, alice, bob):
    mia = await make_staff(make_api, db, "mia", "moderator")
    post = make_post(alice, "x")
    case = reported_case(bob, mia, "post", post["id"])
    assert alice.delete(f"/posts/{post['id']}").status_code == 204
    for action in ("remove_content", "mark_sensitive", "delete"):
        assert_error(
            mia.post(f"/staff/cases/{case}/actions", json={"action": action, "reason": "r"}),
            409,
            "target_deleted",
        )
    assert act(mia, case, "dismiss")["case"]["status"] == "dismissed"


async def test_a_closed_case_and_a_case_claimed_by_another_are_409(make_api, db: AsyncSession, alice, bob):
    mia = await make_staff(make_api, db, "mia", "moderator")
    max_ = await make_staff(make_api, db, "max", "moderator")
    post = make_post(alice, "x")
    case = reported_case(bob, mia, "post", post["id"])
    assert mia.post(f"/staff/cases/{case}/claim").status_code == 200
    assert_error(max_.post(f"/staff/cases/{case}/actions", json={"action": "dismiss"}), 409, "case_claimed")
    act(mia, case, "dismiss")
    assert_error(mia.post(f"/staff/cases/{case}/actions", json={"action": "dismiss"}), 409, "case_closed")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"action": "remove_content"}, "reason"),
        ({"action": "remove_content", "reason": "   "}, "reason"),
        ({"action": "dismiss", "strike": True}, "strike"),
        ({"action": "suspend", "reason": "r"}, "duration_hours"),
        ({"action": "ban", "reason": "r", "duration_hours": 5}, "duration_hours"),
        ({"action": "mark_sensitive", "reason": "r", "on": "comment"}, None),
    ],
)
async def test_bad_combinations_are_422_and_change_nothing(
    make_api, db: AsyncSession, alice, bob, body, field
):
    mia = await make_staff(make_api, db, "mia", "moderator")
    post = make_post(alice, "x")
    if field is None:  # mark_sensitive on a comment case
        body = {"action": "mark_sensitive", "reason": "r"}
        comment = bob.post(f"/posts/{post['id']}/comments", json={"text": "c"}).json()
        case = reported_case(alice, mia, "comment", comment["id"])
        assert_error(mia.post(f"/staff/cases/{case}/actions", json=body), 422, "bad_action", ["action"])
    else:
        case = reported_case(bob, mia, "post", post["id"])
        assert_error(mia.post(f"/staff/cases/{case}/actions", json=body), 422, "bad_action", [field])
    assert case in [c["id"] for c in mia.get("/staff/cases").json()["items"]]  # still open
    assert mia.get(f"/staff/cases/{case}").json()["actions"] == []


async def test_remove_content_needs_a_post_or_comment(make_api, db: AsyncSession, alice, bob):
    mia = await make_staff(make_api, db, "mia", "moderator")
    case = reported_case(bob, mia, "user", alice.me["profile"]["id"])
    assert_error(
        mia.post(f"/staff/cases/{case}/actions", json={"action": "remove_content", "reason": "r"}),
        422,
        "bad_action",
    )


async def test_unknown_fields_and_actions_are_refused(make_api, db: AsyncSession, alice, bob):
    mia = await make_staff(make_api, db, "mia", "moderator")
    case = reported_case(bob, mia, "post", make_post(alice, "x")["id"])
    for body in ({"action": "dismiss", "extra": 1}, {"action": "explode", "reason": "r"}, {}):
        response = mia.post(f"/staff/cases/{case}/actions", json=body)
        assert 400 <= response.status_code < 500
        assert "error" in response.json()
    assert_error(mia.post("/staff/cases/12345/actions", json={"action": "dismiss"}), 404, "not_found")


@pytest.fixture
def triage_role(monkeypatch):
    """A staff role that may work the queue but not act on content or accounts (an instance may
    define one): the action's own permission is checked inside the route."""
    monkeypatch.setitem(roles.ROLE_PERMISSIONS, "triage", frozenset({"reports.handle"}))
    return "triage"


async def test_each_action_needs_its_own_permission(
    make_api, db: AsyncSession, alice, bob, triage_role, monkeypatch
):
    tess = make_api().signup("tess")
    await give_role(db, "tess", triage_role)
    content_only = frozenset({"reports.handle", "content.act"})
    monkeypatch.setitem(roles.ROLE_PERMISSIONS, "content_mod", content_only)
    cleo = make_api().signup("cleo")
    await give_role(db, "cleo", "content_mod")
    post = make_post(alice, "x")
    case = reported_case(bob, tess, "post", post["id"])

    for action in ("remove_content", "mark_sensitive", "delete", "ban"):
        assert_error(
            tess.post(f"/staff/cases/{case}/actions", json={"action": action, "reason": "r"}),
            403,
            "forbidden",
        )
    for action in ("ban", "restrict", "limit"):
        assert_error(
            cleo.post(f"/staff/cases/{case}/actions", json={"action": action, "reason": "r"}),
            403,
            "forbidden",
        )
    assert alice.get(f"/posts/{post['id']}").status_code == 200
    assert act(tess, case, "dismiss")["case"]["status"] == "dismissed"


async def test_analysts_and_members_cannot_act(make_api, db: AsyncSession, alice, bob):
    anna = await make_staff(make_api, db, "anna", "analyst")
    mia = await make_staff(make_api, db, "mia", "moderator")
    case = reported_case(bob, mia, "post", make_post(alice, "x")["id"])
    for client in (anna, bob):
        assert_error(
            client.post(f"/staff/cases/{case}/actions", json={"action": "dismiss"}), 403, "forbidden"
        )


def _strike_ids(api: Api) -> list[str]:
    return [s["id"] for s in api.get("/accounts/me/strikes").json()["items"]]


async def test_deleting_an_account_goes_through_the_account_deletion(make_api, db: AsyncSession, alice, bob):
    adam = await make_staff(make_api, db, "adam", "admin")
    mia = await make_staff(make_api, db, "mia", "moderator")
    post = make_post(alice, "x")
    case = reported_case(bob, mia, "user", alice.me["profile"]["id"])
    result = act(adam, case, "delete", reason="Spam account.")
    assert (result["action"]["kind"], result["action"]["target"]) == ("delete", "user")
    assert bob.get("/users/alice").status_code == 404
    assert_error(bob.get(f"/posts/{post['id']}"), 404, "not_found")
    assert alice.get("/accounts/me").status_code == 401  # its sessions ended
    assert [n["kind"] for n in notifications(bob, "report_resolved")] == ["report_resolved"]

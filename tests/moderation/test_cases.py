"""The staff's queue: reports grouped into one open case per target, ordered by priority; a case
with its target in context, its reports, notes and the account's other cases; claiming and notes."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import Api
from tests.helpers import assert_error, make_post
from tests.moderation.staff import make_staff
from viewfinder.moderation.cases import SECONDS_PER_POINT, base_points, priority_key
from viewfinder.moderation.models import Report


def report(api: Api, target: str, target_id: str, reason: str = "spam") -> dict[str, Any]:
    response = api.post("/reports", json={"target": target, "target_id": target_id, "reason": reason})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def user_id(api: Api) -> str:
    return str(api.me["profile"]["id"])


def queue(api: Api, **params: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        response = api.get("/staff/cases", params={**params, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200, response.text
        items += response.json()["items"]
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return items


async def test_reports_of_one_target_join_one_open_case(make_api, db: AsyncSession, alice, bob, carol):
    moderator = await make_staff(make_api, db, "mia", "moderator")
    post = make_post(alice)
    other = make_post(alice, colour="blue")

    report(bob, "post", post["id"], "spam")
    report(carol, "post", post["id"], "violence")
    report(bob, "post", other["id"], "spam")
    report(bob, "user", user_id(alice), "harassment")

    cases = queue(moderator)
    by_target = {(c["target"], c["target_id"]): c for c in cases}
    assert len(cases) == 3
    first = by_target[("post", post["id"])]
    assert (first["reporters_count"], first["severity"], first["reasons"]) == (
        2,
        5,
        {"spam": 1, "violence": 1},
    )
    assert first["account"] == {"id": user_id(alice), "username": "alice"}
    assert (first["status"], first["claimed_by"]) == ("open", None)
    assert by_target[("post", other["id"])]["reporters_count"] == 1
    assert by_target[("user", user_id(alice))]["severity"] == 3
    rows = (await db.execute(select(Report.target_id, Report.case_id))).tuples().all()
    assert {case_id for target, case_id in rows if target == int(post["id"])} == {int(first["id"])}


async def test_the_queue_puts_graver_and_more_reported_cases_first(
    make_api, db: AsyncSession, alice, bob, carol
):
    moderator = await make_staff(make_api, db, "mia", "moderator")
    spam = make_post(alice, colour="red")
    violence = make_post(alice, colour="blue")
    piled_on = make_post(alice, colour="green")
    report(bob, "post", spam["id"], "spam")
    report(bob, "post", violence["id"], "violence")
    report(bob, "post", piled_on["id"], "spam")
    report(carol, "post", piled_on["id"], "other")

    order = [c["target_id"] for c in queue(moderator, limit="1")]

    assert order == [violence["id"], piled_on["id"], spam["id"]]
    priorities = [c["priority"] for c in queue(moderator)]
    assert priorities == [510, 120, 110]


def test_age_raises_priority_and_the_stored_key_keeps_the_order_at_any_moment():
    start = datetime(2026, 12, 1, tzinfo=UTC)
    chooser = random.Random(14)
    cases = [
        (
            chooser.randint(1, 5),
            chooser.randint(1, 30),
            chooser.choice([None, 0.2, 0.9]),
            start + timedelta(minutes=chooser.randint(0, 20000)),
        )
        for _ in range(200)
    ]
    by_key = sorted(cases, key=lambda c: priority_key(*c), reverse=True)
    for now in (start + timedelta(days=15), start + timedelta(days=400)):

        def now_points(case: tuple[int, int, float | None, datetime], now: datetime = now) -> float:
            return (
                base_points(case[0], case[1], case[2]) + (now - case[3]).total_seconds() / SECONDS_PER_POINT
            )

        assert [now_points(c) for c in by_key] == sorted((now_points(c) for c in cases), reverse=True)
    # A spam report waiting four days and more passes a fresh report of violence.
    fresh_violence = priority_key(5, 1, None, start + timedelta(hours=400))
    assert priority_key(1, 1, None, start) == fresh_violence
    assert priority_key(1, 1, None, start - timedelta(hours=1)) > fresh_violence


async def test_a_case_shows_its_post_reports_notes_and_the_accounts_other_cases(
    make_api, db: AsyncSession, alice, bob, carol
):
    moderator = await make_staff(make_api, db, "mia", "moderator")
    alice.patch("/accounts/me", json={"is_private": True})
    post = make_post(alice, "look at this")
    older = make_post(alice, colour="blue")
    report(bob, "user", user_id(alice), "spam")  # bob may see the account, not its posts
    alice.post("/accounts/follow-requests/bob/approve")
    bob.post("/users/alice/follow")
    alice.post("/accounts/follow-requests/bob/approve")
    report(bob, "post", older["id"], "spam")
    report(bob, "post", post["id"], "nudity")
    case = next(c for c in queue(moderator) if c["target_id"] == post["id"])
    assert (
        moderator.post(f"/staff/cases/{case['id']}/notes", json={"text": "  Looks fine to me.  "}).status_code
        == 201
    )

    detail = moderator.get(f"/staff/cases/{case['id']}")

    assert detail.status_code == 200, detail.text
    body = detail.json()
    assert body["case"]["id"] == case["id"]
    target = body["target"]
    assert target["deleted"] is False
    assert target["post"]["id"] == post["id"]
    assert target["post"]["caption"] == "look at this"
    assert target["post"]["author"]["username"] == "alice"
    urls = [r["url"] for item in target["post"]["items"] for r in item["media"]["renditions"]]
    assert urls
    assert all("?oe=" in url and "&oh=" in url for url in urls)  # a private account's: signed
    assert moderator.client.get(urls[0]).status_code == 200  # the moderator can open the media
    assert target["account"]["summary"]["username"] == "alice"
    assert target["comment"] is None
    assert [(r["reporter"]["username"], r["reason"]) for r in body["reports"]] == [("bob", "nudity")]
    assert [(n["author"]["username"], n["text"]) for n in body["notes"]] == [("mia", "Looks fine to me.")]
    assert {(c["target"], c["target_id"]) for c in body["earlier_cases"]} == {
        ("post", older["id"]),
        ("user", user_id(alice)),
    }


async def test_a_comment_case_and_an_account_case_show_their_context(make_api, db: AsyncSession, alice, bob):
    moderator = await make_staff(make_api, db, "mia", "moderator")
    post = make_post(alice, "first")
    make_post(alice, "second", colour="blue")
    comment = bob.post(f"/posts/{post['id']}/comments", json={"text": "buy followers"}).json()
    report(alice, "comment", comment["id"], "spam")
    report(bob, "user", user_id(alice), "other")
    cases = {c["target"]: c for c in queue(moderator)}

    on_comment = moderator.get(f"/staff/cases/{cases['comment']['id']}").json()["target"]
    on_account = moderator.get(f"/staff/cases/{cases['user']['id']}").json()["target"]

    assert on_comment["comment"]["text"] == "buy followers"
    assert on_comment["comment"]["author"]["username"] == "bob"
    assert on_comment["post"]["id"] == post["id"]
    assert on_comment["account"]["summary"]["username"] == "bob"
    assert on_account["post"] is None
    assert on_account["account"]["summary"]["username"] == "alice"
    assert [p["caption"] for p in on_account["account"]["recent_posts"]] == ["second", "first"]


async def test_a_deleted_target_is_said_to_be_gone(make_api, db: AsyncSession, alice, bob):
    moderator = await make_staff(make_api, db, "mia", "moderator")
    post = make_post(alice)
    report(bob, "post", post["id"])
    assert alice.delete(f"/posts/{post['id']}").status_code == 204
    case = queue(moderator)[0]

    target = moderator.get(f"/staff/cases/{case['id']}").json()["target"]

    assert (target["deleted"], target["post"]) == (True, None)
    assert target["account"]["summary"]["username"] == "alice"


async def test_two_moderators_never_hold_the_same_case(make_api, db: AsyncSession, alice, bob):
    first = await make_staff(make_api, db, "mia", "moderator")
    second = await make_staff(make_api, db, "max", "moderator")
    owner = await make_staff(make_api, db, "ada", "owner")
    report(bob, "post", make_post(alice)["id"])
    case_id = queue(first)[0]["id"]

    claimed = first.post(f"/staff/cases/{case_id}/claim")
    again = first.post(f"/staff/cases/{case_id}/claim")
    taken = second.post(f"/staff/cases/{case_id}/claim")
    not_theirs = second.post(f"/staff/cases/{case_id}/release")

    assert claimed.status_code == 200, claimed.text
    assert claimed.json()["claimed_by"] == {"id": user_id(first), "username": "mia"}
    assert again.status_code == 200
    assert "mia is handling" in assert_error(taken, 409, "case_claimed")["message"]
    assert_error(not_theirs, 409, "case_claimed")
    assert queue(second)[0]["claimed_by"]["username"] == "mia"

    released = first.post(f"/staff/cases/{case_id}/release")
    assert released.status_code == 200
    assert released.json()["claimed_by"] is None
    assert second.post(f"/staff/cases/{case_id}/claim").json()["claimed_by"]["username"] == "max"
    actions = [
        (e["actor_username"], e["action"])
        for e in owner.get("/staff/audit").json()["items"]
        if e["target_kind"] == "case"
    ]
    assert actions == [("max", "case.claimed"), ("mia", "case.released"), ("mia", "case.claimed")]


async def test_bad_case_requests_are_clear_errors(make_api, db: AsyncSession, alice, bob):
    moderator = await make_staff(make_api, db, "mia", "moderator")
    report(bob, "post", make_post(alice)["id"])
    case_id = queue(moderator)[0]["id"]

    assert_error(moderator.get("/staff/cases/123"), 404, "not_found")
    assert_error(moderator.get("/staff/cases/nope"), 404, "not_found")
    assert_error(moderator.post("/staff/cases/123/claim"), 404, "not_found")
    assert_error(
        moderator.post(f"/staff/cases/{case_id}/notes", json={"text": "   "}),
        400,
        "validation_error",
        ["text"],
    )
    assert_error(
        moderator.post(f"/staff/cases/{case_id}/notes", json={"text": "x" * 2001}), 400, "validation_error"
    )
    assert_error(moderator.get("/staff/cases", params={"cursor": "forged"}), 400, "invalid_cursor")
    assert moderator.get(f"/staff/cases/{case_id}").json()["notes"] == []

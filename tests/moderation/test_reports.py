"""Reporting posts, accounts and comments: only what the reporter can see, never oneself, once while
open, and not too often."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import Api
from tests.helpers import assert_error, make_post
from viewfinder.moderation.models import Report
from viewfinder.moderation.services import REPORT_LIMIT


def user_id(api: Api) -> str:
    return str(api.me["profile"]["id"])


def report(api: Api, target: str, target_id: str, reason: str = "spam", **fields: Any):
    return api.post("/reports", json={"target": target, "target_id": target_id, "reason": reason, **fields})


def comment_on(api: Api, post_id: str, text: str = "nice") -> dict[str, Any]:
    response = api.post(f"/posts/{post_id}/comments", json={"text": text})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_a_report_of_a_post_is_stored_open(alice, bob, db: AsyncSession):
    post = make_post(alice)

    response = report(bob, "post", post["id"], "nudity", details="  Not what the caption says.  ")

    assert response.status_code == 201, response.text
    body = response.json()
    assert body == {
        "id": body["id"],
        "target": "post",
        "target_id": post["id"],
        "reason": "nudity",
        "details": "Not what the caption says.",
        "status": "open",
        "created_at": body["created_at"],
    }
    stored = (await db.scalars(select(Report))).all()
    assert len(stored) == 1
    row = stored[0]
    assert (row.id, row.reporter_id, row.target_kind, row.target_id) == (
        int(body["id"]),
        int(user_id(bob)),
        "post",
        int(post["id"]),
    )
    assert (row.reason, row.details, row.status, row.resolved_at) == (
        "nudity",
        "Not what the caption says.",
        "open",
        None,
    )


def test_accounts_and_comments_can_be_reported_and_details_are_optional(alice, bob):
    post = make_post(alice)
    comment = comment_on(alice, post["id"], "buy followers at example.com")

    by_account = report(bob, "user", user_id(alice), "harassment")
    by_comment = report(bob, "comment", comment["id"], "spam")

    assert by_account.status_code == 201, by_account.text
    assert (by_account.json()["target"], by_account.json()["details"]) == ("user", "")
    assert by_comment.status_code == 201, by_comment.text
    assert by_comment.json()["target_id"] == comment["id"]


def test_every_reason_is_accepted(alice, bob):
    reasons = ("spam", "nudity", "harassment", "violence", "hate", "false_information", "other")
    posts = [make_post(alice) for _ in reasons]

    for reason, post in zip(reasons, posts, strict=True):
        assert report(bob, "post", post["id"], reason).json()["reason"] == reason


def test_anonymous_visitors_must_log_in(alice, anon):
    post = make_post(alice)

    assert_error(report(anon, "post", post["id"]), 401, "not_authenticated")


def test_writes_without_the_csrf_header_are_refused(alice, bob):
    post = make_post(alice)
    body = {"target": "post", "target_id": post["id"], "reason": "spam"}

    response = bob.client.post("/api/viewfinder/v1/reports", json=body)

    assert_error(response, 403, "csrf_failed")


def test_a_bad_reason_target_or_details_is_refused_with_a_field_error(alice, bob, db):
    post = make_post(alice)

    assert_error(report(bob, "post", post["id"], "boring"), 400, "validation_error", ["reason"])
    assert_error(report(bob, "story", post["id"]), 400, "validation_error", ["target"])
    assert_error(report(bob, "post", post["id"], details="x" * 1001), 400, "validation_error", ["details"])
    missing = assert_error(
        bob.post("/reports", json={"target": "post", "target_id": post["id"]}), 400, "validation_error"
    )
    assert "reason" in str(missing["fields"])
    assert report(bob, "post", post["id"], details="x" * 1000).status_code == 201


def test_unknown_and_malformed_targets_are_not_found(alice, bob):
    for target in ("post", "user", "comment"):
        for target_id in ("999999", "not-a-number", "1" * 20):
            assert_error(report(bob, target, target_id), 404, "not_found")


def test_a_private_accounts_post_is_not_found_until_the_reporter_follows(alice, bob):
    post = make_post(alice)
    comment = comment_on(alice, post["id"])
    alice.patch("/accounts/me", json={"is_private": True})

    assert_error(report(bob, "post", post["id"]), 404, "not_found")
    assert_error(report(bob, "comment", comment["id"]), 404, "not_found")
    # The account itself can be seen (its profile is public), so it can be reported.
    assert report(bob, "user", user_id(alice)).status_code == 201

    bob.post("/users/alice/follow")
    alice.post("/accounts/follow-requests/bob/approve")
    assert report(bob, "post", post["id"]).status_code == 201


def test_blocked_targets_are_not_found_either_way(alice, bob, carol):
    by_alice = make_post(alice)
    by_carol = make_post(carol)
    alice_comment = comment_on(alice, by_carol["id"], "from alice")
    alice.post("/users/bob/block")

    for reporter, victim in ((bob, alice), (alice, bob)):
        assert_error(report(reporter, "user", user_id(victim)), 404, "not_found")
    assert_error(report(bob, "post", by_alice["id"]), 404, "not_found")
    # A comment by a blocked account is hidden even on a third person's post.
    assert_error(report(bob, "comment", alice_comment["id"]), 404, "not_found")
    assert report(bob, "post", by_carol["id"]).status_code == 201


def test_nobody_can_report_themselves_or_their_own_content(alice):
    post = make_post(alice)
    comment = comment_on(alice, post["id"])

    for target, target_id in (("user", user_id(alice)), ("post", post["id"]), ("comment", comment["id"])):
        error = assert_error(report(alice, target, target_id), 400, "cannot_report_self", ["target_id"])
        assert "cannot report" in error["fields"]["target_id"]


def test_ones_own_comment_on_someone_elses_post_cannot_be_reported_but_theirs_can(alice, bob):
    post = make_post(alice)
    mine = comment_on(bob, post["id"], "mine")
    theirs = comment_on(alice, post["id"], "theirs")

    assert_error(report(bob, "comment", mine["id"]), 400, "cannot_report_self", ["target_id"])
    assert report(bob, "comment", theirs["id"]).status_code == 201


async def test_reporting_again_while_open_returns_the_first_report(alice, bob, carol, db):
    post = make_post(alice)
    first = report(bob, "post", post["id"], "spam", details="first")

    again = report(bob, "post", post["id"], "hate", details="second")

    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    assert report(carol, "post", post["id"]).status_code == 201  # another reporter is another report
    assert report(bob, "user", user_id(alice)).status_code == 201  # another target too
    rows = (await db.execute(select(Report.reporter_id, Report.target_kind))).all()
    assert sorted(rows) == sorted(
        [(int(user_id(bob)), "post"), (int(user_id(carol)), "post"), (int(user_id(bob)), "user")]
    )


async def test_a_resolved_report_lets_the_reporter_report_again(alice, bob, db):
    post = make_post(alice)
    first = report(bob, "post", post["id"]).json()
    stored = await db.get(Report, int(first["id"]))
    assert stored is not None
    stored.status = "dismissed"
    await db.commit()

    again = report(bob, "post", post["id"])

    assert again.status_code == 201, again.text
    assert again.json()["id"] != first["id"]


def test_too_many_reports_in_an_hour_are_refused(alice, bob, carol):
    post = make_post(alice)
    for _ in range(REPORT_LIMIT):
        assert report(bob, "post", post["id"]).status_code in (200, 201)

    refused = report(bob, "user", user_id(alice))

    error = assert_error(refused, 429, "rate_limited")
    assert "Try again" in error["message"]
    assert int(refused.headers["retry-after"]) > 0
    assert report(carol, "post", post["id"]).status_code == 201  # the limit is per account


async def test_the_database_keeps_one_open_report_per_reporter_and_target(alice, bob, db):
    reporter, target = int(user_id(bob)), int(user_id(alice))

    def row(status: str) -> Report:
        return Report(
            reporter_id=reporter, target_kind="user", target_id=target, reason="spam", status=status
        )

    db.add_all([row("dismissed"), row("actioned"), row("open")])
    await db.commit()
    db.add(row("open"))
    with pytest.raises(IntegrityError):
        await db.commit()
    await db.rollback()

    assert report(bob, "user", str(target)).status_code == 200
    assert len((await db.scalars(select(Report))).all()) == 3

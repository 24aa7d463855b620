"""Reporter trust in the queue's priority (issue 14, "reporter trust"; docs/decisions/0055): a reporter
whose reports staff upheld weighs more, one whose reports were dismissed weighs less, a new one is
neutral; folded into the stored key when a report joins a case and when a case is resolved."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import Api
from tests.helpers import make_post
from tests.moderation.acting import act, case_of, report
from tests.moderation.staff import make_staff
from tests.moderation.test_cases import queue
from viewfinder.moderation.cases import reporter_weight

COLOURS = ("red", "blue", "green", "yellow", "purple", "orange", "white", "black")


def record(reporter: Api, author: Api, staff: Api, action: str, times: int) -> None:
    """`times` reports by `reporter` of the author's posts, each case closed by `action`."""
    for n in range(times):
        post = make_post(author, f"{action} {n}", colour=COLOURS[n % len(COLOURS)])
        report(reporter, "post", post["id"])
        act(staff, case_of(staff, "post", post["id"]), action)


def case_in(items: list[dict[str, Any]], post: dict[str, Any]) -> dict[str, Any]:
    return next(c for c in items if c["target_id"] == post["id"])


def test_a_new_reporter_is_neutral_and_a_record_moves_the_weight_a_little_at_a_time():
    assert reporter_weight(0, 0) == 1
    assert reporter_weight(5, 5) == 1
    assert 1 < reporter_weight(1, 0) < reporter_weight(3, 0) < reporter_weight(30, 0) < 2
    assert 1 > reporter_weight(0, 1) > reporter_weight(0, 3) > reporter_weight(0, 30) > 0


async def test_a_trusted_reporters_case_comes_before_an_equal_one_and_a_dismissed_reporters_after(
    make_api, db: AsyncSession, alice, bob, carol
):
    mia = await make_staff(make_api, db, "mia", "moderator")
    dave = make_api().signup("dave")
    record(bob, alice, mia, "remove_content", 3)  # bob's reports were upheld
    record(carol, alice, mia, "dismiss", 3)  # carol's were dismissed

    # Three otherwise equal cases (one spam report each); the trusted reporter's is filed last, so
    # only trust can put it first (a younger case is otherwise lower).
    by_carol, by_dave, by_bob = (
        make_post(alice, name, colour=c) for name, c in (("c", "red"), ("d", "blue"), ("b", "green"))
    )
    report(carol, "post", by_carol["id"])
    report(dave, "post", by_dave["id"])
    report(bob, "post", by_bob["id"])

    items = queue(mia, limit="1")  # paged one case at a time: the stored key orders the pages
    assert [c["target_id"] for c in items] == [by_bob["id"], by_dave["id"], by_carol["id"]]
    assert [c["priority"] for c in items] == [113, 110, 107]
    assert [c["reporters_count"] for c in items] == [1, 1, 1]


async def test_resolving_a_case_rescores_the_open_cases_of_its_reporters(
    make_api, db: AsyncSession, alice, bob, carol
):
    mia = await make_staff(make_api, db, "mia", "moderator")
    waiting, judged = make_post(alice, "w", colour="red"), make_post(alice, "j", colour="blue")
    report(bob, "post", waiting["id"])
    report(carol, "post", waiting["id"])
    report(bob, "post", judged["id"])
    assert case_in(queue(mia), waiting)["priority"] == 120

    act(mia, case_of(mia, "post", judged["id"]), "dismiss")
    assert case_in(queue(mia), waiting)["priority"] == 100 + round(10 * (reporter_weight(0, 1) + 1))

    other = make_post(alice, "o", colour="green")
    report(carol, "post", other["id"])
    act(mia, case_of(mia, "post", other["id"]), "remove_content")
    weight = reporter_weight(0, 1) + reporter_weight(1, 0)
    assert case_in(queue(mia), waiting)["priority"] == 100 + round(10 * weight)


async def test_a_report_whose_action_is_reversed_on_appeal_no_longer_counts_as_upheld(
    make_api, db: AsyncSession, alice, bob
):
    mia = await make_staff(make_api, db, "mia", "moderator")
    max_ = await make_staff(make_api, db, "max", "moderator")
    judged, waiting = make_post(alice, "j", colour="red"), make_post(alice, "w", colour="blue")
    report(bob, "post", judged["id"])
    report(bob, "post", waiting["id"])
    act(mia, case_of(mia, "post", judged["id"]), "remove_content")
    assert case_in(queue(mia), waiting)["priority"] == 100 + round(10 * reporter_weight(1, 0))

    (strike,) = alice.get("/accounts/me/strikes").json()["items"]
    assert (
        alice.post(f"/accounts/me/strikes/{strike['id']}/appeal", json={"text": "Look again."}).status_code
        == 201
    )
    appeal = next(c["id"] for c in queue(max_) if c["target"] == "appeal")
    reversed_ = max_.post(
        f"/staff/cases/{appeal}/appeal", json={"decision": "reverse", "reason": "It was fine."}
    )
    assert reversed_.status_code == 200, reversed_.text
    # bob's report was wrong after all: it weighs as a dismissed one, and his open case moves down.
    assert case_in(queue(mia), waiting)["priority"] == 100 + round(10 * reporter_weight(0, 1))

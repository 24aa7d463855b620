"""Suspending and banning an account (issue 14, "Bad input and abuse"): its sessions and tokens end
at once, a log-in is refused saying why, nothing it made is visible anywhere, and all of it returns
when the action is reversed or the suspension runs out (docs/decisions/0052)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import anyio.to_thread
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from tests.accounts.test_api import bearer
from tests.accounts.test_security import make_token
from tests.helpers import assert_error, make_post
from tests.moderation.enforce import account, act, undo
from tests.moderation.staff import make_staff
from tests.privacy.test_closures import HIDDEN, SHOWN, alices_world, log_in, what_bob_sees
from viewfinder.accounts.models import User
from viewfinder.core.db import utcnow
from viewfinder.moderation import tasks
from viewfinder.moderation.enforcement import apply_account_action, lift_expired_suspensions


def everything_bob_sees(bob, anon, post: dict[str, Any], photo: str, avatar: str) -> dict[str, Any]:
    """Every place of `what_bob_sees`, and Alice's like on Bob's post and her lines in his inbox."""
    seen: dict[str, Any] = what_bob_sees(bob, anon, post, photo, avatar)
    likers = bob.get(f"/posts/{post['bobs']}/likes").json()["items"]
    seen["like"] = any(liker["username"] == "alice" for liker in likers)
    lines = bob.get("/notifications").json()["items"]
    seen["notified"] = any(actor["username"] == "alice" for line in lines for actor in line["actors"])
    return seen


ALL_SHOWN = {**SHOWN, "like": True, "notified": True}
ALL_HIDDEN = {**HIDDEN, "like": False, "notified": False}


def alices_whole_world(alice, bob) -> tuple[dict[str, Any], str, str]:
    post, photo, avatar = alices_world(alice, bob)
    assert alice.post(f"/posts/{post['bobs']}/like").status_code == 200
    assert alice.post("/users/bob/follow").status_code == 200
    return post, photo, avatar


async def test_a_ban_ends_every_session_and_token_at_once_and_hides_all_until_reversed(
    alice, bob, anon, make_api, db
):
    post, photo, avatar = alices_whole_world(alice, bob)
    secret = make_token(alice)["secret"]
    other_session, _ = log_in(make_api)
    # Each credential has been looked up (and so cached by the web process) before the ban.
    for api in (alice, other_session):
        assert api.get("/accounts/me").status_code == 200
    assert bearer(make_api, secret).status_code == 200
    assert everything_bob_sees(bob, anon, post, photo, avatar) == ALL_SHOWN

    await act(db, "alice", "ban")

    assert_error(alice.get("/accounts/me"), 401, "not_authenticated")
    assert_error(other_session.get("/accounts/me"), 401, "not_authenticated")
    assert_error(bearer(make_api, secret), 401, "invalid_token")
    assert everything_bob_sees(bob, anon, post, photo, avatar) == ALL_HIDDEN
    _, refused = log_in(make_api)
    assert_error(refused, 403, "account_banned")
    _, wrong = log_in(make_api, password="not the password")
    assert_error(wrong, 401, "invalid_credentials")  # nothing is told without the password

    await undo(db, "alice", "ban")

    assert everything_bob_sees(bob, anon, post, photo, avatar) == ALL_SHOWN
    back, logged_in = log_in(make_api)
    assert logged_in.status_code == 200, logged_in.text
    assert back.get("/accounts/me").status_code == 200
    assert_error(bearer(make_api, secret), 401, "invalid_token")  # ended tokens stay ended


async def test_a_suspension_refuses_log_in_naming_its_end_and_the_sweep_lifts_it(
    alice, bob, anon, make_api, db
):
    post, photo, avatar = alices_whole_world(alice, bob)
    until = utcnow() + timedelta(days=3)

    await act(db, "alice", "suspend", until)

    assert_error(alice.get("/accounts/me"), 401, "not_authenticated")
    assert everything_bob_sees(bob, anon, post, photo, avatar) == ALL_HIDDEN
    _, refused = log_in(make_api)
    error = assert_error(refused, 403, "account_suspended", ["suspended_until"])
    assert error["fields"]["suspended_until"][:19] == until.isoformat()[:19]
    assert until.strftime("%d %B %Y") in error["message"]
    assert await sweep() == 0  # three days to go

    await suspension_over(db, "alice")
    assert await sweep() == 1

    assert everything_bob_sees(bob, anon, post, photo, avatar) == ALL_SHOWN
    _, logged_in = log_in(make_api)
    assert logged_in.status_code == 200, logged_in.text


async def test_a_log_in_after_the_end_of_a_suspension_lifts_it_at_once(alice, bob, anon, make_api, db):
    post, photo, avatar = alices_whole_world(alice, bob)
    await act(db, "alice", "suspend", utcnow() + timedelta(hours=1))
    await suspension_over(db, "alice")
    assert everything_bob_sees(bob, anon, post, photo, avatar) == ALL_HIDDEN  # the sweep has not run

    back, logged_in = log_in(make_api)

    assert logged_in.status_code == 200, logged_in.text
    assert back.get("/accounts/me").status_code == 200
    assert everything_bob_sees(bob, anon, post, photo, avatar) == ALL_SHOWN
    assert (await account(db, "alice")).suspended_until is None


async def test_a_ban_outlasts_a_suspension_that_ends(alice, bob, anon, make_api, db):
    post, photo, avatar = alices_whole_world(alice, bob)
    await act(db, "alice", "suspend", utcnow() + timedelta(hours=1))
    await act(db, "alice", "ban")

    await suspension_over(db, "alice")
    assert await lift_expired_suspensions(db) == 1

    assert everything_bob_sees(bob, anon, post, photo, avatar) == ALL_HIDDEN
    assert_error(log_in(make_api)[1], 403, "account_banned")
    await undo(db, "alice", "ban")
    assert everything_bob_sees(bob, anon, post, photo, avatar) == ALL_SHOWN


async def test_an_account_its_owner_deactivated_stays_closed_after_a_suspension_ends(
    alice, bob, anon, make_api, db
):
    post, photo, avatar = alices_whole_world(alice, bob)
    assert alice.post("/accounts/me/deactivate").status_code == 204
    await act(db, "alice", "suspend", utcnow() + timedelta(hours=1))
    assert_error(log_in(make_api)[1], 403, "account_suspended")

    await suspension_over(db, "alice")
    assert await lift_expired_suspensions(db) == 1

    assert everything_bob_sees(bob, anon, post, photo, avatar) == ALL_HIDDEN  # closed by its owner
    _, logged_in = log_in(make_api)  # the owner's log-in reopens it, as it always did
    assert logged_in.status_code == 200, logged_in.text
    assert logged_in.json()["reactivated"] is True
    assert everything_bob_sees(bob, anon, post, photo, avatar) == ALL_SHOWN


async def test_a_self_closed_account_logs_in_as_before(alice, make_api):
    assert alice.post("/accounts/me/deactivate").status_code == 204

    _, logged_in = log_in(make_api)

    assert logged_in.status_code == 200, logged_in.text
    assert logged_in.json()["reactivated"] is True


async def test_a_post_made_just_before_a_ban_does_not_reach_feeds_after_it(alice, bob, make_api, db):
    """Jobs run inline in tests, so the post's fan-out has filled Bob's timeline: what reads it
    must still leave a banned author out (the timeline holds ids; the policy decides)."""
    bob.post("/users/alice/follow")
    fresh = make_post(alice, "just in time")

    await act(db, "alice", "ban")

    assert all(item["id"] != fresh["id"] for item in bob.get("/feed").json()["items"])
    assert bob.get(f"/posts/{fresh['id']}").status_code == 404


async def test_a_suspension_needs_an_end_in_the_future(alice, db):
    for until in (None, utcnow() - timedelta(minutes=1)):
        try:
            await apply_account_action(db, await account(db, "alice"), "suspend", until)
        except ValueError:
            await db.rollback()
        else:
            raise AssertionError(f"suspended until {until}")
    assert alice.get("/accounts/me").status_code == 200


async def sweep() -> int:
    """The periodic job, run as the worker runs it (its own thread and event loop)."""
    lifted: int = await anyio.to_thread.run_sync(tasks.lift_expired_suspensions.call_local)
    return lifted


async def suspension_over(db: AsyncSession, username: str) -> None:
    await db.execute(
        update(User)
        .where(User.username_key == username)
        .values(suspended_until=utcnow() - timedelta(minutes=1))
    )
    await db.commit()


async def test_staff_see_a_banned_account_with_its_states_actions_and_cases(alice, bob, make_api, db):
    make_post(alice, "reported")
    filed = bob.post(
        "/reports", json={"target": "user", "target_id": alice.me["profile"]["id"], "reason": "spam"}
    )
    assert filed.status_code == 201, filed.text
    moderator = await make_staff(make_api, db, "mo", "moderator")
    case = moderator.get("/staff/cases").json()["items"][0]
    banned = moderator.post(
        f"/staff/cases/{case['id']}/actions", json={"action": "ban", "reason": "spam bot"}
    )
    assert banned.status_code == 201, banned.text

    shown = moderator.get("/staff/accounts/ALICE")

    assert shown.status_code == 200, shown.text
    body = shown.json()
    assert body["account"]["summary"]["username"] == "alice"
    assert body["account"]["is_active"] is False
    assert [post["caption"] for post in body["account"]["recent_posts"]] == ["reported"]
    assert (body["banned"], body["restricted"], body["limited"], body["suspended_until"]) == (
        True,
        False,
        False,
        None,
    )
    assert [(a["kind"], a["reason"], a["actor"]["username"]) for a in body["actions"]] == [
        ("ban", "spam bot", "mo")
    ]
    assert [(c["id"], c["status"]) for c in body["cases"]] == [(case["id"], "actioned")]
    assert_error(log_in(make_api)[1], 403, "account_banned")
    assert_error(moderator.get("/staff/accounts/nobody"), 404, "not_found")

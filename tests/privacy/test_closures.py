"""Deactivating an account (hidden everywhere, back on the next log-in) and scheduling its deletion
(hidden at once, erased after the grace period unless a log-in cancels it)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from tests.accounts.test_api import bearer
from tests.accounts.test_security import age_sessions, kinds, make_token
from tests.conftest import PASSWORD
from tests.database import query
from tests.helpers import assert_error, make_post, small_photo
from viewfinder.core.db import utcnow
from viewfinder.core.jobs import run_with_db
from viewfinder.privacy import tasks
from viewfinder.privacy.models import AccountClosure


def log_in(make_api, login: str = "alice", password: str = PASSWORD, **extra: Any):
    api = make_api()
    response = api.post("/accounts/login", json={"login": login, "password": password, **extra})
    if response.status_code == 200:
        api.username, api.csrf_token = login, response.json()["csrf_token"]
    return api, response


def what_bob_sees(bob, anon, post: dict[str, Any], photo: str, avatar: str) -> dict[str, int | bool]:
    """Whether each place shows Alice: status codes, or whether a list holds her post or comment."""
    comments = bob.get(f"/posts/{post['bobs']}/comments").json()["items"]
    tagged = anon.get("/hashtags/harbour/posts")  # 404 once no post one may see has the tag
    return {
        "profile": bob.get("/users/alice").status_code,
        "post": bob.get(f"/posts/{post['id']}").status_code,
        "photo": anon.client.get(photo).status_code,
        "avatar": anon.client.get(avatar).status_code,
        "feed": any(item["id"] == post["id"] for item in bob.get("/feed").json()["items"]),
        "explore": any(item["id"] == post["id"] for item in anon.get("/explore").json()["items"]),
        "tag": any(item["id"] == post["id"] for item in tagged.json().get("items", [])),
        "search": any(item["username"] == "alice" for item in anon.get("/search/accounts?q=alice").json()),
        "comment": any(comment["author"]["username"] == "alice" for comment in comments),
    }


SHOWN = {
    "profile": 200,
    "post": 200,
    "photo": 200,
    "avatar": 200,
    "feed": True,
    "explore": True,
    "tag": True,
    "search": True,
    "comment": True,
}
HIDDEN = {
    "profile": 404,
    "post": 404,
    "photo": 404,
    "avatar": 404,
    "feed": False,
    "explore": False,
    "tag": False,
    "search": False,
    "comment": False,
}


def alices_world(alice, bob) -> tuple[dict[str, Any], str, str]:
    """Alice's public post (in Bob's feed, Explore, a tag), her avatar, her comment under Bob's post."""
    alice.put("/accounts/me/avatar", files={"data": ("me.jpg", small_photo("blue"), "image/jpeg")})
    bob.post("/users/alice/follow")
    post = make_post(alice, "Evening #harbour")
    bobs = make_post(bob, "Bob's boat")
    alice.post(f"/posts/{bobs['id']}/comments", json={"text": "Nice boat"})
    post["bobs"] = bobs["id"]
    photo = urlsplit(post["items"][0]["media"]["renditions"][0]["url"]).path
    avatar = urlsplit(alice.get("/accounts/me").json()["profile"]["avatar_url"]).path
    return post, photo, avatar


def test_a_deactivated_account_is_hidden_everywhere_until_it_logs_in_again(alice, bob, anon, make_api):
    post, photo, avatar = alices_world(alice, bob)
    other_session, _ = log_in(make_api)
    assert what_bob_sees(bob, anon, post, photo, avatar) == SHOWN

    response = alice.post("/accounts/me/deactivate")

    assert response.status_code == 204, response.text
    assert 'vf_session=""' in response.headers["set-cookie"]
    assert what_bob_sees(bob, anon, post, photo, avatar) == HIDDEN
    assert_error(alice.get("/accounts/me"), 401, "not_authenticated")
    assert_error(other_session.get("/accounts/me"), 401, "not_authenticated")  # every session ended

    back, logged_in = log_in(make_api)

    assert logged_in.status_code == 200, logged_in.text
    assert logged_in.json()["reactivated"] is True
    assert logged_in.json()["deletion_cancelled"] is False
    assert what_bob_sees(bob, anon, post, photo, avatar) == SHOWN
    assert kinds(back)[:3] == ["login_succeeded", "account_reactivated", "account_deactivated"]


def test_an_ordinary_log_in_reactivates_nothing(alice, make_api):
    _, logged_in = log_in(make_api)

    assert logged_in.json()["reactivated"] is False


async def test_closing_an_account_needs_sudo_mode_and_a_browser_session(alice, make_api, db):
    secret = make_token(alice)["secret"]
    for path, body in (("/accounts/me/deactivate", None), ("/accounts/me/delete", {"now": True})):
        assert_error(bearer(make_api, secret, "POST", path, json=body), 403, "session_required")
    await age_sessions(db, "alice", minutes=11)

    assert_error(alice.post("/accounts/me/deactivate"), 403, "reauthentication_required")
    assert_error(alice.post("/accounts/me/delete", json={"now": True}), 403, "reauthentication_required")
    assert alice.get("/accounts/me").status_code == 200


def test_an_account_deactivated_by_someone_else_cannot_log_in_to_reopen_itself(alice, make_api, settings):
    query(settings, "UPDATE users SET is_active = ? WHERE username = ?", False, "alice")

    _, refused = log_in(make_api)

    assert_error(refused, 401, "invalid_credentials")


def test_a_deletion_is_scheduled_for_thirty_days_and_a_log_in_can_cancel_it(alice, bob, anon, make_api):
    post, photo, avatar = alices_world(alice, bob)

    response = alice.post("/accounts/me/delete", json={})

    assert response.status_code == 202, response.text
    delete_after = response.json()["delete_after"]
    assert (utcnow() + timedelta(days=30)).isoformat()[:13] == delete_after[:13]
    assert what_bob_sees(bob, anon, post, photo, avatar) == HIDDEN
    assert_error(alice.get("/accounts/me"), 401, "not_authenticated")

    _, asked = log_in(make_api)  # the right password: the log-in screen offers to cancel
    error = assert_error(asked, 409, "deletion_scheduled", ["delete_after"])
    assert error["fields"]["delete_after"][:19] == delete_after[:19]
    _, wrong = log_in(make_api, password="not the password", cancel_deletion=True)
    assert_error(wrong, 401, "invalid_credentials")  # nothing is told without the password
    assert what_bob_sees(bob, anon, post, photo, avatar) == HIDDEN

    back, cancelled = log_in(make_api, cancel_deletion=True)

    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["deletion_cancelled"] is True
    assert cancelled.json()["reactivated"] is True
    assert what_bob_sees(bob, anon, post, photo, avatar) == SHOWN
    assert kinds(back)[:5] == [
        "login_succeeded",
        "account_reactivated",
        "deletion_cancelled",
        "login_failed",
        "deletion_scheduled",
    ]
    assert tasks.erase_due_accounts.call_local() == 0
    assert back.get("/accounts/me").status_code == 200


async def grace_over(db: AsyncSession) -> None:
    await db.execute(update(AccountClosure).values(delete_after=utcnow() - timedelta(minutes=1)))
    await db.commit()


def test_the_periodic_job_erases_an_account_once_its_grace_period_is_over(alice, bob, make_api, settings):
    make_post(alice, "soon gone")
    alice.post("/accounts/me/delete", json={})
    assert tasks.erase_due_accounts.call_local() == 0  # 30 days to go

    run_with_db(grace_over)
    assert tasks.erase_due_accounts.call_local() == 1

    assert query(settings, "SELECT id FROM users WHERE username_key = ?", "alice") == []
    assert query(settings, "SELECT id FROM posts") == []
    _, gone = log_in(make_api)
    assert_error(gone, 401, "invalid_credentials")
    assert make_api().signup("alice").me["profile"]["posts_count"] == 0  # the name is free again


def test_an_erasure_under_way_cannot_be_cancelled(alice, make_api, settings):
    alice.post("/accounts/me/delete", json={})
    query(settings, "UPDATE account_closures SET state = ?", "deleting")

    _, refused = log_in(make_api, cancel_deletion=True)

    assert_error(refused, 401, "invalid_credentials")

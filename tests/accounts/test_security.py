"""Sudo mode (re-authentication before sensitive actions; never from an API token), password changes
that revoke every credential, and the account's security log with its after-commit listeners."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from tests.accounts.test_api import bearer
from tests.conftest import PASSWORD
from tests.helpers import assert_error, cache_session
from viewfinder.accounts import security
from viewfinder.accounts.authcache import drop_after_commit
from viewfinder.accounts.models import SecurityEvent, User, UserSession
from viewfinder.accounts.security import Origin, commit_and_announce, record_security_event
from viewfinder.core.db import utcnow

NEW_PASSWORD = "another quite unusual passphrase"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"


async def age_sessions(db, username: str, minutes: float) -> None:
    """Make the account's sessions have proved the password `minutes` ago. A write behind the
    services' back, so it drops the web processes' cached sessions itself, as they do (decision 0042)."""
    user_id = await db.scalar(select(User.id).where(User.username_key == username))
    await db.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id)
        .values(reauthenticated_at=utcnow() - timedelta(minutes=minutes))
    )
    drop_after_commit(db, user_id)
    await db.commit()


def make_token(api, name: str = "script") -> dict[str, Any]:
    response = api.post("/accounts/tokens", json={"name": name})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def kinds(api, **params: Any) -> list[str]:
    response = api.get("/accounts/security-events", params=params)
    assert response.status_code == 200, response.text
    return [event["kind"] for event in response.json()["items"]]


# --- Sudo mode -------------------------------------------------------------------------------------


async def test_a_session_must_reauthenticate_to_create_a_token_after_ten_minutes(alice, db):
    await age_sessions(db, "alice", minutes=11)

    refused = alice.post("/accounts/tokens", json={"name": "cron"})
    assert_error(refused, 403, "reauthentication_required")
    assert alice.get("/accounts/tokens").json() == []

    wrong = alice.post("/accounts/reauthenticate", json={"password": "not my password"})
    assert_error(wrong, 400, "wrong_password", ["password"])
    assert_error(alice.post("/accounts/tokens", json={"name": "cron"}), 403, "reauthentication_required")

    confirmed = alice.post("/accounts/reauthenticate", json={"password": PASSWORD})
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["reauthenticated_until"] > utcnow().isoformat()[:19]
    assert make_token(alice, "cron")["token"]["name"] == "cron"


async def test_reauthentication_lasts_ten_minutes(alice, db):
    await age_sessions(db, "alice", minutes=9)
    make_token(alice)


def test_a_fresh_log_in_counts_as_reauthenticated(alice, make_api):
    browser = make_api()
    response = browser.post("/accounts/login", json={"login": "alice", "password": PASSWORD})
    browser.csrf_token = response.json()["csrf_token"]
    make_token(browser)


def test_an_api_token_cannot_mint_tokens_or_change_credentials(alice, make_api):
    secret = make_token(alice)["secret"]

    minted = bearer(make_api, secret, "POST", "/accounts/tokens", json={"name": "more"})
    assert_error(minted, 403, "session_required")
    sudo = bearer(make_api, secret, "POST", "/accounts/reauthenticate", json={"password": PASSWORD})
    assert_error(sudo, 403, "session_required")
    changed = bearer(
        make_api,
        secret,
        "POST",
        "/accounts/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
    )
    assert_error(changed, 403, "session_required")

    assert [t["name"] for t in alice.get("/accounts/tokens").json()] == ["script"]
    assert (
        make_api().post("/accounts/login", json={"login": "alice", "password": PASSWORD}).status_code == 200
    )


def test_reauthenticate_needs_a_password(alice):
    assert_error(alice.post("/accounts/reauthenticate", json={}), 400, "validation_error", ["password"])
    assert_error(alice.post("/accounts/reauthenticate", json={"password": ""}), 400, "validation_error")
    assert_error(alice.post("/accounts/reauthenticate", json={"totp": "123456"}), 400, "validation_error")


def test_reauthenticate_needs_a_session(anon):
    assert_error(anon.post("/accounts/reauthenticate", json={"password": PASSWORD}), 401, "not_authenticated")


def test_reauthentication_attempts_are_limited_like_log_ins(alice):
    """A stolen session must not become a way to guess the password faster than log-in allows."""
    for _ in range(10):
        assert_error(
            alice.post("/accounts/reauthenticate", json={"password": "guess"}), 400, "wrong_password"
        )
    limited = alice.post("/accounts/reauthenticate", json={"password": PASSWORD})
    assert_error(limited, 429, "rate_limited")


def test_wrong_current_passwords_are_limited_like_log_ins(alice):
    body = {"current_password": "guess", "new_password": NEW_PASSWORD}
    for _ in range(10):
        assert_error(alice.post("/accounts/password", json=body), 400, "wrong_password")
    body = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    assert_error(alice.post("/accounts/password", json=body), 429, "rate_limited")


# --- Password changes revoke every credential ------------------------------------------------------


def test_changing_the_password_revokes_every_api_token(alice, make_api):
    """API tokens used to survive a password change: whoever had stolen one kept the account."""
    first, second = make_token(alice, "laptop")["secret"], make_token(alice, "phone")["secret"]
    assert bearer(make_api, first).status_code == 200

    response = alice.post(
        "/accounts/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )

    assert response.status_code == 204, response.text
    assert_error(bearer(make_api, first), 401, "invalid_token")
    assert_error(bearer(make_api, second), 401, "invalid_token")
    assert alice.get("/accounts/tokens").json() == []
    # This session stays, and may at once make a new token: the current password re-authenticated it.
    make_token(alice, "new laptop")


async def test_a_weak_new_password_changes_nothing(alice, make_api):
    secret = make_token(alice)["secret"]
    response = alice.post(
        "/accounts/password", json={"current_password": PASSWORD, "new_password": "aaaaaaaa"}
    )
    error = assert_error(response, 400, "validation_error", ["new_password"])
    assert "too easy to guess" in error["fields"]["new_password"]
    assert bearer(make_api, secret).status_code == 200


# --- The security log ------------------------------------------------------------------------------


def test_the_log_records_log_ins_failures_and_log_outs(alice, make_api):
    fresh = make_api()
    assert_error(
        fresh.post("/accounts/login", json={"login": "alice", "password": "wrong"}),
        401,
        "invalid_credentials",
    )
    # An unknown account has no log: nothing is written, and nothing goes wrong.
    assert_error(
        fresh.post("/accounts/login", json={"login": "nobody", "password": "x"}), 401, "invalid_credentials"
    )
    logged_in = fresh.post("/accounts/login", json={"login": "alice", "password": PASSWORD})
    fresh.csrf_token = logged_in.json()["csrf_token"]
    assert fresh.post("/accounts/logout").status_code == 204

    assert kinds(alice) == ["logged_out", "login_succeeded", "login_failed", "account_created"]
    newest = alice.get("/accounts/security-events").json()["items"][0]
    assert newest["ip_address"] == "testclient"
    assert newest["user_agent"] == "testclient"
    assert newest["created_at"]
    assert newest["id"]


def test_a_log_in_from_a_new_device_is_marked(alice, make_api):
    def log_in(user_agent: str) -> None:
        response = make_api().post(
            "/accounts/login",
            json={"login": "alice", "password": PASSWORD},
            headers={"user-agent": user_agent},
        )
        assert response.status_code == 200

    log_in("testclient")  # as at sign-up: a known device
    log_in(FIREFOX)  # new
    log_in(FIREFOX)  # seen now
    events = alice.get("/accounts/security-events").json()["items"]
    logins = [(e["user_agent"], e["detail"]["new_device"]) for e in events if e["kind"] == "login_succeeded"]
    assert logins == [(FIREFOX, False), (FIREFOX, True), ("testclient", False)]


async def test_a_login_is_new_again_after_ninety_days(alice, make_api, db):
    await db.execute(update(SecurityEvent).values(created_at=utcnow() - timedelta(days=91)))
    await db.commit()
    make_api().post("/accounts/login", json={"login": "alice", "password": PASSWORD})
    newest = alice.get("/accounts/security-events").json()["items"][0]
    assert (newest["kind"], newest["detail"]) == ("login_succeeded", {"new_device": True})


def test_the_log_records_sessions_ended_elsewhere_tokens_and_password_changes(alice, make_api):
    phone = make_api()
    phone_login = phone.post(
        "/accounts/login", json={"login": "alice", "password": PASSWORD}, headers={"user-agent": FIREFOX}
    )
    assert phone_login.status_code == 200
    phone_session = next(s["id"] for s in alice.get("/accounts/sessions").json() if not s["current"])
    assert alice.delete(f"/accounts/sessions/{phone_session}").status_code == 204
    token = make_token(alice, "backup")
    assert alice.delete(f"/accounts/tokens/{token['token']['id']}").status_code == 204
    make_token(alice, "cron")
    alice.post("/accounts/password", json={"current_password": "wrong", "new_password": NEW_PASSWORD})
    alice.post("/accounts/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD})

    events = alice.get("/accounts/security-events").json()["items"]
    assert [e["kind"] for e in events] == [
        "password_changed",
        "reauthentication_failed",
        "token_created",
        "token_revoked",
        "token_created",
        "session_ended",
        "login_succeeded",
        "account_created",
    ]
    by_kind = {e["kind"]: e["detail"] for e in events}
    assert by_kind["password_changed"] == {"sessions_ended": 0, "tokens_revoked": 1}
    assert by_kind["reauthentication_failed"] == {"method": "password", "action": "change_password"}
    assert by_kind["token_revoked"] == {"token_id": token["token"]["id"], "name": "backup"}
    assert by_kind["session_ended"] == {
        "session_id": phone_session,
        "user_agent": FIREFOX,
        "ip_address": "testclient",
    }


async def test_the_log_records_reauthentication(alice, db):
    await age_sessions(db, "alice", minutes=30)
    alice.post("/accounts/reauthenticate", json={"password": "wrong"})
    alice.post("/accounts/reauthenticate", json={"password": PASSWORD})
    events = alice.get("/accounts/security-events").json()["items"]
    assert [(e["kind"], e["detail"]) for e in events[:2]] == [
        ("reauthenticated", {"method": "password"}),
        ("reauthentication_failed", {"method": "password", "action": "reauthenticate"}),
    ]


def test_each_account_sees_only_its_own_log(alice, bob, anon):
    make_token(bob)
    assert kinds(alice) == ["account_created"]
    assert kinds(bob) == ["token_created", "account_created"]
    assert_error(anon.get("/accounts/security-events"), 401, "not_authenticated")


async def add_events(db, username: str, number: int) -> None:
    user_id = await db.scalar(select(User.id).where(User.username_key == username))
    for index in range(number):
        record_security_event(db, user_id, security.LOGIN_FAILED, Origin(f"192.0.2.{index % 250}", "bot"))
    await commit_and_announce(db)


async def test_the_log_pages_newest_first_in_a_fixed_number_of_queries(alice, db, count_queries):
    await add_events(db, "alice", 4)
    cache_session(alice, count_queries)
    with count_queries() as small:
        first = alice.get("/accounts/security-events", params={"limit": 5}).json()
    await add_events(db, "alice", 60)
    with count_queries() as large:
        page = alice.get("/accounts/security-events", params={"limit": 50}).json()
    # The page (limit + 1 rows); the session behind the cookie comes from the auth cache (failed
    # log-ins do not drop it).
    assert small.count == 1, small.statements
    assert large.count == 1, large.statements

    assert len(first["items"]) == 5
    assert first["next_cursor"] is None
    seen = [e["id"] for e in page["items"]]
    while page["next_cursor"]:
        page = alice.get(
            "/accounts/security-events", params={"limit": 50, "cursor": page["next_cursor"]}
        ).json()
        seen += [e["id"] for e in page["items"]]
    assert len(seen) == 65
    assert seen == sorted(seen, key=int, reverse=True)


def test_a_cursor_from_another_account_is_refused(alice, bob):
    for _ in range(3):
        make_token(bob)
    cursor = bob.get("/accounts/security-events", params={"limit": 1}).json()["next_cursor"]
    assert cursor
    assert_error(alice.get("/accounts/security-events", params={"cursor": cursor}), 400, "invalid_cursor")


async def test_events_older_than_the_retention_are_purged(alice, db, settings):
    await add_events(db, "alice", 3)
    await db.execute(
        update(SecurityEvent)
        .where(SecurityEvent.kind == "login_failed")
        .values(created_at=utcnow() - timedelta(days=366))
    )
    await db.commit()

    purged = await security.purge_old_security_events(
        db, retention_days=settings.security_event_retention_days
    )

    assert purged == 3
    assert await db.scalar(select(func.count()).select_from(SecurityEvent)) == 1
    assert kinds(alice) == ["account_created"]


def test_unknown_event_kinds_are_a_programming_error():
    with pytest.raises(ValueError, match="unknown security event kind"):
        record_security_event(None, 1, "password_peeked")  # type: ignore[arg-type]


# --- The hook for e-mail alerts: listeners after commit --------------------------------------------


def test_listeners_hear_of_each_event_after_it_is_committed(alice, make_api, settings):
    heard: list[tuple[str, str, bool]] = []

    async def listener(event: SecurityEvent) -> None:
        from tests.database import connect

        with connect(settings) as rows:  # already committed: another connection sees it
            committed = rows.execute("SELECT count(*) FROM security_events WHERE id = ?", event.id) == [(1,)]
        heard.append((event.kind, event.ip_address, committed))

    remove = security.on_security_event(listener)
    try:
        make_api().post("/accounts/login", json={"login": "alice", "password": PASSWORD})
        make_api().post("/accounts/login", json={"login": "alice", "password": "wrong"})
    finally:
        remove()
    make_api().post("/accounts/login", json={"login": "alice", "password": PASSWORD})  # after removal

    assert heard == [("login_succeeded", "testclient", True), ("login_failed", "testclient", True)]


def test_a_failing_listener_does_not_fail_the_action(alice, make_api, caplog):
    async def broken(event: SecurityEvent) -> None:
        raise RuntimeError("the mail server is down")

    remove = security.on_security_event(broken)
    try:
        with caplog.at_level(logging.ERROR, logger="viewfinder.accounts.security"):
            response = make_api().post("/accounts/login", json={"login": "alice", "password": PASSWORD})
    finally:
        remove()
    assert response.status_code == 200
    assert "listener" in caplog.text

"""The accounts API end to end: sign-up rules, log-in and log-out, CSRF, API tokens,
password changes, sessions and profile edits."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import update

from tests.conftest import PASSWORD
from tests.helpers import assert_error
from viewfinder.accounts.models import User
from viewfinder.app import API_PREFIX

NEW_PASSWORD = "another quite unusual passphrase"


def signup_body(username: str = "dora", email: str | None = None, password: str = PASSWORD) -> dict[str, str]:
    return {"username": username, "email": email or f"{username}@example.com", "password": password}


def all_keys(value: Any) -> set[str]:
    """Every object key anywhere in a JSON document."""
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in all_keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in all_keys(v)}
    return set()


def replay(make_api, path: str, session_cookie: str, method: str = "GET"):
    """A request from a brand-new client that carries only this session cookie."""
    client = make_api().client
    return client.request(method, API_PREFIX + path, headers={"cookie": f"vf_session={session_cookie}"})


def bearer(make_api, secret: str, method: str = "GET", path: str = "/accounts/me", **kwargs: Any):
    """A request from a brand-new client (no cookies) authenticated by an API token only."""
    client = make_api().client
    return client.request(method, API_PREFIX + path, headers={"authorization": f"Bearer {secret}"}, **kwargs)


# --- Sign-up ---------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["a", "x" * 30, "Jane.Doe_99", "_under_score_", "1234567"])
def test_signup_accepts_letters_digits_dots_and_underscores(anon, username):
    response = anon.post("/accounts/signup", json=signup_body(username, email="someone@example.com"))
    assert response.status_code == 201, response.text
    assert response.json()["me"]["profile"]["username"] == username


@pytest.mark.parametrize(
    "username",
    [
        "x" * 31,
        "",
        "jane doe",
        "jane-doe",
        "jane\U0001f600",
        "jane@home",
        "jane/doe",
        "jane\n",
        ".",
        "..",
        "a..b",
    ],
    ids=[
        "31-chars",
        "empty",
        "space",
        "hyphen",
        "emoji",
        "at-sign",
        "slash",
        "newline",
        "dot",
        "dot-dot",
        "double-dot",
    ],
)
def test_signup_refuses_malformed_usernames(anon, username):
    response = anon.post("/accounts/signup", json=signup_body(username, email="someone@example.com"))
    assert_error(response, 400, "validation_error", ["username"])


@pytest.mark.parametrize("username", ["admin", "api", "explore", "ADMIN", "Settings"])
def test_signup_refuses_reserved_usernames_in_any_case(anon, username):
    response = anon.post("/accounts/signup", json=signup_body(username, email="someone@example.com"))
    error = assert_error(response, 400, "validation_error", ["username"])
    assert "reserved" in error["fields"]["username"]


def test_usernames_are_unique_ignoring_case(alice, anon):
    response = anon.post("/accounts/signup", json=signup_body("Alice", email="other@example.com"))
    error = assert_error(response, 409, "already_exists", ["username"])
    assert "email" not in error["fields"]


def test_a_taken_email_is_not_refused_so_sign_up_tells_no_one_who_has_an_account(alice, anon):
    # The address becomes an account's only once verified (tests/accounts/test_email_verification.py).
    response = anon.post("/accounts/signup", json=signup_body("alice2", email="ALICE@Example.COM"))
    assert response.status_code == 201, response.text
    assert response.json()["me"]["email_verified"] is False


def test_a_taken_username_with_a_taken_email_names_the_username_only(alice, anon):
    response = anon.post("/accounts/signup", json=signup_body("ALICE", email="alice@example.com"))
    error = assert_error(response, 409, "already_exists", ["username"])
    assert set(error["fields"]) == {"username"}


@pytest.mark.parametrize("email", ["not-an-email", "alice@", "@example.com", "a@b", "two@@example.com"])
def test_signup_refuses_invalid_email(anon, email):
    response = anon.post("/accounts/signup", json=signup_body("dora", email=email))
    assert_error(response, 400, "validation_error", ["email"])


@pytest.mark.parametrize(
    "password",
    ["short12", "password123", "qwertyuiop", "iloveyou", "PASSWORD123"],
    ids=["7-chars", "password123", "qwertyuiop", "iloveyou", "common-in-capitals"],
)
def test_signup_refuses_short_or_common_passwords(anon, password):
    response = anon.post("/accounts/signup", json=signup_body("dora", password=password))
    assert_error(response, 400, "validation_error", ["password"])


def test_signup_refuses_the_username_as_password(anon):
    response = anon.post("/accounts/signup", json=signup_body("zebra.lantern", password="Zebra.Lantern"))
    error = assert_error(response, 400, "validation_error", ["password"])
    assert "username" in error["fields"]["password"]


def test_signup_refuses_the_email_as_password(anon):
    body = signup_body("dora", email="dora.explorer@example.com", password="dora.explorer@example.com")
    assert_error(anon.post("/accounts/signup", json=body), 400, "validation_error", ["password"])


def test_signup_reports_every_problem_at_once(anon):
    body = {"username": "no spaces here", "email": "nope", "password": "short"}
    assert_error(
        anon.post("/accounts/signup", json=body), 400, "validation_error", ["username", "email", "password"]
    )


def test_refused_signup_creates_no_account(anon, make_api):
    anon.post("/accounts/signup", json=signup_body("dora", password="iloveyou"))
    assert_error(make_api().get("/users/dora"), 404, "not_found")


def test_signup_logs_in_and_me_includes_email(anon):
    response = anon.post("/accounts/signup", json=signup_body("dora"))
    assert response.status_code == 201
    body = response.json()
    assert body["me"]["email"] == "dora@example.com"
    assert body["me"]["is_staff"] is False
    assert body["csrf_token"]
    me = anon.get("/accounts/me")
    assert me.status_code == 200
    assert me.json()["email"] == "dora@example.com"
    assert me.json()["profile"]["username"] == "dora"


def test_session_cookie_is_httponly_secure_and_samesite_lax(anon):
    response = anon.post("/accounts/signup", json=signup_body("dora"))
    cookies = response.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("vf_session="))
    attributes = {part.strip().lower() for part in session.split(";")}
    assert {"httponly", "secure", "samesite=lax"} <= attributes
    csrf = next(c for c in cookies if c.startswith("vf_csrf="))
    assert csrf.split(";")[0] == f"vf_csrf={response.json()['csrf_token']}"


def test_public_profile_never_exposes_email_or_secrets(alice, bob, anon):
    for viewer, client in {"anonymous": anon, "another user": bob, "the owner": alice}.items():
        response = client.get("/users/alice")
        assert response.status_code == 200, viewer
        keys = all_keys(response.json())
        for secret_word in ("email", "password", "hash", "token", "csrf", "session", "is_active", "is_staff"):
            assert not any(secret_word in key for key in keys), (viewer, keys)
        assert "alice@example.com" not in response.text, viewer
        assert "$argon2" not in response.text, viewer
        assert response.json()["username"] == "alice"


def test_unknown_profile_is_not_found(anon):
    assert_error(anon.get("/users/nobody"), 404, "not_found")


# --- Log-in and log-out ----------------------------------------------------------------------


def test_login_by_username_or_email_in_any_case(alice, make_api):
    for login in ["alice", "ALICE", "Alice", "alice@example.com", "Alice@EXAMPLE.com"]:
        browser = make_api()
        response = browser.post("/accounts/login", json={"login": login, "password": PASSWORD})
        assert response.status_code == 200, (login, response.text)
        assert response.json()["me"]["profile"]["username"] == "alice"
        assert browser.get("/accounts/me").json()["email"] == "alice@example.com"


def test_login_returns_a_csrf_token_that_authorises_writes(alice, make_api):
    browser = make_api()
    response = browser.post("/accounts/login", json={"login": "alice", "password": PASSWORD})
    browser.csrf_token = response.json()["csrf_token"]
    assert browser.patch("/accounts/me", json={"bio": "from my laptop"}).status_code == 200


def test_wrong_password_is_refused(alice, anon):
    response = anon.post("/accounts/login", json={"login": "alice", "password": "not the password"})
    assert_error(response, 401, "invalid_credentials")
    assert "vf_session" not in response.cookies
    assert_error(anon.get("/accounts/me"), 401, "not_authenticated")


def test_unknown_user_gets_the_same_answer_as_a_wrong_password(alice, anon):
    wrong_password = anon.post("/accounts/login", json={"login": "alice", "password": "not the password"})
    unknown_user = anon.post("/accounts/login", json={"login": "nobody", "password": "not the password"})
    unknown_email = anon.post("/accounts/login", json={"login": "no@example.com", "password": PASSWORD})
    expected = assert_error(wrong_password, 401, "invalid_credentials")
    assert assert_error(unknown_user, 401, "invalid_credentials") == expected
    assert assert_error(unknown_email, 401, "invalid_credentials") == expected


def test_login_with_empty_fields_is_a_validation_error(anon):
    response = anon.post("/accounts/login", json={"login": "", "password": ""})
    assert_error(response, 400, "validation_error")


def test_logout_ends_the_session_on_the_server(alice, make_api):
    cookie = alice.client.cookies["vf_session"]
    assert replay(make_api, "/accounts/me", cookie).status_code == 200

    response = alice.post("/accounts/logout")

    assert response.status_code == 204
    assert_error(alice.get("/accounts/me"), 401, "not_authenticated")
    # The old cookie is dead on the server, not merely deleted from this browser.
    assert_error(replay(make_api, "/accounts/me", cookie), 401, "not_authenticated")


def test_logout_leaves_other_sessions_alone(alice, make_api):
    phone = make_api()
    phone.post("/accounts/login", json={"login": "alice", "password": PASSWORD})
    assert alice.post("/accounts/logout").status_code == 204
    assert phone.get("/accounts/me").status_code == 200


async def test_inactive_account_cannot_log_in_and_its_sessions_stop_working(alice, make_api, db):
    await db.execute(update(User).where(User.username_key == "alice").values(is_active=False))
    await db.commit()

    response = make_api().post("/accounts/login", json={"login": "alice", "password": PASSWORD})

    assert_error(response, 401, "invalid_credentials")
    assert_error(alice.get("/accounts/me"), 401, "not_authenticated")


def test_me_requires_authentication(anon):
    assert_error(anon.get("/accounts/me"), 401, "not_authenticated")


def test_garbage_session_cookie_is_anonymous(make_api):
    assert_error(replay(make_api, "/accounts/me", "not-a-real-session"), 401, "not_authenticated")


# --- CSRF ------------------------------------------------------------------------------------


def test_cookie_write_without_csrf_header_is_refused(alice):
    response = alice.client.patch(API_PREFIX + "/accounts/me", json={"bio": "forged"})
    assert_error(response, 403, "csrf_failed")
    assert alice.get("/accounts/me").json()["profile"]["bio"] == ""


@pytest.mark.parametrize("token", ["", "wrong-token"])
def test_cookie_write_with_a_wrong_csrf_token_is_refused(alice, token):
    response = alice.patch("/accounts/me", json={"bio": "forged"}, headers={"x-csrf-token": token})
    assert_error(response, 403, "csrf_failed")
    assert alice.get("/accounts/me").json()["profile"]["bio"] == ""


def test_another_sessions_csrf_token_is_refused(alice, bob):
    response = alice.patch("/accounts/me", json={"bio": "forged"}, headers={"x-csrf-token": bob.csrf_token})
    assert_error(response, 403, "csrf_failed")


def test_logout_without_csrf_token_is_refused_and_keeps_the_session(alice):
    assert_error(alice.client.post(API_PREFIX + "/accounts/logout"), 403, "csrf_failed")
    assert alice.get("/accounts/me").status_code == 200


def test_reads_need_no_csrf_token(alice):
    response = alice.client.get(API_PREFIX + "/accounts/me")
    assert response.status_code == 200
    assert alice.client.get(API_PREFIX + "/accounts/sessions").status_code == 200


def test_bearer_writes_need_no_csrf_token(alice, make_api):
    secret = alice.post("/accounts/tokens", json={"name": "script"}).json()["secret"]
    response = bearer(make_api, secret, "PATCH", json={"bio": "set by a script"})
    assert response.status_code == 200, response.text
    assert alice.get("/accounts/me").json()["profile"]["bio"] == "set by a script"


# --- API tokens ------------------------------------------------------------------------------


def test_created_token_secret_is_shown_once(alice):
    response = alice.post("/accounts/tokens", json={"name": "backup script"})
    assert response.status_code == 201
    body = response.json()
    secret = body["secret"]
    assert secret.startswith("vf_")
    assert len(secret) > 30
    assert body["token"]["name"] == "backup script"
    assert body["token"]["prefix"] == secret[: len(body["token"]["prefix"])]
    assert body["token"]["last_used_at"] is None

    listing = alice.get("/accounts/tokens")
    assert listing.status_code == 200
    assert [t["id"] for t in listing.json()] == [body["token"]["id"]]
    assert secret not in listing.text
    assert "secret" not in all_keys(listing.json())


def test_token_names_are_trimmed_and_blank_names_refused(alice):
    assert alice.post("/accounts/tokens", json={"name": "  cron  "}).json()["token"]["name"] == "cron"
    assert_error(alice.post("/accounts/tokens", json={"name": "   "}), 400, "validation_error", ["name"])
    assert_error(alice.post("/accounts/tokens", json={"name": ""}), 400, "validation_error", ["name"])


def test_bearer_token_authenticates_without_cookies(alice, make_api):
    secret = alice.post("/accounts/tokens", json={"name": "script"}).json()["secret"]
    response = bearer(make_api, secret)
    assert response.status_code == 200
    assert response.json()["profile"]["username"] == "alice"


def test_token_last_used_at_is_set_after_use(alice, make_api):
    secret = alice.post("/accounts/tokens", json={"name": "script"}).json()["secret"]
    assert alice.get("/accounts/tokens").json()[0]["last_used_at"] is None
    assert bearer(make_api, secret).status_code == 200
    assert alice.get("/accounts/tokens").json()[0]["last_used_at"] is not None


def test_revoked_token_stops_working(alice, make_api):
    created = alice.post("/accounts/tokens", json={"name": "script"}).json()
    assert bearer(make_api, created["secret"]).status_code == 200

    assert alice.delete(f"/accounts/tokens/{created['token']['id']}").status_code == 204

    assert_error(bearer(make_api, created["secret"]), 401, "invalid_token")
    assert alice.get("/accounts/tokens").json() == []
    assert_error(alice.delete(f"/accounts/tokens/{created['token']['id']}"), 404, "not_found")


def test_bad_authorization_header_is_refused(make_api):
    client = make_api().client
    for authorization in [
        "Bearer vf_not-a-real-token",
        "Bearer ",
        "Bearer",
        "Basic YWxpY2U6cGFzc3dvcmQ=",
        "Token vf_x",
        "garbage",
    ]:
        response = client.get(API_PREFIX + "/accounts/me", headers={"authorization": authorization})
        assert_error(response, 401, "invalid_token")


def test_bad_bearer_is_refused_even_with_a_valid_session_cookie(alice):
    response = alice.get("/accounts/me", headers={"authorization": "Bearer vf_nonsense"})
    assert_error(response, 401, "invalid_token")


def test_a_user_cannot_revoke_someone_elses_token(alice, bob, make_api):
    created = alice.post("/accounts/tokens", json={"name": "script"}).json()
    assert_error(bob.delete(f"/accounts/tokens/{created['token']['id']}"), 404, "not_found")
    assert bearer(make_api, created["secret"]).status_code == 200
    assert bob.get("/accounts/tokens").json() == []


def test_revoking_a_malformed_token_id_is_not_found(alice):
    for token_id in ["abc", "-1", "1.5", "99999999999999999999"]:
        assert_error(alice.delete(f"/accounts/tokens/{token_id}"), 404, "not_found")


# --- Changing the password -------------------------------------------------------------------


def test_change_password_requires_the_current_password(alice, make_api):
    response = alice.post(
        "/accounts/password", json={"current_password": "not it at all", "new_password": NEW_PASSWORD}
    )
    assert_error(response, 400, "wrong_password", ["current_password"])
    login = make_api().post("/accounts/login", json={"login": "alice", "password": PASSWORD})
    assert login.status_code == 200


def test_change_password_refuses_a_weak_new_password(alice, make_api):
    for new_password in ["short", "password123", "alice", "alice@example.com"]:
        response = alice.post(
            "/accounts/password", json={"current_password": PASSWORD, "new_password": new_password}
        )
        assert_error(response, 400, "validation_error", ["new_password"])
    login = make_api().post("/accounts/login", json={"login": "alice", "password": PASSWORD})
    assert login.status_code == 200


def test_change_password_keeps_this_session_and_ends_the_others(alice, make_api):
    phone = make_api()
    assert phone.post("/accounts/login", json={"login": "alice", "password": PASSWORD}).status_code == 200

    response = alice.post(
        "/accounts/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )

    assert response.status_code == 204
    assert alice.get("/accounts/me").status_code == 200
    assert alice.patch("/accounts/me", json={"bio": "still here"}).status_code == 200
    assert_error(phone.get("/accounts/me"), 401, "not_authenticated")
    old = make_api().post("/accounts/login", json={"login": "alice", "password": PASSWORD})
    assert_error(old, 401, "invalid_credentials")
    new = make_api().post("/accounts/login", json={"login": "alice", "password": NEW_PASSWORD})
    assert new.status_code == 200


def test_change_password_requires_authentication(anon):
    response = anon.post(
        "/accounts/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert_error(response, 401, "not_authenticated")


# --- Sessions --------------------------------------------------------------------------------


def login_again(make_api, username: str = "alice"):
    browser = make_api()
    response = browser.post("/accounts/login", json={"login": username, "password": PASSWORD})
    assert response.status_code == 200
    browser.csrf_token = response.json()["csrf_token"]
    return browser


def current_session_id(api) -> str:
    return str(next(s["id"] for s in api.get("/accounts/sessions").json() if s["current"]))


def test_session_list_marks_the_current_session(alice, make_api):
    phone = login_again(make_api)
    sessions = alice.get("/accounts/sessions").json()
    assert len(sessions) == 2
    assert [s["current"] for s in sessions].count(True) == 1
    mine = current_session_id(alice)
    assert mine != current_session_id(phone)
    assert {s["id"] for s in sessions} == {mine, current_session_id(phone)}
    assert all(s["user_agent"] == "testclient" for s in sessions)


def test_ending_another_session_logs_that_browser_out(alice, make_api):
    phone = login_again(make_api)
    phone_session = current_session_id(phone)

    assert alice.delete(f"/accounts/sessions/{phone_session}").status_code == 204

    assert_error(phone.get("/accounts/me"), 401, "not_authenticated")
    assert alice.get("/accounts/me").status_code == 200
    assert [s["id"] for s in alice.get("/accounts/sessions").json()] == [current_session_id(alice)]


def test_ending_the_current_session_logs_out(alice):
    assert alice.delete(f"/accounts/sessions/{current_session_id(alice)}").status_code == 204
    assert_error(alice.get("/accounts/me"), 401, "not_authenticated")


def test_cannot_end_someone_elses_session(alice, bob):
    bobs_session = current_session_id(bob)
    assert_error(alice.delete(f"/accounts/sessions/{bobs_session}"), 404, "not_found")
    assert bob.get("/accounts/me").status_code == 200


def test_ending_an_unknown_or_malformed_session_is_not_found(alice):
    for session_id in ["123456789", "abc", "12ab", "-5"]:
        assert_error(alice.delete(f"/accounts/sessions/{session_id}"), 404, "not_found")
    assert alice.get("/accounts/me").status_code == 200


# --- Profile ---------------------------------------------------------------------------------


def test_profile_update_changes_what_everyone_sees(alice, anon):
    changes = {
        "display_name": "Alice Liddell",
        "bio": "Curiouser and curiouser.",
        "website": "https://wonderland.example/alice",
        "is_private": True,
    }
    response = alice.patch("/accounts/me", json=changes)
    assert response.status_code == 200
    profile = response.json()["profile"]
    assert {k: profile[k] for k in changes} == changes
    public = anon.get("/users/alice").json()
    assert {k: public[k] for k in changes} == changes


def test_profile_update_changes_only_the_fields_sent(alice):
    alice.patch("/accounts/me", json={"display_name": "Alice", "bio": "Hello"})
    response = alice.patch("/accounts/me", json={"bio": "Goodbye"})
    assert response.json()["profile"]["display_name"] == "Alice"
    assert response.json()["profile"]["bio"] == "Goodbye"


def test_empty_profile_update_changes_nothing(alice):
    alice.patch("/accounts/me", json={"display_name": "Alice", "website": "http://example.com"})
    before = alice.get("/accounts/me").json()
    response = alice.patch("/accounts/me", json={})
    assert response.status_code == 200
    assert response.json() == before
    assert alice.get("/accounts/me").json() == before


def test_website_can_be_cleared(alice):
    alice.patch("/accounts/me", json={"website": "https://example.com"})
    assert alice.patch("/accounts/me", json={"website": ""}).json()["profile"]["website"] == ""


def test_bio_of_150_characters_is_accepted_and_151_refused(alice):
    assert alice.patch("/accounts/me", json={"bio": "b" * 150}).status_code == 200
    assert_error(alice.patch("/accounts/me", json={"bio": "c" * 151}), 400, "validation_error", ["bio"])
    assert alice.get("/accounts/me").json()["profile"]["bio"] == "b" * 150


def test_website_must_be_an_http_address(alice):
    for website in ["javascript:alert(1)", "not a url", "ftp://example.com", "https://", "data:text/html,hi"]:
        response = alice.patch("/accounts/me", json={"website": website})
        assert_error(response, 400, "validation_error", ["website"])
    assert alice.get("/accounts/me").json()["profile"]["website"] == ""


def test_several_bad_profile_fields_change_nothing(alice):
    response = alice.patch("/accounts/me", json={"display_name": "Fine", "website": "javascript:alert(1)"})
    assert_error(response, 400, "validation_error", ["website"])
    assert alice.get("/accounts/me").json()["profile"]["display_name"] == ""


def test_profile_update_refuses_unknown_or_mistyped_fields(alice):
    for body in [
        {"email": "new@example.com"},
        {"is_staff": True},
        {"username": "queen"},
        {"bio": 5},
        {"is_private": "yes"},
    ]:
        assert_error(alice.patch("/accounts/me", json=body), 400, "validation_error")
    me = alice.get("/accounts/me").json()
    assert me["email"] == "alice@example.com"
    assert me["is_staff"] is False
    assert me["profile"]["username"] == "alice"
    assert me["profile"]["is_private"] is False


def test_profile_update_requires_authentication(anon):
    assert_error(anon.patch("/accounts/me", json={"bio": "hi"}), 401, "not_authenticated")


def test_signup_takes_a_display_name_shown_on_the_profile(anon, make_api):
    response = anon.post("/accounts/signup", json={**signup_body("ada"), "display_name": "  Ada Lovelace "})
    assert response.status_code == 201, response.text
    assert response.json()["me"]["profile"]["display_name"] == "Ada Lovelace"
    assert make_api().get("/users/ada").json()["display_name"] == "Ada Lovelace"
    # Optional: without one the profile shows the username alone, as before.
    plain = make_api().post("/accounts/signup", json=signup_body("grace", email="grace@example.com"))
    assert plain.json()["me"]["profile"]["display_name"] == ""


def test_signup_refuses_a_display_name_too_long_and_makes_nothing(anon):
    response = anon.post("/accounts/signup", json={**signup_body("ada"), "display_name": "x" * 65})
    assert_error(response, 400, "validation_error")
    assert anon.get("/users/ada").status_code == 404

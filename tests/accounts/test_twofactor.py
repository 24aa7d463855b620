"""Two-factor authentication with an authenticator app: turning it on (sudo mode, a first code),
the log-in's second step (codes used once, limited, a challenge that dies), recovery codes,
trusted devices, turning it off, and recovery that never goes around it."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pyotp
import pytest
from sqlalchemy import select, update

from tests.accounts.test_api import bearer
from tests.accounts.test_security import NEW_PASSWORD, age_sessions, kinds, make_token
from tests.conftest import PASSWORD, Api
from tests.helpers import assert_error
from viewfinder.accounts import twofactor
from viewfinder.accounts.models import AuthChallenge, RecoveryCode, TotpAuthenticator, User
from viewfinder.core.db import utcnow

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"


def code_at(secret: str, steps: int = 0) -> str:
    """The app's code `steps` 30-second steps from now."""
    return pyotp.TOTP(secret).at(time.time() + 30 * steps)


def wrong_code(secret: str) -> str:
    """A 6-digit code that is no code of the secret's in the steps the server accepts."""
    valid = {code_at(secret, step) for step in (-2, -1, 0, 1, 2)}
    return next(c for c in ("000000", "111111", "222222", "333333", "444444") if c not in valid)


def enable_totp(api: Api) -> tuple[str, list[str]]:
    """Turn the app on for the account: its secret, and its recovery codes."""
    enrolment = api.post("/accounts/two-factor/totp")
    assert enrolment.status_code == 201, enrolment.text
    secret: str = enrolment.json()["secret"]
    confirmed = api.post("/accounts/two-factor/totp/confirm", json={"code": code_at(secret)})
    assert confirmed.status_code == 200, confirmed.text
    codes: list[str] = confirmed.json()["recovery_codes"]
    return secret, codes


async def forget_used_codes(db) -> None:
    """As if 30 seconds had passed: the current code may be used again (tests log in often)."""
    await db.execute(update(TotpAuthenticator).values(last_used_step=None))
    await db.commit()


def log_in(api: Api, username: str = "alice", password: str = PASSWORD, **extra: Any) -> dict[str, Any]:
    response = api.post("/accounts/login", json={"login": username, "password": password, **extra})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def second_step(api: Api, challenge: str, **body: Any):
    return api.post("/accounts/login/two-factor", json={"challenge": challenge, **body})


def finish(api: Api, challenge: str, **body: Any) -> dict[str, Any]:
    """Pass the second step; the client is then logged in."""
    response = second_step(api, challenge, **body)
    assert response.status_code == 200, response.text
    api.csrf_token = response.json()["csrf_token"]
    result: dict[str, Any] = response.json()
    return result


# --- turning it on ---------------------------------------------------------------------------------


async def test_setting_up_an_app_needs_sudo_mode_and_a_browser_session(alice, make_api, db):
    token = make_token(alice)["secret"]
    assert_error(bearer(make_api, token, "POST", "/accounts/two-factor/totp"), 403, "session_required")

    await age_sessions(db, "alice", minutes=11)
    assert_error(alice.post("/accounts/two-factor/totp"), 403, "reauthentication_required")

    alice.post("/accounts/reauthenticate", json={"password": PASSWORD})
    assert alice.post("/accounts/two-factor/totp").status_code == 201


def test_an_app_is_off_until_its_first_code_is_confirmed(alice, make_api):
    enrolment = alice.post("/accounts/two-factor/totp").json()

    uri = urlsplit(enrolment["uri"])
    assert uri.scheme == "otpauth"
    assert uri.netloc == "totp"
    assert unquote(uri.path) == "/Viewfinder:alice@testserver.local"
    assert parse_qs(uri.query) == {"secret": [enrolment["secret"]], "issuer": ["Viewfinder"]}
    assert enrolment["qr_svg"].startswith("<svg")
    assert 'xmlns="http://www.w3.org/2000/svg"' in enrolment["qr_svg"]
    assert alice.get("/accounts/two-factor").json() == {
        "enabled": False,
        "totp": False,
        "totp_pending": True,
        "passkeys": 0,
        "recovery_codes_left": 0,
        "methods": [],
    }
    # Scanned but never confirmed: log-ins stay as they were.
    assert "me" in log_in(make_api())


def test_a_wrong_first_code_turns_nothing_on(alice):
    secret = alice.post("/accounts/two-factor/totp").json()["secret"]

    refused = alice.post("/accounts/two-factor/totp/confirm", json={"code": wrong_code(secret)})

    assert_error(refused, 400, "wrong_code", ["code"])
    assert alice.get("/accounts/two-factor").json()["enabled"] is False
    assert "two_factor_failed" in kinds(alice)


def test_confirming_turns_it_on_with_ten_single_use_recovery_codes(alice):
    _secret, codes = enable_totp(alice)

    assert len(codes) == 10
    assert len(set(codes)) == 10
    assert all(len(code) == 11 and code[5] == "-" for code in codes)
    assert alice.get("/accounts/two-factor").json() == {
        "enabled": True,
        "totp": True,
        "totp_pending": False,
        "passkeys": 0,
        "recovery_codes_left": 10,
        "methods": ["totp", "recovery_code"],
    }
    assert kinds(alice)[0] == "two_factor_enabled"
    # A second app needs the first one off.
    assert_error(alice.post("/accounts/two-factor/totp"), 409, "already_enabled")


async def test_recovery_codes_and_the_secret_are_not_stored_as_given(alice, db):
    secret, codes = enable_totp(alice)
    stored = set(await db.scalars(select(RecoveryCode.code_hash)))
    assert len(stored) == 10
    assert not stored & {c.replace("-", "") for c in codes}
    assert not stored & set(codes)
    authenticator = await db.scalar(select(TotpAuthenticator))
    assert twofactor.totp_secret(authenticator) == secret  # read through the one function


# --- the log-in's second step ----------------------------------------------------------------------


def test_a_right_password_alone_no_longer_logs_in(alice, make_api):
    enable_totp(alice)
    browser = make_api()

    answer = log_in(browser)

    assert answer["two_factor_required"] is True
    assert answer["methods"] == ["totp", "recovery_code"]
    assert answer["passkey_options"] is None
    assert len(answer["challenge"]) >= 40
    assert "me" not in answer
    assert "csrf_token" not in answer
    assert "vf_session" not in browser.client.cookies
    assert_error(browser.get("/accounts/me"), 401, "not_authenticated")


def test_a_code_finishes_the_log_in_with_a_session_like_a_password_log_in(alice, make_api):
    secret, _ = enable_totp(alice)
    browser = make_api()
    challenge = log_in(browser)["challenge"]

    response = second_step(browser, challenge, code=code_at(secret, 1))

    assert response.status_code == 200, response.text
    assert response.json()["me"]["profile"]["username"] == "alice"
    cookie = response.headers.get_list("set-cookie")
    assert any(c.startswith("vf_session=") and "HttpOnly" in c for c in cookie)
    browser.csrf_token = response.json()["csrf_token"]
    assert browser.get("/accounts/me").status_code == 200
    assert browser.patch("/accounts/me", json={"bio": "two factors"}).status_code == 200
    assert kinds(alice)[0] == "login_succeeded"


def test_codes_with_spaces_are_accepted(alice, make_api):
    secret, _ = enable_totp(alice)
    browser = make_api()
    code = code_at(secret, 1)
    finish(browser, log_in(browser)["challenge"], code=f" {code[:3]} {code[3:]} ")


async def test_each_code_works_once(alice, make_api, db):
    secret, _ = enable_totp(alice)
    code = code_at(secret, 1)
    owner = make_api()
    finish(owner, log_in(owner)["challenge"], code=code)

    thief = make_api()
    replayed = second_step(thief, log_in(thief)["challenge"], code=code)
    older = second_step(thief, log_in(thief)["challenge"], code=code_at(secret))

    assert_error(replayed, 400, "wrong_code", ["code"])
    assert_error(older, 400, "wrong_code", ["code"])


def test_codes_only_count_within_a_step_of_now(alice, make_api):
    secret, _ = enable_totp(alice)
    browser = make_api()
    challenge = log_in(browser)["challenge"]

    assert_error(second_step(browser, challenge, code=code_at(secret, 3)), 400, "wrong_code")
    assert_error(second_step(browser, challenge, code=code_at(secret, -3)), 400, "wrong_code")


def test_the_challenge_dies_after_five_wrong_codes(alice, make_api):
    secret, _ = enable_totp(alice)
    browser = make_api()
    challenge = log_in(browser)["challenge"]

    for _ in range(4):
        assert_error(second_step(browser, challenge, code=wrong_code(secret)), 400, "wrong_code")
    assert_error(second_step(browser, challenge, code=wrong_code(secret)), 401, "login_expired")

    assert_error(second_step(browser, challenge, code=code_at(secret, 1)), 401, "login_expired")
    assert kinds(alice).count("two_factor_failed") == 5
    # The password opens a new challenge.
    finish(browser, log_in(browser)["challenge"], code=code_at(secret, 1))


def test_wrong_codes_are_limited_per_account_whatever_the_challenge(alice, make_api):
    secret, _ = enable_totp(alice)
    for _ in range(2):
        browser = make_api()
        challenge = log_in(browser)["challenge"]
        for _ in range(5):
            second_step(browser, challenge, code=wrong_code(secret))

    browser = make_api()
    refused = second_step(browser, log_in(browser)["challenge"], code=code_at(secret, 1))

    assert_error(refused, 429, "rate_limited")
    assert int(refused.headers["retry-after"]) > 0


def test_a_challenge_works_once(alice, make_api):
    secret, codes = enable_totp(alice)
    browser = make_api()
    challenge = log_in(browser)["challenge"]
    finish(browser, challenge, code=code_at(secret, 1))

    assert_error(second_step(make_api(), challenge, recovery_code=codes[0]), 401, "login_expired")


async def test_a_challenge_lasts_five_minutes(alice, make_api, db):
    secret, _ = enable_totp(alice)
    browser = make_api()
    challenge = log_in(browser)["challenge"]
    made = await db.scalar(select(AuthChallenge))
    assert timedelta(minutes=4) < made.expires_at - utcnow() <= timedelta(minutes=5)

    await db.execute(update(AuthChallenge).values(expires_at=utcnow() - timedelta(seconds=1)))
    await db.commit()

    assert_error(second_step(browser, challenge, code=code_at(secret, 1)), 401, "login_expired")


def test_a_challenge_is_bound_to_its_account(alice, bob, make_api):
    _, alice_codes = enable_totp(alice)
    bob_secret, _ = enable_totp(bob)
    browser = make_api()
    alice_challenge = log_in(browser, "alice")["challenge"]

    assert_error(second_step(browser, alice_challenge, code=code_at(bob_secret, 1)), 400, "wrong_code")
    assert_error(second_step(browser, "made-up-challenge", code=code_at(bob_secret, 1)), 401, "login_expired")
    assert (
        finish(browser, alice_challenge, recovery_code=alice_codes[0])["me"]["profile"]["username"] == "alice"
    )


def test_the_second_step_takes_exactly_one_proof(alice, make_api):
    secret, codes = enable_totp(alice)
    browser = make_api()
    challenge = log_in(browser)["challenge"]

    assert_error(second_step(browser, challenge), 400, "validation_error", ["code"])
    both = second_step(browser, challenge, code=code_at(secret, 1), recovery_code=codes[0])
    assert_error(both, 400, "validation_error", ["code"])
    assert_error(second_step(browser, challenge, passkey={"id": "x"}), 400, "invalid_passkey", ["passkey"])


# --- recovery codes --------------------------------------------------------------------------------


def test_a_recovery_code_logs_in_once(alice, make_api):
    _, codes = enable_totp(alice)
    browser = make_api()

    finish(browser, log_in(browser)["challenge"], recovery_code=codes[3].upper().replace("-", " "))

    other = make_api()
    assert_error(second_step(other, log_in(other)["challenge"], recovery_code=codes[3]), 400, "wrong_code")
    assert alice.get("/accounts/two-factor").json()["recovery_codes_left"] == 9
    events = alice.get("/accounts/security-events").json()["items"]
    used = next(e for e in events if e["kind"] == "recovery_code_used")
    assert used["detail"] == {"remaining": 9}


async def test_new_recovery_codes_replace_the_old_ones_in_sudo_mode(alice, make_api, db):
    _, old = enable_totp(alice)
    await age_sessions(db, "alice", minutes=11)
    assert_error(alice.post("/accounts/two-factor/recovery-codes"), 403, "reauthentication_required")
    alice.post("/accounts/reauthenticate", json={"password": PASSWORD})

    new = alice.post("/accounts/two-factor/recovery-codes").json()["recovery_codes"]

    assert len(new) == 10
    assert not set(new) & set(old)
    browser = make_api()
    assert_error(second_step(browser, log_in(browser)["challenge"], recovery_code=old[0]), 400, "wrong_code")
    finish(browser, log_in(browser)["challenge"], recovery_code=new[0])
    assert "recovery_codes_regenerated" in kinds(alice)


def test_there_are_no_recovery_codes_without_two_factor(alice):
    assert_error(alice.post("/accounts/two-factor/recovery-codes"), 409, "two_factor_off")


# --- trusted devices -------------------------------------------------------------------------------


def trusted_browser(make_api, secret: str, **proof: str) -> Api:
    """A browser that logged in with a code (or the proof given) and "trust this device", then
    logged out."""
    browser: Api = make_api()
    finish(
        browser, log_in(browser)["challenge"], **(proof or {"code": code_at(secret, 1)}), trust_device=True
    )
    assert browser.post("/accounts/logout").status_code == 204
    browser.csrf_token = ""
    return browser


async def test_a_trusted_device_skips_the_second_step_for_30_days(alice, make_api, db):
    secret, _ = enable_totp(alice)
    browser = make_api()
    browser.client.headers["user-agent"] = FIREFOX
    challenge = log_in(browser)["challenge"]
    response = second_step(browser, challenge, code=code_at(secret, 1), trust_device=True)

    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("vf_trusted="))
    assert "HttpOnly" in cookie
    assert "Path=/api/viewfinder/v1/accounts" in cookie
    assert f"Max-Age={30 * 24 * 3600}" in cookie
    browser.csrf_token = response.json()["csrf_token"]
    devices = browser.get("/accounts/trusted-devices").json()
    assert [(d["current"], d["user_agent"]) for d in devices] == [(True, FIREFOX)]
    assert kinds(alice)[:2] == ["login_succeeded", "trusted_device_added"]
    browser.post("/accounts/logout")

    again = log_in(browser)

    assert again["me"]["profile"]["username"] == "alice"  # no second step
    assert "two_factor_required" in log_in(make_api())  # another browser still gets it


async def test_trust_ends_after_30_days(alice, make_api, db):
    from viewfinder.accounts.models import TrustedDevice

    secret, _ = enable_totp(alice)
    browser = trusted_browser(make_api, secret)
    await db.execute(update(TrustedDevice).values(expires_at=utcnow() - timedelta(seconds=1)))
    await db.commit()

    assert "two_factor_required" in log_in(browser)
    assert alice.get("/accounts/trusted-devices").json() == []


async def test_removing_a_trusted_device_asks_it_again(alice, make_api, db):
    secret, _ = enable_totp(alice)
    browser = trusted_browser(make_api, secret)
    (device,) = alice.get("/accounts/trusted-devices").json()
    assert device["current"] is False  # alice's own client is another browser

    assert alice.delete(f"/accounts/trusted-devices/{device['id']}").status_code == 204

    assert "two_factor_required" in log_in(browser)
    assert alice.get("/accounts/trusted-devices").json() == []
    assert_error(alice.delete(f"/accounts/trusted-devices/{device['id']}"), 404, "not_found")
    assert "trusted_device_removed" in kinds(alice)


async def test_a_trusted_device_is_only_trusted_for_its_account(alice, bob, make_api, db):
    secret, _ = enable_totp(alice)
    enable_totp(bob)
    browser = trusted_browser(make_api, secret)

    assert "two_factor_required" in log_in(browser, "bob")
    (alices,) = alice.get("/accounts/trusted-devices").json()
    assert_error(bob.delete(f"/accounts/trusted-devices/{alices['id']}"), 404, "not_found")
    assert bob.get("/accounts/trusted-devices").json() == []


async def test_a_new_password_ends_every_trust(alice, make_api, db):
    secret, _ = enable_totp(alice)
    browser = trusted_browser(make_api, secret)

    changed = alice.post(
        "/accounts/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert changed.status_code == 204, changed.text

    assert "two_factor_required" in log_in(browser, password=NEW_PASSWORD)
    assert alice.get("/accounts/trusted-devices").json() == []


async def test_changing_the_second_factors_ends_every_trust(alice, make_api, db):
    secret, _ = enable_totp(alice)
    browser = trusted_browser(make_api, secret)

    alice.post("/accounts/two-factor/recovery-codes")

    assert "two_factor_required" in log_in(browser)


def test_remove_every_trusted_device_at_once(alice, make_api):
    secret, codes = enable_totp(alice)
    first = trusted_browser(make_api, secret)
    second = trusted_browser(make_api, secret, recovery_code=codes[0])
    assert len(alice.get("/accounts/trusted-devices").json()) == 2

    assert alice.delete("/accounts/trusted-devices").status_code == 204

    assert "two_factor_required" in log_in(first)
    assert "two_factor_required" in log_in(second)


# --- sudo mode with a code -------------------------------------------------------------------------


async def test_a_code_of_the_app_confirms_it_is_you(alice, db):
    secret, _ = enable_totp(alice)
    await age_sessions(db, "alice", minutes=11)

    wrong = alice.post("/accounts/reauthenticate", json={"totp_code": wrong_code(secret)})
    assert_error(wrong, 400, "wrong_password", ["totp_code"])
    assert wrong.json()["error"]["fields"]["totp_code"] == "That code is wrong."

    confirmed = alice.post("/accounts/reauthenticate", json={"totp_code": code_at(secret, 1)})
    assert confirmed.status_code == 200, confirmed.text
    make_token(alice)
    events = alice.get("/accounts/security-events").json()["items"]
    assert next(e for e in events if e["kind"] == "reauthenticated")["detail"] == {"method": "totp"}


async def test_a_code_without_an_app_confirms_nothing(alice, db):
    await age_sessions(db, "alice", minutes=11)
    assert_error(alice.post("/accounts/reauthenticate", json={"totp_code": "123456"}), 400, "wrong_password")


# --- turning it off --------------------------------------------------------------------------------


async def test_turning_the_app_off_needs_sudo_mode_and_a_code(alice, make_api, db):
    secret, codes = enable_totp(alice)
    await age_sessions(db, "alice", minutes=11)
    off = "/accounts/two-factor/totp/disable"
    assert_error(alice.post(off, json={"code": code_at(secret, 1)}), 403, "reauthentication_required")
    alice.post("/accounts/reauthenticate", json={"password": PASSWORD})

    assert_error(alice.post(off, json={}), 400, "validation_error", ["code"])
    assert_error(alice.post(off, json={"code": wrong_code(secret)}), 400, "wrong_code", ["code"])
    assert_error(alice.post(off, json={"recovery_code": "nope-nope1"}), 400, "wrong_code", ["recovery_code"])
    assert alice.get("/accounts/two-factor").json()["enabled"] is True

    turned_off = alice.post(off, json={"recovery_code": codes[0]})

    assert turned_off.status_code == 200, turned_off.text
    assert turned_off.json()["enabled"] is False
    assert turned_off.json()["recovery_codes_left"] == 0
    events = alice.get("/accounts/security-events").json()["items"]
    assert events[0]["kind"] == "two_factor_disabled"
    assert events[0]["detail"] == {"method": "totp", "by": "owner", "still_on": False}
    assert "me" in log_in(make_api())
    assert_error(alice.post(off, json={"code": code_at(secret, 1)}), 409, "not_enabled")


async def test_an_app_turned_off_can_be_set_up_again_with_a_new_secret(alice, make_api, db):
    secret, _ = enable_totp(alice)
    await forget_used_codes(db)
    alice.post("/accounts/two-factor/totp/disable", json={"code": code_at(secret)})

    new_secret, codes = enable_totp(alice)

    assert new_secret != secret
    assert len(codes) == 10
    assert "two_factor_required" in log_in(make_api())


# --- recovery never goes around the second factor --------------------------------------------------


async def test_a_password_reset_keeps_two_factor_on(alice, make_api, db):
    from viewfinder.accounts import recovery
    from viewfinder.accounts.email_tokens import Purpose, new_token

    secret, _ = enable_totp(alice)
    user = await db.scalar(select(User).where(User.username_key == "alice"))
    link = new_token(db, user, Purpose.RESET_PASSWORD, user.email, timedelta(minutes=30))
    await db.commit()
    await recovery.reset_password(db, link, NEW_PASSWORD)

    browser = make_api()
    answer = log_in(browser, password=NEW_PASSWORD)

    assert answer["two_factor_required"] is True  # a stolen mailbox alone does not open the account
    finish(browser, answer["challenge"], code=code_at(secret, 1))


async def test_an_account_scheduled_for_deletion_logs_in_after_the_second_step(alice, make_api, db):
    secret, _ = enable_totp(alice)
    scheduled = alice.post("/accounts/me/delete", json={})
    assert scheduled.status_code == 202, scheduled.text
    browser = make_api()
    challenge = log_in(browser)["challenge"]

    refused = second_step(browser, challenge, code=code_at(secret, 1))
    assert_error(refused, 409, "deletion_scheduled")

    # The code was right: the same challenge, with the choice, needs no new one.
    kept = finish(browser, challenge, cancel_deletion=True)

    assert kept["deletion_cancelled"] is True
    assert browser.get("/accounts/me").status_code == 200


@pytest.mark.parametrize("field", ["code", "recovery_code"])
def test_the_second_step_refuses_oversized_input(alice, make_api, field):
    enable_totp(alice)
    browser = make_api()
    challenge = log_in(browser)["challenge"]
    assert_error(second_step(browser, challenge, **{field: "1" * 500}), 400, "validation_error")

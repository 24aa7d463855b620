"""Passkeys, checked for real: a software authenticator (tests/accounts/authenticator.py) makes EC
P-256 credentials and signs assertions, and the server verifies them with `webauthn`. Adding one
(sudo mode), the log-in's second step, password-less log-in, counters that refuse a cloned
authenticator, sudo mode with a passkey, naming and removing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from tests.accounts.authenticator import SoftwareAuthenticator, b64url, unb64url
from tests.accounts.test_api import bearer
from tests.accounts.test_security import age_sessions, kinds, make_token
from tests.accounts.test_twofactor import code_at, enable_totp, finish, log_in, second_step
from tests.conftest import PASSWORD, Api
from tests.helpers import assert_error
from viewfinder.accounts.models import Passkey

RP_ID = "testserver.local"


def add_passkey(api: Api, authenticator: SoftwareAuthenticator, name: str = "Laptop") -> dict[str, Any]:
    """Register a new passkey of the authenticator on the account; the API's answer."""
    begun = api.post("/accounts/passkeys/registration/options")
    assert begun.status_code == 200, begun.text
    credential = authenticator.create(begun.json()["options"])
    added = api.post(
        "/accounts/passkeys",
        json={"ceremony": begun.json()["ceremony"], "credential": credential, "name": name},
    )
    assert added.status_code == 201, added.text
    body: dict[str, Any] = added.json()
    return body


def passkey_log_in(api: Api, authenticator: SoftwareAuthenticator, **options: Any):
    """A password-less log-in: the API's options, the authenticator's answer, the API's answer."""
    begun = api.post("/accounts/passkeys/login/options")
    assert begun.status_code == 200, begun.text
    credential = authenticator.get(begun.json()["options"], **options)
    return api.post(
        "/accounts/passkeys/login", json={"ceremony": begun.json()["ceremony"], "credential": credential}
    )


# --- adding one ------------------------------------------------------------------------------------


def test_registration_options_ask_for_a_discoverable_passkey_of_this_site(alice):
    options = alice.post("/accounts/passkeys/registration/options").json()["options"]

    assert options["rp"] == {"id": RP_ID, "name": "Viewfinder"}
    assert options["user"]["name"] == "alice"
    assert len(unb64url(options["user"]["id"])) == 32
    assert b"alice" not in unb64url(options["user"]["id"])
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["attestation"] == "none"
    assert len(unb64url(options["challenge"])) >= 32


async def test_adding_a_passkey_needs_sudo_mode_and_a_browser_session(alice, make_api, db):
    token = make_token(alice)["secret"]
    refused = bearer(make_api, token, "POST", "/accounts/passkeys/registration/options")
    assert_error(refused, 403, "session_required")
    begun = alice.post("/accounts/passkeys/registration/options").json()

    await age_sessions(db, "alice", minutes=11)

    assert_error(alice.post("/accounts/passkeys/registration/options"), 403, "reauthentication_required")
    late = alice.post(
        "/accounts/passkeys",
        json={"ceremony": begun["ceremony"], "credential": SoftwareAuthenticator().create(begun["options"])},
    )
    assert_error(late, 403, "reauthentication_required")
    assert alice.get("/accounts/passkeys").json() == []


def test_a_first_passkey_turns_two_factor_on_with_recovery_codes(alice):
    added = add_passkey(alice, SoftwareAuthenticator(), "  Work laptop ")

    assert added["passkey"]["name"] == "Work laptop"
    assert len(added["recovery_codes"]) == 10
    assert [p["name"] for p in alice.get("/accounts/passkeys").json()] == ["Work laptop"]
    status = alice.get("/accounts/two-factor").json()
    assert status["enabled"] is True
    assert status["passkeys"] == 1
    assert status["methods"] == ["passkey", "recovery_code"]
    assert kinds(alice)[:2] == ["two_factor_enabled", "passkey_added"]

    second = add_passkey(alice, SoftwareAuthenticator(), "Phone")
    assert second["recovery_codes"] is None  # the codes it has stay valid


def test_a_passkey_added_beside_an_app_keeps_the_recovery_codes(alice):
    _, codes = enable_totp(alice)
    assert add_passkey(alice, SoftwareAuthenticator())["recovery_codes"] is None
    assert alice.get("/accounts/two-factor").json()["recovery_codes_left"] == len(codes)


def test_a_passkey_made_for_another_site_or_challenge_is_refused(alice):
    authenticator = SoftwareAuthenticator(origin="https://evil.example")
    begun = alice.post("/accounts/passkeys/registration/options").json()
    phished = alice.post(
        "/accounts/passkeys",
        json={"ceremony": begun["ceremony"], "credential": authenticator.create(begun["options"])},
    )
    assert_error(phished, 400, "invalid_passkey", ["credential"])
    # The ceremony was used up by that try.
    again = alice.post(
        "/accounts/passkeys",
        json={"ceremony": begun["ceremony"], "credential": SoftwareAuthenticator().create(begun["options"])},
    )
    assert_error(again, 400, "ceremony_expired", ["ceremony"])

    begun = alice.post("/accounts/passkeys/registration/options").json()
    other_challenge = {**begun["options"], "challenge": b64url(b"x" * 32)}
    wrong = alice.post(
        "/accounts/passkeys",
        json={"ceremony": begun["ceremony"], "credential": SoftwareAuthenticator().create(other_challenge)},
    )
    assert_error(wrong, 400, "invalid_passkey")
    assert alice.get("/accounts/passkeys").json() == []


def test_a_ceremony_is_bound_to_the_session_that_began_it(alice, make_api):
    begun = alice.post("/accounts/passkeys/registration/options").json()
    other_session = make_api()
    other_session.csrf_token = log_in(other_session)["csrf_token"]

    stolen = other_session.post(
        "/accounts/passkeys",
        json={"ceremony": begun["ceremony"], "credential": SoftwareAuthenticator().create(begun["options"])},
    )

    assert_error(stolen, 400, "ceremony_expired")


def test_malformed_credentials_are_refused_not_crashed_on(alice):
    for credential in ({}, {"id": 1}, {"id": "AA", "rawId": "AA", "response": {"attestationObject": "!!"}}):
        begun = alice.post("/accounts/passkeys/registration/options").json()
        refused = alice.post(
            "/accounts/passkeys", json={"ceremony": begun["ceremony"], "credential": credential}
        )
        assert_error(refused, 400, "invalid_passkey")


def test_the_same_passkey_cannot_be_added_twice(alice):
    authenticator = SoftwareAuthenticator()
    add_passkey(alice, authenticator)
    begun = alice.post("/accounts/passkeys/registration/options").json()

    assert begun["options"]["excludeCredentials"][0]["id"] == authenticator.only_credential_id


# --- as the second step ----------------------------------------------------------------------------


def test_a_passkey_passes_the_second_step(alice, make_api):
    authenticator = SoftwareAuthenticator()
    add_passkey(alice, authenticator)
    browser = make_api()

    answer = log_in(browser)

    assert answer["methods"] == ["passkey", "recovery_code"]
    options = answer["passkey_options"]
    assert options["rpId"] == RP_ID
    assert [c["id"] for c in options["allowCredentials"]] == [authenticator.only_credential_id]
    credential = authenticator.get(options, user_verified=False)  # presence is enough here
    assert finish(browser, answer["challenge"], passkey=credential)["me"]["profile"]["username"] == "alice"
    assert alice.get("/accounts/passkeys").json()[0]["last_used_at"] is not None


def test_another_accounts_passkey_does_not_pass_alices_second_step(alice, bob, make_api):
    add_passkey(alice, SoftwareAuthenticator())
    bobs = SoftwareAuthenticator()
    add_passkey(bob, bobs)
    browser = make_api()
    answer = log_in(browser)

    forged = bobs.get({**answer["passkey_options"], "allowCredentials": []})

    assert_error(
        second_step(browser, answer["challenge"], passkey=forged), 400, "invalid_passkey", ["passkey"]
    )


def test_a_tampered_signature_is_refused(alice, make_api):
    authenticator = SoftwareAuthenticator()
    add_passkey(alice, authenticator)
    browser = make_api()
    answer = log_in(browser)
    credential = authenticator.get(answer["passkey_options"])
    signature = bytearray(unb64url(credential["response"]["signature"]))
    signature[-1] ^= 1
    credential["response"]["signature"] = b64url(bytes(signature))

    assert_error(second_step(browser, answer["challenge"], passkey=credential), 400, "invalid_passkey")


def test_an_assertion_for_another_challenge_is_refused(alice, make_api):
    authenticator = SoftwareAuthenticator()
    add_passkey(alice, authenticator)
    browser = make_api()
    first = log_in(browser)
    second = log_in(browser)

    answer_to_first = authenticator.get(first["passkey_options"])

    assert_error(second_step(browser, second["challenge"], passkey=answer_to_first), 400, "invalid_passkey")


def test_a_cloned_authenticator_is_refused_and_logged(alice, make_api):
    authenticator = SoftwareAuthenticator()
    add_passkey(alice, authenticator)
    clone = authenticator.clone()
    owner = make_api()
    answer = log_in(owner)
    finish(owner, answer["challenge"], passkey=authenticator.get(answer["passkey_options"]))

    thief = make_api()
    answer = log_in(thief)
    refused = second_step(thief, answer["challenge"], passkey=clone.get(answer["passkey_options"]))

    assert_error(refused, 400, "passkey_cloned", ["passkey"])
    events = alice.get("/accounts/security-events").json()["items"]
    failed = next(e for e in events if e["kind"] == "two_factor_failed")
    assert failed["detail"] == {"method": "passkey", "action": "login", "reason": "sign_count"}


def test_authenticators_without_a_counter_keep_working(alice, make_api):
    authenticator = SoftwareAuthenticator(counter_step=0)  # as many synced passkeys do
    add_passkey(alice, authenticator)
    for _ in range(2):
        browser = make_api()
        answer = log_in(browser)
        finish(browser, answer["challenge"], passkey=authenticator.get(answer["passkey_options"]))


# --- password-less log-in --------------------------------------------------------------------------


def test_a_passkey_alone_logs_in(alice, make_api):
    authenticator = SoftwareAuthenticator()
    add_passkey(alice, authenticator)
    browser = make_api()

    begun = browser.post("/accounts/passkeys/login/options").json()
    assert begun["options"]["allowCredentials"] == []
    assert begun["options"]["userVerification"] == "required"
    response = browser.post(
        "/accounts/passkeys/login",
        json={"ceremony": begun["ceremony"], "credential": authenticator.get(begun["options"])},
    )

    assert response.status_code == 200, response.text
    assert response.json()["me"]["profile"]["username"] == "alice"
    browser.csrf_token = response.json()["csrf_token"]
    assert browser.get("/accounts/me").json()["profile"]["username"] == "alice"
    assert browser.patch("/accounts/me", json={"bio": "no password"}).status_code == 200
    assert kinds(alice)[0] == "login_succeeded"


def test_a_password_less_log_in_needs_user_verification(alice, make_api):
    authenticator = SoftwareAuthenticator()
    add_passkey(alice, authenticator)

    refused = passkey_log_in(make_api(), authenticator, user_verified=False)

    assert_error(refused, 400, "invalid_passkey", ["credential"])


def test_an_unknown_passkey_logs_nobody_in(alice, make_api):
    stranger = SoftwareAuthenticator()
    stranger.create(alice.post("/accounts/passkeys/registration/options").json()["options"])  # never sent

    assert_error(passkey_log_in(make_api(), stranger), 400, "invalid_passkey")


def test_a_password_less_ceremony_works_once(alice, make_api):
    authenticator = SoftwareAuthenticator()
    add_passkey(alice, authenticator)
    browser = make_api()
    begun = browser.post("/accounts/passkeys/login/options").json()
    body = {"ceremony": begun["ceremony"], "credential": authenticator.get(begun["options"])}
    assert browser.post("/accounts/passkeys/login", json=body).status_code == 200

    body = {"ceremony": begun["ceremony"], "credential": authenticator.get(begun["options"])}
    assert_error(make_api().post("/accounts/passkeys/login", json=body), 400, "ceremony_expired")


def test_a_user_handle_that_is_not_the_passkeys_is_refused(alice, bob, make_api):
    authenticator = SoftwareAuthenticator()
    add_passkey(alice, authenticator)
    begun = make_api().post("/accounts/passkeys/login/options").json()
    credential = authenticator.get(begun["options"])
    credential["response"]["userHandle"] = b64url(b"somebody else")

    refused = make_api().post(
        "/accounts/passkeys/login", json={"ceremony": begun["ceremony"], "credential": credential}
    )

    assert_error(refused, 400, "invalid_passkey")


async def test_a_deactivated_account_reopens_with_its_passkey(alice, make_api, db):
    authenticator = SoftwareAuthenticator()
    add_passkey(alice, authenticator)
    assert alice.post("/accounts/me/deactivate").status_code == 204

    response = passkey_log_in(make_api(), authenticator)

    assert response.status_code == 200, response.text
    assert response.json()["reactivated"] is True


# --- sudo mode with a passkey ----------------------------------------------------------------------


async def test_a_passkey_confirms_it_is_you(alice, make_api, db):
    authenticator = SoftwareAuthenticator()
    add_passkey(alice, authenticator)
    await age_sessions(db, "alice", minutes=11)

    begun = alice.post("/accounts/passkeys/reauthenticate/options").json()
    confirmed = alice.post(
        "/accounts/reauthenticate",
        json={"passkey": {"ceremony": begun["ceremony"], "credential": authenticator.get(begun["options"])}},
    )

    assert confirmed.status_code == 200, confirmed.text
    make_token(alice)
    events = alice.get("/accounts/security-events").json()["items"]
    assert next(e for e in events if e["kind"] == "reauthenticated")["detail"] == {"method": "passkey"}


async def test_a_wrong_passkey_confirms_nothing(alice, make_api, db):
    add_passkey(alice, SoftwareAuthenticator())
    await age_sessions(db, "alice", minutes=11)
    begun = alice.post("/accounts/passkeys/reauthenticate/options").json()
    stranger = SoftwareAuthenticator()  # a passkey of this site the account never added
    stranger.create({"rp": {"id": RP_ID}, "user": {"id": b64url(b"x")}, "challenge": b64url(b"y" * 32)})
    forged = stranger.get({**begun["options"], "allowCredentials": []})

    refused = alice.post(
        "/accounts/reauthenticate", json={"passkey": {"ceremony": begun["ceremony"], "credential": forged}}
    )

    assert_error(refused, 400, "wrong_password", ["passkey"])
    assert_error(alice.post("/accounts/tokens", json={"name": "x"}), 403, "reauthentication_required")


def test_passkey_confirmation_needs_a_passkey(alice):
    assert_error(alice.post("/accounts/passkeys/reauthenticate/options"), 409, "no_passkeys")


# --- naming and removing ---------------------------------------------------------------------------


def test_a_passkey_can_be_renamed_by_its_owner_only(alice, bob):
    passkey_id = add_passkey(alice, SoftwareAuthenticator())["passkey"]["id"]

    renamed = alice.patch(f"/accounts/passkeys/{passkey_id}", json={"name": "YubiKey 5C"})

    assert renamed.status_code == 200
    assert renamed.json()["name"] == "YubiKey 5C"
    assert_error(bob.patch(f"/accounts/passkeys/{passkey_id}", json={"name": "mine"}), 404, "not_found")
    assert_error(
        alice.patch(f"/accounts/passkeys/{passkey_id}", json={"name": "  "}), 400, "validation_error"
    )


async def test_removing_the_last_passkey_turns_two_factor_off(alice, bob, make_api, db):
    authenticator = SoftwareAuthenticator()
    passkey_id = add_passkey(alice, authenticator)["passkey"]["id"]
    assert_error(bob.delete(f"/accounts/passkeys/{passkey_id}"), 404, "not_found")
    await age_sessions(db, "alice", minutes=11)
    assert_error(alice.delete(f"/accounts/passkeys/{passkey_id}"), 403, "reauthentication_required")
    alice.post("/accounts/reauthenticate", json={"password": PASSWORD})

    assert alice.delete(f"/accounts/passkeys/{passkey_id}").status_code == 204

    assert alice.get("/accounts/two-factor").json()["enabled"] is False
    assert alice.get("/accounts/two-factor").json()["recovery_codes_left"] == 0
    assert kinds(alice)[:2] == ["two_factor_disabled", "passkey_removed"]
    assert "me" in log_in(make_api())
    assert_error(passkey_log_in(make_api(), authenticator), 400, "invalid_passkey")


def test_removing_one_of_two_factors_keeps_two_factor_on(alice, make_api):
    secret, _ = enable_totp(alice)
    passkey_id = add_passkey(alice, SoftwareAuthenticator())["passkey"]["id"]

    alice.delete(f"/accounts/passkeys/{passkey_id}")

    status = alice.get("/accounts/two-factor").json()
    assert status["enabled"] is True
    assert status["recovery_codes_left"] == 10
    browser = make_api()
    finish(browser, log_in(browser)["challenge"], code=code_at(secret, 1))


async def test_the_passkey_public_key_is_what_the_authenticator_made(alice, db):
    authenticator = SoftwareAuthenticator()
    add_passkey(alice, authenticator)
    stored = await db.scalar(select(Passkey))
    assert stored.credential_id == authenticator.only_credential_id
    assert stored.sign_count == 0
    assert stored.transports == ["internal", "hybrid"]

"""Security alerts by email, hung on the account's security log: a log-in from a new device, a
password change, an API token, two-factor changes; each says when, from which device and address,
and never carries a secret."""

from __future__ import annotations

import time

import pyotp
from sqlalchemy import update

from tests.conftest import PASSWORD
from viewfinder.accounts.models import User
from viewfinder.core.db import utcnow

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Mobile/15E148 Safari/604.1"
)


def log_in(api, user_agent: str | None = None):
    headers = {"user-agent": user_agent} if user_agent else None
    response = api.post("/accounts/login", json={"login": "alice", "password": PASSWORD}, headers=headers)
    assert response.status_code == 200, response.text
    api.csrf_token = response.json()["csrf_token"]
    return response


def test_a_log_in_from_a_new_device_is_told_with_when_what_and_where(alice, make_api, mailbox):
    mailbox.new()
    log_in(make_api(), IPHONE)

    alert = mailbox.only(to="alice@example.com")
    assert alert.subject == "New log-in to your Viewfinder account"
    assert "Safari on iPhone" in alert.text
    assert "testclient" in alert.text  # the network address the request came from
    assert " UTC" in alert.text
    assert "/accounts/password/forgot" in alert.text
    assert alert.html
    assert "Safari on iPhone" in alert.html


def test_a_log_in_from_a_known_device_is_not(alice, make_api, mailbox):
    mailbox.new()
    log_in(make_api())  # the user agent and address alice signed up from
    mailbox.nothing_new()


def test_a_password_change_is_told(alice, mailbox):
    mailbox.new()
    alice.post(
        "/accounts/password", json={"current_password": PASSWORD, "new_password": "a new unusual passphrase"}
    )

    alert = mailbox.only(to="alice@example.com")
    assert alert.subject == "Your Viewfinder password was changed"
    assert "a new unusual passphrase" not in alert.text


def test_a_new_api_token_is_told_without_its_secret(alice, mailbox):
    mailbox.new()
    created = alice.post("/accounts/tokens", json={"name": "backup script"}).json()

    alert = mailbox.only(to="alice@example.com")
    assert "backup script" in alert.text
    assert created["secret"] not in alert.text
    assert created["secret"] not in (alert.html or "")
    assert created["token"]["prefix"] not in alert.text


def test_two_factor_changes_are_told(alice, mailbox):
    mailbox.new()
    secret = alice.post("/accounts/two-factor/totp").json()["secret"]
    mailbox.nothing_new()  # enrolling is not yet turning it on
    confirmed = alice.post(
        "/accounts/two-factor/totp/confirm", json={"code": pyotp.TOTP(secret).at(time.time())}
    )
    assert confirmed.status_code == 200, confirmed.text

    alert = mailbox.only(to="alice@example.com")
    assert alert.subject == "Two-factor authentication is on for your Viewfinder account"
    assert secret not in alert.text
    for code in confirmed.json()["recovery_codes"]:
        assert code not in alert.text


async def test_no_alert_goes_to_an_address_that_is_another_accounts(make_api, mailbox, db):
    make_api().signup("owner", email="taken@example.com")
    await db.execute(update(User).where(User.username == "owner").values(email_verified_at=utcnow()))
    await db.commit()
    squatter = make_api().signup("squatter", email="taken@example.com")
    mailbox.new()

    squatter.post("/accounts/tokens", json={"name": "script"})

    mailbox.nothing_new()


def test_log_ins_and_outs_send_nothing_else(alice, mailbox):
    mailbox.new()
    alice.post("/accounts/logout")
    mailbox.nothing_new()

"""Password reset by email, end to end through a real SMTP server: the same answer whether or not an
account exists, a single-use link valid an hour, and what setting a new password with it ends."""

from __future__ import annotations

import time
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select, update

from tests.conftest import PASSWORD
from tests.helpers import assert_error, dedicated_api
from viewfinder.accounts.email_messages import RESET_PAGE, VERIFY_PAGE
from viewfinder.accounts.email_tokens import Purpose
from viewfinder.accounts.models import EmailToken, User
from viewfinder.core.db import utcnow

NEW_PASSWORD = "a brand new and unusual passphrase"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"


def ask(api, login: str, **headers: str):
    return api.post("/accounts/password/reset", json={"login": login}, headers=headers or None)


def confirm(api, token: str, password: str = NEW_PASSWORD):
    return api.post("/accounts/password/reset/confirm", json={"token": token, "new_password": password})


def log_in(make_api, login: str, password: str):
    return make_api().post("/accounts/login", json={"login": login, "password": password})


def shape(response) -> tuple[int, bytes, tuple[tuple[str, str], ...]]:
    """Everything a client sees of an answer but its date."""
    headers = sorted((name, value) for name, value in response.headers.items() if name != "date")
    return response.status_code, response.content, tuple(headers)


def test_the_answer_is_the_same_whether_or_not_an_account_matches(alice, anon, mailbox):
    mailbox.new()  # alice's verification link
    answers = [ask(anon, login) for login in ("alice", "ALICE@example.com", "nobody", "nobody@example.com")]

    assert {shape(answer) for answer in answers} == {shape(answers[0])}
    assert answers[0].status_code == 202
    assert answers[0].content == b""
    sent = mailbox.new()
    assert [message.recipients for message in sent] == [["alice@example.com"], ["alice@example.com"]]


def test_the_link_sets_a_new_password_once_and_ends_every_session_and_token(alice, make_api, mailbox):
    secret = alice.post("/accounts/tokens", json={"name": "script"}).json()["secret"]
    mailbox.new()
    assert ask(make_api(), "alice", **{"user-agent": FIREFOX}).status_code == 202
    message = mailbox.only(to="alice@example.com")
    assert message.subject == "Reset your Viewfinder password"
    assert "60 minutes" in message.text
    assert "Firefox on Linux" in message.text
    assert PASSWORD not in message.text
    token = message.token(RESET_PAGE)

    done = confirm(make_api(), token)

    assert done.status_code == 204, done.text
    assert_error(alice.get("/accounts/me"), 401, "not_authenticated")
    bearer = make_api().client.get(
        "/api/viewfinder/v1/accounts/me", headers={"authorization": f"Bearer {secret}"}
    )
    assert bearer.status_code == 401
    assert_error(log_in(make_api, "alice", PASSWORD), 401, "invalid_credentials")
    assert log_in(make_api, "alice", NEW_PASSWORD).status_code == 200
    # The alert about it goes to the account's address.
    alert = mailbox.only(to="alice@example.com")
    assert alert.subject == "Your Viewfinder password was reset"
    assert_error(confirm(make_api(), token), 400, "invalid_link", ["token"])


def test_the_reset_is_in_the_security_log(alice, make_api, mailbox):
    mailbox.new()
    ask(make_api(), "alice")
    confirm(make_api(), mailbox.only().token(RESET_PAGE))
    api = make_api()
    response = api.post("/accounts/login", json={"login": "alice", "password": NEW_PASSWORD})
    api.csrf_token = response.json()["csrf_token"]
    items = api.get("/accounts/security-events").json()["items"]
    reset = next(item for item in items if item["kind"] == "password_reset")
    assert reset["detail"] == {"sessions_ended": 1, "tokens_revoked": 0}
    assert "password_reset_requested" in [item["kind"] for item in items]


def test_using_one_link_voids_the_others(alice, make_api, mailbox):
    mailbox.new()
    ask(make_api(), "alice")
    first = mailbox.only().token(RESET_PAGE)
    ask(make_api(), "alice")
    second = mailbox.only().token(RESET_PAGE)

    assert confirm(make_api(), second).status_code == 204
    assert_error(confirm(make_api(), first, "yet another unusual passphrase"), 400, "invalid_link")


def test_changing_the_password_voids_every_link(alice, make_api, mailbox):
    mailbox.new()
    ask(make_api(), "alice")
    token = mailbox.only().token(RESET_PAGE)
    changed = alice.post(
        "/accounts/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert changed.status_code == 204

    assert_error(confirm(make_api(), token, "yet another unusual passphrase"), 400, "invalid_link")


async def test_a_link_lasts_an_hour(alice, make_api, mailbox, db):
    mailbox.new()
    ask(make_api(), "alice")
    token = mailbox.only().token(RESET_PAGE)
    reset = EmailToken.purpose == Purpose.RESET_PASSWORD  # sign-up's verification link lasts 48 h
    stored = await db.scalar(select(EmailToken.expires_at).where(reset))
    assert timedelta(minutes=59) < stored - utcnow() <= timedelta(minutes=60)
    await db.execute(update(EmailToken).where(reset).values(expires_at=utcnow() - timedelta(seconds=1)))
    await db.commit()

    assert_error(confirm(make_api(), token), 400, "invalid_link")


def test_a_weak_password_is_refused_without_using_the_link(alice, make_api, mailbox):
    mailbox.new()
    ask(make_api(), "alice")
    token = mailbox.only().token(RESET_PAGE)

    assert_error(confirm(make_api(), token, "password1"), 400, "validation_error", ["new_password"])
    assert confirm(make_api(), token).status_code == 204


def test_asking_is_limited_per_address_alike_for_every_login(settings, mailbox):
    with dedicated_api(settings, password_reset_limit_per_ip=2) as api:
        api.signup("dora")
        assert [ask(api, login).status_code for login in ("dora", "nobody")] == [202, 202]
        assert_error(ask(api, "dora"), 429, "rate_limited")
        assert_error(ask(api, "nobody"), 429, "rate_limited")


def test_an_account_gets_a_few_links_an_hour_and_the_answer_never_changes(alice, make_api, mailbox):
    mailbox.new()
    answers = [ask(make_api(), "alice").status_code for _ in range(5)]

    assert answers == [202] * 5
    assert len(mailbox.new()) == 3  # password_reset_limit_per_account


async def test_no_link_goes_to_an_address_another_account_verified(make_api, mailbox, db):
    make_api().signup("owner", email="taken@example.com")
    await db.execute(update(User).where(User.username == "owner").values(email_verified_at=utcnow()))
    await db.commit()
    make_api().signup("squatter", email="taken@example.com")
    mailbox.new()

    assert ask(make_api(), "squatter").status_code == 202
    mailbox.nothing_new()
    assert ask(make_api(), "taken@example.com").status_code == 202
    assert "owner" in mailbox.only(to="taken@example.com").text


def test_a_reset_link_proves_an_unverified_address(make_api, mailbox):
    make_api().signup("dora")
    mailbox.only().token(VERIFY_PAGE)
    ask(make_api(), "dora")
    confirm(make_api(), mailbox.only().token(RESET_PAGE))

    me = log_in(make_api, "dora", NEW_PASSWORD).json()["me"]
    assert me["email_verified"] is True


def test_without_smtp_the_answer_is_the_same_and_nothing_is_made(alice, anon):
    assert ask(anon, "alice").status_code == 202


@pytest.mark.parametrize("body", [{}, {"login": ""}, {"login": "x" * 255}, {"login": "alice", "extra": 1}])
def test_a_malformed_request_is_refused(anon, body):
    assert_error(anon.post("/accounts/password/reset", json=body), 400, "validation_error")


def test_a_reset_keeps_two_factor_authentication_on(alice, make_api, mailbox):
    enrolment = alice.post("/accounts/two-factor/totp")
    assert enrolment.status_code == 201, enrolment.text
    secret = enrolment.json()["secret"]
    code = pyotp.TOTP(secret).at(time.time())
    assert alice.post("/accounts/two-factor/totp/confirm", json={"code": code}).status_code == 200
    mailbox.new()
    ask(make_api(), "alice")

    assert confirm(make_api(), mailbox.only(to="alice@example.com").token(RESET_PAGE)).status_code == 204

    answer = log_in(make_api, "alice", NEW_PASSWORD)
    assert answer.status_code == 200, answer.text
    assert answer.json().get("two_factor_required") is True
    assert "csrf_token" not in answer.json()  # no session before the second step

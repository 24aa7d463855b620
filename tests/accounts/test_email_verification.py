"""Email addresses, end to end through a real SMTP server: the verification link of sign-up, asking
for it again, changing the address (a link to the new one; the old one hears of it and can undo
it), and sign-up never telling which addresses have accounts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from tests.conftest import PASSWORD
from tests.helpers import assert_error
from viewfinder.accounts.email_messages import REVERT_PAGE, VERIFY_PAGE
from viewfinder.accounts.models import EmailToken, SecurityEvent, User
from viewfinder.core.db import utcnow

NEW_PASSWORD = "a brand new and unusual passphrase"


def kinds(api) -> list[str]:
    return [event["kind"] for event in api.get("/accounts/security-events").json()["items"]]


async def verify(db, username: str) -> None:
    await db.execute(update(User).where(User.username == username).values(email_verified_at=utcnow()))
    await db.commit()


# --- sign-up -------------------------------------------------------------------------------------------


def test_signup_sends_a_link_that_verifies_the_address_once(make_api, anon, mailbox):
    dora = make_api().signup("dora", email="Dora@Example.com")
    assert dora.me["email_verified"] is False

    message = mailbox.only(to="Dora@example.com")
    assert "Confirm your email address" in message.subject
    assert "dora" in message.text
    assert "48 hours" in message.text
    assert message.html
    assert "Confirm your address" in message.html
    token = message.token(VERIFY_PAGE)
    assert token not in message.subject

    # Anyone holding the link may open it (another browser, not logged in): the link is the proof.
    confirmed = anon.post("/accounts/email/verify", json={"token": token})
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json() == {"email": "Dora@example.com", "changed": False}
    assert dora.get("/accounts/me").json()["email_verified"] is True
    assert "email_verified" in kinds(dora)

    again = anon.post("/accounts/email/verify", json={"token": token})
    assert_error(again, 400, "invalid_link", ["token"])


@pytest.mark.parametrize("token", ["nonsense", "x" * 200])
def test_an_unknown_link_is_refused(anon, token):
    assert_error(anon.post("/accounts/email/verify", json={"token": token}), 400, "invalid_link", ["token"])


async def test_an_expired_link_is_refused(make_api, anon, mailbox, db):
    make_api().signup("dora")
    token = mailbox.only().token(VERIFY_PAGE)
    await db.execute(update(EmailToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    await db.commit()

    assert_error(anon.post("/accounts/email/verify", json={"token": token}), 400, "invalid_link")


async def test_links_are_stored_only_as_hashes(make_api, mailbox, db):
    make_api().signup("dora")
    token = mailbox.only().token(VERIFY_PAGE)

    stored = (await db.scalars(select(EmailToken))).all()
    assert len(stored) == 1
    assert token not in {stored[0].token_hash, stored[0].email}
    assert len(stored[0].token_hash) == 64


def test_asking_again_sends_a_new_link_a_few_times_an_hour(make_api, mailbox):
    dora = make_api().signup("dora")
    first = mailbox.only().token(VERIFY_PAGE)

    for _ in range(3):
        assert dora.post("/accounts/email/verification").status_code == 202
        assert mailbox.only(to="dora@example.com").token(VERIFY_PAGE) != first
    assert_error(dora.post("/accounts/email/verification"), 429, "rate_limited")
    mailbox.nothing_new()


def test_asking_again_once_verified_is_a_conflict(make_api, anon, mailbox):
    dora = make_api().signup("dora")
    anon.post("/accounts/email/verify", json={"token": mailbox.only().token(VERIFY_PAGE)})

    assert_error(dora.post("/accounts/email/verification"), 409, "already_verified")


def test_asking_again_needs_an_account(anon):
    assert_error(anon.post("/accounts/email/verification"), 401, "not_authenticated")


def test_without_smtp_nothing_is_sent_and_signup_works(make_api, settings):
    assert not settings.mail_configured  # this test reads no mailbox
    dora = make_api().signup("dora")
    assert dora.me["email_verified"] is False
    assert dora.post("/accounts/email/verification").status_code == 202


# --- sign-up does not tell which addresses have accounts ------------------------------------------------


def comparable(response) -> tuple[int, set[str], dict[str, object]]:
    """Status, header names and the body's shape, without what differs for any two sign-ups."""
    body = response.json()
    me = body["me"]
    shape = {
        "keys": sorted(body),
        "me_keys": sorted(me),
        "profile_keys": sorted(me["profile"]),
        "email_verified": me["email_verified"],
        "counts": [me["profile"][k] for k in ("followers_count", "following_count", "posts_count")],
    }
    headers = {name for name in response.headers if name not in {"date", "content-length"}}
    return response.status_code, headers, shape


async def test_signup_answers_alike_whether_or_not_the_address_has_an_account(make_api, mailbox, db):
    make_api().signup("owner", email="taken@example.com")
    mailbox.only().token(VERIFY_PAGE)
    await verify(db, "owner")

    taken = make_api().post(
        "/accounts/signup", json={"username": "squatter", "email": "Taken@Example.com", "password": PASSWORD}
    )
    free = make_api().post(
        "/accounts/signup", json={"username": "newcomer", "email": "free@example.com", "password": PASSWORD}
    )

    assert taken.status_code == free.status_code == 201
    assert comparable(taken) == comparable(free)
    assert taken.cookies.keys() == free.cookies.keys()
    # The owner hears of it; the new account gets no link for an address that is not its to take.
    sent = {message.recipients[0]: message for message in mailbox.new()}
    assert set(sent) == {"Taken@example.com", "free@example.com"}
    assert "tried to sign up" in sent["Taken@example.com"].subject
    assert "squatter" in sent["Taken@example.com"].text
    assert VERIFY_PAGE not in sent["Taken@example.com"].text
    assert "Confirm your email address" in sent["free@example.com"].subject


async def test_an_address_another_account_verified_never_becomes_a_second_accounts(make_api, mailbox, db):
    make_api().signup("owner", email="taken@example.com")
    mailbox.only()
    await verify(db, "owner")
    squatter = make_api().signup("squatter", email="taken@example.com")
    mailbox.only(to="taken@example.com")  # the owner's notice

    assert squatter.post("/accounts/email/verification").status_code == 202
    mailbox.nothing_new()  # no link, and no second notice
    # Logging in by the address is the owner's; the second account logs in by its username.
    by_address = make_api().post("/accounts/login", json={"login": "taken@example.com", "password": PASSWORD})
    assert by_address.json()["me"]["profile"]["username"] == "owner"
    by_name = make_api().post("/accounts/login", json={"login": "squatter", "password": PASSWORD})
    assert by_name.status_code == 200


async def test_the_first_to_verify_a_shared_unverified_address_keeps_it(make_api, anon, mailbox, db):
    make_api().signup("first", email="shared@example.com")
    first_token = mailbox.only().token(VERIFY_PAGE)
    make_api().signup("second", email="shared@example.com")
    second_token = mailbox.only().token(VERIFY_PAGE)
    # Two accounts share an unverified address: it names neither at log-in.
    login = {"login": "shared@example.com", "password": PASSWORD}
    assert_error(make_api().post("/accounts/login", json=login), 401, "invalid_credentials")

    assert anon.post("/accounts/email/verify", json={"token": second_token}).status_code == 200
    refused = anon.post("/accounts/email/verify", json={"token": first_token})

    assert_error(refused, 409, "email_taken")
    assert make_api().post("/accounts/login", json=login).json()["me"]["profile"]["username"] == "second"


def test_the_only_account_with_an_unverified_address_logs_in_by_it(make_api):
    make_api().signup("dora", email="dora@example.com")
    response = make_api().post("/accounts/login", json={"login": "DORA@example.com", "password": PASSWORD})
    assert response.status_code == 200, response.text


def test_a_taken_username_is_still_refused(alice, anon):
    response = anon.post(
        "/accounts/signup", json={"username": "ALICE", "email": "other@example.com", "password": PASSWORD}
    )
    error = assert_error(response, 409, "already_exists", ["username"])
    assert set(error["fields"]) == {"username"}


# --- changing the address -------------------------------------------------------------------------------


def test_changing_the_address_happens_only_when_the_new_one_opens_its_link(make_api, anon, mailbox, db):
    dora = make_api().signup("dora")
    anon.post("/accounts/email/verify", json={"token": mailbox.only().token(VERIFY_PAGE)})

    asked = dora.post("/accounts/email", json={"email": "Dora.New@Example.com"})
    assert asked.status_code == 202, asked.text
    assert asked.json() == {"pending_email": "Dora.New@example.com", "expires_in_hours": 48}
    assert dora.get("/accounts/me").json()["email"] == "dora@example.com"  # nothing changed yet
    link = mailbox.only(to="Dora.New@example.com")
    assert "Confirm your new email address" in link.subject

    opened = anon.post("/accounts/email/verify", json={"token": link.token(VERIFY_PAGE)})

    assert opened.json() == {"email": "Dora.New@example.com", "changed": True}
    me = dora.get("/accounts/me").json()
    assert (me["email"], me["email_verified"]) == ("Dora.New@example.com", True)
    notice = mailbox.only(to="dora@example.com")
    assert "was changed" in notice.subject
    assert "Dora.New@example.com" in notice.text
    assert notice.token(REVERT_PAGE)
    assert kinds(dora)[:2] == ["email_changed", "email_change_requested"]
    # The new address logs in; the old one no longer does.
    new_login = {"login": "dora.new@example.com", "password": PASSWORD}
    assert make_api().post("/accounts/login", json=new_login).status_code == 200
    old_login = {"login": "dora@example.com", "password": PASSWORD}
    assert_error(make_api().post("/accounts/login", json=old_login), 401, "invalid_credentials")


def test_changing_the_address_needs_a_recent_password(make_api, mailbox, settings):
    dora = make_api().signup("dora")
    settings.reauthentication_seconds = 0  # the sign-up's proof is already too old
    try:
        refused = dora.post("/accounts/email", json={"email": "new@example.com"})
    finally:
        settings.reauthentication_seconds = 600
    assert_error(refused, 403, "reauthentication_required")
    assert dora.post("/accounts/reauthenticate", json={"password": PASSWORD}).status_code == 200
    assert dora.post("/accounts/email", json={"email": "new@example.com"}).status_code == 202


def test_an_api_token_cannot_change_the_address(make_api):
    dora = make_api().signup("dora")
    secret = dora.post("/accounts/tokens", json={"name": "script"}).json()["secret"]
    client = make_api().client
    response = client.post(
        "/api/viewfinder/v1/accounts/email",
        json={"email": "new@example.com"},
        headers={"authorization": f"Bearer {secret}"},
    )
    assert_error(response, 403, "session_required")


@pytest.mark.parametrize(
    ("email", "code"), [("not-an-address", "validation_error"), ("DORA@example.com", "same_email")]
)
def test_a_wrong_or_unchanged_address_is_refused(make_api, email, code):
    dora = make_api().signup("dora")
    assert_error(dora.post("/accounts/email", json={"email": email}), 400, code, ["email"])


async def test_uniqueness_is_checked_when_the_link_is_opened(make_api, anon, mailbox, db):
    dora = make_api().signup("dora")
    mailbox.only()
    assert dora.post("/accounts/email", json={"email": "wanted@example.com"}).status_code == 202
    token = mailbox.only(to="wanted@example.com").token(VERIFY_PAGE)
    # Meanwhile another account verifies the address.
    make_api().signup("quick", email="wanted@example.com")
    mailbox.only()
    await verify(db, "quick")

    assert_error(anon.post("/accounts/email/verify", json={"token": token}), 409, "email_taken")
    assert dora.get("/accounts/me").json()["email"] == "dora@example.com"


async def test_asking_for_another_accounts_address_sends_its_owner_a_notice_not_a_link(make_api, mailbox, db):
    make_api().signup("owner", email="owner@example.com")
    mailbox.only()
    await verify(db, "owner")
    dora = make_api().signup("dora")
    mailbox.only()

    answer = dora.post("/accounts/email", json={"email": "owner@example.com"})

    assert answer.status_code == 202  # the same answer as for a free address
    notice = mailbox.only(to="owner@example.com")
    assert "Someone tried to use your email address" in notice.subject
    assert VERIFY_PAGE not in notice.text


def test_the_old_address_can_take_the_account_back(make_api, anon, mailbox):
    dora = make_api().signup("dora")
    anon.post("/accounts/email/verify", json={"token": mailbox.only().token(VERIFY_PAGE)})
    token = dora.post("/accounts/tokens", json={"name": "script"}).json()["secret"]
    assert "API token" in mailbox.only(to="dora@example.com").subject  # its alert
    # Someone with the session and the password moves the account to their address.
    dora.post("/accounts/email", json={"email": "thief@example.com"})
    anon.post("/accounts/email/verify", json={"token": mailbox.only().token(VERIFY_PAGE)})
    revert = mailbox.only(to="dora@example.com").token(REVERT_PAGE)

    weak = anon.post("/accounts/email/revert", json={"token": revert, "new_password": "password1"})
    assert_error(weak, 400, "validation_error", ["new_password"])  # the link is not used up by that
    taken_back = anon.post("/accounts/email/revert", json={"token": revert, "new_password": NEW_PASSWORD})

    assert taken_back.json() == {"email": "dora@example.com"}
    assert_error(dora.get("/accounts/me"), 401, "not_authenticated")  # every session ended
    bearer = make_api().client.get(
        "/api/viewfinder/v1/accounts/me", headers={"authorization": f"Bearer {token}"}
    )
    assert bearer.status_code == 401  # and every API token
    login = make_api().post("/accounts/login", json={"login": "dora@example.com", "password": NEW_PASSWORD})
    assert login.json()["me"]["email"] == "dora@example.com"
    assert login.json()["me"]["email_verified"] is True
    again = anon.post("/accounts/email/revert", json={"token": revert, "new_password": NEW_PASSWORD})
    assert_error(again, 400, "invalid_link")


def test_an_unverified_old_address_gets_no_way_back(make_api, anon, mailbox):
    # A mistyped address at sign-up, corrected before it was ever verified: whoever owns the
    # mistyped address must not be able to take the account.
    dora = make_api().signup("dora", email="dorra@example.com")
    mailbox.only()
    dora.post("/accounts/email", json={"email": "dora@example.com"})
    anon.post("/accounts/email/verify", json={"token": mailbox.only().token(VERIFY_PAGE)})

    mailbox.nothing_new()
    assert dora.get("/accounts/me").json()["email_verified"] is True


async def test_a_link_for_an_address_the_account_no_longer_has_is_void(make_api, anon, mailbox, db):
    dora = make_api().signup("dora")
    old_link = mailbox.only().token(VERIFY_PAGE)
    dora.post("/accounts/email", json={"email": "dora2@example.com"})
    anon.post("/accounts/email/verify", json={"token": mailbox.only().token(VERIFY_PAGE)})

    assert_error(anon.post("/accounts/email/verify", json={"token": old_link}), 400, "invalid_link")
    changed = await db.scalar(select(SecurityEvent.detail).where(SecurityEvent.kind == "email_changed"))
    assert changed == {
        "old_email": "dora@example.com",
        "new_email": "dora2@example.com",
        "old_verified": False,
    }


# --- the migration -------------------------------------------------------------------------------------


def test_the_migration_counts_existing_addresses_verified_and_keeps_what_refers_to_accounts(tmp_path):
    """Dropping the old unique constraint rebuilds `users` on SQLite: rows that refer to an account
    (ON DELETE CASCADE) must survive it."""
    import sqlite3

    from viewfinder.core.migrate import upgrade

    path = tmp_path / "before.db"
    upgrade(f"sqlite+aiosqlite:///{path}", "0011")
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA foreign_keys=ON")
        connection.execute(
            "INSERT INTO users (id, username, username_key, email, email_key, password_hash, display_name, "
            "bio, website, is_private, is_staff, is_active, followers_count, following_count, posts_count, "
            "updated_at, created_at) VALUES (7, 'old', 'old', 'Old@example.com', 'old@example.com', 'x', '', "
            "'', '', 0, 0, 1, 0, 0, 0, '2026-01-02 03:04:05', '2026-01-02 03:04:05')"
        )
        connection.execute(
            "INSERT INTO user_sessions (id, user_id, token_hash, csrf_token, expires_at, last_seen_at, "
            "user_agent, ip_address, created_at) VALUES (8, 7, 'hash', 'csrf', '2027-01-01 00:00:00', "
            "'2026-01-02 03:04:05', '', '', '2026-01-02 03:04:05')"
        )
    connection.close()

    upgrade(f"sqlite+aiosqlite:///{path}", "0012")  # 0013 then seals addresses (test_encryption_at_rest)

    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT count(*) FROM user_sessions").fetchone() == (1,)
        assert connection.execute("SELECT email_verified_at FROM users").fetchone() == (
            "2026-01-02 03:04:05",
        )
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
        # A second account may type the address, but not verify it.
        connection.execute(
            "INSERT INTO users (id, username, username_key, email, email_key, password_hash, display_name, "
            "bio, website, is_private, is_staff, is_active, followers_count, following_count, posts_count, "
            "updated_at, created_at) VALUES (9, 'new', 'new', 'old@example.com', 'old@example.com', 'x', '', "
            "'', '', 0, 0, 1, 0, 0, 0, '2026-01-02 03:04:05', '2026-01-02 03:04:05')"
        )
        with pytest.raises(sqlite3.IntegrityError):
            connection.execute("UPDATE users SET email_verified_at = created_at WHERE id = 9")
    connection.close()

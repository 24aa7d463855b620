"""Encryption at rest (docs/decisions/0035): what a leaked database holds of email addresses, TOTP
secrets and session metadata, tampering, key rotation, and the migration of existing rows."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from tests.accounts.test_twofactor import enable_totp
from tests.conftest import PASSWORD
from tests.database import connect
from tests.stacks import SCALE, as_environment
from viewfinder.accounts import twofactor
from viewfinder.accounts.models import SecurityEvent, TotpAuthenticator, User, UserSession
from viewfinder.accounts.services import find_login_account
from viewfinder.core import crypto
from viewfinder.core.db import make_async_engine, make_sessionmaker, utcnow
from viewfinder.core.migrate import upgrade
from viewfinder.settings import Settings

VIEWFINDER = Path(sys.executable).parent / "viewfinder"
AGENT = "Mozilla/5.0 (X11; Linux) Firefox/131.0 viewfinder-test-agent-q7z"
EMAIL = "Zelda.Quarters@Example.com"
STORED_EMAIL = "Zelda.Quarters@example.com"  # as sign-up normalises it (the domain lower-cased)

SENSITIVE_COLUMNS = {
    "users": ["email", "email_key"],
    "email_tokens": ["email"],
    "user_sessions": ["user_agent", "ip_address"],
    "security_events": ["ip_address", "user_agent", "ip_key", "user_agent_key", "detail"],
    "trusted_devices": ["user_agent", "ip_address"],
    "totp_authenticators": ["secret"],
}


def as_bytes(value: Any) -> bytes:
    if value is None:
        return b""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    return str(value).encode()


def stored_values(settings: Settings) -> list[bytes]:
    values: list[bytes] = []
    with connect(settings) as rows:
        for table, columns in SENSITIVE_COLUMNS.items():
            for row in rows.execute(f"SELECT {', '.join(columns)} FROM {table}"):  # noqa: S608 (names above)
                values.extend(as_bytes(value) for value in row)
    return values


def sqlite_files(settings: Settings) -> bytes:
    path = Path(settings.resolved_database_url.split("///", 1)[1])
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())


def test_a_leaked_database_holds_no_address_agent_ip_or_totp_secret(make_api, settings):
    zelda = make_api()
    zelda.client.headers["user-agent"] = AGENT
    zelda.signup("zelda", email=EMAIL)
    secret, _ = enable_totp(zelda)
    changed = zelda.post("/accounts/email", json={"email": "zelda.new@example.org"})  # a pending address
    assert changed.status_code == 202, changed.text
    plaintexts = [
        STORED_EMAIL.encode(),
        EMAIL.lower().encode(),
        b"zelda.new@example.org",
        AGENT.encode(),
        secret.encode(),
    ]
    plaintexts.append(b"testclient")  # the address the test client connects from
    values = stored_values(settings)
    assert len(values) > 10
    for plaintext in plaintexts:
        assert not any(plaintext in value for value in values), plaintext
    if not SCALE:  # every byte of the SQLite database, its write-ahead log included
        raw = sqlite_files(settings)
        for plaintext in plaintexts[:-1]:
            assert plaintext not in raw, plaintext
    # ...and the app still reads them all.
    me = zelda.get("/accounts/me").json()
    assert me["email"] == STORED_EMAIL
    sessions = zelda.get("/accounts/sessions").json()
    assert [s["user_agent"] for s in sessions] == [AGENT]
    events = zelda.get("/accounts/security-events").json()["items"]
    assert AGENT in {e["user_agent"] for e in events}


async def test_a_tampered_or_moved_value_refuses_to_open(alice, bob, settings, db):
    enable_totp(alice)
    enable_totp(bob)
    with connect(settings) as rows:
        users = dict(rows.execute("SELECT username, id FROM users"))
        alice_email = as_bytes(rows.execute("SELECT email FROM users WHERE id = ?", users["alice"])[0][0])
        alice_secret = as_bytes(
            rows.execute("SELECT secret FROM totp_authenticators WHERE user_id = ?", users["alice"])[0][0]
        )
        tampered = bytearray(alice_email)
        tampered[-3] ^= 0x20
        rows.execute("UPDATE users SET email = ? WHERE id = ?", bytes(tampered), users["alice"])
        # alice's address in bob's session row (another column), alice's TOTP secret in bob's row.
        rows.execute("UPDATE user_sessions SET user_agent = ? WHERE user_id = ?", alice_email, users["bob"])
        rows.execute(
            "UPDATE totp_authenticators SET secret = ? WHERE user_id = ?", alice_secret, users["bob"]
        )
    with pytest.raises(crypto.DecryptionError, match=r"users\.email"):
        await db.scalar(select(User).where(User.id == users["alice"]))
    with pytest.raises(crypto.DecryptionError, match=r"user_sessions\.user_agent"):
        await db.scalar(select(UserSession).where(UserSession.user_id == users["bob"]))
    authenticator = await db.scalar(
        select(TotpAuthenticator).where(TotpAuthenticator.user_id == users["bob"])
    )
    with pytest.raises(crypto.DecryptionError, match=r"totp_authenticators\.secret"):
        twofactor.totp_secret(authenticator)


async def test_log_in_and_look_ups_by_address_ignore_case(make_api, anon, db, settings):
    make_api().signup("carol", email="Carol@Example.com")
    make_api().signup("dave", email="carol@example.COM")  # the same address, typed otherwise
    with connect(settings) as rows:
        keys = {
            key for (key,) in rows.execute("SELECT email_key FROM users WHERE username IN ('carol', 'dave')")
        }
    assert len(keys) == 1
    assert "carol" not in next(iter(keys)).lower()
    # Two accounts typed it unverified: it names neither (decision 0034), by either spelling.
    assert await find_login_account(db, "CAROL@example.com") is None
    with connect(settings) as rows:
        rows.execute("DELETE FROM users WHERE username = 'dave'")
    found = await find_login_account(db, "carol@EXAMPLE.com")
    assert found is not None
    assert (found.username, found.email) == ("carol", "Carol@example.com")
    logged_in = anon.post("/accounts/login", json={"login": "CAROL@example.com", "password": PASSWORD})
    assert logged_in.status_code == 200, logged_in.text
    assert logged_in.json()["me"]["email"] == "Carol@example.com"


def cli(settings: Settings, *args: str, keys: str) -> subprocess.CompletedProcess[str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("VIEWFINDER_")}
    env.update(
        {
            "VIEWFINDER_ENV": "development",
            "VIEWFINDER_DATA_DIR": str(settings.data_dir),
            "VIEWFINDER_ENCRYPTION_KEYS": keys,
        }
    )
    if SCALE:  # the test's own PostgreSQL database, Redis prefix...
        env.update(
            as_environment({k: v for k, v in settings.model_dump().items() if k.endswith("_url") and v})
        )
    return subprocess.run(
        [str(VIEWFINDER), *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_rotation_to_a_new_root_key_then_new_data_and_index_keys(alice, make_api, settings):
    secret, _ = enable_totp(alice)
    dev = crypto.root_keys_of(settings)["dev"]
    old = "dev:" + base64.urlsafe_b64encode(dev).decode().rstrip("=")
    new = crypto.generate_root_key("k2")

    refused = cli(settings, "rotate-keys", keys=new)  # the old root key is still needed once
    assert refused.returncode != 0
    assert "root key 'dev'" in refused.stderr
    assert "do not hold" in refused.stderr

    done = cli(settings, "rotate-keys", "--data-keys", "--index", keys=f"{new},{old}")
    assert done.returncode == 0, done.stderr
    assert "re-wrapped under the root key 'k2'" in done.stdout
    assert "users.email: 1 value(s) re-encrypted" in done.stdout
    with connect(settings) as rows:
        assert {root for (root,) in rows.execute("SELECT root_key_id FROM encryption_keys")} == {"k2"}
    again = cli(settings, "rotate-keys", keys=new)  # idempotent, and the old key is no longer needed
    assert again.returncode == 0, again.stderr
    assert "0 data key(s) re-wrapped" in again.stdout

    # The app, with only the new key in its settings, reads everything and finds accounts by address.
    rotated = settings.model_copy(update={"encryption_keys": SecretStr(new)})
    crypto.check(rotated)
    with pytest.raises(crypto.KeyringError):
        crypto.check(settings.model_copy(update={"encryption_keys": SecretStr(old)}))
    crypto.configure(rotated)
    fresh = make_api()
    logged_in = fresh.post("/accounts/login", json={"login": "ALICE@example.com", "password": PASSWORD})
    assert logged_in.status_code == 200, logged_in.text
    assert logged_in.json()["two_factor_required"] is True  # the address found alice; her app is asked
    assert alice.get("/accounts/me").json()["email"] == "alice@example.com"
    assert [s["user_agent"] for s in alice.get("/accounts/sessions").json()] == ["testclient"]
    with connect(settings) as rows:
        user_id, sealed = rows.execute("SELECT user_id, secret FROM totp_authenticators")[0]
    assert twofactor.totp_secret(TotpAuthenticator(user_id=user_id, secret=as_bytes(sealed))) == secret


async def test_the_migration_seals_existing_rows(settings):
    url = settings.resolved_database_url
    with connect(settings) as rows:
        for table in rows.tables():
            rows.execute(f"DROP TABLE {table} CASCADE" if SCALE else f"DROP TABLE {table}")
        rows.execute("DROP TABLE alembic_version")
    upgrade(url, "0012")
    now = utcnow().strftime("%Y-%m-%d %H:%M:%S.%f")
    with connect(settings) as rows:
        rows.execute(
            "INSERT INTO users (id, username, username_key, email, email_key, email_verified_at, "
            "password_hash, display_name, bio, website, is_private, is_staff, is_active, followers_count, "
            "following_count, posts_count, created_at, updated_at) "
            "VALUES (101, 'old', 'old', 'Old.Timer@Example.com', 'old.timer@example.com', ?, 'x', '', '', "
            "'', "
            "false, false, true, 0, 0, 0, ?, ?)",
            now,
            now,
            now,
        )
        rows.execute(
            "INSERT INTO user_sessions (id, user_id, token_hash, csrf_token, expires_at, last_seen_at, "
            "user_agent, ip_address, created_at) VALUES (201, 101, 'h', 'c', ?, ?, ?, '203.0.113.77', ?)",
            now,
            now,
            AGENT,
            now,
        )
        rows.execute(
            "INSERT INTO security_events (id, user_id, kind, ip_address, user_agent, detail, created_at) "
            "VALUES (301, 101, 'email_changed', '203.0.113.77', ?, ?, ?)",
            AGENT,
            json.dumps({"old_email": "older.address@example.com"}),
            now,
        )
        rows.execute(
            "INSERT INTO totp_authenticators (id, user_id, secret, created_at) "
            "VALUES (401, 101, 'JBSWY3DPEHPK3PXP', ?)",
            now,
        )
    upgrade(url)

    values = stored_values(settings)
    for plaintext in (
        b"Old.Timer",
        b"old.timer",
        AGENT.encode(),
        b"203.0.113.77",
        b"older.address",
        b"JBSWY3DP",
    ):
        assert not any(plaintext in value for value in values), plaintext
    engine = make_async_engine(url)
    try:
        async with make_sessionmaker(engine)() as db:
            user = await find_login_account(db, "old.timer@example.com")
            assert user is not None
            assert user.email == "Old.Timer@Example.com"
            session = await db.scalar(select(UserSession))
            assert session is not None
            assert (session.user_agent, session.ip_address) == (AGENT, "203.0.113.77")
            event = await db.scalar(select(SecurityEvent))
            assert event is not None
            assert event.detail == {"old_email": "older.address@example.com"}
            from viewfinder.accounts.security import address_was_used

            assert not await address_was_used(db, 101, "203.0.113.77")  # an email change is no log-in
            authenticator = await db.scalar(select(TotpAuthenticator))
            assert authenticator is not None
            assert twofactor.totp_secret(authenticator) == "JBSWY3DPEHPK3PXP"
    finally:
        await engine.dispose()

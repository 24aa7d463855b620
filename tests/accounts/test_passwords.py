"""Password storage (Argon2id, salted, upgraded on log-in) and the rules new passwords must meet."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select, update

from tests.conftest import PASSWORD
from viewfinder.accounts import passwords
from viewfinder.accounts.models import User


async def stored_hash(db, username: str = "alice") -> str:
    value: str = await db.scalar(select(User.password_hash).where(User.username_key == username))
    await db.commit()  # end the read so later reads see the app's writes
    return value


async def test_stored_password_is_an_argon2id_hash(alice, db):
    value = await stored_hash(db)
    assert value.startswith("$argon2id$")
    assert PASSWORD not in value
    assert passwords.verify_password(value, PASSWORD)


async def test_same_password_gets_a_different_salt_per_account(alice, bob, db):
    assert await stored_hash(db, "alice") != await stored_hash(db, "bob")


def test_verify_password_refuses_wrong_passwords_and_missing_hashes():
    hashed = passwords.hash_password(PASSWORD)
    assert passwords.verify_password(hashed, PASSWORD)
    assert not passwords.verify_password(hashed, PASSWORD.upper())
    assert not passwords.verify_password(hashed, "")
    assert not passwords.verify_password(None, PASSWORD)
    assert not passwords.verify_password(None, "viewfinder-timing-equaliser")  # the dummy hash's password
    assert not passwords.verify_password("not a hash", PASSWORD)


async def test_login_upgrades_a_hash_made_with_weaker_parameters(alice, anon, db):
    weak = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)
    await db.execute(update(User).where(User.username_key == "alice").values(password_hash=weak))
    await db.commit()

    response = anon.post("/accounts/login", json={"login": "alice", "password": PASSWORD})

    assert response.status_code == 200
    upgraded = await stored_hash(db)
    assert upgraded != weak
    assert upgraded.startswith("$argon2id$")
    assert not passwords.needs_rehash(upgraded)
    assert passwords.verify_password(upgraded, PASSWORD)


async def test_failed_login_does_not_touch_the_stored_hash(alice, anon, db):
    before = await stored_hash(db)
    anon.post("/accounts/login", json={"login": "alice", "password": "wrong wrong wrong"})
    assert await stored_hash(db) == before


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short", "at least 8"),
        ("x" * 1025, "at most 1024"),
        ("password123", "common"),
        ("QWERTYUIOP", "common"),
        ("iloveyou", "common"),
        ("Alice.Smith", "username"),
        ("alice@example.com", "email"),
    ],
)
def test_password_problem_explains_refusals(password, problem):
    message = passwords.password_problem(password, username="alice.smith", email="alice@example.com")
    assert message is not None
    assert problem in message


@pytest.mark.parametrize("password", ["8 chars!", PASSWORD, "x" * 1024, "ünïcödé pässwörd"])
def test_password_problem_accepts_long_uncommon_passwords(password):
    assert passwords.password_problem(password, username="alice", email="alice@example.com") is None

"""What the operator can do for an owner who lost every second factor (`viewfinder disable-2fa`,
run for real), and the hourly purge of challenges and trusted devices past their time."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pyotp
import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD
from tests.test_cli import viewfinder
from viewfinder.accounts import security, twofactor
from viewfinder.accounts.models import AuthChallenge, SecurityEvent, TrustedDevice, User
from viewfinder.core import crypto
from viewfinder.core.db import make_async_engine, make_sessionmaker, utcnow
from viewfinder.settings import Settings


def cli_settings(data_dir: Path) -> Settings:
    """The settings the `viewfinder` commands of this test run with (tests.test_cli.environment: a
    development instance on its own SQLite file, whichever stack the suite runs on)."""
    return Settings(env="development", data_dir=data_dir, database_url=None)


async def turn_on_two_factor(data_dir: Path, username: str) -> None:
    """An authenticator app and a trusted device for the account, through the services."""
    settings = cli_settings(data_dir)
    crypto.configure(settings)  # this database's encryption keys (docs/decisions/0035)
    engine = make_async_engine(settings.resolved_database_url)
    try:
        async with make_sessionmaker(engine)() as db:
            user = await db.scalar(select(User).where(User.username_key == username))
            assert user is not None
            enrolment = await twofactor.start_totp_enrolment(db, user, settings)
            await twofactor.confirm_totp(db, user, pyotp.TOTP(enrolment.secret).now())
            await twofactor.trust_device(db, user, security.Origin("203.0.113.5", "Firefox"))
            await db.commit()
    finally:
        await engine.dispose()


async def state(data_dir: Path, username: str) -> tuple[twofactor.SecondFactors, list[SecurityEvent], int]:
    settings = cli_settings(data_dir)
    crypto.configure(settings)
    engine = make_async_engine(settings.resolved_database_url)
    try:
        async with make_sessionmaker(engine)() as db:
            user = await db.scalar(select(User).where(User.username_key == username))
            assert user is not None
            factors = await twofactor.second_factors(db, user.id)
            events = list(
                await db.scalars(
                    select(SecurityEvent)
                    .where(SecurityEvent.user_id == user.id)
                    .order_by(SecurityEvent.id.desc())
                )
            )
            devices = len(await twofactor.list_trusted_devices(db, user))
            return factors, events, devices
    finally:
        await engine.dispose()


@pytest.mark.slow
def test_the_operator_can_turn_two_factor_off_and_the_log_says_so(tmp_path):
    assert viewfinder(tmp_path, "migrate").returncode == 0
    made = viewfinder(
        tmp_path, "createuser", "ada", "--email", "ada@example.com", "--password-stdin", stdin=PASSWORD
    )
    assert made.returncode == 0, made.stderr
    asyncio.run(turn_on_two_factor(tmp_path, "ada"))

    declined = viewfinder(tmp_path, "disable-2fa", "ada", stdin="n\n")
    assert declined.returncode == 1
    assert asyncio.run(state(tmp_path, "ada"))[0].enabled

    done = viewfinder(tmp_path, "disable-2fa", "ada", "--yes")

    assert done.returncode == 0, done.stderr
    assert "Two-factor authentication of ada is off" in done.stdout
    factors, events, devices = asyncio.run(state(tmp_path, "ada"))
    assert not factors.enabled
    assert factors.recovery_codes_left == 0
    assert devices == 0
    assert events[0].kind == security.TWO_FACTOR_DISABLED
    assert events[0].detail == {"method": "all", "by": "operator", "passkeys_removed": 0}

    unknown = viewfinder(tmp_path, "disable-2fa", "nobody", "--yes")
    assert unknown.returncode == 1
    assert "no account named 'nobody'" in unknown.stderr


async def test_the_purge_removes_only_what_is_past_its_time(alice, db):
    user = await db.scalar(select(User).where(User.username_key == "alice"))
    fresh = twofactor.new_challenge(db, twofactor.PASSKEY_LOGIN, webauthn_challenge=b"x" * 32)
    old = twofactor.new_challenge(db, twofactor.PASSKEY_LOGIN, webauthn_challenge=b"y" * 32)
    old.challenge.expires_at = utcnow() - timedelta(seconds=1)
    await twofactor.trust_device(db, user, security.NO_ORIGIN)
    await twofactor.trust_device(db, user, security.NO_ORIGIN, now=utcnow() - timedelta(days=31))
    await db.commit()

    assert await twofactor.purge_expired_challenges(db) == 2

    assert list(await db.scalars(select(AuthChallenge.id))) == [fresh.challenge.id]
    assert len(list(await db.scalars(select(TrustedDevice.id)))) == 1

"""Two-factor authentication: authenticator-app codes (TOTP, pyotp), single-use recovery codes,
trusted devices, and the log-in's second step. Passkeys (WebAuthn) live in accounts.passkeys and
count as a second factor here. Every write to these tables goes through a function here or there.

- An account has two-factor on when it has a confirmed authenticator app or at least one passkey
  (`second_factors`). A right password then does not log in: `begin_second_step` makes a challenge
  (opaque, 5 minutes, single-use, bound to the account, dead after 5 wrong codes) that
  POST /accounts/login/two-factor finishes with a code, a recovery code or a passkey.
- Codes: 30-second steps, one step either side accepted, and each step once per account
  (`last_used_step`, moved by one conditional UPDATE, so two requests can never both use a code).
  Wrong codes count per account in the rate limiter (`CodeThrottle`), as wrong passwords do.
- Recovery codes: ten, shown once, stored as SHA-256, each usable once; made when the account's
  first second factor is turned on, and made anew on request (sudo mode).
- Trusted devices: a random token in an HttpOnly cookie, its SHA-256 stored per account with a
  stamp of the password in force. A new password (changed or reset by e-mail), any change of the
  second factors, or "Remove" in Settings ends the trust.
- Recovery never goes around the second factor: a password reset changes only the password, so
  the next log-in still asks for a code; nothing turns two-factor off but its owner (in sudo mode,
  with a code or recovery code, or by removing their last passkey) or an operator on the server
  (`viewfinder disable-2fa`, logged in the account's security log).

See docs/decisions/0033-two-factor-and-passkeys.md.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import re
import secrets
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pyotp
import segno
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from webauthn import generate_authentication_options, options_to_json
from webauthn.helpers import base64url_to_bytes
from webauthn.helpers.structs import (
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    UserVerificationRequirement,
)

from viewfinder.accounts import security
from viewfinder.accounts.models import (
    AuthChallenge,
    Passkey,
    RecoveryCode,
    TotpAuthenticator,
    TrustedDevice,
    User,
)
from viewfinder.accounts.security import NO_ORIGIN, Origin, commit_and_announce, record_security_event
from viewfinder.core import crypto
from viewfinder.core.db import utcnow
from viewfinder.core.errors import ApiError, invalid
from viewfinder.core.ids import new_id
from viewfinder.core.ratelimit import Limit, RateLimiter
from viewfinder.core.security import origin_of
from viewfinder.settings import Settings

TOTP_DIGITS = 6
TOTP_INTERVAL_SECONDS = 30
TOTP_DRIFT_STEPS = 1
"""Codes of the step before and after the current one are accepted too (clocks drift)."""
TOTP_ISSUER = "Viewfinder"

RECOVERY_CODE_COUNT = 10
RECOVERY_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
"""Lower-case letters and digits, without the look-alikes 0/o, 1/l/i."""
RECOVERY_CODE_LENGTH = 10
"""About 50 bits each: far beyond guessing at the rate codes are limited to."""

CHALLENGE_SECONDS = 5 * 60
CHALLENGE_MAX_FAILURES = 5
WEBAUTHN_TIMEOUT_MS = 5 * 60 * 1000

TRUSTED_DEVICE_COOKIE = "vf_trusted"
TRUSTED_DEVICE_DAYS = 30

CODE_FAILURE_LIMIT = 10
CODE_FAILURE_WINDOW_SECONDS = 15 * 60
"""Wrong codes (app or recovery) per account in a window, whatever the challenge or session."""
CODE_DAILY_FAILURE_LIMIT = 30
"""And per day: someone who has the password gets about one chance in 10,000 a day of guessing a code."""

# What an AuthChallenge is for.
LOGIN = "login"
PASSKEY_LOGIN = "passkey_login"
PASSKEY_REGISTRATION = "passkey_register"
PASSKEY_REAUTHENTICATION = "passkey_reauth"

# Methods of the second step, as the log-in's answer names them.
TOTP = "totp"
RECOVERY_CODE = "recovery_code"
PASSKEY = "passkey"


def _sha256(value: str | bytes) -> str:
    return hashlib.sha256(value.encode() if isinstance(value, str) else value).hexdigest()


# --- the TOTP secret: the one place it is sealed and read --------------------------------------------


def seal_totp_secret(secret: str, user_id: int) -> bytes:
    """What is stored for a TOTP secret: sealed under the `totp` data key and bound to the account, so
    it opens in no other row (core.crypto, docs/decisions/0035)."""
    return crypto.seal_text(crypto.TOTP, crypto.TOTP_SECRET.context(user_id), secret)


def totp_secret(authenticator: TotpAuthenticator) -> str:
    """The TOTP secret of an authenticator row: the only reader of `TotpAuthenticator.secret`."""
    context = crypto.TOTP_SECRET.context(authenticator.user_id)
    return crypto.open_text(crypto.TOTP, context, authenticator.secret)


# --- which second factors an account has -----------------------------------------------------------


@dataclass(frozen=True)
class SecondFactors:
    """An account's second factors: whether it has a confirmed app, how many passkeys, and how many
    unused recovery codes."""

    totp: bool
    passkeys: int
    recovery_codes_left: int

    @property
    def enabled(self) -> bool:
        return self.totp or self.passkeys > 0

    @property
    def methods(self) -> list[str]:
        """How the second step may be passed, in the order the log-in screen offers them."""
        methods = [TOTP] if self.totp else []
        if self.passkeys:
            methods.append(PASSKEY)
        if self.enabled and self.recovery_codes_left:
            methods.append(RECOVERY_CODE)
        return methods


async def second_factors(db: AsyncSession, user_id: int) -> SecondFactors:
    """The account's second factors, in one query."""
    totp = (
        select(func.count(TotpAuthenticator.id))
        .where(TotpAuthenticator.user_id == user_id, TotpAuthenticator.confirmed_at.is_not(None))
        .scalar_subquery()
    )
    passkeys = select(func.count(Passkey.id)).where(Passkey.user_id == user_id).scalar_subquery()
    codes = (
        select(func.count(RecoveryCode.id))
        .where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))
        .scalar_subquery()
    )
    row = (await db.execute(select(totp, passkeys, codes))).one()
    return SecondFactors(totp=bool(row[0]), passkeys=int(row[1]), recovery_codes_left=int(row[2]))


async def totp_pending(db: AsyncSession, user_id: int) -> bool:
    """Whether an authenticator app is being set up (its secret made, its first code not given)."""
    pending = await db.scalar(
        select(TotpAuthenticator.id).where(
            TotpAuthenticator.user_id == user_id, TotpAuthenticator.confirmed_at.is_(None)
        )
    )
    return pending is not None


# --- limits on codes -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CodeAttempt:
    """One code attempt that was let through; a right code gives its counts back."""

    limiter: RateLimiter
    keys: tuple[str, ...]

    async def succeeded(self) -> None:
        for key in self.keys:
            await self.limiter.refund(key)


class CodeThrottle:
    """Counts second-factor codes per account (app codes and recovery codes, at log-in, in sudo mode,
    when turning two-factor on or off), before they are checked: past CODE_FAILURE_LIMIT wrong ones
    in 15 minutes, or CODE_DAILY_FAILURE_LIMIT in a day, 429 with Retry-After. Right codes give their
    counts back, so it counts failures. Passkeys are not counted (they cannot be guessed)."""

    def __init__(self, limiter: RateLimiter) -> None:
        self.limiter = limiter

    async def reserve(self, user_id: int) -> CodeAttempt:
        limits = [
            Limit(f"two-factor:account:{user_id}", CODE_FAILURE_LIMIT, CODE_FAILURE_WINDOW_SECONDS),
            Limit(f"two-factor:account-day:{user_id}", CODE_DAILY_FAILURE_LIMIT, 24 * 3600),
        ]
        await self.limiter.reserve(limits)
        return CodeAttempt(self.limiter, tuple(limit.key for limit in limits))


# --- TOTP codes ------------------------------------------------------------------------------------


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_INTERVAL_SECONDS)


def normalise_code(code: str) -> str:
    """A code as typed ("123 456", "123-456") as its digits."""
    return re.sub(r"[\s-]", "", code)


def matching_step(secret: str, code: str, now: datetime | None = None) -> int | None:
    """The 30-second step (of the current one and one either side) whose code this is, or None."""
    code = normalise_code(code)
    if not re.fullmatch(rf"\d{{{TOTP_DIGITS}}}", code):
        return None
    totp = _totp(secret)
    current = totp.timecode(now or utcnow())
    for step in range(current - TOTP_DRIFT_STEPS, current + TOTP_DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


async def _use_step(db: AsyncSession, authenticator_id: int, step: int) -> bool:
    """Record that the code of `step` was used, unless it or a later one was (a replay): one
    conditional UPDATE, so of two requests with the same code only one gets through."""
    used = await db.execute(
        update(TotpAuthenticator)
        .where(
            TotpAuthenticator.id == authenticator_id,
            or_(TotpAuthenticator.last_used_step.is_(None), TotpAuthenticator.last_used_step < step),
        )
        .values(last_used_step=step)
        .execution_options(synchronize_session=False)
    )
    return int(used.rowcount) == 1  # type: ignore[attr-defined]


async def use_totp_code(db: AsyncSession, user_id: int, code: str, *, now: datetime | None = None) -> bool:
    """Whether the code is the account's confirmed app's, unused; using it (in the caller's
    transaction) refuses it and every older one from then on."""
    authenticator = await db.scalar(
        select(TotpAuthenticator).where(
            TotpAuthenticator.user_id == user_id, TotpAuthenticator.confirmed_at.is_not(None)
        )
    )
    if authenticator is None:
        return False
    step = matching_step(totp_secret(authenticator), code, now)
    return step is not None and await _use_step(db, authenticator.id, step)


# --- recovery codes --------------------------------------------------------------------------------


def new_recovery_code() -> str:
    letters = "".join(secrets.choice(RECOVERY_CODE_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
    return f"{letters[:5]}-{letters[5:]}"


def normalise_recovery_code(code: str) -> str:
    return re.sub(r"[\s-]", "", code).lower()


def recovery_code_hash(user_id: int, code: str) -> str:
    return _sha256(f"{user_id}:{normalise_recovery_code(code)}")


async def _replace_recovery_codes(db: AsyncSession, user_id: int) -> list[str]:
    """Ten new codes for the account, the old ones gone (not committed)."""
    await db.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    codes = [new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    now = utcnow()
    db.add_all(
        RecoveryCode(
            id=new_id(), user_id=user_id, code_hash=recovery_code_hash(user_id, code), created_at=now
        )
        for code in codes
    )
    return codes


async def use_recovery_code(db: AsyncSession, user_id: int, code: str) -> int | None:
    """Use one of the account's recovery codes (in the caller's transaction): how many are left,
    or None when it is not an unused code of the account."""
    if not 1 <= len(normalise_recovery_code(code)) <= 64:
        return None
    used = await db.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user_id,
            RecoveryCode.code_hash == recovery_code_hash(user_id, code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if int(used.rowcount) != 1:  # type: ignore[attr-defined]
        return None
    return (await second_factors(db, user_id)).recovery_codes_left


async def regenerate_recovery_codes(db: AsyncSession, user: User, origin: Origin = NO_ORIGIN) -> list[str]:
    """Ten new recovery codes, the old ones no longer valid (the caller checks sudo mode); 409
    `two_factor_off` when the account has no second factor to recover."""
    if not (await second_factors(db, user.id)).enabled:
        raise ApiError(409, "two_factor_off", "Turn on two-factor authentication first.")
    codes = await _replace_recovery_codes(db, user.id)
    await forget_trusted_devices(db, user.id)
    record_security_event(db, user.id, security.RECOVERY_CODES_REGENERATED, origin)
    await commit_and_announce(db)
    return codes


# --- turning the authenticator app on and off ------------------------------------------------------


@dataclass(frozen=True)
class TotpEnrolment:
    """A new secret waiting for its first code: for the app, as text, as a URI and as a QR code."""

    secret: str
    uri: str
    qr_svg: str


def qr_code_svg(text: str) -> str:
    """A standalone SVG of the QR code of `text` (an <img> can show it from a data: URL)."""
    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="svg", xmldecl=False, scale=5, border=2, svgclass=None)
    return out.getvalue().decode()


def account_label(user: User, settings: Settings) -> str:
    """How the authenticator app lists the account: its username at this instance's host."""
    host = urlsplit(settings.public_url).hostname or "viewfinder"
    return f"{user.username}@{host}"


async def start_totp_enrolment(db: AsyncSession, user: User, settings: Settings) -> TotpEnrolment:
    """A new secret for the account's authenticator app, off until `confirm_totp` gets a code of it
    (a pending one is replaced). 409 `already_enabled` when an app is on already."""
    authenticator = await db.scalar(select(TotpAuthenticator).where(TotpAuthenticator.user_id == user.id))
    if authenticator is not None and authenticator.confirmed_at is not None:
        raise ApiError(
            409, "already_enabled", "An authenticator app is already set up. Turn it off first to change it."
        )
    secret = pyotp.random_base32()
    if authenticator is None:
        db.add(TotpAuthenticator(id=new_id(), user_id=user.id, secret=seal_totp_secret(secret, user.id)))
    else:
        authenticator.secret = seal_totp_secret(secret, user.id)
        authenticator.last_used_step = None
        authenticator.created_at = utcnow()
    await db.commit()
    uri = _totp(secret).provisioning_uri(name=account_label(user, settings), issuer_name=TOTP_ISSUER)
    return TotpEnrolment(secret=secret, uri=uri, qr_svg=qr_code_svg(uri))


async def confirm_totp(
    db: AsyncSession, user: User, code: str, origin: Origin = NO_ORIGIN
) -> list[str] | None:
    """Turn the app on with its first code. Returns the account's new recovery codes when this is
    its first second factor (None when it had passkeys, and so codes, already). 400 `wrong_code`;
    409 `not_enrolling` without a pending secret. The caller checks sudo mode and counts the code."""
    authenticator = await db.scalar(select(TotpAuthenticator).where(TotpAuthenticator.user_id == user.id))
    if authenticator is None or authenticator.confirmed_at is not None:
        raise ApiError(409, "not_enrolling", "Start setting up the authenticator app first.")
    step = matching_step(totp_secret(authenticator), code)
    if step is None:
        detail = {"method": TOTP, "action": "confirm"}
        record_security_event(db, user.id, security.TWO_FACTOR_FAILED, origin, detail)
        await commit_and_announce(db)
        raise invalid("code", "That code is wrong. Enter the 6 digits your app shows now.", code="wrong_code")
    had = await second_factors(db, user.id)
    authenticator.confirmed_at = utcnow()
    authenticator.last_used_step = step
    codes = None if had.enabled and had.recovery_codes_left else await _replace_recovery_codes(db, user.id)
    await forget_trusted_devices(db, user.id)
    record_security_event(db, user.id, security.TWO_FACTOR_ENABLED, origin, {"method": TOTP})
    await commit_and_announce(db)
    return codes


async def disable_totp(
    db: AsyncSession,
    user: User,
    *,
    code: str | None = None,
    recovery_code: str | None = None,
    origin: Origin = NO_ORIGIN,
) -> SecondFactors:
    """Turn the authenticator app off, proven with one of its codes or a recovery code (the caller
    checks sudo mode and counts the code). Without passkeys left, two-factor is then off and the
    recovery codes go too. 409 `not_enabled`; 400 `wrong_code` on the field given."""
    factors = await second_factors(db, user.id)
    if not factors.totp:
        raise ApiError(409, "not_enabled", "No authenticator app is set up.")
    if code is not None:
        method, field_name, proven = TOTP, "code", await use_totp_code(db, user.id, code)
    elif recovery_code is not None:
        method, field_name = RECOVERY_CODE, "recovery_code"
        proven = await use_recovery_code(db, user.id, recovery_code) is not None
    else:
        raise invalid("code", "Enter a code from your app or a recovery code.")
    if not proven:  # a wrong code wrote nothing: its conditional UPDATE matched no row
        failure = {"method": method, "action": "disable"}
        record_security_event(db, user.id, security.TWO_FACTOR_FAILED, origin, failure)
        await commit_and_announce(db)
        raise invalid(field_name, "That code is wrong.", code="wrong_code")
    await db.execute(delete(TotpAuthenticator).where(TotpAuthenticator.user_id == user.id))
    if not factors.passkeys:
        await db.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    await forget_trusted_devices(db, user.id)
    detail = {"method": TOTP, "by": "owner", "still_on": bool(factors.passkeys)}
    record_security_event(db, user.id, security.TWO_FACTOR_DISABLED, origin, detail)
    await commit_and_announce(db)
    return await second_factors(db, user.id)


async def first_factor_codes(db: AsyncSession, user_id: int, had: SecondFactors) -> list[str] | None:
    """When a second factor is added: new recovery codes if it is the account's first (or no unused
    code was left), else None (the codes it has stay valid). Not committed."""
    if had.enabled and had.recovery_codes_left:
        return None
    return await _replace_recovery_codes(db, user_id)


async def factors_gone(db: AsyncSession, user_id: int) -> None:
    """The account has no second factor left: its recovery codes go (not committed)."""
    await db.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))


@dataclass(frozen=True)
class DisabledByOperator:
    totp: bool
    passkeys: int
    trusted_devices: int


async def disable_all_by_operator(db: AsyncSession, username: str) -> DisabledByOperator:
    """The operator's last resort (`viewfinder disable-2fa USER`) for an owner who lost every
    factor and every recovery code, once the operator has made sure it is them: removes the app,
    passkeys, recovery codes and trusted devices, and says so in the account's security log (which
    the owner sees, and is alerted of). 404 for an unknown account."""
    user = await db.scalar(select(User).where(User.username_key == username.lower()))
    if user is None:
        raise ApiError(404, "not_found", f"There is no account named {username!r}.")
    factors = await second_factors(db, user.id)
    await db.execute(delete(TotpAuthenticator).where(TotpAuthenticator.user_id == user.id))
    await db.execute(delete(Passkey).where(Passkey.user_id == user.id))
    await db.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    devices = await forget_trusted_devices(db, user.id)
    detail = {"method": "all", "by": "operator", "passkeys_removed": factors.passkeys}
    record_security_event(db, user.id, security.TWO_FACTOR_DISABLED, NO_ORIGIN, detail)
    await commit_and_announce(db)
    return DisabledByOperator(totp=factors.totp, passkeys=factors.passkeys, trusted_devices=devices)


@dataclass(frozen=True)
class TotpProof:
    """A code of the account's authenticator app, as proof for sudo mode (see
    services.ReauthenticationProof); using it spends it."""

    code: str = dataclass_field(repr=False)
    field: str = "totp_code"
    method: str = dataclass_field(default=TOTP, init=False)

    async def verify(self, db: AsyncSession, user: User) -> bool:
        return await use_totp_code(db, user.id, self.code)


# --- trusted devices -------------------------------------------------------------------------------


def password_stamp(user: User) -> str:
    """Changes whenever the password does (the hash has a fresh salt each time)."""
    return _sha256(user.password_hash)


async def trust_device(db: AsyncSession, user: User, origin: Origin, *, now: datetime | None = None) -> str:
    """Trust this browser for TRUSTED_DEVICE_DAYS: returns the cookie's token (not committed)."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    device = TrustedDevice(
        id=new_id(),
        user_id=user.id,
        token_hash=_sha256(token),
        password_stamp=password_stamp(user),
        user_agent=origin.user_agent[:300],
        ip_address=origin.ip_address[:64],
        expires_at=now + timedelta(days=TRUSTED_DEVICE_DAYS),
        created_at=now,
    )
    db.add(device)
    detail = {"device_id": str(device.id), "user_agent": device.user_agent}
    record_security_event(db, user.id, security.TRUSTED_DEVICE_ADDED, origin, detail)
    return token


def _live_devices(user: User) -> Any:
    return (
        TrustedDevice.user_id == user.id,
        TrustedDevice.expires_at > utcnow(),
        TrustedDevice.password_stamp == password_stamp(user),
    )


async def trusted_device(db: AsyncSession, user: User, token: str | None) -> TrustedDevice | None:
    """The account's live trusted device this cookie token names, if any."""
    if not token or len(token) > 200:
        return None
    device: TrustedDevice | None = await db.scalar(
        select(TrustedDevice).where(TrustedDevice.token_hash == _sha256(token), *_live_devices(user))
    )
    return device


async def list_trusted_devices(db: AsyncSession, user: User) -> list[TrustedDevice]:
    """The account's trusted devices still trusted, newest first."""
    found = await db.scalars(
        select(TrustedDevice).where(*_live_devices(user)).order_by(TrustedDevice.id.desc())
    )
    return list(found)


async def remove_trusted_device(
    db: AsyncSession, user: User, device_id: int, origin: Origin = NO_ORIGIN
) -> None:
    """Stop trusting one device: its next log-in asks for the second step again. 404 if not the
    account's."""
    removed = (
        await db.execute(
            delete(TrustedDevice)
            .where(TrustedDevice.id == device_id, TrustedDevice.user_id == user.id)
            .returning(TrustedDevice.user_agent)
        )
    ).first()
    if removed is None:
        raise ApiError(404, "not_found", "No such trusted device.")
    detail = {"device_id": str(device_id), "user_agent": removed.user_agent}
    record_security_event(db, user.id, security.TRUSTED_DEVICE_REMOVED, origin, detail)
    await commit_and_announce(db)


async def remove_all_trusted_devices(db: AsyncSession, user: User, origin: Origin = NO_ORIGIN) -> int:
    """Stop trusting every device of the account; returns how many were trusted."""
    count = len(await list_trusted_devices(db, user))
    await forget_trusted_devices(db, user.id)
    if count:
        detail = {"device_id": "all", "user_agent": "", "count": count}
        record_security_event(db, user.id, security.TRUSTED_DEVICE_REMOVED, origin, detail)
    await commit_and_announce(db)
    return count


async def forget_trusted_devices(db: AsyncSession, user_id: int) -> int:
    """Remove every trusted device of the account (not committed): after any change of its second
    factors, and on demand."""
    result = await db.execute(delete(TrustedDevice).where(TrustedDevice.user_id == user_id))
    return int(result.rowcount)  # type: ignore[attr-defined]


# --- challenges: the log-in's second step and WebAuthn ceremonies ---------------------------------


@dataclass(frozen=True)
class NewChallenge:
    token: str
    challenge: AuthChallenge


def new_challenge(
    db: AsyncSession,
    purpose: str,
    *,
    user_id: int | None = None,
    session_id: int | None = None,
    webauthn_challenge: bytes | None = None,
    cancel_deletion: bool = False,
) -> NewChallenge:
    """A challenge for CHALLENGE_SECONDS; the caller commits. Only the token's SHA-256 is stored."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    challenge = AuthChallenge(
        id=new_id(),
        token_hash=_sha256(token),
        purpose=purpose,
        user_id=user_id,
        session_id=session_id,
        webauthn_challenge=webauthn_challenge,
        failures=0,
        verified=False,
        cancel_deletion=cancel_deletion,
        expires_at=now + timedelta(seconds=CHALLENGE_SECONDS),
        created_at=now,
    )
    db.add(challenge)
    return NewChallenge(token, challenge)


async def find_challenge(db: AsyncSession, token: str, purpose: str) -> AuthChallenge | None:
    """The live challenge of this purpose the token names, or None."""
    if not token or len(token) > 200:
        return None
    challenge: AuthChallenge | None = await db.scalar(
        select(AuthChallenge).where(
            AuthChallenge.token_hash == _sha256(token),
            AuthChallenge.purpose == purpose,
            AuthChallenge.expires_at > utcnow(),
        )
    )
    return challenge


async def take_challenge(db: AsyncSession, challenge_id: int) -> bool:
    """Use the challenge up (in the caller's transaction): True for the one request that does."""
    taken = await db.execute(
        delete(AuthChallenge).where(AuthChallenge.id == challenge_id).returning(AuthChallenge.id)
    )
    return taken.first() is not None


async def purge_expired_challenges(db: AsyncSession, now: datetime | None = None) -> int:
    """Delete challenges and trusted devices past their time (hourly, accounts.tasks)."""
    now = now or utcnow()
    challenges = await db.execute(delete(AuthChallenge).where(AuthChallenge.expires_at <= now))
    devices = await db.execute(delete(TrustedDevice).where(TrustedDevice.expires_at <= now))
    await db.commit()
    return int(challenges.rowcount) + int(devices.rowcount)  # type: ignore[attr-defined]


# --- WebAuthn's relying party and request options (used here and by accounts.passkeys) ----------


@dataclass(frozen=True)
class RelyingParty:
    """Who passkeys are made for: this instance's host, as settings.public_url names it."""

    id: str
    origin: str
    name: str = TOTP_ISSUER


def relying_party(settings: Settings) -> RelyingParty:
    host = urlsplit(settings.public_url).hostname or "localhost"
    return RelyingParty(id=host, origin=origin_of(settings.public_url) or settings.public_url.rstrip("/"))


def request_options(
    settings: Settings, challenge: bytes, passkeys: list[Passkey], *, user_verification: bool
) -> dict[str, Any]:
    """PublicKeyCredentialRequestOptions as JSON (binary fields base64url) for
    navigator.credentials.get(): the given passkeys, or any discoverable one when none are given."""
    options = generate_authentication_options(
        rp_id=relying_party(settings).id,
        challenge=challenge,
        timeout=WEBAUTHN_TIMEOUT_MS,
        allow_credentials=[
            PublicKeyCredentialDescriptor(
                id=base64url_to_bytes(passkey.credential_id),
                transports=[AuthenticatorTransport(t) for t in passkey.transports if t in _TRANSPORTS],
            )
            for passkey in passkeys
        ],
        user_verification=(
            UserVerificationRequirement.REQUIRED
            if user_verification
            else UserVerificationRequirement.PREFERRED
        ),
    )
    parsed: dict[str, Any] = json.loads(options_to_json(options))
    return parsed


_TRANSPORTS = frozenset(t.value for t in AuthenticatorTransport)


def new_webauthn_challenge() -> bytes:
    return secrets.token_bytes(32)


# --- the log-in's second step ----------------------------------------------------------------------


@dataclass(frozen=True)
class SecondStep:
    """What a right password gets on an account with two-factor on, instead of a session."""

    challenge: str
    expires_at: datetime
    methods: list[str]
    passkey_options: dict[str, Any] | None


async def begin_second_step(
    db: AsyncSession,
    user: User,
    settings: Settings,
    *,
    trusted_device_token: str | None,
    cancel_deletion: bool = False,
) -> SecondStep | None:
    """After a right password: None when the log-in may go on (no second factor, or a trusted
    device of the account), else the second step's challenge (committed), with WebAuthn options
    for the account's passkeys when it has any."""
    factors = await second_factors(db, user.id)
    if not factors.enabled:
        return None
    device = await trusted_device(db, user, trusted_device_token)
    if device is not None:
        device.last_used_at = utcnow()
        await db.commit()
        return None
    passkeys: list[Passkey] = []
    if factors.passkeys:
        passkeys = list(await db.scalars(select(Passkey).where(Passkey.user_id == user.id)))
    webauthn_challenge = new_webauthn_challenge() if passkeys else None
    new = new_challenge(
        db, LOGIN, user_id=user.id, webauthn_challenge=webauthn_challenge, cancel_deletion=cancel_deletion
    )
    await db.commit()
    return SecondStep(
        challenge=new.token,
        expires_at=new.challenge.expires_at,
        methods=factors.methods,
        passkey_options=(
            request_options(settings, webauthn_challenge, passkeys, user_verification=False)
            if webauthn_challenge is not None
            else None
        ),
    )


async def second_step_failed(
    db: AsyncSession,
    challenge: AuthChallenge,
    method: str,
    origin: Origin = NO_ORIGIN,
    *,
    reason: str | None = None,
) -> bool:
    """Count a wrong second factor on the challenge and log it; True when that was its last try
    (the challenge is gone: the log-in starts again from the password)."""
    failures = (
        await db.execute(
            update(AuthChallenge)
            .where(AuthChallenge.id == challenge.id)
            .values(failures=AuthChallenge.failures + 1)
            .returning(AuthChallenge.failures)
            .execution_options(synchronize_session=False)
        )
    ).scalar()
    dead = failures is None or failures >= CHALLENGE_MAX_FAILURES
    if dead:
        await db.execute(delete(AuthChallenge).where(AuthChallenge.id == challenge.id))
    assert challenge.user_id is not None
    detail: dict[str, Any] = {"method": method, "action": "login"}
    if reason:
        detail["reason"] = reason
    record_security_event(db, challenge.user_id, security.TWO_FACTOR_FAILED, origin, detail)
    await commit_and_announce(db)
    return dead


async def second_step_passed(
    db: AsyncSession, challenge: AuthChallenge, method: str, origin: Origin, *, remaining: int | None
) -> None:
    """The second factor was right: the challenge remembers it (a log-in refused after it, for an
    account scheduled for deletion, may be sent again without a new code), committed with the
    use of the code."""
    await db.execute(
        update(AuthChallenge)
        .where(AuthChallenge.id == challenge.id)
        .values(verified=True)
        .execution_options(synchronize_session=False)
    )
    challenge.verified = True
    assert challenge.user_id is not None
    if method == RECOVERY_CODE:
        detail = {"remaining": remaining or 0}
        record_security_event(db, challenge.user_id, security.RECOVERY_CODE_USED, origin, detail)
    await commit_and_announce(db)

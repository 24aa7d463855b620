"""An account's standing with the instance's staff, as a log-in meets it: a banned account is refused
(403 `account_banned`), a suspended one too until its suspension ends (403 `account_suspended`, naming
the date), and a suspension whose end has passed is lifted there and then, whether or not the
periodic sweep (moderation.enforcement.lift_expired_suspensions) got to it first.

The staff actions that set these states are viewfinder.moderation.enforcement's; this module is the
part the accounts domain needs without importing moderation (docs/decisions/0052).

A sanctioned account cannot log in, but may see its strikes and appeal them with a *standing
token* (docs/decisions/0055): a short-lived credential signed with the instance's secret key, bound
to the account, its password and the sanction in force, and accepted only by the standing
endpoints (viewfinder.moderation.standing_api). It dies when the sanction ends or changes, when the
password changes, and after STANDING_TOKEN_MINUTES; nothing is stored.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from viewfinder.accounts.models import User
from viewfinder.core.db import utcnow
from viewfinder.core.errors import ApiError
from viewfinder.privacy.models import AccountClosure


def under_sanction() -> ColumnElement[bool]:
    """A condition on User: staff banned or suspended it (the log-in look-ups find such an account,
    so that the right password is answered with why it cannot log in, not "wrong password")."""
    return or_(User.banned, User.suspended_until.is_not(None))


def suspended_now(user: User, now: datetime | None = None) -> bool:
    return user.suspended_until is not None and user.suspended_until > (now or utcnow())


async def reactivate_if_clear(db: AsyncSession, user: User, now: datetime | None = None) -> None:
    """Make the account active again when nothing keeps it hidden any more: not banned, no
    suspension running, and not closed by its owner (a deactivated account stays closed until its
    owner logs in: privacy.services.reopen_on_login). No commit."""
    if user.banned or suspended_now(user, now):
        return
    closed = await db.scalar(select(AccountClosure.user_id).where(AccountClosure.user_id == user.id))
    if closed is None:
        user.is_active = True


async def lift_suspension(db: AsyncSession, user: User, now: datetime | None = None) -> bool:
    """End the account's suspension if its time has passed (reactivating it unless something else
    keeps it hidden); True when it did. No commit."""
    if user.suspended_until is None or suspended_now(user, now):
        return False
    user.suspended_until = None
    await reactivate_if_clear(db, user, now)
    return True


def suspended_error(until: datetime) -> ApiError:
    return ApiError(
        403,
        "account_suspended",
        f"This account is suspended until {until:%d %B %Y, %H:%M} UTC.",
        {"suspended_until": until.isoformat()},
    )


async def check_standing(db: AsyncSession, user: User, now: datetime | None = None) -> None:
    """Called by every log-in once the credentials are proven: 403 `account_banned` or
    `account_suspended` (fields.suspended_until: when it ends); an expired suspension is lifted
    (committed) and the log-in goes on."""
    if user.banned:
        raise ApiError(403, "account_banned", "This account has been banned from this instance.")
    if user.suspended_until is None:
        return
    if suspended_now(user, now):
        raise suspended_error(user.suspended_until)
    if await lift_suspension(db, user, now):
        await db.commit()


# --- the standing token ------------------------------------------------------------------------------

STANDING_TOKEN_PREFIX = "vfs_"  # noqa: S105 (a marker, not a secret)
STANDING_TOKEN_MINUTES = 30
_TOKEN = re.compile(r"vfs_(\d{1,20})_(\d{1,12})_([A-Za-z0-9_-]{43})")


def sanction_in_force(user: User, now: datetime | None = None) -> str | None:
    """What keeps the account from logging in now: "banned", "suspended", or None."""
    if user.banned:
        return "banned"
    if suspended_now(user, now):
        return "suspended"
    return None


def _signature(secret: str, user: User, expires: int) -> str:
    """Binds the token to the account, its expiry, the sanction in force (the ban, or the
    suspension's end: a new or lifted sanction voids it) and the password (the hash has a fresh
    salt each time), under a key of its own derived from the instance's secret key."""
    key = hmac.new(secret.encode(), b"viewfinder standing token", hashlib.sha256).digest()
    sanction = "banned" if user.banned else (user.suspended_until.isoformat() if user.suspended_until else "")
    payload = f"{user.id}|{expires}|{sanction}|{user.password_hash}".encode()
    digest = hmac.new(key, payload, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


@dataclass(frozen=True)
class StandingToken:
    token: str
    expires_at: datetime


def issue_standing_token(secret: str, user: User, now: datetime | None = None) -> StandingToken:
    """A standing token for a sanctioned account whose credentials were proven (the caller checks
    both)."""
    expires_at = (now or utcnow()).replace(microsecond=0) + timedelta(minutes=STANDING_TOKEN_MINUTES)
    expires = int(expires_at.timestamp())
    token = f"{STANDING_TOKEN_PREFIX}{user.id}_{expires}_{_signature(secret, user, expires)}"
    return StandingToken(token, expires_at)


async def standing_account(
    db: AsyncSession, secret: str, token: str, now: datetime | None = None
) -> User | None:
    """The sanctioned account a standing token names, or None: a malformed, forged or expired
    token, or one whose sanction has since ended or changed (one primary-key query)."""
    found = _TOKEN.fullmatch(token)
    if found is None:
        return None
    user_id, expires, signature = int(found[1]), int(found[2]), found[3]
    now = now or utcnow()
    if user_id >= 2**63 or datetime.fromtimestamp(expires, UTC) <= now:  # past a BIGINT: no account
        return None
    user = await db.get(User, user_id)
    if user is None or sanction_in_force(user, now) is None:
        return None
    if not hmac.compare_digest(signature, _signature(secret, user, expires)):
        return None
    return user

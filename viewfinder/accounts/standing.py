"""An account's standing with the instance's staff, as a log-in meets it: a banned account is refused
(403 `account_banned`), a suspended one too until its suspension ends (403 `account_suspended`, naming
the date), and a suspension whose end has passed is lifted there and then, whether or not the
periodic sweep (moderation.enforcement.lift_expired_suspensions) got to it first.

The staff actions that set these states are viewfinder.moderation.enforcement's; this module is the
part the accounts domain needs without importing moderation (docs/decisions/0052).
"""

from __future__ import annotations

from datetime import datetime

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

"""A banned or suspended account's way to its strikes and appeals (docs/decisions/0055).

Log-in stays refused to such an account, so it proves its credentials here instead — the log-in's
own checks: the password throttle and one 401 for a wrong password or an unknown name
(accounts.services.prove_password), then its second factor when it has one (the app's code or a
recovery code, counted by the same per-account code limit; a browser the account trusts skips it,
as at log-in) — and gets a standing token (accounts.standing): good for 30 minutes, for the standing
endpoints only, and void as soon as the sanction ends or changes. An account in good standing gets
409 `account_in_good_standing`: it should log in.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from viewfinder.accounts import security, twofactor
from viewfinder.accounts.models import User
from viewfinder.accounts.security import Origin, commit_and_announce, record_security_event
from viewfinder.accounts.services import prove_password
from viewfinder.accounts.standing import (
    StandingToken,
    issue_standing_token,
    lift_suspension,
    sanction_in_force,
    standing_account,
)
from viewfinder.accounts.throttle import PasswordThrottle
from viewfinder.core.errors import ApiError, invalid
from viewfinder.core.ratelimit import RateLimiter
from viewfinder.settings import Settings

ACTION = "standing"
"""The security log's `action` of a second factor given here."""


def bad_token() -> ApiError:
    return ApiError(
        401,
        "invalid_standing_token",
        "This standing token is not valid, has expired, or the account's sanction has ended: "
        "log in, or ask for a new one.",
    )


async def _prove_second_factor(
    db: AsyncSession,
    limiter: RateLimiter,
    user: User,
    code: str | None,
    trusted_device_token: str | None,
    origin: Origin,
) -> None:
    """The account's second factor, when it has one and this browser is not one it trusts: a code
    of its app or one of its recovery codes (each used up), within the account's code limit."""
    factors = await twofactor.second_factors(db, user.id)
    if not factors.enabled or await twofactor.trusted_device(db, user, trusted_device_token) is not None:
        return
    if code is None:
        raise ApiError(
            401,
            "two_factor_required",
            "Enter a code from your authenticator app, or a recovery code.",
            {"code": "required"},
        )
    attempt = await twofactor.CodeThrottle(limiter).reserve(user.id)
    remaining: int | None = None
    method = twofactor.TOTP
    proven = await twofactor.use_totp_code(db, user.id, code)
    if not proven:
        remaining = await twofactor.use_recovery_code(db, user.id, code)
        proven = remaining is not None
        method = twofactor.RECOVERY_CODE if proven else method
    if not proven:
        detail = {"method": method, "action": ACTION}
        record_security_event(db, user.id, security.TWO_FACTOR_FAILED, origin, detail)
        await commit_and_announce(db)
        raise invalid("code", "That code is wrong. Check it and try again.", code="wrong_code")
    await attempt.succeeded()
    if method == twofactor.RECOVERY_CODE:
        record_security_event(db, user.id, security.RECOVERY_CODE_USED, origin, {"remaining": remaining or 0})
    await commit_and_announce(db)


async def issue_token(
    db: AsyncSession,
    settings: Settings,
    limiter: RateLimiter,
    login: str,
    password: str,
    code: str | None,
    *,
    trusted_device_token: str | None,
    origin: Origin,
) -> StandingToken:
    """A standing token for a banned or suspended account whose credentials are right; commits
    (a suspension whose end has passed is lifted, and answered 409 like any account in good
    standing)."""
    user = await prove_password(db, PasswordThrottle(limiter, settings), login, password, origin)
    if await lift_suspension(db, user):
        await db.commit()
    if sanction_in_force(user) is None:
        raise ApiError(
            409,
            "account_in_good_standing",
            "This account is not banned or suspended: log in as usual.",
        )
    await _prove_second_factor(db, limiter, user, code, trusted_device_token, origin)
    return issue_standing_token(settings.secret, user)


async def token_account(db: AsyncSession, settings: Settings, authorization: str | None) -> User:
    """The sanctioned account of the request's `Authorization: Bearer <standing token>`; anything
    else (no header, a session's or API token's credential, an expired or voided token) is 401
    `invalid_standing_token`."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer":
        raise bad_token()
    user = await standing_account(db, settings.secret, token.strip())
    if user is None:
        raise bad_token()
    return user

"""Password reset by email: every write of it goes through a function here.

Asking (`POST /accounts/password/reset {login}`) looks nothing up in the request: it counts the
asking address against a limit and queues `send_reset_link` with the login as typed, then answers
the same 202 whatever the login names, so neither the answer nor its timing tells whether an
account exists. The job finds the account as a log-in would (accounts.services.find_login_account),
sends a link only to an address that may receive the account's mail (email_tokens.reachable_address)
and at most `password_reset_limit_per_account` an hour, counted in the database.

The link is single-use and valid `password_reset_minutes`; only its SHA-256 is stored, with a stamp
of the password in force, so any new password (reset or changed) voids every outstanding link, and
using one voids the others. Opening it sets the new password, ends every session and API token,
and records `password_reset` (whose alert goes to the account's address). Two-factor
authentication stays as it was: the next log-in still asks for the second step.
See docs/decisions/0034-email.md.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from viewfinder.accounts import email_messages, passwords, security
from viewfinder.accounts.authcache import drop_after_commit
from viewfinder.accounts.email_tokens import (
    Purpose,
    find_token,
    invalid_link,
    new_token,
    password_stamp,
    reachable_address,
    same_address,
    tokens_sent_since,
    use_token,
    verified_elsewhere,
    void_tokens,
)
from viewfinder.accounts.models import ApiToken, User, UserSession
from viewfinder.accounts.security import NO_ORIGIN, Origin, commit_and_announce, record_security_event
from viewfinder.core.db import utcnow
from viewfinder.core.errors import invalid
from viewfinder.core.mail import mailer
from viewfinder.settings import Settings

RESET_LIMIT_WINDOW = timedelta(hours=1)


async def send_reset_link(db: AsyncSession, settings: Settings, login: str, origin: Origin) -> bool:
    """The job behind a reset request: mail a link to the account `login` names, if there is one and
    it may have one now; returns whether a link was sent. Says nothing to the asker either way."""
    from viewfinder.accounts.services import find_login_account

    if not settings.mail_configured:
        return False
    user = await find_login_account(db, login)
    if user is None:
        return False
    to = await reachable_address(db, user)
    if to is None:
        return False
    since = utcnow() - RESET_LIMIT_WINDOW
    if (
        await tokens_sent_since(db, user.id, Purpose.RESET_PASSWORD, since)
        >= settings.password_reset_limit_per_account
    ):
        return False
    token = new_token(
        db, user, Purpose.RESET_PASSWORD, to, timedelta(minutes=settings.password_reset_minutes)
    )
    event = record_security_event(db, user.id, security.PASSWORD_RESET_REQUESTED, origin)
    await commit_and_announce(db)
    message = email_messages.password_reset(
        settings,
        user,
        token,
        ip_address=origin.ip_address,
        user_agent=origin.user_agent,
        when=event.created_at,
    )
    await mailer(settings).send(message)
    return True


async def reset_password(
    db: AsyncSession, secret: str, new_password: str, origin: Origin = NO_ORIGIN
) -> User:
    """Open a reset link: set the new password, end every session and API token of the account and
    void its other reset links. A weak password is refused before the link is used up."""
    token = await find_token(db, secret, {Purpose.RESET_PASSWORD})
    user = await db.get(User, token.user_id) if token else None
    if token is None or user is None or token.password_stamp != password_stamp(user):
        raise invalid_link()
    if problem := await passwords.password_problem_off_loop(
        new_password, username=user.username, email=user.email
    ):
        raise invalid("new_password", problem)
    await use_token(db, token)
    user.password_hash = await passwords.hash_password_off_loop(new_password)
    await void_tokens(db, user.id, {Purpose.RESET_PASSWORD})
    sessions_ended = (await db.execute(delete(UserSession).where(UserSession.user_id == user.id))).rowcount  # type: ignore[attr-defined]
    tokens_revoked = (await db.execute(delete(ApiToken).where(ApiToken.user_id == user.id))).rowcount  # type: ignore[attr-defined]
    drop_after_commit(db, user.id)  # the ended sessions' and tokens' cached look-ups
    detail = {"sessions_ended": int(sessions_ended), "tokens_revoked": int(tokens_revoked)}
    record_security_event(db, user.id, security.PASSWORD_RESET, origin, detail)
    # The link reached the account's address: that proves the address, unless another account has it.
    if (
        user.email_verified_at is None
        and same_address(token.email, user.email)
        and not await verified_elsewhere(db, user.email, user.id)
    ):
        user.email_verified_at = utcnow()
        record_security_event(db, user.id, security.EMAIL_VERIFIED, origin, {"email": user.email})
    await commit_and_announce(db)
    return user

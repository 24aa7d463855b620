"""Every write about an account's email address goes through a function here: confirming it,
changing it (a link to the new address; the change happens when it is opened), and undoing a change
from the old address. The sending side — making a link's token and mailing it — is here too, run
by the jobs of accounts.email_tasks after the request that asked for it committed.

Rules (docs/decisions/0034-email.md):
- an address is an account's for good once verified; before that, several accounts may have typed
  it, and sign-up does not say whether it is taken. An address another account verified is never
  sent a verification link for a second account; its owner is told someone tried instead;
- uniqueness is checked when a link is opened (the unique index on verified addresses settles races);
- a change needs "sudo mode" (accounts.auth.require_recent_authentication); the old address, when
  it was verified, hears of the change with a link that takes the address back, sets a new password
  and logs every session out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from viewfinder.accounts import email_messages, passwords, security
from viewfinder.accounts.authcache import drop_after_commit
from viewfinder.accounts.email_tokens import (
    REVERT_LIFETIME,
    Purpose,
    email_key,
    find_token,
    invalid_link,
    new_token,
    same_address,
    use_token,
    verified_elsewhere,
    void_tokens,
)
from viewfinder.accounts.models import ApiToken, SecurityEvent, User, UserSession
from viewfinder.accounts.security import NO_ORIGIN, Origin, commit_and_announce, record_security_event
from viewfinder.accounts.services import normalise_email
from viewfinder.core.db import utcnow
from viewfinder.core.errors import ApiError, invalid
from viewfinder.core.mail import mailer
from viewfinder.settings import Settings


def address_taken() -> ApiError:
    return ApiError(
        409,
        "email_taken",
        "Another account has confirmed this address since the link was sent.",
        {"email": "Another account uses this address."},
    )


async def _fail(db: AsyncSession, error: ApiError) -> ApiError:
    await db.rollback()
    security.forget_unannounced(db)
    return error


async def _commit(db: AsyncSession) -> None:
    """Commit; a concurrent verification of the same address (the unique index) is 409."""
    try:
        await commit_and_announce(db)
    except IntegrityError as exc:
        raise await _fail(db, address_taken()) from exc


# --- opening links -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AddressConfirmed:
    user: User
    changed: bool
    """The link changed the account's address (else it confirmed the one it had)."""


async def confirm_address(db: AsyncSession, secret: str, origin: Origin = NO_ORIGIN) -> AddressConfirmed:
    """Open a verification or change link: the address becomes the account's, verified."""
    token = await find_token(db, secret, {Purpose.VERIFY_EMAIL, Purpose.CHANGE_EMAIL})
    user = await db.get(User, token.user_id) if token else None
    if token is None or user is None:
        raise invalid_link()
    changing = token.purpose is Purpose.CHANGE_EMAIL
    if not changing and not same_address(user.email, token.email):
        raise invalid_link()  # the account's address changed since this link was sent
    if changing and same_address(user.email, token.email) and user.email_verified_at is not None:
        raise invalid_link()  # already done
    if await verified_elsewhere(db, token.email, user.id):
        raise address_taken()
    await use_token(db, token)
    old_email, was_verified = user.email, user.email_verified_at is not None
    now = utcnow()
    if changing:
        user.email = token.email
        user.email_key = email_key(token.email)
        # Links sent for the old address (a reset, its verification) concern an address it no longer has.
        await void_tokens(db, user.id, {Purpose.VERIFY_EMAIL, Purpose.CHANGE_EMAIL, Purpose.RESET_PASSWORD})
        detail = {"old_email": old_email, "new_email": user.email, "old_verified": was_verified}
        record_security_event(db, user.id, security.EMAIL_CHANGED, origin, detail)
    else:
        await void_tokens(db, user.id, {Purpose.VERIFY_EMAIL})
        record_security_event(db, user.id, security.EMAIL_VERIFIED, origin, {"email": user.email})
    user.email_verified_at = now
    await _commit(db)
    return AddressConfirmed(user, changed=changing)


async def revert_email_change(
    db: AsyncSession, secret: str, new_password: str, origin: Origin = NO_ORIGIN
) -> User:
    """Open the old address's link after a change: the account takes that address back (verified),
    gets this new password, and every session and API token ends (whoever changed it is out)."""
    token = await find_token(db, secret, {Purpose.REVERT_EMAIL})
    user = await db.get(User, token.user_id) if token else None
    if token is None or user is None:
        raise invalid_link()
    if problem := await passwords.password_problem_off_loop(
        new_password, username=user.username, email=token.email
    ):
        raise invalid("new_password", problem)
    if await verified_elsewhere(db, token.email, user.id):
        raise address_taken()
    await use_token(db, token)
    user.email = token.email
    user.email_key = email_key(token.email)
    user.email_verified_at = utcnow()
    user.password_hash = await passwords.hash_password_off_loop(new_password)
    await void_tokens(db, user.id, set(Purpose))
    sessions_ended = (await db.execute(delete(UserSession).where(UserSession.user_id == user.id))).rowcount  # type: ignore[attr-defined]
    tokens_revoked = (await db.execute(delete(ApiToken).where(ApiToken.user_id == user.id))).rowcount  # type: ignore[attr-defined]
    drop_after_commit(db, user.id)  # the ended sessions' and tokens' cached look-ups
    detail = {
        "email": user.email,
        "sessions_ended": int(sessions_ended),
        "tokens_revoked": int(tokens_revoked),
    }
    record_security_event(db, user.id, security.EMAIL_CHANGE_REVERTED, origin, detail)
    await _commit(db)
    return user


# --- asking ------------------------------------------------------------------------------------------


async def request_email_change(
    db: AsyncSession, user: User, new_email: str, origin: Origin = NO_ORIGIN
) -> str:
    """Ask to change the account's address (the caller checked sudo mode): logged, and a link goes to
    the new address after the commit (accounts.email_tasks). Whether another account has the address
    is not said here (it is checked when the link is opened). Returns the normalised address."""
    new_email = normalise_email(new_email)
    if same_address(new_email, user.email):
        raise invalid("email", "This is already your email address.", code="same_email")
    record_security_event(db, user.id, security.EMAIL_CHANGE_REQUESTED, origin, {"new_email": new_email})
    await commit_and_announce(db)
    return new_email


def already_verified() -> ApiError:
    return ApiError(409, "already_verified", "Your email address is already confirmed.")


# --- sending (run by accounts.email_tasks) -------------------------------------------------------------


async def send_verification(db: AsyncSession, settings: Settings, user_id: int, *, at_signup: bool) -> None:
    """Mail the account a link confirming its address — unless another account verified that
    address: then, at sign-up, its owner is told someone tried (a resend sends nothing)."""
    user = await db.get(User, user_id)
    if user is None or user.email_verified_at is not None:
        return
    if await verified_elsewhere(db, user.email, user.id):
        if at_signup:
            await mailer(settings).send(
                email_messages.address_already_used_at_signup(settings, user.email, user.username)
            )
        return
    lifetime = timedelta(hours=settings.email_verification_hours)
    token = new_token(db, user, Purpose.VERIFY_EMAIL, user.email, lifetime)
    await db.commit()
    await mailer(settings).send(email_messages.verify_address(settings, user, token))


async def send_change_link(db: AsyncSession, settings: Settings, event_id: int) -> None:
    """Mail the new address of an email change its link (or, when another account verified that
    address, tell its owner that someone tried)."""
    event = await db.get(SecurityEvent, event_id)
    user = await db.get(User, event.user_id) if event else None
    if event is None or user is None:
        return
    new_email = str(event.detail.get("new_email", ""))
    if not new_email or same_address(new_email, user.email):
        return
    if await verified_elsewhere(db, new_email, user.id):
        await mailer(settings).send(email_messages.address_already_used_for_change(settings, new_email))
        return
    lifetime = timedelta(hours=settings.email_verification_hours)
    token = new_token(db, user, Purpose.CHANGE_EMAIL, new_email, lifetime)
    await db.commit()
    await mailer(settings).send(email_messages.confirm_new_address(settings, user, new_email, token))


async def send_change_notice(db: AsyncSession, settings: Settings, event_id: int) -> None:
    """Tell the old address of a change, with the link that undoes it — only when that address was
    verified: an address never proven to be the owner's must not be able to take the account."""
    event = await db.get(SecurityEvent, event_id)
    user = await db.get(User, event.user_id) if event else None
    if event is None or user is None or event.detail.get("old_verified") is not True:
        return
    old_email = str(event.detail.get("old_email", ""))
    if not old_email:
        return
    token = new_token(db, user, Purpose.REVERT_EMAIL, old_email, REVERT_LIFETIME)
    await db.commit()
    await mailer(settings).send(email_messages.email_changed(settings, user, event, old_email, token))

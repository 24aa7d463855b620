"""The accounts' email jobs, and the one hook that starts them: the security log.

`on_security_event` hands every committed security event to `announce`, which queues, by the
event's kind:
- account_created: the address's verification link (or, if another account verified that address,
  a word to its owner);
- email_change_requested: the link to the new address; email_changed: the notice to the old one;
- the alert kinds of email_messages.ALERT_KINDS (a log-in from a new device, password changed or
  reset, API token created, two-factor and passkey changes — kinds other modules record reach their
  alert here, with no code of theirs): an alert to the account's address.

Each job carries only ids and the login as typed, never a link's token: the job makes the token
and mails it. A delivery that fails raises, and Huey retries it with a growing delay
(core.mail.MAIL_RETRIES). Nothing is queued when no SMTP server is set.
"""

from __future__ import annotations

import logging

from huey import crontab
from sqlalchemy.ext.asyncio import AsyncSession

from viewfinder.accounts import email_messages, email_tokens, email_verification, recovery, security
from viewfinder.accounts.models import SecurityEvent, User
from viewfinder.accounts.security import Origin
from viewfinder.core.jobs import current_settings, enqueue, huey, run_with_db
from viewfinder.core.mail import MAIL_RETRIES, mailer

logger = logging.getLogger("viewfinder.accounts.email")

RETRY_DELAY_SECONDS = 30
"""The first retry of a failed delivery waits this long; each next one twice as long."""


@huey.task(retries=MAIL_RETRIES, retry_delay=RETRY_DELAY_SECONDS, retry_backoff=2)  # type: ignore[untyped-decorator]
def send_verification_email(user_id: int, at_signup: bool) -> None:
    """Mail an account the link that confirms its address."""
    settings = current_settings()
    run_with_db(lambda db: email_verification.send_verification(db, settings, user_id, at_signup=at_signup))


@huey.task(retries=MAIL_RETRIES, retry_delay=RETRY_DELAY_SECONDS, retry_backoff=2)  # type: ignore[untyped-decorator]
def send_email_change_link(event_id: int) -> None:
    """Mail the new address of an email change the link that makes it the account's."""
    settings = current_settings()
    run_with_db(lambda db: email_verification.send_change_link(db, settings, event_id))


@huey.task(retries=MAIL_RETRIES, retry_delay=RETRY_DELAY_SECONDS, retry_backoff=2)  # type: ignore[untyped-decorator]
def send_email_change_notice(event_id: int) -> None:
    """Tell the old address of an email change, with the link that undoes it."""
    settings = current_settings()
    run_with_db(lambda db: email_verification.send_change_notice(db, settings, event_id))


@huey.task(retries=MAIL_RETRIES, retry_delay=RETRY_DELAY_SECONDS, retry_backoff=2)  # type: ignore[untyped-decorator]
def send_password_reset_link(login: str, ip_address: str, user_agent: str) -> None:
    """Mail a reset link to the account a reset request named, if any (see accounts.recovery)."""
    settings = current_settings()
    origin = Origin(ip_address=ip_address, user_agent=user_agent)
    run_with_db(lambda db: recovery.send_reset_link(db, settings, login, origin))


@huey.task(retries=MAIL_RETRIES, retry_delay=RETRY_DELAY_SECONDS, retry_backoff=2)  # type: ignore[untyped-decorator]
def send_security_alert(event_id: int) -> None:
    """Mail the account's address an alert about one event of its security log."""
    settings = current_settings()

    async def send(db: AsyncSession) -> None:
        event = await db.get(SecurityEvent, event_id)
        user = await db.get(User, event.user_id) if event else None
        if event is None or user is None:
            return
        to = await email_tokens.reachable_address(db, user)
        message = email_messages.security_alert(settings, user, event, to) if to else None
        if message is not None:
            await mailer(settings).send(message)

    run_with_db(send)


@huey.periodic_task(crontab(minute="41", hour="4"))  # type: ignore[untyped-decorator]  # Huey is untyped
def purge_expired_email_tokens() -> int:
    """Delete emailed links a day past their expiry, daily."""
    return run_with_db(email_tokens.purge_expired_tokens)


async def announce(event: SecurityEvent) -> None:
    """Queue the email an event calls for, if any (a security-log listener: after the commit)."""
    if not current_settings().mail_configured:
        return
    kind = event.kind
    if kind == security.ACCOUNT_CREATED:
        await enqueue(send_verification_email, event.user_id, True)
    elif kind == security.EMAIL_CHANGE_REQUESTED:
        await enqueue(send_email_change_link, event.id)
    elif kind == security.EMAIL_CHANGED:
        await enqueue(send_email_change_notice, event.id)
    elif kind in email_messages.ALERT_KINDS:
        if kind == security.LOGIN_SUCCEEDED and event.detail.get("new_device") is not True:
            return
        await enqueue(send_security_alert, event.id)


async def request_verification_email(user: User) -> None:
    """Queue the verification link again (the caller checked the limit and that it is unverified)."""
    if current_settings().mail_configured:
        await enqueue(send_verification_email, user.id, False)


async def request_password_reset(login: str, origin: Origin) -> None:
    """Queue a reset link for whatever account `login` names: the same work whether or not it exists."""
    await enqueue(send_password_reset_link, login, origin.ip_address, origin.user_agent)


security.on_security_event(announce)

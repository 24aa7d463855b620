"""Each account's security log: log-ins, log-outs, password changes, tokens, re-authentication.

Every row of `security_events` is written by `record_security_event`, inside the caller's
transaction, so an event exists exactly when what it describes was committed. After that commit,
`commit_and_announce` hands each new event to the listeners registered with
`on_security_event` — the one place to hang reactions such as e-mail alerts ("a new device logged
in to your account"). A listener runs after the commit, once per event, in the process that made
it; one that fails is logged and does not undo or hide the action. Listeners that do slow work
(sending mail) should enqueue a job with the event's id rather than do it inline.

The log is kept `security_event_retention_days` (a year); `purge_old_security_events` runs daily.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from viewfinder.accounts.models import SecurityEvent
from viewfinder.core import crypto
from viewfinder.core.db import utcnow
from viewfinder.core.ids import new_id

logger = logging.getLogger("viewfinder.accounts.security")

ACCOUNT_CREATED = "account_created"
LOGIN_SUCCEEDED = "login_succeeded"
"""detail: {"new_device": bool} — true when this user agent and address pair was not seen logging
in to the account in the last NEW_DEVICE_DAYS days."""
LOGIN_FAILED = "login_failed"
"""A wrong password for an existing account (unknown accounts have no log to write to)."""
LOGGED_OUT = "logged_out"
SESSION_ENDED = "session_ended"
"""Another session was logged out from this one; detail: {"session_id", "user_agent", "ip_address"}."""
PASSWORD_CHANGED = "password_changed"  # noqa: S105 (an event name)
"""detail: {"sessions_ended": int, "tokens_revoked": int}."""
TOKEN_CREATED = "token_created"  # noqa: S105 (an event name)
TOKEN_REVOKED = "token_revoked"  # noqa: S105 (an event name)
"""detail: {"token_id": str, "name": str} for both."""
REAUTHENTICATED = "reauthenticated"
REAUTHENTICATION_FAILED = "reauthentication_failed"
"""detail: {"method": "password" (later "totp", "passkey"), "action": what it was for}."""
DATA_EXPORT_REQUESTED = "data_export_requested"
DATA_EXPORT_READY = "data_export_ready"
"""The ZIP can be downloaded from Settings (logged in, in sudo mode) until detail["expires_at"]."""
DATA_EXPORT_DOWNLOADED = "data_export_downloaded"
"""detail: {"export_id": str} for the three (ready adds "size_bytes" and "expires_at")."""
ACCOUNT_DEACTIVATED = "account_deactivated"
"""detail: {"sessions_ended": int}. Logging in again reactivates the account."""
ACCOUNT_REACTIVATED = "account_reactivated"
DELETION_SCHEDULED = "deletion_scheduled"
"""detail: {"delete_after": ISO time, "sessions_ended": int}; logging in before then can cancel it."""
DELETION_CANCELLED = "deletion_cancelled"
TWO_FACTOR_ENABLED = "two_factor_enabled"
"""A second factor became the account's first: detail {"method": "totp" | "passkey"}."""
TWO_FACTOR_DISABLED = "two_factor_disabled"
"""detail {"method": "totp" | "passkey" | "all", "by": "owner" | "operator"}: the log-in has no
second step any more (an operator's `viewfinder disable-2fa` says "operator")."""
TWO_FACTOR_FAILED = "two_factor_failed"
"""A wrong second factor: detail {"method": "totp" | "recovery_code" | "passkey", "action": "login",
"confirm", "disable" or "reauthenticate", and "reason" when it is not simply wrong (e.g.
"sign_count": a passkey that may have been cloned)}."""
RECOVERY_CODES_REGENERATED = "recovery_codes_regenerated"
RECOVERY_CODE_USED = "recovery_code_used"
"""detail {"remaining": int}."""
PASSKEY_ADDED = "passkey_added"
PASSKEY_REMOVED = "passkey_removed"
"""detail {"passkey_id": str, "name": str} for both."""
TRUSTED_DEVICE_ADDED = "trusted_device_added"
TRUSTED_DEVICE_REMOVED = "trusted_device_removed"
"""detail {"device_id": str, "user_agent": str} ("device_id": "all" when every one was removed)."""
EMAIL_VERIFIED = "email_verified"
"""detail {"email": str}: a link sent to the address was opened."""
EMAIL_CHANGE_REQUESTED = "email_change_requested"
"""detail {"new_email": str}: a link went to the new address; nothing changes until it is opened."""
EMAIL_CHANGED = "email_changed"
"""detail {"old_email": str, "new_email": str}. The old address is told, with a link to undo it."""
EMAIL_CHANGE_REVERTED = "email_change_reverted"
"""The old address's link undid a change: detail {"email": the address restored, "sessions_ended",
"tokens_revoked"}; the password was replaced too."""
PASSWORD_RESET_REQUESTED = "password_reset_requested"  # noqa: S105 (an event name)
"""A reset link was emailed to the account (only when one was sent)."""
PASSWORD_RESET = "password_reset"  # noqa: S105 (an event name)
"""A reset link set a new password: detail {"sessions_ended": int, "tokens_revoked": int}."""

KINDS = frozenset(
    {
        ACCOUNT_CREATED,
        LOGIN_SUCCEEDED,
        LOGIN_FAILED,
        LOGGED_OUT,
        SESSION_ENDED,
        PASSWORD_CHANGED,
        TOKEN_CREATED,
        TOKEN_REVOKED,
        REAUTHENTICATED,
        REAUTHENTICATION_FAILED,
        DATA_EXPORT_REQUESTED,
        DATA_EXPORT_READY,
        DATA_EXPORT_DOWNLOADED,
        ACCOUNT_DEACTIVATED,
        ACCOUNT_REACTIVATED,
        DELETION_SCHEDULED,
        DELETION_CANCELLED,
        TWO_FACTOR_ENABLED,
        TWO_FACTOR_DISABLED,
        TWO_FACTOR_FAILED,
        RECOVERY_CODES_REGENERATED,
        RECOVERY_CODE_USED,
        PASSKEY_ADDED,
        PASSKEY_REMOVED,
        TRUSTED_DEVICE_ADDED,
        TRUSTED_DEVICE_REMOVED,
        EMAIL_VERIFIED,
        EMAIL_CHANGE_REQUESTED,
        EMAIL_CHANGED,
        EMAIL_CHANGE_REVERTED,
        PASSWORD_RESET_REQUESTED,
        PASSWORD_RESET,
    }
)

NEW_DEVICE_DAYS = 90
"""A log-in from a user agent and address seen logging in within this many days is not new."""
_PROVEN_KINDS = (ACCOUNT_CREATED, LOGIN_SUCCEEDED)
"""Events that show the account's owner used an address (and user agent)."""


@dataclass(frozen=True)
class Origin:
    """Where a request came from, as the security log records it."""

    ip_address: str = ""
    user_agent: str = ""


NO_ORIGIN = Origin()
"""For actions without a request (the command line, tests)."""

SecurityEventListener = Callable[[SecurityEvent], Awaitable[None]]
_listeners: list[SecurityEventListener] = []
_PENDING = "viewfinder.security_events.pending"


def on_security_event(listener: SecurityEventListener) -> Callable[[], None]:
    """Call `listener(event)` after each security event is committed; returns a function that
    removes it again. The event's columns are loaded; do not touch its relationships."""
    _listeners.append(listener)
    return lambda: _listeners.remove(listener)


def record_security_event(
    db: AsyncSession,
    user_id: int,
    kind: str,
    origin: Origin = NO_ORIGIN,
    detail: dict[str, Any] | None = None,
) -> SecurityEvent:
    """Add one event to the account's log, inside the caller's transaction (not committed here:
    commit with `commit_and_announce` so the listeners hear of it)."""
    if kind not in KINDS:
        raise ValueError(f"unknown security event kind {kind!r}")
    event = SecurityEvent(
        id=new_id(),
        user_id=user_id,
        kind=kind,
        ip_address=origin.ip_address[:64],
        user_agent=origin.user_agent[:300],
        ip_key=crypto.address_index(origin.ip_address[:64]),
        user_agent_key=crypto.address_index(origin.user_agent[:300]),
        detail=detail or {},
        created_at=utcnow(),
    )
    db.add(event)
    db.info.setdefault(_PENDING, []).append(event)
    return event


async def commit_and_announce(db: AsyncSession) -> None:
    """Commit, then hand the events recorded in this transaction to every listener."""
    try:
        await db.commit()
    except BaseException:
        db.info.pop(_PENDING, None)
        raise
    events: list[SecurityEvent] = db.info.pop(_PENDING, [])
    for event in events:
        for listener in list(_listeners):
            try:
                await listener(event)
            except Exception:  # an alert that fails must not turn a done action into an error
                logger.exception("Security event listener %r failed on event %s", listener, event.id)


def forget_unannounced(db: AsyncSession) -> None:
    """Drop events recorded in a transaction that is being rolled back."""
    db.info.pop(_PENDING, None)


async def address_was_used(
    db: AsyncSession, user_id: int, ip_address: str, user_agent: str | None = None
) -> bool:
    """Whether the account's owner logged in (or signed up) from this address — and, when given,
    this user agent — in the last NEW_DEVICE_DAYS days."""
    query = select(SecurityEvent.id).where(
        SecurityEvent.user_id == user_id,
        SecurityEvent.ip_key.in_(crypto.address_indexes(ip_address[:64])),
        SecurityEvent.kind.in_(_PROVEN_KINDS),
        SecurityEvent.created_at >= utcnow() - timedelta(days=NEW_DEVICE_DAYS),
    )
    if user_agent is not None:
        query = query.where(SecurityEvent.user_agent_key.in_(crypto.address_indexes(user_agent[:300])))
    return await db.scalar(query.limit(1)) is not None


async def list_security_events(
    db: AsyncSession, user_id: int, before: int | None, limit: int
) -> list[SecurityEvent]:
    """Up to limit + 1 of the account's events, newest first, older than the id `before`; one query."""
    query = select(SecurityEvent).where(SecurityEvent.user_id == user_id)
    if before is not None:
        query = query.where(SecurityEvent.id < before)
    return list(await db.scalars(query.order_by(SecurityEvent.id.desc()).limit(limit + 1)))


async def purge_old_security_events(
    db: AsyncSession, *, retention_days: int, now: datetime | None = None
) -> int:
    """Delete events older than the retention period; returns how many."""
    cutoff = (now or utcnow()) - timedelta(days=retention_days)
    result = await db.execute(delete(SecurityEvent).where(SecurityEvent.created_at < cutoff))
    await db.commit()
    return int(result.rowcount)  # type: ignore[attr-defined]

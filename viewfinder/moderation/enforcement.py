"""Staff actions on accounts: restrict, limit, suspend, ban, and undoing each (docs/decisions/0052).

- **restrict** (`users.restricted`): the account's new comments are held (`comments.moderation =
  "held"`): its author sees them, nobody else, until the post's author (or staff) approves one
  (engagement.services.add_comment / approve_comment).
- **limit** (`users.limited`): the account is left out of Explore, search (accounts and hashtags),
  hashtag pages and suggestions (policy.discoverable); its profile, posts and followers' feeds
  still show it.
- **suspend** (until a time) and **ban**: `users.is_active` False, which hides the account and all
  it made everywhere, as a deactivation does (policy: feeds, grids, post pages, search, Explore,
  comments, likes, notifications' actors, media files; cards are rebuilt, as a users row change
  moves `users.updated_at`); every session and API token of the account is deleted at once (the
  auth cache's epoch moves after the commit, so no cached look-up survives in any process); its
  open real-time streams are told `signed_out` and end. A log-in is refused with 403
  `account_suspended` or `account_banned` (accounts.standing).

The functions here change the account in the caller's transaction and never commit: the caller
(moderation.actions, appeals) writes its action, audit entry and notifications in the same one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, get_args

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from viewfinder.accounts.authcache import drop_after_commit
from viewfinder.accounts.models import ApiToken, User, UserSession
from viewfinder.accounts.standing import lift_suspension, reactivate_if_clear
from viewfinder.core.db import utcnow
from viewfinder.engagement.services import release_held_comments
from viewfinder.notifications.services import queue_event

AccountActionKind = Literal["restrict", "limit", "suspend", "ban"]
ACCOUNT_ACTION_KINDS: frozenset[str] = frozenset(get_args(AccountActionKind))
SIGNED_OUT_EVENT = {"type": "signed_out"}
"""Sent to the account's real-time streams when its sessions end: each stream ends after it."""


def account_state(user: User) -> dict[str, Any]:
    """The account's moderation state, as the audit log records it before and after an action."""
    return {
        "is_active": user.is_active,
        "restricted": user.restricted,
        "limited": user.limited,
        "suspended_until": user.suspended_until.isoformat() if user.suspended_until else None,
        "banned": user.banned,
    }


async def end_access(db: AsyncSession, user: User) -> None:
    """Log the account out everywhere now: its sessions and API tokens are deleted, every process's
    cached look-ups of them dropped once this commits, and its open streams told to end. No commit."""
    await db.execute(delete(UserSession).where(UserSession.user_id == user.id))
    await db.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
    drop_after_commit(db, user.id)
    await queue_event(db, user.id, SIGNED_OUT_EVENT)


async def apply_account_action(
    db: AsyncSession, user: User, kind: AccountActionKind, until: datetime | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Put the account in the action's state (no commit); returns (before, after) for the audit log.

    suspend needs `until` in the future (ValueError otherwise: the caller validates the duration);
    a later suspension replaces the end of a running one. suspend and ban end every session and API
    token now and close the account's real-time streams."""
    before = account_state(user)
    if kind == "restrict":
        user.restricted = True
    elif kind == "limit":
        user.limited = True
    elif kind == "suspend":
        if until is None or until <= utcnow():
            raise ValueError("a suspension needs an end in the future")
        user.suspended_until = until
        user.is_active = False
        await end_access(db, user)
    elif kind == "ban":
        user.banned = True
        user.is_active = False
        await end_access(db, user)
    else:
        raise ValueError(f"not an account action: {kind}")
    await db.flush()
    return before, account_state(user)


async def reverse_account_action(
    db: AsyncSession, user: User, kind: AccountActionKind
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Undo one account action (an appeal upheld against it, or staff changing their mind); no
    commit. Returns (before, after). Undoing a suspension or a ban makes the account active again
    unless another of them still stands or its owner had closed it; its sessions do not come back
    (it logs in again). Undoing a restriction publishes the comments it held that no open case is
    about (they are counted and notified then, as an approval does)."""
    before = account_state(user)
    if kind == "restrict":
        user.restricted = False
        await release_held_comments(db, user.id)
    elif kind == "limit":
        user.limited = False
    elif kind == "suspend":
        user.suspended_until = None
        await reactivate_if_clear(db, user)
    elif kind == "ban":
        user.banned = False
        if user.suspended_until is not None and user.suspended_until <= utcnow():
            user.suspended_until = None
        await reactivate_if_clear(db, user)
    else:
        raise ValueError(f"not an account action: {kind}")
    await db.flush()
    return before, account_state(user)


async def lift_expired_suspensions(db: AsyncSession, now: datetime | None = None) -> int:
    """Lift every suspension whose end has passed (the periodic sweep, moderation.tasks; a log-in
    does the same for its own account: accounts.standing). Commits; returns how many were lifted."""
    now = now or utcnow()
    due = list(
        await db.scalars(
            select(User).where(User.suspended_until.is_not(None), User.suspended_until <= now).limit(1000)
        )
    )
    lifted = 0
    for user in due:
        if await lift_suspension(db, user, now):
            lifted += 1
    await db.commit()
    return lifted

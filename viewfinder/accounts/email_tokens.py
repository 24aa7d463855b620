"""The single-use links sent by email, and which address of an account may receive mail.

A link carries a random token (256 bits); `email_tokens` keeps only its SHA-256, what it is for,
the address it concerns and when it expires. Tokens are made by the job that sends the email (so
they never sit in the job queue) and used at most once: `use_token` marks a live one used in the
caller's transaction, so a link opened twice, or by two tabs at once, acts once.

An address belongs to one account once verified (a unique index on verified addresses); before
that, several accounts may have typed it (sign-up never says whether an address is taken). Mail
goes to an account's address only when it is verified, or when no other account has verified it
(`reachable_address`), so nobody can have another person's mailbox written to by typing it.
See docs/decisions/0034-email.md.
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from viewfinder.accounts.models import EmailToken, User
from viewfinder.core import crypto
from viewfinder.core.db import utcnow
from viewfinder.core.errors import ApiError, invalid
from viewfinder.core.ids import new_id


class Purpose(enum.StrEnum):
    VERIFY_EMAIL = "verify_email"
    """Confirms the account's address (sent at sign-up, and again on request)."""
    CHANGE_EMAIL = "change_email"
    """Sent to a new address: opening it makes it the account's."""
    REVERT_EMAIL = "revert_email"
    """Sent to the old address after a change: opening it takes the address back, with a new password."""
    RESET_PASSWORD = "reset_password"  # noqa: S105 (a purpose, not a secret)
    """Sets a new password (valid for password_reset_minutes, while the password is unchanged)."""


REVERT_LIFETIME = timedelta(days=7)
"""How long the old address may undo an email change."""
TOKEN_KEEP_AFTER_EXPIRY = timedelta(days=1)
"""Used and expired rows are purged this long after they expire (they also count recent resets)."""


def hash_link_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def password_stamp(user: User) -> str:
    """Stands for the password in force: a reset link made under one password is void under another."""
    return hashlib.sha256(f"reset-link:{user.password_hash}".encode()).hexdigest()


def same_address(one: str, other: str) -> bool:
    """Whether two addresses are the same one (case-insensitive), compared in the clear: a stored
    email_key may be under an index key `rotate-keys --index` is replacing."""
    return one.strip().lower() == other.strip().lower()


def email_key(email: str) -> str:
    """The address's blind index (users.email_key): a keyed hash, case-insensitive (core.crypto)."""
    return crypto.email_index(email)


def invalid_link() -> ApiError:
    return invalid(
        "token",
        "This link is not valid any more: it was used, has expired or was replaced by a newer one.",
        code="invalid_link",
    )


def new_token(db: AsyncSession, user: User, purpose: Purpose, email: str, lifetime: timedelta) -> str:
    """Add a token for `user` in the caller's transaction; returns the secret for the link (only now)."""
    secret = secrets.token_urlsafe(32)
    db.add(
        EmailToken(
            id=new_id(),
            user_id=user.id,
            purpose=purpose.value,
            token_hash=hash_link_token(secret),
            email=email,
            password_stamp=password_stamp(user) if purpose is Purpose.RESET_PASSWORD else None,
            expires_at=utcnow() + lifetime,
        )
    )
    return secret


@dataclass(frozen=True)
class LiveToken:
    id: int
    user_id: int
    purpose: Purpose
    email: str
    password_stamp: str | None


async def find_token(db: AsyncSession, secret: str, purposes: set[Purpose]) -> LiveToken | None:
    """The unused, unexpired token of this secret for one of these purposes, or None."""
    row = (
        await db.execute(
            select(
                EmailToken.id,
                EmailToken.user_id,
                EmailToken.purpose,
                EmailToken.email,
                EmailToken.password_stamp,
            ).where(
                EmailToken.token_hash == hash_link_token(secret),
                EmailToken.purpose.in_([purpose.value for purpose in purposes]),
                EmailToken.used_at.is_(None),
                EmailToken.expires_at > utcnow(),
            )
        )
    ).first()
    if row is None:
        return None
    return LiveToken(row.id, row.user_id, Purpose(row.purpose), row.email, row.password_stamp)


async def use_token(db: AsyncSession, token: LiveToken) -> None:
    """Mark the token used in the caller's transaction; refused (400 `invalid_link`) when another
    request used it first."""
    used = (
        await db.execute(
            update(EmailToken)
            .where(EmailToken.id == token.id, EmailToken.used_at.is_(None))
            .values(used_at=utcnow())
            .returning(EmailToken.id)
            .execution_options(synchronize_session=False)
        )
    ).first()
    if used is None:
        raise invalid_link()


async def void_tokens(db: AsyncSession, user_id: int, purposes: set[Purpose]) -> None:
    """Make every outstanding link of the account for these purposes unusable (caller's transaction)."""
    await db.execute(
        update(EmailToken)
        .where(
            EmailToken.user_id == user_id,
            EmailToken.purpose.in_([purpose.value for purpose in purposes]),
            EmailToken.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )


async def tokens_sent_since(db: AsyncSession, user_id: int, purpose: Purpose, since: datetime) -> int:
    """How many links of this purpose the account was sent since then (rate limits kept in the database,
    so web processes and workers count alike)."""
    count = await db.scalar(
        select(func.count())
        .select_from(EmailToken)
        .where(
            EmailToken.user_id == user_id, EmailToken.purpose == purpose.value, EmailToken.created_at >= since
        )
    )
    return int(count or 0)


async def verified_elsewhere(db: AsyncSession, email: str, user_id: int) -> bool:
    """Whether another account has verified this address (so it can never be this one's)."""
    found = await db.scalar(
        select(User.id)
        .where(
            User.email_key.in_(crypto.email_indexes(email)),
            User.email_verified_at.is_not(None),
            User.id != user_id,
        )
        .limit(1)
    )
    return found is not None


async def reachable_address(db: AsyncSession, user: User) -> str | None:
    """Where mail for this account may go: its address when verified, or when no other account
    verified it; None when the address is another account's."""
    if user.email_verified_at is not None:
        return user.email
    if await verified_elsewhere(db, user.email, user.id):
        return None
    return user.email


async def purge_expired_tokens(db: AsyncSession, now: datetime | None = None) -> int:
    """Delete tokens a day past their expiry; returns how many."""
    cutoff = (now or utcnow()) - TOKEN_KEEP_AFTER_EXPIRY
    result = await db.execute(delete(EmailToken).where(EmailToken.expires_at < cutoff))
    await db.commit()
    return int(result.rowcount)  # type: ignore[attr-defined]

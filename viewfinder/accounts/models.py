"""Account tables: users, their browser sessions, their personal API tokens and security log, and their
second factors (TOTP, recovery codes, passkeys), trusted devices and log-in challenges."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from viewfinder.core.crypto import EMAIL, SESSION, Encrypted, EncryptedJSON
from viewfinder.core.db import Base, IdMixin, TimestampMixin, UtcDateTime, utcnow


class User(IdMixin, TimestampMixin, Base):
    """A person's account and public profile, with denormalised counts kept by the services."""

    __tablename__ = "users"
    __table_args__ = (
        Index("ix_users_email_key", "email_key"),
        # An address belongs to one account once verified; until then several accounts may have
        # typed it, so sign-up never tells whether an address is taken (docs/decisions/0034).
        Index(
            "uq_users_verified_email_key",
            "email_key",
            unique=True,
            sqlite_where=text("email_verified_at IS NOT NULL"),
            postgresql_where=text("email_verified_at IS NOT NULL"),
        ),
    )

    username: Mapped[str] = mapped_column(String(30), nullable=False)
    # Uniqueness is case-insensitive: "Alice" and "alice" are the same account.
    username_key: Mapped[str] = mapped_column(String(30), nullable=False, unique=True)
    # Sealed at rest (core.crypto); found by `email_key`, its blind index (crypto.email_index).
    email: Mapped[str] = mapped_column(Encrypted(EMAIL, "users.email"), nullable=False)
    email_key: Mapped[str] = mapped_column(String(254), nullable=False)
    # When the owner proved the address is theirs (a link sent to it was opened); None until then.
    email_verified_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    display_name: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    bio: Mapped[str] = mapped_column(Text, nullable=False, default="")
    website: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    avatar_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    is_private: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # The staff role (viewfinder.moderation.roles; "none" for everyone else); `is_staff` is kept
    # equal to `role != "none"` by the services that set either (docs/decisions/0046).
    role: Mapped[str] = mapped_column(String(24), nullable=False, default="none", server_default="none")
    is_staff: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    # Moderation of the account (viewfinder.moderation.enforcement; decision 0052): `restricted`
    # holds its new comments for approval, `limited` keeps it out of Explore, search and hashtag
    # pages; a suspension (until `suspended_until`) or a ban sets `is_active` False while it stands.
    restricted: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default="0")
    limited: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default="0")
    suspended_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    banned: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default="0")
    followers_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    following_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    posts_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utcnow, onupdate=utcnow)


class UserSession(IdMixin, TimestampMixin, Base):
    """A logged-in browser. The cookie holds a random token; only its SHA-256 is stored."""

    __tablename__ = "user_sessions"

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, index=True)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utcnow)
    # Sealed at rest (core.crypto), like every IP address and user agent kept.
    user_agent: Mapped[str] = mapped_column(
        Encrypted(SESSION, "user_sessions.user_agent"), nullable=False, default=""
    )
    ip_address: Mapped[str] = mapped_column(
        Encrypted(SESSION, "user_sessions.ip_address"), nullable=False, default=""
    )
    # When this session last proved who it is (log-in, or POST /accounts/reauthenticate): sensitive
    # actions need it recent ("sudo mode", see accounts.auth.require_recent_authentication).
    reauthenticated_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class ApiToken(IdMixin, TimestampMixin, Base):
    """A personal API token, shown once at creation; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    # The first characters, so a person can tell their tokens apart without the secret.
    prefix: Mapped[str] = mapped_column(String(16), nullable=False)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class SecurityEvent(IdMixin, TimestampMixin, Base):
    """One line of an account's security log (log-ins, password changes, tokens...), shown to its
    owner; written only by accounts.services.record_security_event and kept for a year."""

    __tablename__ = "security_events"
    __table_args__ = (
        Index("ix_security_events_user_id_id", "user_id", "id"),
        # "Was this account used from this address before?" (new devices, log-in slow-down).
        Index("ix_security_events_user_id_ip_key", "user_id", "ip_key"),
        Index("ix_security_events_created_at", "created_at"),  # the yearly purge
    )

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    # Sealed at rest (core.crypto), the detail too (it may hold addresses); the address and user
    # agent are matched by their blind indexes (crypto.address_index), written with them.
    ip_address: Mapped[str] = mapped_column(
        Encrypted(SESSION, "security_events.ip_address"), nullable=False, default=""
    )
    user_agent: Mapped[str] = mapped_column(
        Encrypted(SESSION, "security_events.user_agent"), nullable=False, default=""
    )
    ip_key: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    user_agent_key: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    detail: Mapped[dict[str, Any]] = mapped_column(
        EncryptedJSON(SESSION, "security_events.detail"), nullable=False, default=dict
    )


# --- second factors (accounts.twofactor, accounts.passkeys; docs/decisions/0033) -------------------


class TotpAuthenticator(IdMixin, TimestampMixin, Base):
    """An account's authenticator app (one at most): its TOTP secret, enrolled but unconfirmed until
    the first code it shows is entered (`confirmed_at`)."""

    __tablename__ = "totp_authenticators"

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    # Sealed at rest under the `totp` data key and bound to the account (core.crypto.TOTP_SECRET):
    # read only through accounts.twofactor.totp_secret, written through seal_totp_secret.
    secret: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # The 30-second step of the last code accepted: that code and every older one are refused.
    last_used_step: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class RecoveryCode(IdMixin, TimestampMixin, Base):
    """One single-use recovery code of an account (ten at a time); only its SHA-256 is stored."""

    __tablename__ = "recovery_codes"
    __table_args__ = (Index("ix_recovery_codes_user_id_code_hash", "user_id", "code_hash", unique=True),)

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    code_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class Passkey(IdMixin, TimestampMixin, Base):
    """A WebAuthn credential of an account: a second factor, and a password-less log-in."""

    __tablename__ = "passkeys"

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    credential_id: Mapped[str] = mapped_column(String(1400), nullable=False, unique=True)
    """base64url, as browsers send it."""
    public_key: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    """The COSE public key the authenticator registered."""
    sign_count: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    user_handle: Mapped[str] = mapped_column(String(100), nullable=False)
    """The account's WebAuthn user handle (random, base64url; the same for all its passkeys)."""
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    transports: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    aaguid: Mapped[str] = mapped_column(String(36), nullable=False, default="")
    backed_up: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class TrustedDevice(IdMixin, TimestampMixin, Base):
    """A browser whose owner chose "trust this device": its log-ins with the password skip the
    second step until `expires_at`. The cookie holds a random token; only its SHA-256 is stored."""

    __tablename__ = "trusted_devices"

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    # Of the password in force when it was trusted: a new password (changed or reset) ends the trust.
    password_stamp: Mapped[str] = mapped_column(String(64), nullable=False)
    user_agent: Mapped[str] = mapped_column(
        Encrypted(SESSION, "trusted_devices.user_agent"), nullable=False, default=""
    )
    ip_address: Mapped[str] = mapped_column(
        Encrypted(SESSION, "trusted_devices.ip_address"), nullable=False, default=""
    )
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, index=True)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class AuthChallenge(IdMixin, TimestampMixin, Base):
    """A short-lived, single-use step: the second step of a log-in (bound to its account), or a
    WebAuthn ceremony (its random challenge; bound to the session that began it, if any)."""

    __tablename__ = "auth_challenges"

    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    purpose: Mapped[str] = mapped_column(String(20), nullable=False)
    user_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=True, index=True
    )
    session_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    webauthn_challenge: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    failures: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # The second factor was proven, but the log-in was refused after it (an account scheduled for
    # deletion): sending it again with cancel_deletion needs no second code.
    verified: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    cancel_deletion: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, index=True)


# --- links sent by email (accounts.email_verification, accounts.recovery; docs/decisions/0034) -----


class EmailToken(IdMixin, TimestampMixin, Base):
    """A single-use link sent by email: confirm an address (at sign-up, or the new one of a change),
    undo an email change (sent to the old address), or reset the password. The link holds a random
    token; only its SHA-256 is stored, and it is made by the job that sends the email, so it is
    never in the job queue either."""

    __tablename__ = "email_tokens"
    __table_args__ = (Index("ix_email_tokens_user_id_purpose", "user_id", "purpose"),)

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    purpose: Mapped[str] = mapped_column(String(20), nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    email: Mapped[str] = mapped_column(Encrypted(EMAIL, "email_tokens.email"), nullable=False)
    """The address the link confirms (verification, change), restores (revert) or was sent to (reset);
    sealed at rest (core.crypto)."""
    # A reset link is of the password in force when it was sent: any new password voids it.
    password_stamp: Mapped[str | None] = mapped_column(String(64), nullable=True)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

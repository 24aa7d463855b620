"""Account tables: users, their browser sessions, their personal API tokens and security log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from viewfinder.core.db import Base, IdMixin, TimestampMixin, UtcDateTime, utcnow


class User(IdMixin, TimestampMixin, Base):
    """A person's account and public profile, with denormalised counts kept by the services."""

    __tablename__ = "users"

    username: Mapped[str] = mapped_column(String(30), nullable=False)
    # Uniqueness is case-insensitive: "Alice" and "alice" are the same account.
    username_key: Mapped[str] = mapped_column(String(30), nullable=False, unique=True)
    email: Mapped[str] = mapped_column(String(254), nullable=False)
    email_key: Mapped[str] = mapped_column(String(254), nullable=False, unique=True)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    display_name: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    bio: Mapped[str] = mapped_column(Text, nullable=False, default="")
    website: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    avatar_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    is_private: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    is_staff: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
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
    user_agent: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    ip_address: Mapped[str] = mapped_column(String(64), nullable=False, default="")
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
        Index("ix_security_events_user_id_ip_address", "user_id", "ip_address"),
        Index("ix_security_events_created_at", "created_at"),  # the yearly purge
    )

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    ip_address: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    user_agent: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)

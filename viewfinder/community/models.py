"""Community tables: announcements staff publish to every member (and which member dismissed which),
and the accounts staff feature (docs/decisions/0058-announcements-and-featured-accounts.md)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from viewfinder.core.db import Base, IdMixin, TimestampMixin, UtcDateTime, utcnow


class Announcement(IdMixin, TimestampMixin, Base):
    """A message from staff to every member, shown while it is published and inside its window
    (starts_at, ends_at; either may be open)."""

    __tablename__ = "announcements"
    __table_args__ = (
        # The members' list: the published ones, newest first (a handful at any time).
        Index("ix_announcements_published_id", "published", "id"),
    )

    text: Mapped[str] = mapped_column(Text, nullable=False)
    """Plain text (links are made clickable by the web app, never HTML)."""
    starts_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    """Shown from then on; null: from publication."""
    ends_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    """Shown until then (exclusive); null: until unpublished or deleted."""
    published: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    """False: a draft, seen by staff only."""
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utcnow, onupdate=utcnow)


class AnnouncementRead(Base):
    """A member dismissed an announcement (it stays listed for them, marked read)."""

    __tablename__ = "announcement_reads"

    announcement_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("announcements.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    read_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utcnow)


class FeaturedAccount(Base):
    """An account staff recommend to everyone (Discover, and first among suggestions), with a note
    saying why. One row per account; it stays when the account is later limited, suspended or banned
    (it is simply not shown then), so that staff see it and decide."""

    __tablename__ = "featured_accounts"
    __table_args__ = (Index("ix_featured_accounts_featured_at", "featured_at"),)

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    note: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    featured_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utcnow)

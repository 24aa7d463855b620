"""Data exports (a ZIP of everything an account holds, built by a job) and account closures
(deactivated, scheduled for deletion, being deleted)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from viewfinder.core.db import Base, IdMixin, TimestampMixin, UtcDateTime


class ExportState(enum.StrEnum):
    """requested -> building -> ready | failed. A ready export expires (its file and row are
    deleted) `data_export_expiry_hours` after it was made; a failed one is kept as long."""

    REQUESTED = "requested"
    BUILDING = "building"
    READY = "ready"
    FAILED = "failed"


class DataExport(IdMixin, TimestampMixin, Base):
    """One "download your information" request and, once built, its ZIP in media storage under
    `file_key` (exports/<user id>/..., a prefix GET /media never serves)."""

    __tablename__ = "data_exports"
    __table_args__ = (
        Index("ix_data_exports_user_id_id", "user_id", "id"),
        Index("ix_data_exports_expires_at", "expires_at"),  # the periodic purge
    )

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    state: Mapped[str] = mapped_column(String(16), nullable=False, default=ExportState.REQUESTED)
    file_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    size_bytes: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    """When the build last started: a build older than the lease is taken to be abandoned."""
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    failure_message: Mapped[str | None] = mapped_column(String(300), nullable=True)


class ClosureState(enum.StrEnum):
    """deactivated: hidden, reactivated by logging in. deletion_scheduled: hidden, deleted once
    `delete_after` has passed unless a log-in cancels it first. deleting: the erasure job has begun
    (a log-in can no longer stop it); it finishes on retry after a crash."""

    DEACTIVATED = "deactivated"
    DELETION_SCHEDULED = "deletion_scheduled"
    DELETING = "deleting"


class AccountClosure(Base):
    """Why an account is inactive, when its owner closed it themselves (a row per such account).

    `users.is_active` is what hides an account everywhere; this row says the owner chose it, so a
    log-in may undo it. An inactive account without a row (staff action) cannot log in at all."""

    __tablename__ = "account_closures"
    __table_args__ = (Index("ix_account_closures_state_delete_after", "state", "delete_after"),)

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    state: Mapped[str] = mapped_column(String(20), nullable=False)
    closed_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    delete_after: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    """For deletion_scheduled and deleting: when the grace period ends."""
    erasing_since: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    """When the erasure job last claimed the account (its lease)."""

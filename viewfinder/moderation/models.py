"""Reports: one account's complaint about a post, an account or a comment, a small lifecycle on its row."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from viewfinder.core.db import Base, IdMixin, TimestampMixin, UtcDateTime

ReportTarget = Literal["post", "user", "comment"]
ReportReason = Literal["spam", "nudity", "harassment", "violence", "hate", "false_information", "other"]
ReportStatus = Literal["open", "actioned", "dismissed"]
"""open -> actioned | dismissed: staff close a report one way or the other (the moderation queue)."""


class Report(IdMixin, TimestampMixin, Base):
    """What a reporter said is wrong with a target, until staff resolve it."""

    __tablename__ = "reports"
    __table_args__ = (
        # The moderation queue: open reports, oldest first.
        Index("ix_reports_status_created_at", "status", "created_at"),
        # Every report of one target, to act on them together.
        Index("ix_reports_target_kind_target_id", "target_kind", "target_id"),
        # One open report per reporter and target: a repeat, even a concurrent one, finds the first.
        Index(
            "uq_reports_open_per_reporter",
            "reporter_id",
            "target_kind",
            "target_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )

    reporter_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    target_kind: Mapped[ReportTarget] = mapped_column(String(16), nullable=False)
    target_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    """The id of the post, account or comment; no foreign key, as it points into one of three tables
    (and a report outlives the content it is about, for the audit trail)."""
    reason: Mapped[ReportReason] = mapped_column(String(32), nullable=False)
    details: Mapped[str] = mapped_column(Text, nullable=False, default="")
    status: Mapped[ReportStatus] = mapped_column(String(16), nullable=False, default="open")
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

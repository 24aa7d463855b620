"""Tables of the core: the job queue's hand-off while Redis is unavailable (see core.jobs)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from viewfinder.core.db import Base, UtcDateTime, utcnow


class PendingJob(Base):
    """A job that could not reach Redis when it was enqueued, kept here until Redis answers again."""

    __tablename__ = "pending_jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    queue: Mapped[str] = mapped_column(String(120), nullable=False)
    """The Redis queue it is for (the instance's namespace)."""
    data: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    """Huey's serialised task message, exactly as it would have been pushed."""
    run_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    """When a delayed job (a retry with backoff) is due; None for "as soon as possible"."""
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utcnow)

"""Media items: one uploaded photo (videos later), a small state machine on its row."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from viewfinder.core.db import Base, IdMixin, TimestampMixin, UtcDateTime, utcnow


class MediaState(enum.StrEnum):
    """uploaded -> processing -> ready | failed. Processing again from ready or failed does nothing."""

    UPLOADED = "uploaded"
    PROCESSING = "processing"
    READY = "ready"
    FAILED = "failed"


class MediaItem(IdMixin, TimestampMixin, Base):
    __tablename__ = "media_items"

    owner_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    kind: Mapped[str] = mapped_column(String(16), nullable=False, default="photo")
    state: Mapped[str] = mapped_column(String(16), nullable=False, default=MediaState.UPLOADED, index=True)
    # The raw upload, kept in storage only until processing has made the renditions.
    original_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    original_format: Mapped[str] = mapped_column(String(16), nullable=False)
    filter_name: Mapped[str] = mapped_column(String(32), nullable=False, default="normal")
    crop: Mapped[list[float] | None] = mapped_column(JSON, nullable=True)
    rotation: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    """Degrees clockwise the upright photo is turned before the crop: 0, 90, 180 or 270."""
    adjustments: Mapped[dict[str, int] | None] = mapped_column(JSON, nullable=True)
    """The composer's non-zero adjustments by name (mediakit.photos.ADJUSTMENT_RANGES); None for none."""
    width: Mapped[int | None] = mapped_column(Integer, nullable=True)
    height: Mapped[int | None] = mapped_column(Integer, nullable=True)
    blurhash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    dominant_color: Mapped[str | None] = mapped_column(String(7), nullable=True)
    renditions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False, default=list)
    nsfw_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    """open_nsfw's P(nsfw), 0..1 (a video's: its highest keyframe's), set by processing before the
    item is ready; None when not scored (viewfinder.detection.nsfw)."""
    failure_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    failure_message: Mapped[str | None] = mapped_column(String(300), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    processing_started_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utcnow, onupdate=utcnow)

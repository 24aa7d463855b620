"""Detection's tables: the list of known-bad media hashes (PDQ, docs/decisions/0063) and the thresholds
admins changed (docs/decisions/0065)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from viewfinder.core.db import Base, IdMixin, TimestampMixin


class KnownBadHash(IdMixin, TimestampMixin, Base):
    """One PDQ hash of media this instance refuses: imported from a list (ThreatExchange CSV) or
    taken from removed media by staff. Uploads within the matching distance of a hash of quality
    at least the minimum are refused (viewfinder.detection.pdq)."""

    __tablename__ = "known_bad_hashes"

    hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    """256 bits as 64 lower-case hex digits, in the ThreatExchange form (bit i is bit i of the number)."""
    quality: Mapped[int] = mapped_column(Integer, nullable=False)
    """PDQ's own quality of the hash, 0 to 100; below the minimum it is kept but never matched."""
    label: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    source: Mapped[str] = mapped_column(String(200), nullable=False)
    """Where it came from: the imported list's name, or "post <id>" for removed media."""
    added_by_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    """The staff member who imported or added it; None from the command line."""


class DetectionThreshold(Base):
    """A detection threshold an admin changed while the instance runs (viewfinder.detection.thresholds):
    it replaces the setting of the same name until reset; a setting without a row applies as set."""

    __tablename__ = "detection_thresholds"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    """The setting's name, e.g. "spam_hold_threshold"."""
    value: Mapped[float] = mapped_column(Float, nullable=False)
    """Who changed it and when: the audit entry (detection.thresholds_changed) of the change."""

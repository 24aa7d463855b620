"""Timelines on the SQL database (the embedded timeline store), viewer-author affinity, and which
recent posts have been fanned out."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Float, Index, Integer
from sqlalchemy.orm import Mapped, mapped_column

from viewfinder.core.db import Base, UtcDateTime, utcnow


class TimelineRow(Base):
    """One post in one account's home timeline. No foreign keys: a timeline is a cache that can
    be rebuilt from posts and follows, and the Cassandra store keeps the same rows elsewhere."""

    __tablename__ = "timeline_entries"
    __table_args__ = (
        Index("ix_timeline_entries_user_id_author_id", "user_id", "author_id"),
        Index("ix_timeline_entries_post_id", "post_id"),
    )

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    post_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    author_id: Mapped[int] = mapped_column(BigInteger, nullable=False)


class Affinity(Base):
    """How much a viewer engages with an author: kept up to date by the services that record
    likes, comments and profile visits; read by the ranked feed."""

    __tablename__ = "affinities"

    viewer_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    author_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    likes: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    comments: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    visits: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    score: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utcnow)


class PostFanOut(Base):
    """A post whose fan-out finished (on whichever timeline store). The repair sweep
    (feeds.services.repair_fan_out) fans out again the recent posts that have no row here, so a
    fan-out job lost with a killed worker or a lost queue still reaches every timeline. Rows older
    than the sweep's window are pruned."""

    __tablename__ = "post_fan_outs"
    __table_args__ = (Index("ix_post_fan_outs_author_id", "author_id"),)

    post_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    author_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    fanned_out_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utcnow)

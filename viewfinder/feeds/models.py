"""Timelines on the SQL database (the embedded timeline store) and viewer-author affinity."""

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

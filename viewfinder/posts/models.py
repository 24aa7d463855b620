"""Posts, their ordered media items, and the hashtags and mentions parsed from captions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from viewfinder.core.db import Base, IdMixin, TimestampMixin, UtcDateTime, utcnow


class Post(IdMixin, TimestampMixin, Base):
    """A post is shown only once every one of its media items is ready."""

    __tablename__ = "posts"
    __table_args__ = (Index("ix_posts_author_id_id", "author_id", "id"),)

    author_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    caption: Mapped[str] = mapped_column(Text, nullable=False, default="")
    location_name: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    comments_enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    hide_like_count: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    like_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    comment_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    moderation: Mapped[str] = mapped_column(
        String(16), nullable=False, default="visible", server_default="visible"
    )
    """visible | held (an automatic rule holds it for review: its author alone sees it) | removed (staff
    removed it: no one sees it, an appeal may restore it). viewfinder.moderation.models.ContentState."""
    sensitive: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default="0")
    """Staff or the nudity detector marked its media sensitive: shown behind a tap-to-view warning
    (only staff undo it)."""
    author_sensitive: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default="0")
    """Its author marked its media sensitive (and may unmark it); shown behind the same warning."""
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utcnow, onupdate=utcnow)


class PostMedia(Base):
    """A media item's place in a post, with its alt text."""

    __tablename__ = "post_media"
    __table_args__ = (UniqueConstraint("post_id", "position"),)

    media_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("media_items.id", ondelete="CASCADE"), primary_key=True
    )
    post_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("posts.id", ondelete="CASCADE"), nullable=False, index=True
    )
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    alt_text: Mapped[str] = mapped_column(Text, nullable=False, default="")


class Hashtag(IdMixin, Base):
    __tablename__ = "hashtags"

    name: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    """Lower-cased, without the #."""
    post_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class PostHashtag(Base):
    __tablename__ = "post_hashtags"
    __table_args__ = (Index("ix_post_hashtags_hashtag_id_post_id", "hashtag_id", "post_id"),)

    post_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    hashtag_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("hashtags.id", ondelete="CASCADE"), primary_key=True
    )


class PostMention(Base):
    __tablename__ = "post_mentions"
    __table_args__ = (Index("ix_post_mentions_user_id", "user_id"),)

    post_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )

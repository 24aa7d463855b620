"""Likes, comments, saves and collections. Counts live on the rows they count (posts, comments)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from viewfinder.core.db import Base, IdMixin, TimestampMixin, UtcDateTime, utcnow
from viewfinder.core.ids import new_id


class PostLike(Base):
    """One account's like of a post; `id` is time-sortable and pages the likers list."""

    __tablename__ = "post_likes"
    __table_args__ = (
        Index("ix_post_likes_post_id_id", "post_id", "id"),
        Index("ix_post_likes_user_id", "user_id"),
    )

    post_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    id: Mapped[int] = mapped_column(BigInteger, nullable=False, default=new_id, unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utcnow)


class Comment(IdMixin, TimestampMixin, Base):
    """A comment on a post, or a reply to one (replies are one level deep: parent has no parent)."""

    __tablename__ = "comments"
    __table_args__ = (
        Index("ix_comments_post_id_id", "post_id", "id"),
        Index("ix_comments_parent_id_id", "parent_id", "id"),
    )

    post_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("posts.id", ondelete="CASCADE"), nullable=False
    )
    author_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    parent_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("comments.id", ondelete="CASCADE"), nullable=True
    )
    text: Mapped[str] = mapped_column(Text, nullable=False)
    like_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    reply_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    moderation: Mapped[str] = mapped_column(
        String(16), nullable=False, default="visible", server_default="visible"
    )
    """visible | held (its author is restricted, or a rule holds it: its author alone sees it until it
    is approved) | removed (staff removed it). viewfinder.moderation.models.ContentState."""
    held_reason: Mapped[str | None] = mapped_column(String(16), nullable=True)
    """Why it was held, as its author is told: restricted (the account is) | rules (a staff rule) |
    spam (the spam model, decision 0062); null for a comment never held."""


class CommentLike(Base):
    __tablename__ = "comment_likes"

    comment_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("comments.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utcnow)


class CommentMention(Base):
    __tablename__ = "comment_mentions"
    __table_args__ = (Index("ix_comment_mentions_user_id", "user_id"),)

    comment_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("comments.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )


class SavedPost(Base):
    """A post saved by an account; private to the saver. `id` orders the saved list."""

    __tablename__ = "saved_posts"
    __table_args__ = (
        Index("ix_saved_posts_user_id_id", "user_id", "id"),
        Index("ix_saved_posts_post_id", "post_id"),
    )

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    post_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    id: Mapped[int] = mapped_column(BigInteger, nullable=False, default=new_id, unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utcnow)


class Collection(IdMixin, TimestampMixin, Base):
    """A named set of one account's saved posts."""

    __tablename__ = "collections"
    __table_args__ = (UniqueConstraint("owner_id", "name_key"),)

    owner_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    name_key: Mapped[str] = mapped_column(String(100), nullable=False)
    """Lower-cased name: two collections of one owner cannot differ only by case."""


class CollectionPost(Base):
    __tablename__ = "collection_posts"
    __table_args__ = (
        Index("ix_collection_posts_collection_id_id", "collection_id", "id"),
        Index("ix_collection_posts_post_id", "post_id"),
    )

    collection_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("collections.id", ondelete="CASCADE"), primary_key=True
    )
    post_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    id: Mapped[int] = mapped_column(BigInteger, nullable=False, default=new_id, unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utcnow)

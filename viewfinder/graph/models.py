"""Edges between accounts. Each edge has a time-sortable id that list cursors page by."""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, Index, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from viewfinder.core.db import Base, IdMixin, TimestampMixin


def _user_fk() -> Mapped[int]:
    return mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)


class Follow(IdMixin, TimestampMixin, Base):
    """follower_id follows followee_id."""

    __tablename__ = "follows"
    __table_args__ = (
        UniqueConstraint("follower_id", "followee_id"),
        Index("ix_follows_followee_id_id", "followee_id", "id"),
        Index("ix_follows_follower_id_id", "follower_id", "id"),
    )

    follower_id: Mapped[int] = _user_fk()
    followee_id: Mapped[int] = _user_fk()


class FollowRequest(IdMixin, TimestampMixin, Base):
    """requester_id asked to follow the private account target_id; pending until answered."""

    __tablename__ = "follow_requests"
    __table_args__ = (
        UniqueConstraint("requester_id", "target_id"),
        Index("ix_follow_requests_target_id_id", "target_id", "id"),
    )

    requester_id: Mapped[int] = _user_fk()
    target_id: Mapped[int] = _user_fk()


class Block(IdMixin, TimestampMixin, Base):
    """blocker_id blocked blocked_id: each then sees the other as not existing."""

    __tablename__ = "blocks"
    __table_args__ = (
        UniqueConstraint("blocker_id", "blocked_id"),
        Index("ix_blocks_blocked_id", "blocked_id"),
    )

    blocker_id: Mapped[int] = _user_fk()
    blocked_id: Mapped[int] = _user_fk()


class Mute(IdMixin, TimestampMixin, Base):
    """muter_id hides muted_id from their feeds without unfollowing."""

    __tablename__ = "mutes"
    __table_args__ = (UniqueConstraint("muter_id", "muted_id"),)

    muter_id: Mapped[int] = _user_fk()
    muted_id: Mapped[int] = _user_fk()

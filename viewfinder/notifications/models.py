"""The inbox: notifications grouped the way Instagram shows them, and the real-time outbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from viewfinder.core.db import Base, IdMixin, TimestampMixin, UtcDateTime, utcnow
from viewfinder.core.ids import new_id


class NotificationGroup(IdMixin, TimestampMixin, Base):
    """One line of the inbox ("alice and 12 others liked your post").

    Actions of one kind on one target gather in the recipient's unread group for it; once read,
    the next action starts a new group. `sort_id` moves to a fresh ID at every new action, so the
    inbox (ordered by it) shows recently active groups first.
    """

    __tablename__ = "notification_groups"
    __table_args__ = (
        Index("ix_notification_groups_recipient_id_sort_id", "recipient_id", "sort_id"),
        Index("ix_notification_groups_recipient_id_group_key", "recipient_id", "group_key", "is_read"),
    )

    recipient_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    kind: Mapped[str] = mapped_column(String(30), nullable=False)
    group_key: Mapped[str] = mapped_column(String(80), nullable=False)
    post_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("posts.id", ondelete="CASCADE"), nullable=True
    )
    comment_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("comments.id", ondelete="CASCADE"), nullable=True
    )
    text: Mapped[str] = mapped_column(Text, nullable=False, default="")
    """A preview of the comment, for comment, reply and mention notifications (of the caption, for
    a mention in a caption)."""
    actor_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    sort_id: Mapped[int] = mapped_column(BigInteger, nullable=False, default=new_id)
    is_read: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utcnow, onupdate=utcnow)


class NotificationActor(Base):
    """An account that acted in a group; `id` orders them, newest first in "alice and 12 others"."""

    __tablename__ = "notification_actors"
    __table_args__ = (Index("ix_notification_actors_group_id_id", "group_id", "id"),)

    group_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("notification_groups.id", ondelete="CASCADE"), primary_key=True
    )
    actor_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    id: Mapped[int] = mapped_column(BigInteger, nullable=False, default=new_id)


class RealtimeEvent(Base):
    """Outbox of real-time events, written in the transaction that caused them.

    Every web process polls it and publishes new rows to its own channels, so an event raised in
    any process (a worker included) reaches a client connected to any web process. Rows older than
    a few minutes are pruned.
    """

    __tablename__ = "realtime_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(80), nullable=False)
    payload: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utcnow, index=True)


class InboxChange(Base):
    """A change to someone's inbox on its way to Cassandra (inbox_backend = "cassandra").

    The transactional outbox of the inbox: `notify`, `withdraw` and `mark_read` write a row in the
    transaction of what caused it (a like and its notification commit or roll back together), and
    `notifications.services.apply_changes` moves rows into Cassandra one at a time, in id order, and
    deletes each in the transaction that also queues its real-time event.
    """

    __tablename__ = "inbox_changes"
    __table_args__ = (Index("ix_inbox_changes_recipient_id_id", "recipient_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    recipient_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    change: Mapped[str] = mapped_column(String(10), nullable=False)
    """notify, withdraw or read."""
    kind: Mapped[str] = mapped_column(String(30), nullable=False, default="")
    group_key: Mapped[str] = mapped_column(String(80), nullable=False, default="")
    actor_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    post_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    comment_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    text: Mapped[str] = mapped_column(Text, nullable=False, default="")
    group_ids: Mapped[str | None] = mapped_column(Text, nullable=True)
    """For `read`: the JSON list of line ids to mark, or null for all of them."""
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utcnow)

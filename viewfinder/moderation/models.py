"""Moderation tables: reports (one account's complaint about a post, an account or a comment), the
cases they are grouped into (one open case per target, the staff's queue), staff notes on cases,
and the append-only audit log of staff actions."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    Select,
    String,
    Text,
    UniqueConstraint,
    func,
    select,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from viewfinder.core.db import Base, IdMixin, TimestampMixin, UtcDateTime

ReportTarget = Literal["post", "user", "comment"]
CaseTarget = Literal["post", "user", "comment", "appeal"]
"""What a case is about: a reported target, or an appeal against an action (target_id: the appeal)."""
ContentState = Literal["visible", "held", "removed"]
"""posts.moderation and comments.moderation: held is seen by its author alone until approved; removed
by no one (staff see it in the case)."""
ActionKind = Literal[
    "dismiss", "remove_content", "mark_sensitive", "restrict", "limit", "suspend", "ban", "delete"
]
AppealStatus = Literal["open", "upheld", "reversed"]
RuleKind = Literal["keyword", "link"]
RuleAction = Literal["block", "hold", "flag"]
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
        # A reporter's record (upheld and dismissed reports), which weighs their new reports.
        Index("ix_reports_reporter_id_status", "reporter_id", "status"),
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
    case_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("moderation_cases.id", ondelete="SET NULL"), nullable=True, index=True
    )
    """The case the report joined when it was filed (None for reports filed before cases existed)."""


CaseStatus = Literal["open", "actioned", "dismissed"]
"""open -> actioned | dismissed, like the reports in it; a new report of the target opens a new case."""


class ModerationCase(IdMixin, TimestampMixin, Base):
    """Everything reported (or, later, flagged) about one target while it waits for staff: one open
    case per target, which every new report joins. `priority_key` orders the queue (see
    moderation.cases.priority_key): it folds the age in, so the order never needs recomputing."""

    __tablename__ = "moderation_cases"
    __table_args__ = (
        # One open case per target: a concurrent second report finds the first's case.
        Index(
            "uq_moderation_cases_open_target",
            "target_kind",
            "target_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
        # The queue: open cases, highest priority first.
        Index("ix_moderation_cases_status_priority_key", "status", "priority_key", "id"),
        # Earlier cases of the same account.
        Index("ix_moderation_cases_target_owner_id_id", "target_owner_id", "id"),
    )

    target_kind: Mapped[CaseTarget] = mapped_column(String(16), nullable=False)
    target_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    target_owner_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    """The account behind the target (the account itself for an account), for its history."""
    status: Mapped[CaseStatus] = mapped_column(String(16), nullable=False, default="open")
    severity: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    """The gravest reason reported (moderation.cases.SEVERITY)."""
    reporters_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    """Distinct accounts that reported the target while the case was open."""
    automated_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    """0..1 from automated detection (spam, nudity, known-bad matches); None until it scores."""
    priority_key: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    claimed_by_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    """The staff member handling the case, so two moderators do not take the same one."""
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    excluded_moderator_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    """Who may not take this case: for an appeal, the moderator who took the appealed action."""


class CaseNote(IdMixin, TimestampMixin, Base):
    """A note between staff on a case."""

    __tablename__ = "moderation_case_notes"
    __table_args__ = (Index("ix_moderation_case_notes_case_id_id", "case_id", "id"),)

    case_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("moderation_cases.id", ondelete="CASCADE"), nullable=False
    )
    author_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    text: Mapped[str] = mapped_column(Text, nullable=False)


class AuditEntry(IdMixin, TimestampMixin, Base):
    """One staff action or change of role, written in the same transaction as the action by
    moderation.audit.record; nothing updates or deletes a row (account erasure aside: decision 0047).
    No foreign keys: an entry outlives the accounts and content it names."""

    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_actor_id_id", "actor_id", "id"),
        Index("ix_audit_entries_action_id", "action", "id"),
        Index("ix_audit_entries_target_kind_target_id_id", "target_kind", "target_id", "id"),
    )

    actor_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    """The staff account that acted; None for the instance's operator at the command line."""
    action: Mapped[str] = mapped_column(String(48), nullable=False)
    target_kind: Mapped[str] = mapped_column(String(16), nullable=False)
    target_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    reason: Mapped[str] = mapped_column(Text, nullable=False, default="")

    @classmethod
    def version_of(cls, actions: tuple[str, ...]) -> Select[tuple[int, int]]:
        """How many entries of these actions there are and the newest one's id: a version of what
        they change (the `core.cache.ReadOnChange` of staff rules, hash lists, thresholds)."""
        return select(func.count(cls.id), func.max(cls.id)).where(cls.action.in_(actions))


class ModerationAction(IdMixin, TimestampMixin, Base):
    """What staff did about a target (viewfinder.moderation.actions): the affected account's strikes
    are its actions with `strike` set; an appeal or staff may reverse one (`reversed_at`)."""

    __tablename__ = "moderation_actions"
    __table_args__ = (
        # An account's strikes and actions, newest first.
        Index("ix_moderation_actions_target_owner_id_id", "target_owner_id", "id"),
        Index("ix_moderation_actions_target_kind_target_id_id", "target_kind", "target_id", "id"),
        # Suspensions that run out (the sweep that lifts them).
        Index("ix_moderation_actions_kind_until", "kind", "until"),
    )

    case_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("moderation_cases.id", ondelete="SET NULL"), nullable=True, index=True
    )
    actor_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    kind: Mapped[ActionKind] = mapped_column(String(24), nullable=False)
    target_kind: Mapped[ReportTarget] = mapped_column(String(16), nullable=False)
    target_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    target_owner_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    policy: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    """The rule of the instance's policy broken (a name or a link), shown to the account."""
    strike: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    """When a suspension ends; None for every other action."""
    reversed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    reversed_by_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class Appeal(IdMixin, TimestampMixin, Base):
    """The affected account's one appeal against an action; it goes to the queue as a case of kind
    "appeal" that the acting moderator may not take."""

    __tablename__ = "moderation_appeals"

    action_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("moderation_actions.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    text: Mapped[str] = mapped_column(Text, nullable=False, default="")
    status: Mapped[AppealStatus] = mapped_column(String(16), nullable=False, default="open")
    case_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("moderation_cases.id", ondelete="SET NULL"), nullable=True
    )
    decided_by_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class ModerationRule(IdMixin, TimestampMixin, Base):
    """A keyword or link rule staff manage: what new text matching it meets (block: refused; hold:
    kept from everyone but its author until staff approve it; flag: published, and a case opened)."""

    __tablename__ = "moderation_rules"
    __table_args__ = (UniqueConstraint("kind", "pattern", name="uq_moderation_rules_kind_pattern"),)

    kind: Mapped[RuleKind] = mapped_column(String(16), nullable=False)
    pattern: Mapped[str] = mapped_column(String(200), nullable=False)
    action: Mapped[RuleAction] = mapped_column(String(16), nullable=False)
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_by_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)

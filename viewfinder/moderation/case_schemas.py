"""Response and request bodies of the staff queue: cases, their target in context, notes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from viewfinder.accounts.models import User
from viewfinder.accounts.schemas import UserSummary
from viewfinder.engagement.schemas import CommentOut
from viewfinder.mediakit.storage import MediaStorage
from viewfinder.moderation.cases import NOTE_MAX, priority_now
from viewfinder.moderation.models import (
    ActionKind,
    Appeal,
    AppealStatus,
    AuditEntry,
    CaseNote,
    CaseStatus,
    CaseTarget,
    ModerationAction,
    ModerationCase,
    Report,
    ReportReason,
    ReportTarget,
)
from viewfinder.posts.schemas import PostOut


class StaffRef(msgspec.Struct):
    """A staff member or account named in a case, by id and current username."""

    id: str
    username: str | None
    """Null when the account no longer exists."""

    @classmethod
    def of(cls, user_id: int, users: dict[int, User]) -> StaffRef:
        user = users.get(user_id)
        return cls(id=str(user_id), username=user.username if user else None)


class CaseOut(msgspec.Struct):
    """A case as the queue lists it."""

    id: str
    target: CaseTarget
    target_id: str
    account: StaffRef
    """The account behind the target (the account itself when it is reported)."""
    status: CaseStatus
    priority: int
    """Points now: severity, reporters, automated score, plus one an hour of waiting."""
    severity: int
    """The gravest reason reported, 1 (spam) to 5 (violence)."""
    reporters_count: int
    reasons: dict[ReportReason, int]
    """Reports by reason."""
    automated_score: float | None
    claimed_by: StaffRef | None
    claimed_at: datetime | None
    created_at: datetime
    resolved_at: datetime | None

    @classmethod
    def of(cls, case: ModerationCase, reasons: dict[ReportReason, int], users: dict[int, User]) -> CaseOut:
        return cls(
            id=str(case.id),
            target=case.target_kind,
            target_id=str(case.target_id),
            account=StaffRef.of(case.target_owner_id, users),
            status=case.status,
            priority=priority_now(case),
            severity=case.severity,
            reporters_count=case.reporters_count,
            reasons=reasons,
            automated_score=case.automated_score,
            claimed_by=None if case.claimed_by_id is None else StaffRef.of(case.claimed_by_id, users),
            claimed_at=case.claimed_at,
            created_at=case.created_at,
            resolved_at=case.resolved_at,
        )


class CaseReportOut(msgspec.Struct):
    id: str
    reporter: StaffRef
    reason: ReportReason
    details: str
    created_at: datetime

    @classmethod
    def of(cls, report: Report, users: dict[int, User]) -> CaseReportOut:
        return cls(
            id=str(report.id),
            reporter=StaffRef.of(report.reporter_id, users),
            reason=report.reason,
            details=report.details,
            created_at=report.created_at,
        )


class NoteOut(msgspec.Struct):
    id: str
    author: StaffRef
    text: str
    created_at: datetime

    @classmethod
    def of(cls, note: CaseNote, users: dict[int, User]) -> NoteOut:
        return cls(
            id=str(note.id),
            author=StaffRef.of(note.author_id, users),
            text=note.text,
            created_at=note.created_at,
        )


class NoteCreate(msgspec.Struct, forbid_unknown_fields=True):
    text: Annotated[str, msgspec.Meta(min_length=1, max_length=NOTE_MAX)]


class AccountContext(msgspec.Struct):
    """The account behind a case's target, as staff see it."""

    summary: UserSummary
    bio: str
    is_active: bool
    role: str
    posts_count: int
    followers_count: int
    following_count: int
    created_at: datetime
    recent_posts: list[PostOut]
    """Its newest posts (for a reported account), whoever may see them."""

    @classmethod
    def of(cls, user: User, storage: MediaStorage, recent_posts: list[PostOut]) -> AccountContext:
        return cls(
            summary=UserSummary.of(user, storage, None),
            bio=user.bio,
            is_active=user.is_active,
            role=user.role,
            posts_count=user.posts_count,
            followers_count=user.followers_count,
            following_count=user.following_count,
            created_at=user.created_at,
            recent_posts=recent_posts,
        )


class TargetContext(msgspec.Struct):
    """The reported thing as it is now: a post (with its author and media), a comment and its post,
    or an account with its recent posts. `deleted` when it no longer exists (then only the account
    may be left)."""

    deleted: bool
    post: PostOut | None
    comment: CommentOut | None
    account: AccountContext | None


class ActionOut(msgspec.Struct):
    """What staff did about a target (moderation.actions): an account's strike when `strike`."""

    id: str
    kind: ActionKind
    target: ReportTarget
    """What was acted on: the post or comment, or the account (account actions, and deletes of it)."""
    target_id: str
    account: StaffRef
    """The account acted against (the content's author)."""
    actor: StaffRef | None
    """The staff member who acted; null when that account no longer exists."""
    reason: str
    policy: str
    strike: bool
    until: datetime | None
    """When a suspension ends."""
    reversed_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, action: ModerationAction, users: dict[int, User]) -> ActionOut:
        return cls(
            id=str(action.id),
            kind=action.kind,
            target=action.target_kind,
            target_id=str(action.target_id),
            account=StaffRef.of(action.target_owner_id, users),
            actor=None if action.actor_id is None else StaffRef.of(action.actor_id, users),
            reason=action.reason,
            policy=action.policy,
            strike=action.strike,
            until=action.until,
            reversed_at=action.reversed_at,
            created_at=action.created_at,
        )


class AppealOut(msgspec.Struct):
    """An account's appeal against an action (the action, for staff)."""

    id: str
    text: str
    status: AppealStatus
    created_at: datetime
    decided_at: datetime | None
    action: ActionOut | None
    """The action appealed against (null in the appellant's own answer)."""

    @classmethod
    def of(cls, appeal: Appeal, action: ActionOut | None = None) -> AppealOut:
        return cls(
            id=str(appeal.id),
            text=appeal.text,
            status=appeal.status,
            created_at=appeal.created_at,
            decided_at=appeal.decided_at,
            action=action,
        )


class FlagOut(msgspec.Struct):
    """An automated flag put into the case (a keyword or link rule now; detection later)."""

    reason: str
    """Why, as the rule gave it (e.g. `keyword rule “cheap pills” (hold)`)."""
    score: float
    """That flag's score, 0..1 (the case's automated_score is the highest)."""
    created_at: datetime

    @classmethod
    def of(cls, entry: AuditEntry) -> FlagOut:
        return cls(
            reason=entry.reason,
            score=float((entry.after or {}).get("score", 0.0)),
            created_at=entry.created_at,
        )


class CaseDetailOut(msgspec.Struct):
    case: CaseOut
    target: TargetContext
    """For an appeal: what the appealed action was taken against."""
    reports: list[CaseReportOut]
    notes: list[NoteOut]
    earlier_cases: list[CaseOut]
    """Other cases about the same account, newest first (up to 20)."""
    actions: list[ActionOut]
    """What staff did in this case, oldest first."""
    appeal: AppealOut | None
    """For a case whose target is "appeal": the appeal and the action it is against."""
    flags: list[FlagOut]
    """Why rules flagged the case, oldest first ([] for a case with no automated flag)."""

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
    CaseNote,
    CaseStatus,
    CaseTarget,
    ModerationCase,
    Report,
    ReportReason,
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


class CaseDetailOut(msgspec.Struct):
    case: CaseOut
    target: TargetContext
    reports: list[CaseReportOut]
    notes: list[NoteOut]
    earlier_cases: list[CaseOut]
    """Other cases about the same account, newest first (up to 20)."""

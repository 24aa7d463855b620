"""Every write to reports goes through a function here.

A report is accepted only about something the reporter can see, under the same rules as reading it
(a private, blocked or unknown target is a 404, so reporting reveals nothing), and never about the
reporter or their own content. One reporter has at most one open report per target: a partial
unique index makes a repeat, even a concurrent one, find the first report instead of adding a row.
A new report joins its target's open case, the staff's queue (moderation.cases).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, and_, delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from viewfinder.accounts.models import User
from viewfinder.core.errors import invalid, not_found
from viewfinder.core.ids import new_id
from viewfinder.engagement.models import Comment
from viewfinder.engagement.services import visible_comment
from viewfinder.moderation.cases import join_case
from viewfinder.moderation.models import (
    Appeal,
    AuditEntry,
    CaseNote,
    ModerationAction,
    ModerationCase,
    Report,
    ReportReason,
    ReportTarget,
)
from viewfinder.policy import visible_accounts
from viewfinder.posts.models import Post
from viewfinder.posts.services import visible_post

REPORT_LIMIT = 30
"""Reports one account may file per window: enough for a bad day, too few to flood the queue."""
REPORT_WINDOW_SECONDS = 3600


@dataclass(frozen=True)
class Filed:
    report: Report
    created: bool
    """False when the reporter's earlier open report of the same target was found instead."""


async def _target_owner(db: AsyncSession, viewer: User, target: ReportTarget, target_id: int) -> int:
    """The account behind a target the viewer can see (the account itself for a user), else 404."""
    if target == "post":
        _, author = await visible_post(db, viewer, target_id)
        return author.id
    if target == "comment":
        comment, _, _ = await visible_comment(db, viewer, target_id)
        return comment.author_id
    found = await db.scalar(select(User.id).where(User.id == target_id, *visible_accounts(viewer.id)))
    if found is None:
        raise not_found("No such account.")
    return found


def _open_report(reporter_id: int, target: ReportTarget, target_id: int) -> Select[tuple[Report]]:
    """The reporter's open report of this target, if any."""
    return select(Report).where(
        Report.reporter_id == reporter_id,
        Report.target_kind == target,
        Report.target_id == target_id,
        Report.status == "open",
    )


async def file_report(
    db: AsyncSession,
    reporter: User,
    target: ReportTarget,
    target_id: int,
    reason: ReportReason,
    details: str = "",
) -> Filed:
    """Report a post, an account or a comment to the moderators; a repeat while the first report is
    open returns that report unchanged."""
    reporter_id = reporter.id
    owner_id = await _target_owner(db, reporter, target, target_id)
    if owner_id == reporter_id:
        what = "yourself" if target == "user" else f"your own {target}"
        raise invalid("target_id", f"You cannot report {what}.", code="cannot_report_self")
    existing = await db.scalar(_open_report(reporter_id, target, target_id))
    if existing is not None:
        return Filed(existing, created=False)
    report = Report(
        id=new_id(),
        reporter_id=reporter_id,
        target_kind=target,
        target_id=target_id,
        reason=reason,
        details=details.strip(),
        status="open",
    )
    db.add(report)
    try:
        await join_case(db, report, owner_id)
        await db.commit()
    except IntegrityError:  # a concurrent twin was filed first
        await db.rollback()
        twin = await db.scalar(_open_report(reporter_id, target, target_id))
        if twin is None:
            raise
        return Filed(twin, created=False)
    return Filed(report, created=True)


# --- account erasure (privacy.erasure) -------------------------------------------------------------

ACCOUNT_DATA_TABLES = (
    "reports",
    "moderation_cases",
    "moderation_case_notes",
    "audit_entries",
    "moderation_actions",
    "moderation_appeals",
)
"""Tables whose rows of an account `delete_account_data` removes (or, for the audit log, unlinks)."""


async def delete_account_data(db: AsyncSession, user_id: int) -> None:
    """Erase the reports the account filed and the reports about it, its posts and its comments
    (run before those go, while their ids can still be found), the cases about it and the notes it
    wrote as staff. Nothing of a deleted account stays for moderation history
    (docs/decisions/0032-your-data.md). The audit log keeps its entries, unlinked from the account
    (docs/decisions/0047-audit-log.md): entries it made lose their actor, entries about it, its
    posts or its comments lose their target and their before/after values; nothing else ever
    changes an entry."""
    its_posts = select(Post.id).where(Post.author_id == user_id)
    its_comments = select(Comment.id).where(Comment.author_id == user_id)
    about_it = or_(
        and_(Report.target_kind == "user", Report.target_id == user_id),
        and_(Report.target_kind == "post", Report.target_id.in_(its_posts)),
        and_(Report.target_kind == "comment", Report.target_id.in_(its_comments)),
    )
    its_cases = select(ModerationCase.id).where(ModerationCase.target_owner_id == user_id)
    await db.execute(
        update(AuditEntry)
        .where(
            or_(
                and_(AuditEntry.target_kind == "user", AuditEntry.target_id == user_id),
                and_(AuditEntry.target_kind == "post", AuditEntry.target_id.in_(its_posts)),
                and_(AuditEntry.target_kind == "comment", AuditEntry.target_id.in_(its_comments)),
                and_(AuditEntry.target_kind == "case", AuditEntry.target_id.in_(its_cases)),
            )
        )
        .values(target_id=None, before=None, after=None)
        .execution_options(synchronize_session=False)
    )
    await db.execute(
        update(AuditEntry)
        .where(AuditEntry.actor_id == user_id)
        .values(actor_id=None)
        .execution_options(synchronize_session=False)
    )
    await db.execute(
        update(ModerationCase)
        .where(ModerationCase.claimed_by_id == user_id)
        .values(claimed_by_id=None, claimed_at=None)
        .execution_options(synchronize_session=False)
    )
    await db.execute(delete(CaseNote).where(CaseNote.author_id == user_id))
    await db.execute(delete(Report).where(or_(Report.reporter_id == user_id, about_it)))
    await db.execute(delete(CaseNote).where(CaseNote.case_id.in_(its_cases)))
    await db.execute(
        update(Report)
        .where(Report.case_id.in_(its_cases))
        .values(case_id=None)
        .execution_options(synchronize_session=False)
    )
    # Actions against the account go, with their appeals (a cascade); actions it took as staff
    # and appeals it decided lose their actor.
    await db.execute(delete(Appeal).where(Appeal.user_id == user_id))
    await db.execute(delete(ModerationAction).where(ModerationAction.target_owner_id == user_id))
    await db.execute(
        update(ModerationAction)
        .where(ModerationAction.actor_id == user_id)
        .values(actor_id=None)
        .execution_options(synchronize_session=False)
    )
    await db.execute(
        update(ModerationAction)
        .where(ModerationAction.reversed_by_id == user_id)
        .values(reversed_by_id=None)
        .execution_options(synchronize_session=False)
    )
    await db.execute(
        update(Appeal)
        .where(Appeal.decided_by_id == user_id)
        .values(decided_by_id=None)
        .execution_options(synchronize_session=False)
    )
    await db.execute(
        update(ModerationCase)
        .where(ModerationCase.excluded_moderator_id == user_id)
        .values(excluded_moderator_id=None)
        .execution_options(synchronize_session=False)
    )
    await db.execute(delete(ModerationCase).where(ModerationCase.target_owner_id == user_id))
    await db.commit()

"""Every write to moderation cases goes through a function here.

A case gathers everything reported about one target while it waits for staff: there is at most one
open case per target (a partial unique index), and each new report joins it (`join_case`, in the
report's own transaction). The queue is ordered by priority, from the gravest reason reported
(`SEVERITY`), the distinct reporters weighed by their trust, an automated score (filled in by
detection later) and the case's age. Since the age grows alike for every case, the order is kept as
one number per case that never needs recomputing (`priority_key`,
docs/decisions/0048-moderation-cases.md).

A reporter's trust comes from their resolved reports (docs/decisions/0055): upheld ones (the case was
actioned, and the action not reversed on appeal) raise it, dismissed ones lower it, with a prior that
makes a new reporter neutral (`reporter_weight`). It is folded into the stored key when a report joins
a case, and when a case is resolved (or its action reversed) the other open cases its reporters
reported are rescored (`rescore_reported_by`, after the commit, by the ReportsResolved and
AppealDecided subscribers: thousands of cases for a prolific reporter, not on the moderator's
request), so the queue's read stays one index range.

Staff claim a case so two moderators do not take the same one (409 while another holds it), and
leave notes for each other. Claims and releases are audited.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple, cast

from sqlalchemy import Select, Table, and_, bindparam, exists, func, literal, select, tuple_, update
from sqlalchemy import case as sql_case
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from viewfinder.accounts.models import User
from viewfinder.core.db import utcnow
from viewfinder.core.errors import ApiError, invalid, not_found
from viewfinder.core.ids import new_id
from viewfinder.mediakit.storage import MediaStorage
from viewfinder.moderation import audit
from viewfinder.moderation.models import (
    AuditEntry,
    CaseNote,
    ModerationAction,
    ModerationCase,
    Report,
    ReportReason,
    ReportTarget,
)
from viewfinder.posts.cards import render_entities
from viewfinder.posts.models import Post
from viewfinder.posts.schemas import PostOut
from viewfinder.settings import Settings

SEVERITY: dict[str, int] = {
    "violence": 5,
    "hate": 4,
    "nudity": 4,
    "harassment": 3,
    "false_information": 2,
    "spam": 1,
    "other": 1,
}
"""How grave each report reason is, 1 to 5."""
SEVERITY_POINTS = 100
"""Priority points per step of severity."""
REPORTER_POINTS = 10
"""Points per distinct reporter of neutral trust, up to MAX_COUNTED_REPORTERS such reporters (a
pile-on is not ten times graver)."""
MAX_COUNTED_REPORTERS = 20
TRUST_PRIOR = 3
"""A reporter's record counts as if it began with this many upheld and this many dismissed reports:
a new reporter weighs 1, and a few reports move the weight only a little."""
SCORE_POINTS = 300
"""Points for an automated score of 1 (0..1): a sure detection weighs like three steps of severity."""
SECONDS_PER_POINT = 3600
"""Age adds one point an hour: a spam case waiting four days passes a fresh report of violence."""
NOTE_MAX = 2000
RECENT_POSTS = 6
"""How many of an account's newest posts staff see beside a case about it, or on its account view."""
CASE_CLAIMED = "case.claimed"
CASE_RELEASED = "case.released"


def reporter_weight(upheld: int, dismissed: int) -> float:
    """What one reporter counts for in a case's priority, from 0 to 2: 1 for a new reporter (or one
    as often upheld as dismissed), towards 2 for one whose reports are upheld, towards 0 for one
    whose reports are dismissed."""
    return 2 * (upheld + TRUST_PRIOR) / (upheld + dismissed + 2 * TRUST_PRIOR)


def base_points(severity: int, reporters: float, score: float | None) -> int:
    """A case's priority without its age; `reporters` is the sum of its reporters' weights."""
    counted = min(reporters, MAX_COUNTED_REPORTERS)
    return (
        severity * SEVERITY_POINTS + round(counted * REPORTER_POINTS) + round((score or 0.0) * SCORE_POINTS)
    )


def priority_key(severity: int, reporters: float, score: float | None, opened_at: datetime) -> int:
    """The queue's sort key, highest first. A case's priority now is `base + age / SECONDS_PER_POINT`
    = `(base * SECONDS_PER_POINT - opened) / SECONDS_PER_POINT + now / SECONDS_PER_POINT`: the last
    term is the same for every case, so ordering by the first never goes stale."""
    return base_points(severity, reporters, score) * SECONDS_PER_POINT - int(opened_at.timestamp())


def priority_now(case: ModerationCase, now: datetime | None = None) -> int:
    """The case's priority in points at this moment (what the queue shows): its stored key with
    the moment added back (see priority_key)."""
    return (case.priority_key + int((now or utcnow()).timestamp())) // SECONDS_PER_POINT


async def reporter_weights(db: AsyncSession, reporter_ids: Collection[int]) -> dict[int, float]:
    """Each reporter's weight from their resolved reports (one query, on ix_reports_reporter_id_status).
    A report whose case was actioned counts as dismissed once that action is reversed on appeal."""
    records: dict[int, dict[str, int]] = {reporter: {} for reporter in reporter_ids}
    if records:
        overturned = exists().where(
            ModerationAction.case_id == Report.case_id, ModerationAction.reversed_at.is_not(None)
        )
        outcome = sql_case(
            (and_(Report.status == "actioned", overturned), literal("dismissed")), else_=Report.status
        )
        rows = await db.execute(
            select(Report.reporter_id, outcome, func.count())
            .where(Report.reporter_id.in_(list(records)), Report.status.in_(("actioned", "dismissed")))
            .group_by(Report.reporter_id, outcome)
        )
        for reporter, status, count in rows.tuples():
            records[reporter][status] = int(count)
    return {
        reporter: reporter_weight(record.get("actioned", 0), record.get("dismissed", 0))
        for reporter, record in records.items()
    }


async def _case_reporters(db: AsyncSession, case_ids: Collection[int]) -> dict[int, list[int]]:
    """The distinct reporters of each case (one query)."""
    reporters: dict[int, list[int]] = {case_id: [] for case_id in case_ids}
    if reporters:
        rows = await db.execute(
            select(Report.case_id, Report.reporter_id).where(Report.case_id.in_(list(reporters))).distinct()
        )
        for case_id, reporter in rows.tuples():
            if case_id is not None:
                reporters[case_id].append(reporter)
    return reporters


async def case_reporters(db: AsyncSession, case_id: int) -> list[int]:
    """The distinct reporters of one case."""
    return (await _case_reporters(db, [case_id]))[case_id]


class _Scored(NamedTuple):
    reporters_count: int
    priority_key: int


async def _scores(
    db: AsyncSession, cases: Collection[tuple[int, int, float | None, datetime]]
) -> dict[int, _Scored]:
    """Each case's (id, severity, automated score, opened) → its distinct reporters and its priority
    key, each reporter weighed by their trust now (two queries for all the cases)."""
    reporters = await _case_reporters(db, [case_id for case_id, *_ in cases])
    weights = await reporter_weights(db, {r for found in reporters.values() for r in found})
    scored = {}
    for case_id, severity, score, opened in cases:
        found = reporters.get(case_id, [])
        weight = sum(weights[reporter] for reporter in found)
        scored[case_id] = _Scored(len(found), priority_key(severity, weight, score, opened))
    return scored


async def _rescore(db: AsyncSession, case: ModerationCase) -> None:
    """Count the case's distinct reporters and store its priority key."""
    scored = await _scores(db, [(case.id, case.severity, case.automated_score, case.created_at)])
    case.reporters_count, case.priority_key = scored[case.id]


async def rescore_reported_by(db: AsyncSession, reporter_ids: Collection[int]) -> None:
    """After these reporters' trust changed (a case of theirs was resolved): rescore the open cases
    they reported, however many (a prolific reporter has thousands): four statements, the last one
    UPDATE run for all of them at once. No commit."""
    if not reporter_ids:
        return
    reported = select(Report.case_id).where(Report.reporter_id.in_(reporter_ids), Report.status == "open")
    # Locked (in id order, so two closings cannot deadlock) as join_case locks the case it rescores.
    affected = (
        (
            await db.execute(
                select(
                    ModerationCase.id,
                    ModerationCase.severity,
                    ModerationCase.automated_score,
                    ModerationCase.created_at,
                )
                .where(ModerationCase.id.in_(reported), ModerationCase.status == "open")
                .order_by(ModerationCase.id)
                .with_for_update()
            )
        )
        .tuples()
        .all()
    )
    if not affected:
        return
    scored = await _scores(db, affected)
    table = cast(Table, ModerationCase.__table__)  # Core: one executemany, no ORM objects
    await db.execute(
        update(table)
        .where(table.c.id == bindparam("case_id"))
        .values(reporters_count=bindparam("count"), priority_key=bindparam("key")),
        [{"case_id": case_id, "count": count, "key": key} for case_id, (count, key) in scored.items()],
    )


def _open_case(target: ReportTarget, target_id: int) -> Select[tuple[ModerationCase]]:
    return select(ModerationCase).where(
        ModerationCase.target_kind == target,
        ModerationCase.target_id == target_id,
        ModerationCase.status == "open",
    )


async def _open_case_for(
    db: AsyncSession, target_kind: ReportTarget, target_id: int, owner_id: int
) -> ModerationCase:
    """The target's open case, locked, or a new one (severity, reporters and score 0: the caller
    fills them in and rescores it). Two writers opening one at once: the second finds the first's."""
    case: ModerationCase | None = await db.scalar(_open_case(target_kind, target_id).with_for_update())
    if case is not None:
        return case
    fresh = ModerationCase(
        id=new_id(),
        target_kind=target_kind,
        target_id=target_id,
        target_owner_id=owner_id,
        status="open",
        severity=0,
        reporters_count=0,
        created_at=utcnow(),
    )
    try:
        async with db.begin_nested():
            fresh.priority_key = priority_key(0, 0, None, fresh.created_at)
            db.add(fresh)
    except IntegrityError:  # a report or a flag of the same target opened it first
        case = await db.scalar(_open_case(target_kind, target_id))
        if case is None:
            raise
        return case
    return fresh


async def join_case(db: AsyncSession, report: Report, owner_id: int) -> ModerationCase:
    """Put a new (flushed or pending) report into its target's open case, opening one if there is
    none, and rescore the case. Does not commit: the report and its case commit together."""
    case = await _open_case_for(db, report.target_kind, report.target_id, owner_id)
    report.case_id = case.id
    await db.flush()
    reasons = await db.scalars(select(Report.reason).where(Report.case_id == case.id).distinct())
    case.severity = max((SEVERITY.get(reason, 1) for reason in reasons), default=0)
    await _rescore(db, case)
    return case


# --- reading -------------------------------------------------------------------------------------


async def queue(db: AsyncSession, after_case_id: int | None, limit: int) -> list[ModerationCase]:
    """Open cases, highest priority first (`limit` of them), after the case a page ended with. A
    case whose priority changed since (new reports) is found where it now belongs."""
    query = select(ModerationCase).where(ModerationCase.status == "open")
    if after_case_id is not None:
        last = (
            await db.execute(select(ModerationCase.priority_key).where(ModerationCase.id == after_case_id))
        ).scalar_one_or_none()
        if last is not None:
            # A row comparison, which SQLite and PostgreSQL both read as one index range; the same
            # test spelt with OR scanned the queue from its top (bench/moderation.py, page 11).
            query = query.where(
                tuple_(ModerationCase.priority_key, ModerationCase.id)
                < tuple_(literal(last), literal(after_case_id))
            )
    query = query.order_by(ModerationCase.priority_key.desc(), ModerationCase.id.desc()).limit(limit)
    return list((await db.scalars(query)).all())


async def reason_counts(db: AsyncSession, case_ids: list[int]) -> dict[int, dict[ReportReason, int]]:
    """How many reports of each reason each case holds (one query)."""
    counts: dict[int, dict[ReportReason, int]] = {case_id: {} for case_id in case_ids}
    if case_ids:
        rows = await db.execute(
            select(Report.case_id, Report.reason, func.count())
            .where(Report.case_id.in_(case_ids))
            .group_by(Report.case_id, Report.reason)
        )
        for case_id, reason, count in rows.tuples():
            if case_id is not None:
                counts[case_id][reason] = int(count)
    return counts


async def users_by_id(db: AsyncSession, user_ids: set[int]) -> dict[int, User]:
    if not user_ids:
        return {}
    return {user.id: user for user in await db.scalars(select(User).where(User.id.in_(user_ids)))}


async def get_case(db: AsyncSession, case_id: int) -> ModerationCase:
    case = await db.get(ModerationCase, case_id)
    if case is None:
        raise not_found("No such case.")
    return case


@dataclass(frozen=True)
class CaseFile:
    """What staff see of a case besides its target: its reports, notes and the account's history."""

    reports: list[Report]
    notes: list[CaseNote]
    earlier_cases: list[ModerationCase]
    flags: list[AuditEntry]
    """The automated flags put into the case (`flag_target`'s case.flagged entries), oldest first."""


EARLIER_CASES = 20


async def case_file(db: AsyncSession, case: ModerationCase) -> CaseFile:
    reports = await db.scalars(select(Report).where(Report.case_id == case.id).order_by(Report.id))
    notes = await db.scalars(select(CaseNote).where(CaseNote.case_id == case.id).order_by(CaseNote.id))
    earlier = await db.scalars(
        select(ModerationCase)
        .where(ModerationCase.target_owner_id == case.target_owner_id, ModerationCase.id != case.id)
        .order_by(ModerationCase.id.desc())
        .limit(EARLIER_CASES)
    )
    flags = await db.scalars(
        select(AuditEntry)
        .where(
            AuditEntry.target_kind == "case",
            AuditEntry.target_id == case.id,
            AuditEntry.action == CASE_FLAGGED,
        )
        .order_by(AuditEntry.id)
    )
    return CaseFile(list(reports.all()), list(notes.all()), list(earlier.all()), list(flags.all()))


# --- claiming and notes --------------------------------------------------------------------------


def _closed() -> ApiError:
    return ApiError(409, "case_closed", "This case is closed.")


async def claim(db: AsyncSession, staff: User, case_id: int) -> ModerationCase:
    """Take the case: 409 `case_claimed` while another staff member holds it (claiming one's own
    claim again changes nothing)."""
    case = await get_case(db, case_id)
    if case.status != "open":
        raise _closed()
    if case.excluded_moderator_id == staff.id:  # an appeal against this moderator's own action
        raise ApiError(
            409, "case_excluded", "You took the action appealed against: another moderator decides."
        )
    if case.claimed_by_id == staff.id:
        return case
    taken = await db.execute(
        update(ModerationCase)
        .where(
            ModerationCase.id == case_id,
            ModerationCase.status == "open",
            ModerationCase.claimed_by_id.is_(None),
        )
        .values(claimed_by_id=staff.id, claimed_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if getattr(taken, "rowcount", 0) != 1:
        await db.rollback()
        await db.refresh(case)
        if case.status != "open":
            raise _closed()
        holder = await db.scalar(select(User.username).where(User.id == case.claimed_by_id))
        raise ApiError(409, "case_claimed", f"{holder or 'Another staff member'} is handling this case.")
    audit.record(db, actor_id=staff.id, action=CASE_CLAIMED, target_kind="case", target_id=case_id, reason="")
    await db.commit()
    await db.refresh(case)
    return case


async def release(db: AsyncSession, staff: User, case_id: int) -> ModerationCase:
    """Let go of one's claim: 409 `case_claimed` when someone else holds it; nothing when nobody does."""
    case = await get_case(db, case_id)
    if case.claimed_by_id is None:
        return case
    if case.claimed_by_id != staff.id:
        holder = await db.scalar(select(User.username).where(User.id == case.claimed_by_id))
        raise ApiError(409, "case_claimed", f"{holder or 'Another staff member'} is handling this case.")
    case.claimed_by_id = None
    case.claimed_at = None
    audit.record(db, actor_id=staff.id, action=CASE_RELEASED, target_kind="case", target_id=case_id)
    await db.commit()
    return case


async def add_note(db: AsyncSession, staff: User, case_id: int, text: str) -> CaseNote:
    """A note between staff on the case (open or closed)."""
    await get_case(db, case_id)
    text = text.strip()
    if not text:
        raise invalid("text", "Write something.")
    if len(text) > NOTE_MAX:
        raise invalid("text", f"At most {NOTE_MAX} characters.")
    note = CaseNote(id=new_id(), case_id=case_id, author_id=staff.id, text=text)
    db.add(note)
    await db.commit()
    return note


# --- automated flags -----------------------------------------------------------------------------

CASE_FLAGGED = "case.flagged"


async def flag_target(
    db: AsyncSession, target_kind: ReportTarget, target_id: int, owner_id: int, *, score: float, reason: str
) -> ModerationCase:
    """Put an automated flag (a keyword or link rule now; detection later) into the target's open
    case, opening one if there is none, as `join_case` does for a report: the case's automated
    score becomes the higher of its own and `score` (0..1), and it is rescored. Recorded in the
    audit log as case.flagged with no actor (the instance did it), the score and the reason.
    Does not commit: the flagged write and its case commit together."""
    case = await _open_case_for(db, target_kind, target_id, owner_id)
    case.automated_score = max(case.automated_score or 0.0, score)
    await _rescore(db, case)
    audit.record(
        db,
        actor_id=None,
        action=CASE_FLAGGED,
        target_kind="case",
        target_id=case.id,
        after={"target": target_kind, "target_id": str(target_id), "score": score},
        reason=reason,
    )
    return case


async def recent_posts(
    db: AsyncSession, staff: User, owner: User, storage: MediaStorage, settings: Settings
) -> list[PostOut]:
    """The account's newest posts as staff see them (a case about an account, the account view)."""
    rows = (
        await db.execute(
            select(Post, User)
            .join(User, User.id == Post.author_id)
            .where(Post.author_id == owner.id)
            .order_by(Post.id.desc())
            .limit(RECENT_POSTS)
        )
    ).tuples()
    return await render_entities(db, staff, list(rows), storage, settings)

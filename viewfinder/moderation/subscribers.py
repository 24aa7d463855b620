"""What moderation does when other domains write (core.events, in the same transaction), and when a
case closes (after commit)."""

from __future__ import annotations

from typing import cast

from sqlalchemy.ext.asyncio import AsyncSession

from viewfinder.core.events import on
from viewfinder.moderation.cases import flag_target, rescore_reported_by
from viewfinder.moderation.events import AppealDecided, ReportsResolved
from viewfinder.moderation.models import ReportTarget
from viewfinder.screening import ContentFlagged


@on(ContentFlagged)
async def open_case_for_flagged_content(db: AsyncSession, event: ContentFlagged) -> None:
    """A caption, comment or profile held or flagged by a rule goes to the queue with its write."""
    await flag_target(
        db,
        cast(ReportTarget, event.target_kind),
        event.target_id,
        event.owner_id,
        score=event.score,
        reason=event.reason,
    )


@on(ReportsResolved, after_commit=True)
async def rescore_reporters_open_cases(db: AsyncSession, event: ReportsResolved) -> None:
    """The closed case's reporters have a new trust: their other open cases move in the queue.
    Idempotent (the scores are computed from what is stored)."""
    await rescore_reported_by(db, event.reporter_ids)
    await db.commit()


@on(AppealDecided, after_commit=True)
async def rescore_reporters_of_reversed_action(db: AsyncSession, event: AppealDecided) -> None:
    """An action reversed on appeal: its case's reports no longer count as upheld."""
    await rescore_reported_by(db, event.reporter_ids)
    await db.commit()

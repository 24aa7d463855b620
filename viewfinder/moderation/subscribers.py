"""What moderation does when other domains write (core.events, in the same transaction)."""

from __future__ import annotations

from typing import cast

from sqlalchemy.ext.asyncio import AsyncSession

from viewfinder.core.events import on
from viewfinder.moderation.cases import flag_target
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

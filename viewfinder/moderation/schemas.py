"""Request and response bodies of reports."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from viewfinder.moderation.models import Report, ReportReason, ReportStatus, ReportTarget

MAX_DETAILS = 1000


class ReportCreate(msgspec.Struct, forbid_unknown_fields=True):
    target: ReportTarget
    target_id: Annotated[str, msgspec.Meta(max_length=20)]
    """The id of the post, of the account (its profile's id) or of the comment."""
    reason: ReportReason
    details: Annotated[str, msgspec.Meta(max_length=MAX_DETAILS)] = ""
    """Anything more the reporter wants the moderators to know."""


class ReportOut(msgspec.Struct):
    id: str
    target: ReportTarget
    target_id: str
    reason: ReportReason
    details: str
    status: ReportStatus
    """open until staff resolve it: actioned or dismissed."""
    created_at: datetime

    @classmethod
    def of(cls, report: Report) -> ReportOut:
        return cls(
            id=str(report.id),
            target=report.target_kind,
            target_id=str(report.target_id),
            reason=report.reason,
            details=report.details,
            status=report.status,
            created_at=report.created_at,
        )

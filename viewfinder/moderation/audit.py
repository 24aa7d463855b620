"""The audit log: every staff action and change of role, append-only.

`record` adds an entry to the caller's transaction, so the entry and the action commit (or roll
back) together. Nothing updates or deletes an entry; the one exception is account erasure, which
unlinks an erased account from the log (moderation.services.delete_account_data, decision 0047).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from viewfinder.core.ids import new_id
from viewfinder.moderation.models import AuditEntry


def record(
    db: AsyncSession,
    *,
    actor_id: int | None,
    action: str,
    target_kind: str,
    target_id: int | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
) -> AuditEntry:
    """Add one entry to the open transaction (committed with the action it records). `actor_id` is
    None for the operator at the command line."""
    entry = AuditEntry(
        id=new_id(),
        actor_id=actor_id,
        action=action,
        target_kind=target_kind,
        target_id=target_id,
        before=before,
        after=after,
        reason=reason,
    )
    db.add(entry)
    return entry


async def entries(
    db: AsyncSession,
    *,
    before_id: int | None,
    limit: int,
    actor_id: int | None = None,
    action: str | None = None,
    target_kind: str | None = None,
    target_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[AuditEntry]:
    """Newest first, `limit` entries older than `before_id` matching every filter given."""
    query: Select[tuple[AuditEntry]] = select(AuditEntry)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    if actor_id is not None:
        query = query.where(AuditEntry.actor_id == actor_id)
    if action is not None:
        query = query.where(AuditEntry.action == action)
    if target_kind is not None:
        query = query.where(AuditEntry.target_kind == target_kind)
    if target_id is not None:
        query = query.where(AuditEntry.target_id == target_id)
    if since is not None:
        query = query.where(AuditEntry.created_at >= since)
    if until is not None:
        query = query.where(AuditEntry.created_at < until)
    return list((await db.scalars(query.order_by(AuditEntry.id.desc()).limit(limit))).all())

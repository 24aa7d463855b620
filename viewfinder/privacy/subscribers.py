"""What "your data" does when an export is requested or an erasure scheduled (core.events)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from viewfinder.core.events import on
from viewfinder.core.jobs import enqueue
from viewfinder.privacy.events import ErasureScheduled, ExportRequested
from viewfinder.privacy.tasks import build_data_export, erase_account


@on(ExportRequested, after_commit=True)
async def build_export(db: AsyncSession, event: ExportRequested) -> None:
    await enqueue(build_data_export, event.export_id)


@on(ErasureScheduled, after_commit=True)
async def erase_without_grace(db: AsyncSession, event: ErasureScheduled) -> None:
    """An erasure with no grace period starts at once; the others wait for `erase_due_accounts`."""
    if event.erase_now:
        await enqueue(erase_account, event.user_id)

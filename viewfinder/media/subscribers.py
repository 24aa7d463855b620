"""What the media domain does when an upload is stored (core.events, after commit)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from viewfinder.core.events import on
from viewfinder.core.jobs import enqueue
from viewfinder.media.events import MediaUploaded
from viewfinder.media.tasks import process_media


@on(MediaUploaded, after_commit=True)
async def process_upload(db: AsyncSession, event: MediaUploaded) -> None:
    """Queue the processing job (its retries, lease and recovery sweep: media.tasks)."""
    await enqueue(process_media, event.media_id)

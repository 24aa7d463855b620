"""Jobs write to the media storage viewfinder.wiring built and installed, not to one they would build
from the settings themselves (docs/decisions/0050): a worker, a CLI command and the app then cannot
disagree about where the files are."""

from __future__ import annotations

import dataclasses

import anyio.to_thread
from sqlalchemy.ext.asyncio import AsyncSession

from tests.helpers import small_photo
from viewfinder.accounts import services as accounts
from viewfinder.media import services as media
from viewfinder.media.tasks import process_media
from viewfinder.mediakit.storage import LocalMediaStorage, storage_from_settings
from viewfinder.settings import Settings
from viewfinder.wiring import build_backends


async def test_the_processing_job_writes_renditions_to_the_installed_storage(
    settings: Settings, db: AsyncSession
) -> None:
    # A storage the settings do not name: only the wiring can have handed it to the job.
    wired = LocalMediaStorage(settings.data_dir / "wired-media", settings.resolved_media_base_url)
    dataclasses.replace(build_backends(settings), storage=wired).install()
    owner = await accounts.signup(
        db, username="maker", email="maker@example.com", password="a long and unusual password"
    )
    item = await media.record_upload(
        db, wired, owner, small_photo(), filter_name="normal", crop=None, max_bytes=10**9, max_pixels=10**8
    )
    before = set(wired.list_keys())

    await anyio.to_thread.run_sync(process_media.call_local, item.id)  # the job's body, as a worker runs it

    await db.refresh(item)
    assert item.state == "ready"
    renditions = set(wired.list_keys()) - before
    assert renditions, "the job wrote no rendition to the installed storage"
    assert not renditions & set(storage_from_settings(settings).list_keys())

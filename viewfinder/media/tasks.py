"""Background jobs of the media domain."""

from __future__ import annotations

from huey import crontab

from viewfinder.core.jobs import current_settings, huey, run_with_db
from viewfinder.media import services
from viewfinder.media.storage import storage_from_settings


@huey.task(retries=4, retry_delay=10, retry_backoff=2)
def process_media(media_id: int) -> None:
    """Make an item's renditions. A storage or database failure is retried 10, 20, 40 and 80 s later."""
    storage = storage_from_settings(current_settings())
    run_with_db(lambda db: services.process_media_item(db, storage, media_id))


@huey.periodic_task(crontab(minute="*"))
def recover_abandoned_media() -> None:
    """Every minute, enqueue again the items a killed worker left half-done."""
    lease = current_settings().media_processing_lease_seconds
    for media_id in run_with_db(lambda db: services.abandoned_media_ids(db, lease)):
        process_media(media_id)

"""Background jobs of the media domain.

A worker processing an item holds it (`holding`): its consumer's heartbeat renews the item's lease
every few seconds, and every consumer's heartbeat looks for items whose lease ran out (their worker
died) and queues them again, so such an item is finished within seconds of the
`media_processing_lease_seconds`, not after a fixed long lease (docs/decisions/0037).
"""

from __future__ import annotations

import asyncio

from huey import crontab

from viewfinder.core.jobs import (
    current_settings,
    database_engine,
    holding,
    huey,
    register_lease,
    register_sweep,
    run_with_db,
)
from viewfinder.media import services
from viewfinder.mediakit.edge import installed_edge
from viewfinder.mediakit.storage import installed_storage


@huey.task(retries=4, retry_delay=10, retry_backoff=2)
def process_media(media_id: int) -> None:
    """Make an item's renditions. A storage or database outage is retried until it is over; any
    other failure 10, 20, 40 and 80 s later."""
    storage = installed_storage()  # the process's, built by viewfinder.wiring
    with holding("media", media_id):
        run_with_db(lambda db: services.process_media_item(db, storage, media_id))


@huey.periodic_task(crontab(minute="*"))
def recover_abandoned_media() -> None:
    """Enqueue again the items a dead worker left half-done, or whose job was lost: at every
    consumer heartbeat, and every minute as a periodic job too."""
    settings = current_settings()
    lease, queued = settings.media_processing_lease_seconds, settings.media_queued_lease_seconds
    with database_engine(settings.resolved_database_url).begin() as connection:
        taken = services.abandoned_media_ids(connection, lease, queued)
    for media_id in taken:
        process_media(media_id)


register_lease("media", services.renew_processing_leases)
register_sweep(recover_abandoned_media.call_local)


@huey.task(retries=8, retry_delay=5, retry_backoff=2)
def purge_from_edge(urls: list[str]) -> None:
    """Ask the edge cache to forget these media URLs (media.withdrawal); an edge or app that cannot
    be reached is tried again 5, 10, 20 … s later (refreshing an entry twice is harmless)."""
    asyncio.run(installed_edge().purge(urls))

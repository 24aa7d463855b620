"""Background jobs of this domain (registered on the Huey queue in viewfinder.core.jobs)."""

from __future__ import annotations

from huey import crontab

from viewfinder.core.jobs import current_settings, huey, run_with_db
from viewfinder.notifications.realtime import prune_events


@huey.periodic_task(crontab(minute="*"))
def prune_realtime_events() -> int:
    """Every minute, drop outbox rows older than the retention (every relay has long seen them)."""
    retention = current_settings().realtime_retention_seconds
    return run_with_db(lambda db: prune_events(db, retention))

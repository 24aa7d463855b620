"""Background jobs of this domain (registered on the Huey queue in viewfinder.core.jobs)."""

from __future__ import annotations

from huey import crontab

from viewfinder.core.jobs import current_settings, huey, run_with_db
from viewfinder.recommend import services


@huey.periodic_task(crontab(minute="17"))
def prune_interactions() -> int:
    """Every hour, drop interaction signals older than `interaction_retention_days`."""
    days = current_settings().interaction_retention_days
    return run_with_db(lambda db: services.prune(db, days))


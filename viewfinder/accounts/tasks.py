"""Background jobs of the accounts domain."""

from __future__ import annotations

from huey import crontab

from viewfinder.accounts import services
from viewfinder.core.jobs import huey, run_with_db


@huey.periodic_task(crontab(minute="17"))
def purge_expired_sessions() -> int:
    """Delete sessions past their expiry, hourly."""
    return run_with_db(services.purge_expired_sessions)

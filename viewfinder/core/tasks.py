"""Background jobs of the core: keeping the Redis job queue whole across Redis outages."""

from __future__ import annotations

from huey import crontab

from viewfinder.core.jobs import flush_handoff, huey


@huey.periodic_task(crontab(minute="*"))
def flush_job_handoff() -> int:
    """Every minute, move jobs handed off to the database while Redis was down into the queue."""
    return flush_handoff()

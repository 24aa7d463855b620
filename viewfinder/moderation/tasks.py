"""Background jobs of moderation."""

from __future__ import annotations

from huey import crontab

from viewfinder.core.jobs import huey, run_with_db
from viewfinder.moderation import enforcement


@huey.periodic_task(crontab(minute="*"))
def lift_expired_suspensions() -> int:
    """Every minute: make active again the accounts whose suspension has ended (a log-in lifts its
    own at once, accounts.standing)."""
    return run_with_db(enforcement.lift_expired_suspensions)

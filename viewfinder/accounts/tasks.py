"""Background jobs of the accounts domain."""

from __future__ import annotations

from huey import crontab

from viewfinder.accounts import security, services, twofactor
from viewfinder.core.jobs import current_settings, huey, run_with_db


@huey.periodic_task(crontab(minute="17"))
def purge_expired_sessions() -> int:
    """Delete sessions past their expiry, hourly."""
    return run_with_db(services.purge_expired_sessions)


@huey.periodic_task(crontab(minute="41"))
def purge_expired_challenges() -> int:
    """Delete log-in challenges, passkey ceremonies and trusted devices past their time, hourly."""
    return run_with_db(twofactor.purge_expired_challenges)


@huey.periodic_task(crontab(minute="23", hour="4"))
def purge_old_security_events() -> int:
    """Delete security-log lines older than security_event_retention_days, daily."""
    days = current_settings().security_event_retention_days
    return run_with_db(lambda db: security.purge_old_security_events(db, retention_days=days))

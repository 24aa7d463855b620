"""Background jobs of "your data": building exports, purging expired ones, erasing accounts."""

from __future__ import annotations

from huey import crontab

from viewfinder.core.jobs import current_settings, huey, run_with_db
from viewfinder.mediakit.storage import installed_storage
from viewfinder.privacy import erasure, services


@huey.task(retries=3, retry_delay=30, retry_backoff=2)
def build_data_export(export_id: int) -> None:
    """Build an export's ZIP; a storage or database outage is retried 30, 60 and 120 s later."""
    settings = current_settings()
    storage = installed_storage()  # the process's, built by viewfinder.wiring
    run_with_db(lambda db: services.build_export(db, storage, settings, export_id))


@huey.periodic_task(crontab(minute="*/15"))
def purge_expired_data_exports() -> int:
    """Every 15 minutes: delete expired exports (file, then row), and build again the ones whose
    build never started or was cut off."""
    storage = installed_storage()
    purged = run_with_db(lambda db: services.purge_expired_exports(db, storage))
    for export_id in run_with_db(services.abandoned_export_ids):
        build_data_export(export_id)
    return purged


@huey.task(retries=6, retry_delay=60, retry_backoff=2)
def erase_account(user_id: int) -> None:
    """Erase an account whose deletion is due; a failure half-way is retried (1, 2, 4... minutes
    later) and finishes what is left; the sweep below picks up an erasure whose retries ran out."""
    settings = current_settings()
    storage = installed_storage()
    run_with_db(lambda db: erasure.erase_account(db, storage, settings, user_id))


@huey.periodic_task(crontab(minute="*/10"))
def erase_due_accounts() -> int:
    """Every 10 minutes: erase the accounts whose grace period has ended, and resume erasures that
    stopped (a worker killed mid-way)."""
    due = run_with_db(services.due_erasures)
    for user_id in due:
        erase_account(user_id)
    return len(due)

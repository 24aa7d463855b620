"""Every write to data exports and account closures goes through a function here.

Data exports: `request_export` records a request (one in progress at a time, at most
`data_export_daily_limit` a day); the `build_data_export` job turns it into a ZIP in media storage
(`build_export`), and its owner downloads it until it expires (`purge_expired_exports` deletes
file and row). Closures: `deactivate` hides the account until its owner logs in again;
`schedule_deletion` hides it and has it erased once the grace period ends (privacy.erasure), unless
a log-in cancels it first (`reopen_on_login`).

Each change an owner should hear of is a line in their security log (accounts.security), so the
e-mail alerts that listen there can tell them: data_export_ready carries the export's id; the
message links to the web app's Settings, where downloading needs the owner logged in, in sudo mode.
"""

from __future__ import annotations

import logging
import secrets
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import anyio.to_thread
from sqlalchemy import Exists, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from viewfinder.accounts import security
from viewfinder.accounts.authcache import drop_after_commit
from viewfinder.accounts.models import User, UserSession
from viewfinder.accounts.security import NO_ORIGIN, Origin, commit_and_announce, record_security_event
from viewfinder.core.db import utcnow
from viewfinder.core.errors import ApiError, ServiceUnavailable, not_found
from viewfinder.core.events import emit
from viewfinder.core.ids import new_id
from viewfinder.media.services import delete_files
from viewfinder.mediakit.storage import MediaBackend, MediaStorage
from viewfinder.privacy.events import AccountClosed, ErasureScheduled, ExportRequested
from viewfinder.privacy.exports import ExportWriter
from viewfinder.privacy.models import AccountClosure, ClosureState, DataExport, ExportState
from viewfinder.settings import Settings

logger = logging.getLogger("viewfinder.privacy")

EXPORT_LEASE = timedelta(minutes=30)
"""A build running longer than this is taken to be abandoned (its worker died) and started again."""
EXPORT_ATTEMPTS = 3
"""Builds an export gets before it is marked failed."""
EXPORTS_PREFIX = "exports"
"""Where export files live in media storage: exports/<user id>/<export id>-<random>.zip. GET /media
never serves this prefix (media/api.py serves renditions and avatars only)."""
ERASURE_LEASE = timedelta(minutes=15)
"""An erasure claimed longer ago than this without finishing is started again by the sweep."""
ACCOUNT_DATA_TABLES = ("data_exports", "account_closures")
"""Tables holding an account's rows that `delete_account_data` removes (account_closures goes with
the users row, last, as erasure's own bookkeeping)."""


# --- data exports ---------------------------------------------------------------------------------


def export_key(user_id: int, export_id: int) -> str:
    return f"{EXPORTS_PREFIX}/{user_id}/{export_id}-{secrets.token_hex(8)}.zip"


async def request_export(
    db: AsyncSession, user: User, settings: Settings, origin: Origin = NO_ORIGIN
) -> DataExport:
    """Record a request for the account's data; `build_data_export` is queued once this commits
    (ExportRequested, privacy.subscribers). 409 `export_in_progress` while another is being
    built; 429 past the daily limit."""
    running = await db.scalar(
        select(DataExport.id).where(
            DataExport.user_id == user.id,
            DataExport.state.in_([ExportState.REQUESTED, ExportState.BUILDING]),
        )
    )
    if running is not None:
        raise ApiError(
            409, "export_in_progress", "Your data is being prepared; we'll tell you when it's ready."
        )
    day_ago = utcnow() - timedelta(days=1)
    recent = list(
        await db.scalars(
            select(DataExport.created_at)
            .where(
                DataExport.user_id == user.id,
                DataExport.created_at > day_ago,
                DataExport.state != ExportState.FAILED,
            )
            .order_by(DataExport.created_at)
        )
    )
    if len(recent) >= settings.data_export_daily_limit:
        wait = int((recent[0] + timedelta(days=1) - utcnow()).total_seconds()) + 1
        hours = max(1, round(wait / 3600))
        raise ApiError(
            429,
            "rate_limited",
            f"You can download your data once a day. Try again in about {hours} hour{'s' * (hours != 1)}.",
            headers={"Retry-After": str(max(1, wait))},
        )
    export = DataExport(
        id=new_id(), user_id=user.id, state=ExportState.REQUESTED, attempts=0, created_at=utcnow()
    )
    db.add(export)
    record_security_event(db, user.id, security.DATA_EXPORT_REQUESTED, origin, {"export_id": str(export.id)})
    await emit(db, ExportRequested(export_id=export.id, user_id=user.id))
    await commit_and_announce(db)
    return export


async def list_exports(db: AsyncSession, user: User) -> list[DataExport]:
    """The account's exports that have not expired, newest first (a handful at most)."""
    return list(
        await db.scalars(
            select(DataExport).where(DataExport.user_id == user.id).order_by(DataExport.id.desc())
        )
    )


async def ready_export(db: AsyncSession, user: User, export_id: int) -> DataExport:
    """One of the account's exports that can be downloaded now; 404 for anyone else's (or none),
    409 `export_not_ready` while it is being built or after it failed."""
    export = await db.scalar(
        select(DataExport).where(DataExport.id == export_id, DataExport.user_id == user.id)
    )
    if export is None or (export.expires_at is not None and export.expires_at <= utcnow()):
        raise not_found("No such export (downloads expire after a few days).")
    if export.state != ExportState.READY or export.file_key is None:
        raise ApiError(409, "export_not_ready", "This export is not ready to download.")
    return export


async def record_download(
    db: AsyncSession, user: User, export: DataExport, origin: Origin = NO_ORIGIN
) -> None:
    """Log a download of the account's data (it may be the one thing an attacker came for)."""
    record_security_event(db, user.id, security.DATA_EXPORT_DOWNLOADED, origin, {"export_id": str(export.id)})
    await commit_and_announce(db)


async def build_export(
    db: AsyncSession, storage: MediaBackend, settings: Settings, export_id: int
) -> DataExport | None:
    """Build one export's ZIP and store it (the `build_data_export` job). Idempotent: a ready or
    failed export is left as it is. A storage or database outage raises, so the queue retries,
    until the export has had EXPORT_ATTEMPTS builds; anything else marks it failed at once."""
    export = await db.get(DataExport, export_id)
    if export is None or export.state in (ExportState.READY, ExportState.FAILED):
        return export
    user = await db.get(User, export.user_id)
    if user is None:
        return None
    user_id = user.id  # plain values: a rollback below expires the objects
    export.state = ExportState.BUILDING
    export.started_at = utcnow()
    export.attempts += 1
    try:
        await db.commit()
    except StaleDataError:  # deleted meanwhile (its account is being erased)
        await db.rollback()
        return None

    with tempfile.TemporaryDirectory(prefix="viewfinder-export-") as folder:
        path = Path(folder) / "export.zip"
        try:
            await ExportWriter(db, storage, user, path, public_url=settings.public_url).write()
            await db.rollback()  # end the long read transaction before writing
            key = export_key(user_id, export_id)
            size = path.stat().st_size
            await anyio.to_thread.run_sync(storage.put_file, key, path, "application/zip")
        except ServiceUnavailable as exc:
            await db.rollback()
            if export.attempts < EXPORT_ATTEMPTS:
                raise
            return await _export_failed(db, export, str(exc))
        except Exception as exc:
            logger.exception("Building data export %s failed", export_id)
            await db.rollback()
            return await _export_failed(db, export, f"{type(exc).__name__}: {exc}")

    now = utcnow()
    expires_at = now + timedelta(hours=settings.data_export_expiry_hours)
    try:
        done = (
            await db.execute(
                update(DataExport)
                .where(DataExport.id == export_id, DataExport.state == ExportState.BUILDING)
                .values(
                    state=ExportState.READY,
                    file_key=key,
                    size_bytes=size,
                    finished_at=now,
                    expires_at=expires_at,
                    failure_message=None,
                )
                .returning(DataExport.id)
            )
        ).first()
        if done is None:
            raise StaleDataError("the export is gone")
        detail = {"export_id": str(export_id), "size_bytes": size, "expires_at": expires_at.isoformat()}
        record_security_event(db, user_id, security.DATA_EXPORT_READY, NO_ORIGIN, detail)
        await commit_and_announce(db)
    except (StaleDataError, IntegrityError):  # the export or the account went while it was built
        await db.rollback()
        security.forget_unannounced(db)
        await anyio.to_thread.run_sync(storage.delete, key)
        return None
    await db.refresh(export)
    return export


async def _export_failed(db: AsyncSession, export: DataExport, message: str) -> DataExport | None:
    await db.refresh(export)
    export.state = ExportState.FAILED
    export.finished_at = utcnow()
    export.expires_at = utcnow() + timedelta(days=1)
    export.failure_message = message[:300]
    try:
        await db.commit()
    except StaleDataError:
        await db.rollback()
        return None
    return export


async def purge_expired_exports(db: AsyncSession, storage: MediaStorage, now: datetime | None = None) -> int:
    """Delete every expired export's file, then its row; returns how many. A storage failure
    raises before the row goes, so the next run tries again (no file is ever orphaned)."""
    now = now or utcnow()
    expired = list(await db.scalars(select(DataExport).where(DataExport.expires_at <= now)))
    for export in expired:
        if export.file_key:
            await anyio.to_thread.run_sync(storage.delete, export.file_key)
        await db.execute(delete(DataExport).where(DataExport.id == export.id))
        await db.commit()
    return len(expired)


async def abandoned_export_ids(db: AsyncSession, now: datetime | None = None) -> list[int]:
    """Exports whose build never started or was cut off (a worker killed mid-build), to enqueue again."""
    cutoff = (now or utcnow()) - EXPORT_LEASE
    return list(
        await db.scalars(
            select(DataExport.id).where(
                ((DataExport.state == ExportState.REQUESTED) & (DataExport.created_at < cutoff))
                | ((DataExport.state == ExportState.BUILDING) & (DataExport.started_at < cutoff))
            )
        )
    )


async def delete_account_data(db: AsyncSession, user_id: int, storage: MediaBackend) -> None:
    """Erasure: every export of the account, files first (a failure raises and leaves the rows for
    the retry), and any export file not on a row (a build that finished as the account went)."""
    exports = list(await db.scalars(select(DataExport).where(DataExport.user_id == user_id)))
    keys = [export.file_key for export in exports if export.file_key]
    keys += await anyio.to_thread.run_sync(storage.list_keys, f"{EXPORTS_PREFIX}/{user_id}/")
    await delete_files(storage, keys)
    await db.execute(delete(DataExport).where(DataExport.user_id == user_id))
    await db.commit()


# --- deactivation and deletion --------------------------------------------------------------------


async def _close(db: AsyncSession, user: User, closure: AccountClosure) -> int:
    """Hide the account and end every session of it (the caller's too); returns how many."""
    db.add(closure)
    await db.execute(update(User).where(User.id == user.id).values(is_active=False))
    user.is_active = False
    ended = await db.execute(delete(UserSession).where(UserSession.user_id == user.id))
    drop_after_commit(db, user.id)  # its cached log-ins, in every process
    await emit(db, AccountClosed(user_id=user.id))
    return int(ended.rowcount or 0)  # type: ignore[attr-defined]


async def deactivate(db: AsyncSession, user: User, origin: Origin = NO_ORIGIN) -> None:
    """Hide the account everywhere (profile, posts, comments, media, search) and log out every
    session; logging in again brings it all back. The caller checks sudo mode."""
    now = utcnow()
    closure = AccountClosure(user_id=user.id, state=ClosureState.DEACTIVATED, closed_at=now)
    ended = await _close(db, user, closure)
    record_security_event(db, user.id, security.ACCOUNT_DEACTIVATED, origin, {"sessions_ended": ended})
    await commit_and_announce(db)


async def schedule_deletion(
    db: AsyncSession, user: User, *, grace: timedelta, origin: Origin = NO_ORIGIN
) -> AccountClosure:
    """Hide the account at once and have it erased when `grace` has passed (at once for a zero
    grace: ErasureScheduled queues `erase_account` once this commits). The caller checks sudo mode."""
    now = utcnow()
    closure = AccountClosure(
        user_id=user.id, state=ClosureState.DELETION_SCHEDULED, closed_at=now, delete_after=now + grace
    )
    ended = await _close(db, user, closure)
    detail = {
        "delete_after": closure.delete_after.isoformat() if closure.delete_after else "",
        "sessions_ended": ended,
    }
    record_security_event(db, user.id, security.DELETION_SCHEDULED, origin, detail)
    await emit(db, ErasureScheduled(user_id=user.id, erase_now=grace <= timedelta(0)))
    await commit_and_announce(db)
    return closure


def closed_by_owner() -> Exists:
    """A condition on User: its owner closed it and a log-in may open it again (a deletion that has
    begun cannot be stopped)."""
    return (
        select(AccountClosure.user_id)
        .where(AccountClosure.user_id == User.id, AccountClosure.state != ClosureState.DELETING)
        .exists()
    )


@dataclass(frozen=True)
class Reopened:
    """What a log-in undid: nothing, a deactivation, or a scheduled deletion."""

    reactivated: bool = False
    deletion_cancelled: bool = False


async def reopen_on_login(
    db: AsyncSession, user: User, *, cancel_deletion: bool, origin: Origin = NO_ORIGIN
) -> Reopened:
    """After a log-in proved the password: a deactivated account is active again; one scheduled
    for deletion is only when the person chose to cancel the deletion (else 409
    `deletion_scheduled`, naming the date, so the log-in screen can offer it). An account whose
    erasure has begun is refused like a wrong password (401)."""
    if user.is_active:
        return Reopened()
    closure = await db.get(AccountClosure, user.id)
    if closure is None or closure.state == ClosureState.DELETING:
        raise ApiError(401, "invalid_credentials", "The username or password is wrong.")
    if closure.state == ClosureState.DELETION_SCHEDULED and not cancel_deletion:
        when = closure.delete_after or utcnow()
        raise ApiError(
            409,
            "deletion_scheduled",
            f"This account is scheduled to be deleted on {when:%d %B %Y}. Cancel the deletion to log in.",
            {"delete_after": when.isoformat()},
        )
    scheduled = closure.state == ClosureState.DELETION_SCHEDULED
    # Only while no erasure has claimed it: the erasure's claim and this are one row each way.
    reopened = (
        await db.execute(
            delete(AccountClosure)
            .where(AccountClosure.user_id == user.id, AccountClosure.state == closure.state)
            .returning(AccountClosure.user_id)
            .execution_options(synchronize_session=False)
        )
    ).first()
    if reopened is None:
        await db.rollback()
        raise ApiError(401, "invalid_credentials", "The username or password is wrong.")
    await db.execute(update(User).where(User.id == user.id).values(is_active=True))
    user.is_active = True
    drop_after_commit(db, user.id)
    if scheduled:
        record_security_event(db, user.id, security.DELETION_CANCELLED, origin)
    record_security_event(db, user.id, security.ACCOUNT_REACTIVATED, origin)
    await commit_and_announce(db)
    db.expunge(closure)
    return Reopened(reactivated=True, deletion_cancelled=scheduled)


async def claim_erasure(db: AsyncSession, user_id: int, now: datetime | None = None) -> bool:
    """Mark the account's scheduled deletion as begun (a log-in can no longer cancel it), if it is
    due or already begun; False when there is nothing to erase (cancelled, not due, not asked for)."""
    now = now or utcnow()
    claimed = (
        await db.execute(
            update(AccountClosure)
            .where(
                AccountClosure.user_id == user_id,
                (
                    (AccountClosure.state == ClosureState.DELETION_SCHEDULED)
                    & (AccountClosure.delete_after <= now)
                )
                | (AccountClosure.state == ClosureState.DELETING),
            )
            .values(state=ClosureState.DELETING, erasing_since=now)
            .returning(AccountClosure.user_id)
            .execution_options(synchronize_session=False)
        )
    ).first()
    await db.commit()
    return claimed is not None


async def due_erasures(db: AsyncSession, now: datetime | None = None) -> list[int]:
    """Accounts whose grace period has ended, and erasures that began but stopped (a crash)."""
    now = now or utcnow()
    return list(
        await db.scalars(
            select(AccountClosure.user_id).where(
                (
                    (AccountClosure.state == ClosureState.DELETION_SCHEDULED)
                    & (AccountClosure.delete_after <= now)
                )
                | (
                    (AccountClosure.state == ClosureState.DELETING)
                    & (
                        func.coalesce(AccountClosure.erasing_since, AccountClosure.closed_at)
                        < now - ERASURE_LEASE
                    )
                )
            )
        )
    )

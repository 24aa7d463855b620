"""Session and API-token look-ups, cached for a moment and dropped at once in every process.

Every authenticated request used to run one joined query (`services.resolve_session` or
`resolve_api_token`) to find its session or token and its user. A web process now keeps what it
found for `auth_cache_seconds` (30 s), keyed by the token's hash. Several web processes serve the
same accounts (one per core, many hosts at scale), so an in-process cache alone could not be dropped
"at once" everywhere: each account has an **auth epoch** that every process reads on each cache hit,
and a hit whose account's epoch moved is a miss (docs/decisions/0042-auth-cache.md):

- embedded stack: a small file per account, `data_dir/auth-epochs/<user id>`; the epoch is its inode
  and modification time, read with one `os.stat`; a bump replaces the file (atomic, any process);
- scale stack (`redis_url`): a Redis key per account (`<namespace>:auth-epoch:<user id>`), one GET
  per hit; a Redis that is down makes every look-up a miss (the database answers), never an error.

A write drops the cached look-ups of the accounts it changed, after its commit (`drop_after_commit`;
`on_session_commit` then bumps their epochs, before the response is sent). Most of it is noticed
without a call: every ORM change of a `User`, `UserSession` or `ApiToken` row and every security
event but the harmless kinds (`_KEEPING_KINDS`). Services that change those rows with Core
statements call `drop_after_commit` themselves.
"""

from __future__ import annotations

import logging
import os
import secrets
import tempfile
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar

import anyio.to_thread
import redis
from redis.asyncio import Redis as AsyncRedis
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction, make_transient_to_detached

from viewfinder.accounts import security
from viewfinder.accounts.models import ApiToken, SecurityEvent, User, UserSession
from viewfinder.core import redis_client
from viewfinder.core.db import on_session_commit, utcnow
from viewfinder.settings import Settings

logger = logging.getLogger("viewfinder.accounts.authcache")

MAX_ENTRIES = 10_000
"""Look-ups one process keeps (least recently used first out): a few MB."""
EPOCH_KEY_SECONDS = 24 * 3600
"""How long a bumped Redis epoch is kept: far longer than a cached look-up lives (at most an hour),
so a key never expires back to "no epoch" under a look-up cached before it was set."""
_FAILURES: tuple[type[Exception], ...] = (*redis_client.UNAVAILABLE, RuntimeError)

Loaded = tuple[UserSession | None, User]
"""What a look-up finds: the session (None for an API token) and its user."""
Loader = Callable[[AsyncSession, str], Awaitable[Loaded | None]]


@dataclass(frozen=True, slots=True)
class Epoch:
    """An account's auth epoch as read now: `marker` changes at every bump; `bumped_ns` is when
    (wall clock, nanoseconds; 0 when never bumped)."""

    marker: object
    bumped_ns: int


NEVER_BUMPED = Epoch(marker=None, bumped_ns=0)


class EpochStore(Protocol):
    """Where the accounts' auth epochs live, shared by every process of the instance."""

    async def read(self, user_id: int) -> Epoch | None:
        """The epoch now, or None when it cannot be read (then nothing is cached or trusted)."""
        ...

    def bump_now(self, user_ids: list[int]) -> None:
        """Move these accounts' epochs (blocking; called in a worker thread)."""
        ...


class FileEpochs:
    """Epochs as files under data_dir: one `os.stat` to read, an atomic replace to bump. A replace
    makes a new inode, so the marker changes even within one tick of the file system's clock."""

    def __init__(self, directory: os.PathLike[str] | str) -> None:
        self.directory = os.fspath(directory)

    async def read(self, user_id: int) -> Epoch | None:
        try:
            stat = os.stat(os.path.join(self.directory, str(user_id)))
        except FileNotFoundError:
            return NEVER_BUMPED
        except OSError:
            return None
        return Epoch(marker=(stat.st_ino, stat.st_mtime_ns), bumped_ns=stat.st_mtime_ns)

    def bump_now(self, user_ids: list[int]) -> None:
        os.makedirs(self.directory, mode=0o700, exist_ok=True)
        for user_id in user_ids:
            descriptor, temporary = tempfile.mkstemp(dir=self.directory, prefix=f".{user_id}.")
            try:
                os.write(descriptor, str(time.time_ns()).encode())
            finally:
                os.close(descriptor)
            os.replace(temporary, os.path.join(self.directory, str(user_id)))


class RedisEpochs:
    """Epochs as Redis keys: one GET to read (with the web app's asyncio client), one SET to bump
    (a blocking client, so a bump works from any thread or process). The value is the bump's time
    and a random part."""

    def __init__(self, settings: Settings, client: AsyncRedis | None = None) -> None:
        self.prefix = redis_client.key(settings, "auth-epoch")
        self.url = redis_client.redis_url(settings)
        self.client = client
        self.outage = redis_client.Outage("the auth cache")
        self._pool: redis.ConnectionPool | None = None

    async def read(self, user_id: int) -> Epoch | None:
        if self.client is None or self.outage.skipping():
            return None
        try:
            value: bytes | None = await self.client.get(f"{self.prefix}:{user_id}")
        except _FAILURES as exc:
            self.outage.failed(exc)
            return None
        self.outage.recovered()
        if value is None:
            return NEVER_BUMPED
        bumped, _, _ = value.partition(b"-")
        return Epoch(marker=value, bumped_ns=int(bumped) if bumped.isdigit() else 0)

    def bump_now(self, user_ids: list[int]) -> None:
        if self._pool is None:
            self._pool = redis_client.sync_pool(self.url)
        client = redis.Redis(connection_pool=self._pool)
        pipeline = client.pipeline(transaction=False)
        for user_id in user_ids:
            value = f"{time.time_ns()}-{secrets.token_hex(4)}"
            pipeline.set(f"{self.prefix}:{user_id}", value, ex=EPOCH_KEY_SECONDS)
        pipeline.execute()  # type: ignore[no-untyped-call]


def epoch_store(settings: Settings, client: AsyncRedis | None = None) -> EpochStore:
    """Redis keys (read with this asyncio client) when the instance has Redis, else files under
    data_dir."""
    if settings.redis_url:
        return RedisEpochs(settings, client)
    return FileEpochs(settings.data_dir / "auth-epochs")


# --- the cache of one web process -------------------------------------------------------------------

RowT = TypeVar("RowT", User, UserSession)


def _snapshot(instance: RowT) -> RowT:
    """A detached copy of a loaded row's columns, shared by later requests (never attached itself:
    each request gets its own copy through `Session.merge(load=False)`, without a query)."""
    mapper = inspect(type(instance))
    copy: RowT = mapper.class_manager.new_instance()
    for attribute in mapper.column_attrs:
        setattr(copy, attribute.key, getattr(instance, attribute.key))
    make_transient_to_detached(copy)
    return copy


@dataclass(frozen=True, slots=True)
class _Entry:
    until: float  # time.monotonic()
    marker: object
    user: User
    session: UserSession | None
    session_expires_at: datetime | None


class AuthCache:
    """One web process's cached look-ups, keyed by the token's hash (see the module docstring)."""

    def __init__(
        self,
        epochs: EpochStore,
        *,
        seconds: float,
        guard_seconds: float,
        max_entries: int = MAX_ENTRIES,
    ) -> None:
        self.epochs = epochs
        self.seconds = seconds
        self.guard_ns = int(guard_seconds * 1e9)
        self.max_entries = max_entries
        self._entries: OrderedDict[str, _Entry] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    async def resolve(self, db: AsyncSession, token_hash: str, token: str, load: Loader) -> Loaded | None:
        """The session (None for an API token) and user of this credential: from the cache when
        its account's epoch has not moved, else from `load` (the database), cached when it is found."""
        if self.seconds <= 0:
            return await load(db, token)
        entry = self._entries.get(token_hash)
        if entry is not None:
            if await self._still_valid(entry):
                self._entries.move_to_end(token_hash)
                # Each request gets its own attached copy: what a handler changes is written by its
                # own session and never leaks into the cached one. No SQL is run.
                sync = db.sync_session
                user = sync.merge(entry.user, load=False)
                session = sync.merge(entry.session, load=False) if entry.session is not None else None
                return session, user
            self._entries.pop(token_hash, None)

        started_ns = time.time_ns()
        loaded = await load(db, token)
        if loaded is None:
            return None
        session, user = loaded
        epoch = await self.epochs.read(user.id)
        # A bump between the load and this read, or one the database (a lagging replica) may not
        # show yet, falls inside the guard: what was loaded is used but not kept.
        if epoch is not None and epoch.bumped_ns < started_ns - self.guard_ns:
            self._entries[token_hash] = _Entry(
                until=time.monotonic() + self.seconds,
                marker=epoch.marker,
                user=_snapshot(user),
                session=_snapshot(session) if session is not None else None,
                session_expires_at=session.expires_at if session is not None else None,
            )
            if len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return loaded

    async def _still_valid(self, entry: _Entry) -> bool:
        if entry.until <= time.monotonic():
            return False
        if entry.session_expires_at is not None and entry.session_expires_at <= utcnow():
            return False
        epoch = await self.epochs.read(entry.user.id)
        return epoch is not None and epoch.marker == entry.marker


def auth_cache_from_settings(settings: Settings, redis: AsyncRedis | None = None) -> AuthCache:
    """The web app's cache (one per app), reading epochs where this instance keeps them.
    viewfinder.wiring builds it and installs its epoch store (`use_epochs`), so this process's
    writes bump the epochs the cache reads."""
    # How recent a bump must be for a look-up not to be kept: the file system's clock ticks (ms);
    # clocks of Redis hosts differ a little; a replica may lag behind the primary by seconds.
    guard = 5.0 if settings.database_replica_url else 1.0 if settings.redis_url else 0.1
    return AuthCache(epoch_store(settings, redis), seconds=settings.auth_cache_seconds, guard_seconds=guard)


# --- dropping: bumps after the commit of a write ----------------------------------------------------

_MARKED = "viewfinder.authcache.marked"
"""session.info key: accounts changed in the session's open transaction."""
_COMMITTED = "viewfinder.authcache.committed"
"""session.info key: accounts changed by committed transactions, whose epochs are not bumped yet."""

_KEEPING_KINDS = frozenset(
    {
        security.ACCOUNT_CREATED,
        security.LOGIN_SUCCEEDED,
        security.LOGIN_FAILED,
        security.TOKEN_CREATED,
        security.REAUTHENTICATION_FAILED,
        security.TWO_FACTOR_FAILED,
        security.DATA_EXPORT_REQUESTED,
        security.DATA_EXPORT_READY,
        security.DATA_EXPORT_DOWNLOADED,
        security.PASSWORD_RESET_REQUESTED,
        security.EMAIL_CHANGE_REQUESTED,
    }
)
"""Security events that change no session, token or users row: they keep cached look-ups. Every
other kind (a log-out, a password change, a revoked token, two-factor changes...) drops them."""

_epochs: EpochStore | None = None


def use_epochs(epochs: EpochStore) -> None:
    """Make this the epoch store this process's writes bump (viewfinder.wiring, at start-up: the
    auth cache's own, so a web process, a job worker and a CLI command bump where the caches read)."""
    global _epochs
    _epochs = epochs


def drop_after_commit(db: AsyncSession | Session, user_id: int) -> None:
    """Drop the account's cached look-ups in every process once this transaction commits (call it
    in services that change its users row, sessions or tokens with Core statements)."""
    db.info.setdefault(_MARKED, set()).add(user_id)


@sqlalchemy_event.listens_for(Session, "before_flush")
def _notice_changes(session: Session, _context: Any, _instances: Any) -> None:
    marked: set[int] = set()
    for instance in session.new:
        if isinstance(instance, SecurityEvent) and instance.kind not in _KEEPING_KINDS:
            marked.add(instance.user_id)
    for instance in (*session.dirty, *session.deleted):
        if not isinstance(instance, User | UserSession | ApiToken):
            continue
        if instance in session.deleted or session.is_modified(instance):
            marked.add(instance.id if isinstance(instance, User) else instance.user_id)
    if marked:
        session.info.setdefault(_MARKED, set()).update(marked)


@sqlalchemy_event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    marked = session.info.pop(_MARKED, None)
    if marked:
        session.info.setdefault(_COMMITTED, set()).update(marked)


@sqlalchemy_event.listens_for(Session, "after_transaction_end")
def _ended(session: Session, transaction: SessionTransaction) -> None:
    # After a commit `_committed` has taken the marks already; what is left was rolled back.
    if transaction.parent is None:
        session.info.pop(_MARKED, None)


async def bump(user_ids: Iterable[int]) -> None:
    """Move these accounts' epochs now: every process's cached look-ups of them are misses."""
    ids = sorted(set(user_ids))
    if not ids:
        return
    if _epochs is None:
        raise RuntimeError("no auth epochs: viewfinder.wiring's build_backends(settings).install() sets them")
    await anyio.to_thread.run_sync(_epochs.bump_now, ids)


async def _bump_committed(session: AsyncSession) -> None:
    committed: set[int] | None = session.info.pop(_COMMITTED, None)
    if committed:
        try:
            await bump(committed)
        except Exception:  # the look-ups then live out their few seconds; say so loudly
            logger.exception("Could not drop the cached log-ins of accounts %s", sorted(committed))


on_session_commit(_bump_committed)

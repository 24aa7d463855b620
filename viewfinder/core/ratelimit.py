"""Fixed-window counters on Litestar's store interface (memory, file, or Redis when scaled out).

Every count is atomic on every backend, so parallel requests can never slip past a limit between
a read and a write: Redis counts in one Lua script, the file store (shared by the processes of one
machine) under an exclusive `flock` on a lock file beside it, and the memory store (one process)
under an asyncio lock. An attempt is counted *before* the work it limits (`reserve`), and a refused
attempt gives its count back, so a limit of 10 lets exactly 10 through however many arrive at once.

When the store is Redis and Redis cannot be reached, `rate_limit_fail_open` decides: let the
request through (the default; a warning is logged when the outage starts and ends) or refuse it
with 503 `service_unavailable`. See docs/decisions/0007-rate-limits.md, 0022-redis.md and
0028-account-safety.md.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol, TypeVar, runtime_checkable

import anyio.to_thread
from litestar.stores.base import StorageObject, Store
from litestar.stores.file import FileStore
from litestar.stores.redis import RedisStore
from redis.asyncio import Redis

from viewfinder.core.errors import ApiError, ServiceUnavailable
from viewfinder.core.redis_client import UNAVAILABLE, Outage

T = TypeVar("T")

UNAVAILABLE_RETRY_SECONDS = 5

# One round trip, exact under any concurrency: the first hit of a window sets its expiry (as does a
# hit on a key that somehow has none, so a counter can never outlive its window for good).
_INCREMENT_SCRIPT = b"""
local count = redis.call('INCR', KEYS[1])
if count == 1 or redis.call('TTL', KEYS[1]) < 0 then
    redis.call('EXPIRE', KEYS[1], ARGV[1])
end
return count
"""

# Give one count back: never below zero, never creating a key or touching its expiry.
_REFUND_SCRIPT = b"""
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count > 0 then
    return redis.call('DECR', KEYS[1])
end
return 0
"""


@runtime_checkable
class Counters(Protocol):
    """Atomic fixed-window counters: what a store needs to back the rate limiter exactly."""

    async def increment(self, key: str, window_seconds: int) -> int:
        """Count one event under key and return the count; the first event starts the window."""
        ...

    async def refund(self, key: str) -> None:
        """Take one count back (a refused or successful attempt); never below zero."""
        ...


class RedisCounterStore(RedisStore):
    """Litestar's Redis store with an atomic fixed-window counter (INCR and EXPIRE in one script)."""

    def __init__(self, redis: Redis, namespace: str) -> None:
        super().__init__(redis, namespace=namespace, handle_client_shutdown=False)
        self._increment_script = redis.register_script(_INCREMENT_SCRIPT)
        self._refund_script = redis.register_script(_REFUND_SCRIPT)

    async def increment(self, key: str, window_seconds: int) -> int:
        """Count one event under key; the window (the key's expiry) starts with its first event."""
        return int(await self._increment_script(keys=[self._make_key(key)], args=[window_seconds]))

    async def refund(self, key: str) -> None:
        await self._refund_script(keys=[self._make_key(key)])


class FileCounterStore(FileStore):
    """Litestar's file store with counters that are atomic across the processes sharing its folder
    (web workers and the job worker): each update reads and rewrites the counter's file under an
    exclusive `flock` on `<folder>.lock`, in a worker thread. The window's end is kept to the
    microsecond, as the file holds it. POSIX only, as is the rest of the embedded default."""

    def __init__(self, path: os.PathLike[str] | str) -> None:
        super().__init__(Path(path), create_directories=True)
        folder = Path(path)
        self._lock_path = folder.with_name(folder.name + ".lock")

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        Path(self.path).mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)  # closing the descriptor releases it
            yield
        finally:
            os.close(descriptor)

    def _update(self, key: str, window_seconds: int, change: int) -> int:
        target = Path(self._path_from_key(key))
        with self._exclusive():
            try:
                stored: StorageObject | None = StorageObject.from_bytes(target.read_bytes())
            except (FileNotFoundError, ValueError):
                stored = None
            if stored is not None and stored.expired:
                stored = None
            if stored is None:
                if change < 0:
                    return 0
                count = change
                expires_at = datetime.now(UTC) + timedelta(seconds=window_seconds)
            else:
                count = max(0, int(stored.data) + change)
                expires_at = stored.expires_at or datetime.now(UTC) + timedelta(seconds=window_seconds)
            self._write_sync(target, StorageObject(expires_at=expires_at, data=str(count).encode()))  # type: ignore[arg-type]
            return count

    async def increment(self, key: str, window_seconds: int) -> int:
        return await anyio.to_thread.run_sync(self._update, key, window_seconds, 1)

    async def refund(self, key: str) -> None:
        await anyio.to_thread.run_sync(self._update, key, 1, -1)


class LockedCounters:
    """Counters on any store, atomic within this process: read and write under one asyncio lock.
    Exact for the memory store, which belongs to one process anyway.

    The store reports a key's expiry in whole seconds only, so the window ends this object wrote
    are remembered here to the microsecond: a hit late in a window keeps it ending when it was
    going to (a short window polled often would otherwise be pushed back forever)."""

    PRUNE_AT = 10_000
    """Forget ended windows once this many are remembered."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = asyncio.Lock()
        self._ends: dict[str, datetime] = {}

    def _remaining(self, key: str, whole_seconds: int | None, now: datetime) -> timedelta | None:
        """What is left of the key's window: exact when this object set it, else from the store."""
        end = self._ends.get(key)
        if end is not None:
            return end - now if end > now else None
        if whole_seconds is None or whole_seconds < 0:
            return None
        # Under a second left reads as 0: keep the window ending then, not "never expires".
        return timedelta(seconds=max(1, whole_seconds))

    async def _write(self, key: str, count: int, remaining: timedelta, now: datetime) -> None:
        if len(self._ends) >= self.PRUNE_AT:
            self._ends = {k: end for k, end in self._ends.items() if end > now}
        self._ends[key] = now + remaining
        await self.store.set(key, str(count), expires_in=remaining)

    async def increment(self, key: str, window_seconds: int) -> int:
        async with self._lock:
            now = datetime.now(UTC)
            value = await self.store.get(key)
            if value is not None:
                remaining = self._remaining(key, await self.store.expires_in(key), now)
                if remaining is not None:
                    count = int(value) + 1
                    await self._write(key, count, remaining, now)
                    return count
            await self._write(key, 1, timedelta(seconds=window_seconds), now)  # a new window
            return 1

    async def refund(self, key: str) -> None:
        async with self._lock:
            now = datetime.now(UTC)
            value = await self.store.get(key)
            if value is None or int(value) <= 0:
                return
            remaining = self._remaining(key, await self.store.expires_in(key), now)
            if remaining is not None:
                await self._write(key, int(value) - 1, remaining, now)


@dataclass(frozen=True)
class Limit:
    """At most `limit` events under `key` in each window of `window_seconds`."""

    key: str
    limit: int
    window_seconds: int


class RateLimiter:
    """Counts events per key in a window and refuses past a limit with 429 and Retry-After."""

    def __init__(self, store: Store, *, fail_open: bool = True) -> None:
        self.store = store
        self.counters: Counters = store if isinstance(store, Counters) else LockedCounters(store)
        self.fail_open = fail_open
        self._outage = Outage("rate limits")

    async def _guarded(self, operation: Callable[[], Awaitable[T]], fallback: T) -> T:
        """Run one store operation; when the store is unreachable, fail open (fallback) or closed."""
        if not self._outage.skipping():
            try:
                result = await operation()
            except UNAVAILABLE as error:
                self._outage.failed(error)
            else:
                self._outage.recovered()
                return result
        if self.fail_open:
            return fallback
        raise ServiceUnavailable(
            "This is briefly unavailable. Try again in a moment.", retry_after=UNAVAILABLE_RETRY_SECONDS
        )

    async def count(self, key: str) -> int:
        value = await self._guarded(lambda: self.store.get(key), None)
        return int(value) if value is not None else 0

    async def retry_after(self, key: str, window_seconds: int) -> int:
        """Whole seconds until the key's window ends, rounded up (stores round down), at most the
        window; the whole window when the store does not say."""
        remaining = await self._guarded(lambda: self.store.expires_in(key), None)
        if remaining is None or remaining < 0:
            return max(1, window_seconds)
        return max(1, min(window_seconds, remaining + 1))

    async def hit(self, key: str, window_seconds: int) -> int:
        """Record one event; returns the count in the current window (0 when failing open)."""
        return await self._guarded(lambda: self.counters.increment(key, window_seconds), 0)

    async def refund(self, key: str) -> None:
        """Give back one event counted by `hit` or `reserve` (never below zero)."""
        await self._guarded(lambda: self.counters.refund(key), None)

    async def reset(self, key: str) -> None:
        await self._guarded(lambda: self.store.delete(key), None)

    async def refusal(self, key: str, window_seconds: int, message: str | None = None) -> ApiError:
        """The 429 for a key that is past its limit, with Retry-After until its window ends."""
        seconds = await self.retry_after(key, window_seconds)
        return too_many(seconds, message)

    async def check(self, keys: list[str], limit: int, window_seconds: int) -> None:
        """Refuse with 429 when any key has reached its limit already (counts nothing)."""
        for key in keys:
            if await self.count(key) >= limit:
                raise await self.refusal(key, window_seconds)

    async def reserve(self, limits: Sequence[Limit]) -> None:
        """Count this attempt against every limit at once, atomically per key; when any is past its
        limit, give every count back and refuse with 429. Call it *before* the work it limits."""
        counted: list[Limit] = []
        try:
            for limit in limits:
                counted.append(limit)
                if await self.hit(limit.key, limit.window_seconds) > limit.limit:
                    raise await self.refusal(limit.key, limit.window_seconds)
        except BaseException:
            for done in counted:
                await self.refund(done.key)
            raise

    async def consume(self, keys: list[str], limit: int, window_seconds: int) -> None:
        """Refuse past the limit, else count this event against every key."""
        await self.reserve([Limit(key, limit, window_seconds) for key in keys])


def too_many(seconds: int, message: str | None = None) -> ApiError:
    """429 `rate_limited` with Retry-After (whole seconds, at least 1)."""
    seconds = max(1, seconds)
    return ApiError(
        429,
        "rate_limited",
        message or f"Too many attempts. Try again in {seconds} seconds.",
        headers={"Retry-After": str(seconds)},
    )

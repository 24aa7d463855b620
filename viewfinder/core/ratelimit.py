"""Fixed-window counters on Litestar's store interface (memory, file, or Redis when scaled out).

When the store is Redis and Redis cannot be reached, `rate_limit_fail_open` decides: let the
request through (the default; a warning is logged when the outage starts and ends) or refuse it
with 503 `service_unavailable`. See docs/decisions/0007-rate-limits.md and 0022-redis.md.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from litestar.stores.base import Store
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


class RedisCounterStore(RedisStore):
    """Litestar's Redis store with an atomic fixed-window counter (INCR and EXPIRE in one script)."""

    def __init__(self, redis: Redis, namespace: str) -> None:
        super().__init__(redis, namespace=namespace, handle_client_shutdown=False)
        self._increment_script = redis.register_script(_INCREMENT_SCRIPT)

    async def increment(self, key: str, window_seconds: int) -> int:
        """Count one event under key; the window (the key's expiry) starts with its first event."""
        return int(await self._increment_script(keys=[self._make_key(key)], args=[window_seconds]))


class RateLimiter:
    """Counts events per key in a window and refuses past a limit with 429 and Retry-After."""

    def __init__(self, store: Store, *, fail_open: bool = True) -> None:
        self.store = store
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
        remaining = await self._guarded(lambda: self.store.expires_in(key), None)
        return max(1, remaining if remaining is not None else window_seconds)

    async def hit(self, key: str, window_seconds: int) -> int:
        """Record one event; returns the count in the current window (0 when failing open)."""
        store = self.store
        if isinstance(store, RedisCounterStore):
            return await self._guarded(lambda: store.increment(key, window_seconds), 0)
        return await self._guarded(lambda: self._read_then_write(key, window_seconds), 0)

    async def _read_then_write(self, key: str, window_seconds: int) -> int:
        value = await self.store.get(key)
        count = (int(value) if value is not None else 0) + 1
        remaining = await self.store.expires_in(key) if count > 1 else None
        # Stores report whole seconds, so under a second left reads as 0: keep the window ending
        # then rather than starting a whole new one (and 0 would mean "never expires").
        expires_in = max(1, remaining) if remaining is not None else window_seconds
        await self.store.set(key, str(count), expires_in=expires_in)
        return count

    async def reset(self, key: str) -> None:
        await self._guarded(lambda: self.store.delete(key), None)

    async def check(self, keys: list[str], limit: int, window_seconds: int) -> None:
        """Refuse with 429 when any key has reached its limit already."""
        for key in keys:
            if await self.count(key) >= limit:
                seconds = await self.retry_after(key, window_seconds)
                raise ApiError(
                    429,
                    "rate_limited",
                    f"Too many attempts. Try again in {seconds} seconds.",
                    headers={"Retry-After": str(seconds)},
                )

    async def consume(self, keys: list[str], limit: int, window_seconds: int) -> None:
        """Refuse past the limit, else count this event against every key."""
        await self.check(keys, limit, window_seconds)
        for key in keys:
            await self.hit(key, window_seconds)

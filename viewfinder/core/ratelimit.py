"""Fixed-window counters on Litestar's store interface (memory now, Redis when scaled out)."""

from __future__ import annotations

from litestar.stores.base import Store

from viewfinder.core.errors import ApiError


class RateLimiter:
    """Counts events per key in a window and refuses past a limit with 429 and Retry-After."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def count(self, key: str) -> int:
        value = await self.store.get(key)
        return int(value) if value is not None else 0

    async def retry_after(self, key: str, window_seconds: int) -> int:
        remaining = await self.store.expires_in(key)
        return max(1, remaining if remaining is not None else window_seconds)

    async def hit(self, key: str, window_seconds: int) -> int:
        """Record one event; returns the count in the current window."""
        count = await self.count(key) + 1
        remaining = await self.store.expires_in(key) if count > 1 else None
        # Stores report whole seconds, so under a second left reads as 0: keep the window ending
        # then rather than starting a whole new one (and 0 would mean "never expires").
        expires_in = max(1, remaining) if remaining is not None else window_seconds
        await self.store.set(key, str(count), expires_in=expires_in)
        return count

    async def reset(self, key: str) -> None:
        await self.store.delete(key)

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

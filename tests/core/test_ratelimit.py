"""The fixed-window rate limiter on a real Litestar MemoryStore: limits, Retry-After, reset, expiry."""

from __future__ import annotations

import asyncio

import pytest
from litestar.stores.memory import MemoryStore

from viewfinder.core.errors import ApiError
from viewfinder.core.ratelimit import RateLimiter


@pytest.fixture
def limiter() -> RateLimiter:
    return RateLimiter(MemoryStore())


async def test_consume_allows_up_to_the_limit_then_refuses_with_retry_after(limiter):
    for _ in range(3):
        await limiter.consume(["login:ip:1.2.3.4"], limit=3, window_seconds=60)
    assert await limiter.count("login:ip:1.2.3.4") == 3

    with pytest.raises(ApiError) as caught:
        await limiter.consume(["login:ip:1.2.3.4"], limit=3, window_seconds=60)
    error = caught.value
    assert error.status_code == 429
    assert error.code == "rate_limited"
    retry_after = error.headers["Retry-After"]
    assert retry_after.isdigit()
    assert 1 <= int(retry_after) <= 60
    assert retry_after in error.message
    # A refused attempt is not counted.
    assert await limiter.count("login:ip:1.2.3.4") == 3


async def test_other_keys_are_counted_apart(limiter):
    await limiter.consume(["login:ip:1.1.1.1"], limit=1, window_seconds=60)
    await limiter.consume(["login:ip:2.2.2.2"], limit=1, window_seconds=60)
    with pytest.raises(ApiError):
        await limiter.consume(["login:ip:1.1.1.1"], limit=1, window_seconds=60)


async def test_any_exhausted_key_refuses_and_nothing_is_counted(limiter):
    await limiter.consume(["ip:9.9.9.9", "account:alice"], limit=2, window_seconds=60)
    await limiter.consume(["ip:8.8.8.8", "account:alice"], limit=2, window_seconds=60)
    # A fresh IP is still refused for the exhausted account.
    with pytest.raises(ApiError) as caught:
        await limiter.consume(["ip:7.7.7.7", "account:alice"], limit=2, window_seconds=60)
    assert caught.value.status_code == 429
    assert await limiter.count("ip:7.7.7.7") == 0


async def test_check_refuses_without_counting(limiter):
    await limiter.check(["k"], limit=1, window_seconds=60)
    assert await limiter.count("k") == 0
    assert await limiter.hit("k", window_seconds=60) == 1
    with pytest.raises(ApiError):
        await limiter.check(["k"], limit=1, window_seconds=60)


async def test_reset_clears_the_count(limiter):
    for _ in range(2):
        await limiter.consume(["account:bob"], limit=2, window_seconds=60)
    with pytest.raises(ApiError):
        await limiter.consume(["account:bob"], limit=2, window_seconds=60)
    await limiter.reset("account:bob")
    assert await limiter.count("account:bob") == 0
    await limiter.consume(["account:bob"], limit=2, window_seconds=60)


async def test_window_expires(limiter):
    await limiter.consume(["signup:ip:5.5.5.5"], limit=1, window_seconds=1)
    with pytest.raises(ApiError) as caught:
        await limiter.consume(["signup:ip:5.5.5.5"], limit=1, window_seconds=1)
    assert caught.value.headers["Retry-After"] == "1"
    await asyncio.sleep(1.1)
    assert await limiter.count("signup:ip:5.5.5.5") == 0
    await limiter.consume(["signup:ip:5.5.5.5"], limit=1, window_seconds=1)


async def test_a_hit_late_in_the_window_does_not_start_a_new_window(limiter):
    await limiter.hit("login:account:carol", window_seconds=2)
    await asyncio.sleep(1.2)  # under a second of the window left
    assert await limiter.hit("login:account:carol", window_seconds=2) == 2
    # The window still ends about when it was going to, not two seconds from now.
    assert await limiter.store.expires_in("login:account:carol") == 0

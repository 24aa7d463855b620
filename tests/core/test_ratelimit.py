"""The fixed-window rate limiter on real Litestar stores (memory, and the file store several processes
share): limits, Retry-After, reset, expiry, refunds, and exact counts under concurrency."""

from __future__ import annotations

import asyncio
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from litestar.stores.memory import MemoryStore

from viewfinder.core.errors import ApiError
from viewfinder.core.ratelimit import FileCounterStore, Limit, RateLimiter


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


# --- Atomic counting on every embedded store (Redis: tests/core/test_ratelimit_redis.py) ----------


def file_limiter(tmp_path: Path) -> RateLimiter:
    return RateLimiter(FileCounterStore(tmp_path / "stores"))


async def test_concurrent_hits_on_the_memory_store_are_counted_exactly(limiter):
    counts = await asyncio.gather(*(limiter.hit("login:ip:1.2.3.4", 60) for _ in range(50)))
    assert sorted(counts) == list(range(1, 51))  # every hit saw its own count: no lost update
    assert await limiter.count("login:ip:1.2.3.4") == 50


async def test_concurrent_hits_on_the_file_store_are_counted_exactly(tmp_path):
    limiter = file_limiter(tmp_path)
    counts = await asyncio.gather(*(limiter.hit("login:ip:1.2.3.4", 60) for _ in range(50)))
    assert sorted(counts) == list(range(1, 51))
    assert await limiter.count("login:ip:1.2.3.4") == 50
    remaining = await limiter.store.expires_in("login:ip:1.2.3.4")
    assert remaining is not None
    assert 55 <= remaining <= 60  # the window started with the first hit and was not extended


def _hit_from_another_process(path: str, times: int) -> list[int]:
    async def hits() -> list[int]:
        limiter = RateLimiter(FileCounterStore(Path(path)))
        return [await limiter.hit("shared", 60) for _ in range(times)]

    return asyncio.run(hits())


def test_processes_sharing_a_file_store_never_lose_a_count(tmp_path):
    """Web workers and the job worker share data_dir/stores: their counts add up exactly."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=3, mp_context=context) as pool:
        results = list(pool.map(_hit_from_another_process, [str(tmp_path / "stores")] * 3, [30] * 3))
    counts = sorted(count for result in results for count in result)
    assert counts == list(range(1, 91))


@pytest.mark.parametrize("backend", ["memory", "file"])
async def test_parallel_reservations_let_exactly_the_limit_through(backend, tmp_path):
    limiter = RateLimiter(MemoryStore()) if backend == "memory" else file_limiter(tmp_path)

    async def attempt() -> bool:
        try:
            await limiter.reserve([Limit("pair", 10, 60), Limit("ip", 100, 60)])
        except ApiError:
            return False
        return True

    results = await asyncio.gather(*(attempt() for _ in range(40)))
    assert results.count(True) == 10
    # The refused attempts gave their counts back, on every key.
    assert await limiter.count("pair") == 10
    assert await limiter.count("ip") == 10


@pytest.mark.parametrize("backend", ["memory", "file"])
async def test_a_refund_gives_one_count_back_but_never_goes_below_zero(backend, tmp_path):
    limiter = RateLimiter(MemoryStore()) if backend == "memory" else file_limiter(tmp_path)
    await limiter.hit("k", 60)
    await limiter.hit("k", 60)
    await limiter.refund("k")
    assert await limiter.count("k") == 1
    await limiter.refund("k")
    await limiter.refund("k")
    assert await limiter.count("k") == 0
    await limiter.refund("never-counted")
    assert await limiter.store.get("never-counted") is None  # a refund creates nothing


async def test_a_short_window_hit_often_still_ends_on_time(limiter):
    """Whole-second expiries used to push a window polled more than once a second back forever."""
    await limiter.hit("slot", window_seconds=1)
    for _ in range(8):
        await asyncio.sleep(0.2)
        await limiter.hit("slot", window_seconds=1)
        if await limiter.count("slot") == 1:
            break  # a new window began
    else:
        pytest.fail("the one-second window never ended")


async def test_retry_after_rounds_up(limiter):
    await limiter.hit("k", window_seconds=3)
    await asyncio.sleep(0.5)  # 2.5 seconds left, which the store reports as 2
    with pytest.raises(ApiError) as caught:
        await limiter.consume(["k"], limit=1, window_seconds=3)
    assert caught.value.headers["Retry-After"] == "3"

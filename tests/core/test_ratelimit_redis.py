"""Rate limits on Redis: an exact counter under concurrency, and the documented rule when Redis
cannot be reached (fail open by default, 503 when `rate_limit_fail_open` is off).

The unreachable cases point at a loopback port nothing listens on, so they run on every stack; the
counter needs the Redis of `scripts/services/redis` (its `env` sets VIEWFINDER_REDIS_URL).
"""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from tests.conftest import PASSWORD, Api
from tests.helpers import assert_error, dedicated_api
from tests.stacks.redis import clear_namespace
from tests.test_cli import free_port
from viewfinder.core.errors import ApiError
from viewfinder.core.ratelimit import Limit, RateLimiter, RedisCounterStore

REDIS_URL = os.environ.get("VIEWFINDER_REDIS_URL")
needs_redis = pytest.mark.skipif(
    not REDIS_URL, reason="needs Redis: scripts/services/redis start && eval $(scripts/services/redis env)"
)


def unreachable_redis_url() -> str:
    """A Redis URL on a loopback port where nothing listens (connections are refused at once)."""
    return f"redis://127.0.0.1:{free_port()}/0"


@pytest.fixture
async def redis_store() -> AsyncIterator[RedisCounterStore]:
    assert REDIS_URL is not None
    namespace = f"vftest.ratelimit.{uuid.uuid4().hex[:12]}"
    client = Redis.from_url(REDIS_URL)
    try:
        yield RedisCounterStore(client, namespace=namespace)
    finally:
        await client.aclose()
        clear_namespace(REDIS_URL, namespace)


@needs_redis
async def test_concurrent_hits_are_counted_exactly_in_one_window(redis_store):
    limiter = RateLimiter(redis_store)
    counts = await asyncio.gather(*(limiter.hit("login:ip:1.2.3.4", 60) for _ in range(50)))

    assert sorted(counts) == list(range(1, 51))  # every hit saw its own count: no lost update
    assert await limiter.count("login:ip:1.2.3.4") == 50
    remaining = await redis_store.expires_in("login:ip:1.2.3.4")
    assert remaining is not None
    assert 55 <= remaining <= 60  # the window started at the first hit and was not extended
    with pytest.raises(ApiError) as caught:
        await limiter.consume(["login:ip:1.2.3.4"], limit=50, window_seconds=60)
    assert caught.value.status_code == 429
    assert 55 <= int(caught.value.headers["Retry-After"]) <= 60


@needs_redis
async def test_a_redis_window_expires_and_reset_clears_it(redis_store):
    limiter = RateLimiter(redis_store)
    await limiter.consume(["signup:ip:5.5.5.5"], limit=1, window_seconds=1)
    with pytest.raises(ApiError):
        await limiter.consume(["signup:ip:5.5.5.5"], limit=1, window_seconds=1)
    await asyncio.sleep(1.1)
    assert await limiter.count("signup:ip:5.5.5.5") == 0

    await limiter.hit("account:bob", 60)
    await limiter.reset("account:bob")
    assert await limiter.count("account:bob") == 0


@needs_redis
async def test_parallel_reservations_on_redis_let_exactly_the_limit_through(redis_store):
    limiter = RateLimiter(redis_store)

    async def attempt() -> bool:
        try:
            await limiter.reserve([Limit("pair", 10, 60), Limit("ip", 100, 60)])
        except ApiError:
            return False
        return True

    results = await asyncio.gather(*(attempt() for _ in range(40)))
    assert results.count(True) == 10
    assert await limiter.count("pair") == 10
    assert await limiter.count("ip") == 10
    await limiter.refund("pair")
    assert await limiter.count("pair") == 9
    await limiter.refund("never-counted")
    assert await redis_store.get("never-counted") is None  # a refund creates nothing


async def test_an_unreachable_store_lets_requests_through_and_warns_once(caplog):
    client = Redis.from_url(unreachable_redis_url())
    limiter = RateLimiter(RedisCounterStore(client, namespace="vftest.down"), fail_open=True)
    try:
        with caplog.at_level(logging.WARNING, logger="viewfinder.redis"):
            for _ in range(3):
                await limiter.consume(["login:ip:1.2.3.4"], limit=1, window_seconds=60)
            await limiter.check(["login:account:alice"], limit=1, window_seconds=60)
            await limiter.reset("login:account:alice")
    finally:
        await client.aclose()
    warnings = [record for record in caplog.records if "unavailable" in record.getMessage()]
    assert len(warnings) == 1, caplog.text


async def test_an_unreachable_store_refuses_with_503_when_failing_closed():
    client = Redis.from_url(unreachable_redis_url())
    limiter = RateLimiter(RedisCounterStore(client, namespace="vftest.down"), fail_open=False)
    try:
        with pytest.raises(ApiError) as caught:
            await limiter.consume(["signup:ip:1.2.3.4"], limit=10, window_seconds=60)
    finally:
        await client.aclose()
    assert (caught.value.status_code, caught.value.code) == (503, "unavailable")
    assert caught.value.headers["Retry-After"].isdigit()


def test_sign_up_and_log_in_are_served_while_redis_is_unreachable(settings):
    with dedicated_api(settings, store_backend="redis", redis_url=unreachable_redis_url()) as api:
        signed_up = api.post(
            "/accounts/signup",
            json={"username": "alice", "email": "alice@example.com", "password": PASSWORD},
        )
        assert signed_up.status_code == 201, signed_up.text
        fresh = Api(api.client)
        fresh.client.cookies.clear()
        logged_in = fresh.post("/accounts/login", json={"login": "alice", "password": PASSWORD})
        assert logged_in.status_code == 200, logged_in.text
        wrong = fresh.post("/accounts/login", json={"login": "alice", "password": "not the password at all"})
        assert_error(wrong, 401, "invalid_credentials")


def test_failing_closed_answers_503_in_the_error_shape(settings):
    with dedicated_api(
        settings, store_backend="redis", redis_url=unreachable_redis_url(), rate_limit_fail_open=False
    ) as api:
        refused = api.post(
            "/accounts/signup",
            json={"username": "alice", "email": "alice@example.com", "password": PASSWORD},
        )
        assert_error(refused, 503, "unavailable")
        assert refused.headers["retry-after"].isdigit()
        refused = api.post("/accounts/login", json={"login": "alice", "password": PASSWORD})
        assert_error(refused, 503, "unavailable")

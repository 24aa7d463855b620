"""Connections to Redis (the scale-out stores, real-time channels and job queue), and outage tracking.

Every client has short timeouts: a Redis that is down or unreachable must cost a request a moment,
never hang it. Callers catch `UNAVAILABLE` and degrade as each documents (see
docs/decisions/0022-redis.md): rate limits fail open or closed, real time pauses, jobs are handed
off to the database.
"""

from __future__ import annotations

import logging
import time

import redis
import redis.asyncio

from viewfinder.settings import ConfigurationError, Settings

logger = logging.getLogger("viewfinder.redis")

CONNECT_TIMEOUT_SECONDS = 2.0
"""How long opening a connection may take before Redis counts as unreachable."""
COMMAND_TIMEOUT_SECONDS = 5.0
"""How long one command may take (longer than the job queue's 1 s blocking read)."""
HEALTH_CHECK_SECONDS = 30
"""A pooled connection idle this long is pinged before use, so a restarted server is noticed."""

UNAVAILABLE: tuple[type[Exception], ...] = (redis.RedisError, OSError)
"""What a Redis call raises when the server is down, unreachable, refusing writes or too slow."""


def redis_url(settings: Settings) -> str:
    """The Redis URL, which any Redis backend needs."""
    if not settings.redis_url:
        raise ConfigurationError(
            "VIEWFINDER_REDIS_URL must be set when a store, the job queue or real time uses Redis."
        )
    return settings.redis_url


def async_client(settings: Settings) -> redis.asyncio.Redis:
    """An asyncio client (its own connection pool) for this process's web app."""
    client: redis.asyncio.Redis = redis.asyncio.Redis.from_url(
        redis_url(settings),
        socket_connect_timeout=CONNECT_TIMEOUT_SECONDS,
        socket_timeout=COMMAND_TIMEOUT_SECONDS,
        health_check_interval=HEALTH_CHECK_SECONDS,
    )
    return client


def sync_pool(url: str) -> redis.ConnectionPool:
    """A blocking connection pool (the job queue runs in threads)."""
    pool: redis.ConnectionPool = redis.ConnectionPool.from_url(  # type: ignore[no-untyped-call]
        url,
        socket_connect_timeout=CONNECT_TIMEOUT_SECONDS,
        socket_timeout=COMMAND_TIMEOUT_SECONDS,
        health_check_interval=HEALTH_CHECK_SECONDS,
    )
    return pool


def key(settings: Settings, *parts: str) -> str:
    """A key (or channel) name in this instance's namespace: `namespace:part:part`."""
    return ":".join((settings.redis_namespace, *parts))


class Outage:
    """What one user of Redis knows about an outage: logs its start and end once (not at every
    failing call) and, for `pause_seconds` after a failure, tells callers to skip Redis so each
    does not wait for a connection timeout of its own."""

    def __init__(self, what: str, pause_seconds: float = 1.0) -> None:
        self.what = what
        self.pause_seconds = pause_seconds
        self.down = False
        self._skip_until = 0.0

    def skipping(self) -> bool:
        return time.monotonic() < self._skip_until

    def failed(self, error: BaseException) -> None:
        self._skip_until = time.monotonic() + self.pause_seconds
        if not self.down:
            self.down = True
            logger.warning("Redis is unavailable for %s: %s", self.what, error or type(error).__name__)

    def recovered(self) -> None:
        self._skip_until = 0.0
        if self.down:
            self.down = False
            logger.warning("Redis is available again for %s", self.what)

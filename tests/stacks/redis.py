"""The redis part of the scale-out test stack (see tests/stacks/__init__.py).

Active when `VIEWFINDER_REDIS_URL` is set (`scripts/services/redis env`): each test gets a namespace
of its own on that server (rate-limit counters, real-time channels and claims), emptied when the test
ends. Jobs stay inline (`jobs_immediate`), as on the embedded stack; tests/faults/test_redis.py
drives the Redis job queue itself.
"""

from __future__ import annotations

import atexit
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

import redis


def url() -> str | None:
    return os.environ.get("VIEWFINDER_REDIS_URL") or None


@cache
def _client(redis_url: str) -> redis.Redis:
    return redis.Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=10)


def clear_namespace(redis_url: str, namespace: str) -> None:
    """Delete every key of a namespace."""
    client = _client(redis_url)
    batch: list[bytes] = []
    for name in client.scan_iter(match=f"{namespace}:*", count=1000):
        batch.append(name)
        if len(batch) >= 500:
            client.unlink(*batch)
            batch.clear()
    if batch:
        client.unlink(*batch)


def _isolate_this_process() -> None:
    """Give settings built straight from the environment (not through the `settings` fixture) a
    namespace of this test process, rather than the shared default, emptied when it exits."""
    redis_url = url()
    if os.environ.get("VIEWFINDER_TEST_STACK") != "scale" or redis_url is None:
        return
    if "VIEWFINDER_REDIS_NAMESPACE" not in os.environ:
        namespace = f"vftest.process{os.getpid()}"
        os.environ["VIEWFINDER_REDIS_NAMESPACE"] = namespace
        atexit.register(clear_namespace, redis_url, namespace)


@contextmanager
def for_test(test_name: str, worker: str) -> Iterator[dict[str, Any]]:
    """Settings overrides isolating one test on redis; cleaned up when the test ends."""
    redis_url = url()
    if redis_url is None:
        yield {}
        return
    namespace = f"vftest.{worker}.{uuid.uuid4().hex[:12]}"
    try:
        yield {"redis_url": redis_url, "store_backend": "redis", "redis_namespace": namespace}
    finally:
        clear_namespace(redis_url, namespace)


_isolate_this_process()

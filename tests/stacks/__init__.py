"""Which backends the test suite runs on: the embedded default, or the scale-out stack.

`VIEWFINDER_TEST_STACK=scale` (make test-scale) runs every test that builds its settings through the
`settings` fixture on PostgreSQL + Cassandra + Redis + S3, each started beforehand by
scripts/services/*. Each backend's module gives a test its own isolated space (a database cloned from a
migrated template, a Redis namespace, a bucket, a keyspace per test process) as settings overrides.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from tests.stacks import cassandra, postgres, redis, s3

SCALE = os.environ.get("VIEWFINDER_TEST_STACK", "embedded") == "scale"
PARTS = (postgres, redis, s3, cassandra)


def worker_id() -> str:
    """The pytest-xdist worker ("gw0", ...), or "main" without xdist."""
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@contextmanager
def scale_overrides(test_name: str) -> Iterator[dict[str, Any]]:
    """Settings overrides giving one test its own space on every scale-out backend (none embedded)."""
    if not SCALE:
        yield {}
        return
    with ExitStack() as stack:
        overrides: dict[str, Any] = {}
        for part in PARTS:
            overrides.update(stack.enter_context(part.for_test(test_name, worker_id())))
        yield overrides


def as_environment(overrides: dict[str, Any]) -> dict[str, str]:
    """Settings overrides as the VIEWFINDER_* variables a `viewfinder` subprocess reads (lists
    comma-separated), so servers a test starts run on the same stack as the test."""
    return {
        f"VIEWFINDER_{name.upper()}": ",".join(map(str, value)) if isinstance(value, list) else str(value)
        for name, value in overrides.items()
    }

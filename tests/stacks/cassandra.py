"""The cassandra part of the scale-out test stack (see tests/stacks/__init__.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def for_test(test_name: str, worker: str) -> Iterator[dict[str, Any]]:
    """Settings overrides isolating one test on cassandra; cleaned up when the test ends."""
    yield {}

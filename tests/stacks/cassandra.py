"""The cassandra part of the scale-out test stack (see tests/stacks/__init__.py).

Active when VIEWFINDER_TIMELINE_BACKEND=cassandra is exported (`eval "$(scripts/services/cassandra
env)"`): timelines and notification inboxes then live in Cassandra. Each test process gets its own
keyspace, made once by the project's migration code and dropped when the process ends; tests share it
without any per-test schema change or truncation, because every timeline and inbox is keyed by
account and post IDs, which are unique within a process (a leftover entry of another test would
name a post this test's database lacks, and the feed drops such entries at read time anyway).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from tests.stacks.processes import alive
from viewfinder.settings import Settings

if TYPE_CHECKING:
    from viewfinder.feeds.cassandra import CassandraTimelineStore

ACTIVE = os.environ.get("VIEWFINDER_TIMELINE_BACKEND") == "cassandra"

_keyspace: str | None = None
_current: Settings | None = None


def keyspace_for(worker: str) -> str:
    """This process's keyspace: per xdist worker and process, so concurrent runs never meet."""
    return f"test_{worker}_{os.getpid()}".lower()


def _settings_for(keyspace: str) -> Settings:
    return Settings(
        env="test",
        timeline_backend="cassandra",
        inbox_backend="cassandra",
        interaction_backend="cassandra",
        cassandra_keyspace=keyspace,
    )


def ensure_keyspace(worker: str) -> str:
    """Create this process's keyspace and tables on first use (`finish` drops them); drop the
    keyspaces of earlier test processes that did not get to drop theirs (killed runs)."""
    global _keyspace
    if _keyspace is None:
        from viewfinder.core import cassandra

        keyspace = keyspace_for(worker)
        settings = _settings_for(keyspace)
        session = cassandra.connect(settings)
        for name in list(session.cluster.metadata.keyspaces):
            found = re.fullmatch(r"test_\w+_(\d+)", name)
            if found and not alive(int(found.group(1))):
                session.execute(f"DROP KEYSPACE IF EXISTS {name}", timeout=cassandra.SCHEMA_TIMEOUT_SECONDS)
        cassandra.migrate(settings)
        _keyspace = keyspace
    return _keyspace


def finish() -> None:
    """At the end of the test session (pytest_sessionfinish): drop this process's keyspace and close
    the driver while its thread pools still run (at interpreter exit they are gone and it raises)."""
    global _keyspace
    if _keyspace is None:
        return
    from viewfinder.core import cassandra

    try:
        cassandra.drop_keyspace(_settings_for(_keyspace))
    finally:
        _keyspace = None
        cassandra.close_all()


def current_store() -> CassandraTimelineStore | None:
    """The running test's Cassandra timeline store, or None when timelines are in SQL (helpers in
    tests/feeds read stored timelines through it)."""
    if _current is None:
        return None
    from viewfinder.feeds.cassandra import CassandraTimelineStore

    return CassandraTimelineStore(_current)


def overrides() -> dict[str, Any]:
    """Settings that put timelines in this process's test keyspace ({} when Cassandra is not in use),
    for settings made outside the `settings` fixture (module-scoped instances, say)."""
    if not ACTIVE:
        return {}
    from tests.stacks import worker_id  # not at the top: tests.stacks imports this module

    return _chosen(ensure_keyspace(worker_id()))


def _chosen(keyspace: str) -> dict[str, Any]:
    node = _settings_for(keyspace)  # the node's address from the environment
    return {
        "timeline_backend": "cassandra",
        "inbox_backend": "cassandra",
        "interaction_backend": "cassandra",
        "cassandra_hosts": node.cassandra_hosts,
        "cassandra_port": node.cassandra_port,
        "cassandra_keyspace": keyspace,
    }


def environment() -> dict[str, str]:
    """The same as VIEWFINDER_* variables, for `viewfinder` commands a test starts ({} when unused)."""
    from tests.stacks import as_environment

    return as_environment(overrides())


@contextmanager
def for_test(test_name: str, worker: str) -> Iterator[dict[str, Any]]:
    """Settings overrides isolating one test on cassandra; cleaned up when the test ends."""
    global _current
    if not ACTIVE:
        yield {}
        return
    chosen = _chosen(ensure_keyspace(worker))
    _current = _settings_for(chosen["cassandra_keyspace"])
    try:
        yield chosen
    finally:
        _current = None

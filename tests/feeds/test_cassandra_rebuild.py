"""Recovery: `viewfinder cassandra-migrate` then `viewfinder rebuild-timelines` fill a brand-new
Cassandra keyspace from the SQL database (the source of truth), and the home feed reads it.

Needs a Cassandra node (scripts/services/cassandra): skipped without one, as on the embedded stack.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.feeds import feed, user_id
from tests.helpers import make_post
from tests.stacks import cassandra as cassandra_stack
from tests.stacks import worker_id
from viewfinder.accounts.models import User
from viewfinder.core import cassandra
from viewfinder.feeds import services
from viewfinder.feeds.cassandra import CassandraTimelineStore
from viewfinder.settings import Settings

pytestmark = pytest.mark.skipif(
    not cassandra_stack.ACTIVE,
    reason="needs Cassandra: scripts/services/cassandra start; eval $(scripts/services/cassandra env)",
)

VIEWFINDER = Path(sys.executable).parent / "viewfinder"


@pytest.fixture
def fresh(settings: Settings) -> Iterator[Settings]:
    """The test's settings on a keyspace that does not exist yet; dropped afterwards."""
    keyspace = f"rebuild_{worker_id()}_{os.getpid()}".lower()
    chosen = settings.model_copy(update={"timeline_backend": "cassandra", "cassandra_keyspace": keyspace})
    cassandra.drop_keyspace(chosen)
    try:
        yield chosen
    finally:
        cassandra.drop_keyspace(chosen)


def start(settings: Settings, *args: str) -> subprocess.Popen[str]:
    """The console script on the test's database and the settings' Cassandra keyspace."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("VIEWFINDER_")}
    env.update(
        {
            "VIEWFINDER_ENV": "development",
            "VIEWFINDER_DATA_DIR": str(settings.data_dir),
            "VIEWFINDER_DATABASE_URL": settings.resolved_database_url,
            "VIEWFINDER_TIMELINE_BACKEND": "cassandra",
            "VIEWFINDER_CASSANDRA_HOSTS": ",".join(settings.cassandra_hosts),
            "VIEWFINDER_CASSANDRA_PORT": str(settings.cassandra_port),
            "VIEWFINDER_CASSANDRA_KEYSPACE": settings.cassandra_keyspace,
        }
    )
    return subprocess.Popen(
        [str(VIEWFINDER), *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def viewfinder(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    process = start(settings, *args)
    stdout, stderr = process.communicate(timeout=120)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


async def test_rebuild_timelines_fills_a_fresh_cassandra_from_the_sql_database(alice, bob, carol, db, fresh):
    for followee in ("alice", "carol"):
        assert bob.post(f"/users/{followee}/follow").status_code == 200
    posted = [make_post(api)["id"] for api in (alice, bob, carol, alice)]
    assert feed(bob) == posted[::-1]

    migrated = viewfinder(fresh, "cassandra-migrate")
    assert migrated.returncode == 0, migrated.stderr
    assert f"Created keyspace {fresh.cassandra_keyspace}" in migrated.stdout
    assert f"Created table {fresh.cassandra_keyspace}.timelines" in migrated.stdout

    rebuilt = viewfinder(fresh, "rebuild-timelines")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "Rebuilt 3 timelines." in rebuilt.stdout

    store = CassandraTimelineStore(fresh)
    assert [str(e.post_id) for e in await store.page(user_id(bob), None, 100)] == posted[::-1]
    assert [str(e.post_id) for e in await store.page(user_id(alice), None, 100)] == [posted[3], posted[0]]
    viewer = await db.get_one(User, user_id(bob))
    page = await services.following_page(db, store, fresh, viewer, None, 20)
    assert [str(ref.id) for ref in page.rows] == posted[::-1]
    assert await store.holders(int(posted[0])) == sorted([user_id(alice), user_id(bob)])


def test_rebuild_timelines_explains_an_unreachable_cassandra(alice, settings):
    down = settings.model_copy(update={"cassandra_port": 9, "cassandra_keyspace": "nowhere"})

    # Started together: each is a fresh interpreter, and neither depends on the other.
    migrating, rebuilding = start(down, "cassandra-migrate"), start(down, "rebuild-timelines")
    _, migrated = migrating.communicate(timeout=120)
    _, rebuilt = rebuilding.communicate(timeout=120)

    assert migrating.returncode == 1
    assert "Cassandra at 127.0.0.1:9 is not reachable" in migrated
    assert rebuilding.returncode == 1
    assert "unavailable for a moment" in rebuilt
    assert "Traceback" not in migrated + rebuilt

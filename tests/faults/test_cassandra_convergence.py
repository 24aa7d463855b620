"""Fan-out never gives up on an outage (issue 12, docs/decisions/0037): Cassandra stopped for longer than
every retry window while posts are made, under a real `viewfinder worker`; once it is back, every post
is in every timeline it belongs to, with no command run by hand, no dead letter, and the outage in the
worker's log as one line when it began and one when it ended. And the documented inbox backup
(docs/deploy.md: `nodetool snapshot`, `refresh`) works on the project's node through
`scripts/services/cassandra nodetool`.

The node stopped here is a private one (tests/faults/test_cassandra.PrivateNode), so the other test
processes never see it go. Starting it takes a minute or so on a 2-core machine.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from tests import database
from tests.conftest import Api
from tests.faults import SERVICES, started
from tests.faults.test_cassandra import PrivateNode
from tests.feeds import user_id
from tests.helpers import make_post
from tests.stacks import SCALE
from tests.stacks import cassandra as cassandra_stack
from tests.test_cli import VIEWFINDER, environment, kill
from viewfinder.core import cassandra
from viewfinder.feeds.cassandra import CassandraTimelineStore
from viewfinder.settings import Settings

pytestmark = [
    pytest.mark.skipif(
        not (SCALE and cassandra_stack.ACTIVE),
        reason="a fault test of the scale stack: it needs Cassandra (scripts/services/cassandra)",
    ),
    pytest.mark.slow,
]

KEYSPACE = "convergence"
PROBE = f"{KEYSPACE}.backup_probe"  # a constant: no input reaches these statements
STACK_SETTINGS = (
    "database_url", "jobs_backend", "redis_url", "store_backend", "redis_namespace",
    "media_backend", "s3_bucket", "s3_endpoint_url", "s3_region", "s3_access_key_id", "s3_secret_access_key",
    "timeline_backend", "inbox_backend", "cassandra_hosts", "cassandra_port", "cassandra_keyspace",
)  # fmt: skip


@pytest.fixture(scope="module")
def node() -> Iterator[PrivateNode]:
    with started(PrivateNode()) as private:
        yield private


@pytest.fixture
def settings(settings: Settings, node: PrivateNode) -> Settings:
    """The test's settings, with timelines and inboxes on the private node, and jobs queued (in the
    data directory's SQLite queue) for a real worker rather than run inline."""
    chosen = settings.model_copy(
        update={
            "cassandra_hosts": ["127.0.0.1"],
            "cassandra_port": node.port,
            "cassandra_keyspace": KEYSPACE,
            "jobs_immediate": False,
        }
    )
    deadline = time.monotonic() + 60
    while True:  # after another test restarted the node, the driver takes a moment to reconnect
        try:
            cassandra.migrate(chosen)
            return chosen
        except cassandra.CassandraUnavailable:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)


def stack_environment(settings: Settings) -> dict[str, str]:
    """The settings' backends as the VIEWFINDER_* variables a `viewfinder` subprocess reads."""
    env = {}
    for name in STACK_SETTINGS:
        value: Any = getattr(settings, name)
        if value is None:
            continue
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        env[f"VIEWFINDER_{name.upper()}"] = (
            ",".join(map(str, value)) if isinstance(value, list) else str(value)
        )
    return env


@pytest.fixture
def worker_log(settings: Settings, tmp_path: Path) -> Iterator[Path]:
    """A `viewfinder worker` on the test's stack, its outage waits capped at 2 s; its log."""
    log_path = tmp_path / "worker.log"
    env = environment(
        settings.data_dir,
        **stack_environment(settings),
        VIEWFINDER_JOB_RETRY_MAX_DELAY_SECONDS="2",
        VIEWFINDER_JOB_HEARTBEAT_SECONDS="1",
    )
    with log_path.open("w") as log:
        worker = subprocess.Popen(
            [str(VIEWFINDER), "worker"], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        yield log_path
    finally:
        kill(worker.pid)
        worker.wait(timeout=10)


async def timeline(settings: Settings, api: Api) -> set[str]:
    entries = await CassandraTimelineStore(settings).page(user_id(api), None, 10_000)
    return {str(entry.post_id) for entry in entries}


async def wait_for_timelines(
    settings: Settings, holders: dict[str, Api], posts: set[str], seconds: float
) -> bool:
    """Whether every one of these timelines holds every one of these posts within `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            held = [await timeline(settings, api) for api in holders.values()]
            if all(posts <= timeline_posts for timeline_posts in held):
                return True
        except Exception:  # noqa: S110  # the driver reconnecting to the node
            pass
        await asyncio.sleep(1)
    return False


def dead_letters(settings: Settings) -> list[tuple[Any, ...]]:
    return database.query(settings, "SELECT task, arguments, reason FROM dead_letters")


async def test_posts_made_during_a_long_outage_reach_every_timeline_without_an_operator(
    alice, bob, carol, settings, node, worker_log
):
    for follower in (bob, carol):
        follower.post("/users/alice/follow")
    holders = {"alice": alice, "bob": bob, "carol": carol}
    before = make_post(alice, "before the outage")["id"]
    assert await wait_for_timelines(settings, holders, {before}, 120), worker_log.read_text()

    node.script("stop")
    stopped = time.monotonic()
    try:
        during = {make_post(alice, f"during the outage {n}")["id"] for n in range(3)}
        # Longer than every retry window: the fan-out jobs are tried again and again (their waits
        # capped at 2 s), far more often than their retries would allow a failure.
        await asyncio.sleep(max(0.0, 40 - (time.monotonic() - stopped)))
        assert dead_letters(settings) == []
    finally:
        node.script("start")

    # Nothing run by hand: the jobs' outage retries and the repair sweep fill every timeline.
    assert await wait_for_timelines(settings, holders, {before, *during}, 240), worker_log.read_text()
    assert dead_letters(settings) == []
    log = worker_log.read_text()
    assert log.count("Cassandra is unavailable") == 1, log
    assert log.count("Cassandra is available again") == 1, log
    assert "Traceback" not in log, log


def test_the_documented_snapshot_and_refresh_work_through_the_service_script(settings, node):
    session = cassandra.connect(settings)
    session.execute(f"CREATE TABLE IF NOT EXISTS {PROBE} (id int PRIMARY KEY, note text)")
    session.execute(f"INSERT INTO {PROBE} (id, note) VALUES (1, 'kept')")  # noqa: S608

    def nodetool(*args: str) -> str:
        done = subprocess.run(
            [str(SERVICES / "cassandra"), "nodetool", *args],
            env=node.env, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    nodetool("flush", KEYSPACE)
    assert "Snapshot directory: probe" in nodetool("snapshot", "-t", "probe", KEYSPACE)
    data = Path(node.services_dir) / "cassandra" / "data" / KEYSPACE
    [table_dir] = [path for path in data.iterdir() if path.name.startswith("backup_probe-")]
    snapshot = table_dir / "snapshots" / "probe"
    assert list(snapshot.glob("*-Data.db")), list(snapshot.iterdir())

    # Lost after the snapshot; restored as docs/deploy.md says: TRUNCATE, copy the files, refresh.
    session.execute(f"TRUNCATE {PROBE}")
    assert list(session.execute(f"SELECT note FROM {PROBE}")) == []  # noqa: S608
    for path in snapshot.iterdir():
        if path.is_file():
            shutil.copy(path, table_dir / path.name)
    nodetool("refresh", KEYSPACE, "backup_probe")
    restored = session.execute(f"SELECT note FROM {PROBE}")  # noqa: S608
    assert [row.note for row in restored] == ["kept"]
    nodetool("clearsnapshot", "-t", "probe", KEYSPACE)
    assert not snapshot.exists()

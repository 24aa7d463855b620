"""Cassandra stopped under a running app: the home feed (unless its timeline's top is kept in Redis)
and the notification inbox answer 503 in the API's error shape (never a 500), posting and liking
still work and lose nothing, and everything recovers once Cassandra is back.

The node stopped here is a private one (its own folder and ports, started by the same
scripts/services/cassandra, sharing the suite node's jars), so the other test processes sharing
the suite's node never see it go. Starting it takes a minute or so on a 2-core machine.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Api
from tests.faults import PrivateService, started
from tests.feeds import feed
from tests.helpers import assert_error, make_post
from tests.stacks import SCALE
from tests.stacks import cassandra as cassandra_stack
from tests.test_cli import free_port
from viewfinder.core import cassandra
from viewfinder.core.jobs import huey
from viewfinder.settings import Settings

pytestmark = pytest.mark.skipif(
    not (SCALE and cassandra_stack.ACTIVE),
    reason="a fault test of the scale stack: it needs Cassandra (scripts/services/cassandra)",
)

SUITE_SERVICES_DIR = Path(
    os.environ.get("VIEWFINDER_SERVICES_DIR")
    or Path(os.environ.get("TMPDIR") or tempfile.gettempdir()) / "viewfinder-services"
)
"""Where scripts/services/lib.sh keeps the suite's services (the private node borrows its jars)."""


class PrivateNode(PrivateService):
    """A Cassandra node of this test's own, sharing the suite node's jars when they are there."""

    def __init__(self) -> None:
        self.port = free_port()
        suite_jars = SUITE_SERVICES_DIR / "cassandra" / "lib"
        super().__init__(
            "cassandra",
            VIEWFINDER_CASSANDRA_PORT=str(self.port),
            VIEWFINDER_CASSANDRA_STORAGE_PORT=str(free_port()),
            VIEWFINDER_CASSANDRA_SSL_STORAGE_PORT=str(free_port()),
            # A port of its own, not the script's "next free one after 57199": two private nodes
            # starting at once (one per test module, in parallel workers) would both pick the same.
            VIEWFINDER_CASSANDRA_JMX_PORT=str(free_port()),
            **({"VIEWFINDER_CASSANDRA_LIB": str(suite_jars)} if suite_jars.is_dir() else {}),
        )


@pytest.fixture(scope="module")
def node() -> Iterator[PrivateNode]:
    with started(PrivateNode()) as private:
        yield private


@pytest.fixture
def settings(settings: Settings, node: PrivateNode) -> Settings:
    """The test's settings, with timelines on the private node."""
    chosen = settings.model_copy(
        update={"cassandra_hosts": ["127.0.0.1"], "cassandra_port": node.port, "cassandra_keyspace": "faults"}
    )
    cassandra.migrate(chosen)
    return chosen


def is_fan_out_of(task: Any, post_id: str) -> bool:
    return bool(task.name.endswith("fan_out_post") and task.args == (int(post_id),))


def feed_when_back(api: Api, seconds: float = 60.0) -> list[str]:
    """The feed's post ids once it answers again (the driver reconnects within a few seconds)."""
    deadline = time.monotonic() + seconds
    while True:
        response = api.get("/feed")
        if response.status_code == 200:
            return [post["id"] for post in response.json()["items"]]
        assert_error(response, 503, "unavailable")
        assert time.monotonic() < deadline, "the feed did not come back"
        time.sleep(0.5)


def inbox_when_back(api: Api, seconds: float = 60.0) -> list[tuple[str, list[str]]]:
    """The inbox's lines as (kind, actors) once it answers again."""
    deadline = time.monotonic() + seconds
    while True:
        response = api.get("/notifications")
        if response.status_code == 200:
            return [
                (line["kind"], [actor["username"] for actor in line["actors"]])
                for line in response.json()["items"]
            ]
        assert_error(response, 503, "unavailable")
        assert time.monotonic() < deadline, "the inbox did not come back"
        time.sleep(0.5)


def test_cassandra_down_is_a_503_and_nothing_is_lost(alice, bob, node):
    bob.post("/users/alice/follow")
    before = make_post(alice, "before the outage")["id"]
    assert feed_when_back(bob) == [before]
    assert inbox_when_back(alice) == [("follow", ["bob"])]

    node.script("stop")
    try:
        for mode in ("following", "ranked"):
            # The top of bob's timeline, read before the outage, is kept in Redis (decision 0076):
            # nothing can change it while Cassandra is away, so his feed is still served. Alice's
            # was never read: it needs Cassandra.
            assert feed(bob, mode=mode) == [before]
            error = assert_error(alice.get("/feed", params={"mode": mode}), 503, "unavailable")
            assert "try again" in error["message"]
        # Posting needs only the SQL database: the post is kept, its fan-out job fails and is
        # scheduled again (with backoff) rather than lost.
        during = make_post(alice, "during the outage")["id"]
        assert alice.get(f"/posts/{during}").status_code == 200
        assert [task for task in huey.scheduled() if is_fan_out_of(task, during)]
        # A like needs only the SQL database too; its notification waits in the inbox outbox, and
        # the inbox (on Cassandra) answers 503 like the feed.
        assert bob.post(f"/posts/{before}/like").status_code == 200
        assert_error(alice.get("/notifications"), 503, "unavailable")
        assert_error(alice.get("/notifications/unread-count"), 503, "unavailable")
    finally:
        node.script("start")

    # The like's notification arrives once Cassandra is back, exactly once.
    assert inbox_when_back(alice) == [("like", ["bob"]), ("follow", ["bob"])]
    assert alice.get("/notifications/unread-count").json() == {"unread": 2}

    assert feed_when_back(bob) == [before]  # back, without the post whose fan-out is pending
    # What the worker's scheduler does once the backoff has passed (it has, while the node started).
    for task in huey.read_schedule():
        if is_fan_out_of(task, during):
            huey.execute(task)
        else:
            huey.add_schedule(task)  # another test's leftover: not ours to run
    assert feed_when_back(bob) == [during, before]
    assert bob.get("/feed", params={"mode": "ranked"}).status_code == 200

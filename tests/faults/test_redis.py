"""Redis stopped under a running app: requests are still served, rate limits follow their rule,
jobs wait in the database and run when Redis returns, live events resume, queued jobs survive a
restart.

The Redis stopped here is a private one (its own folder and port, started by the same
scripts/services/redis), so the other test processes sharing the suite's Redis never see it go.
"""

from __future__ import annotations

import asyncio
import queue
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from litestar import Litestar
from litestar.channels.subscriber import Subscriber
from litestar.testing import TestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import BASE_URL, PASSWORD, Api
from tests.faults import PrivateService, started
from tests.helpers import assert_error, small_photo
from tests.notifications.test_realtime import Person, open_stream, sign_up
from tests.notifications.test_realtime_redis import collector, wait_for, write_event
from tests.stacks import SCALE
from tests.test_cli import VIEWFINDER, environment, free_port, kill, wait_until_serving
from viewfinder.app import create_app
from viewfinder.core import ids, jobs
from viewfinder.core.jobs import RedisStorageWithHandoff
from viewfinder.core.models import PendingJob
from viewfinder.core.tasks import flush_job_handoff
from viewfinder.notifications.realtime import RealtimeChannels
from viewfinder.settings import Settings

pytestmark = pytest.mark.skipif(
    not SCALE, reason="a fault test of the scale stack: it stops and starts Redis (scripts/services/redis)"
)


class PrivateRedis(PrivateService):
    """A Redis server of this test's own."""

    def __init__(self) -> None:
        self.port = free_port()
        super().__init__("redis", VIEWFINDER_REDIS_PORT=str(self.port))
        self.url = f"redis://127.0.0.1:{self.port}/0"


@pytest.fixture
def redis_server() -> Iterator[PrivateRedis]:
    with started(PrivateRedis()) as private:
        yield private


def on_redis(settings: Settings, server: PrivateRedis, **changes: Any) -> Settings:
    return settings.model_copy(
        update={
            "redis_url": server.url,
            "store_backend": "redis",
            "redis_namespace": f"fault.{uuid.uuid4().hex[:8]}",
            **changes,
        }
    )


class People:
    """Clients of one running app, each with its own cookies (as make_api, for an app of our own)."""

    def __init__(self, app: Litestar, server: TestClient[Litestar]) -> None:
        self.app, self.server = app, server

    def __call__(self, username: str | None = None) -> Api:
        client = TestClient(self.app, base_url=BASE_URL)
        client.blocking_portal = self.server.blocking_portal
        api = Api(client)
        return api.signup(username) if username else api


@pytest.fixture
def running() -> Iterator[Callable[[Settings], People]]:
    """Starts apps of the test's own (released and stopped afterwards)."""
    started: list[TestClient[Litestar]] = []

    def run(settings: Settings) -> People:
        app = create_app(settings)
        server = TestClient(app, base_url=BASE_URL)
        server.__enter__()
        started.append(server)
        return People(app, server)

    previous = jobs.current_settings()
    try:
        yield run
    finally:
        for server in started:
            server.__exit__(None, None, None)
        jobs.configure(previous)  # the queue back as the other tests expect it
        ids.release_shard()


def feed(api: Api) -> list[str]:
    response = api.get("/feed")
    assert response.status_code == 200, response.text
    return [post["id"] for post in response.json()["items"]]


def signup(api: Api, username: str) -> Any:
    return api.post(
        "/accounts/signup",
        json={"username": username, "email": f"{username}@example.com", "password": PASSWORD},
    )


def test_sign_up_log_in_and_the_feed_are_served_while_redis_is_down(settings, redis_server, running):
    people = running(on_redis(settings, redis_server, signup_limit_per_ip=3))
    alice, bob = people("alice"), people("bob")
    assert bob.post("/users/alice/follow").status_code == 200

    redis_server.stop()
    carol = people()
    assert signup(carol, "carol").status_code == 201  # failing open: the limit is not counted
    again = people()
    assert again.post("/accounts/login", json={"login": "alice", "password": PASSWORD}).status_code == 200
    assert feed(bob) == []
    assert alice.get("/notifications").status_code == 200
    assert people().post("/accounts/signup", json={"username": "x"}).status_code == 400  # still validated

    redis_server.start()
    time.sleep(1.1)  # past the moment the limiter skips Redis after a failure
    # Counting resumes on Redis, where the two sign-ups before the outage were kept across the
    # restart (the append-only file): one more is allowed this hour, then 429.
    outcomes = [signup(people(), f"later{n}").status_code for n in range(2)]
    assert outcomes == [201, 429], outcomes


def test_failing_closed_refuses_rate_limited_actions_only_and_recovers(settings, redis_server, running):
    people = running(on_redis(settings, redis_server, rate_limit_fail_open=False))
    alice = people("alice")

    redis_server.stop()
    assert_error(signup(people(), "bob"), 503, "unavailable")
    login = people().post("/accounts/login", json={"login": "alice", "password": PASSWORD})
    assert_error(login, 503, "unavailable")
    assert alice.get("/feed").status_code == 200  # not rate limited: served as ever

    redis_server.start()
    time.sleep(1.1)
    assert signup(people(), "bob").status_code == 201


def run_queued_jobs() -> int:
    """Do what a worker does: take jobs off the Redis queue and run them, until it is empty."""
    storage = jobs.huey.storage
    assert isinstance(storage, RedisStorageWithHandoff)
    storage.blocking = False
    done = 0
    while (task := jobs.huey.dequeue()) is not None:
        jobs.huey.execute(task)
        done += 1
    return done


async def pending_jobs(db: AsyncSession) -> int:
    return int(await db.scalar(select(func.count()).select_from(PendingJob)) or 0)


async def test_a_post_made_while_redis_is_down_reaches_followers_when_it_returns(
    settings, redis_server, running, db
):
    people = running(on_redis(settings, redis_server, jobs_backend="redis", jobs_immediate=False))
    alice, bob = people("alice"), people("bob")
    assert bob.post("/users/alice/follow").status_code == 200
    uploaded = alice.post("/media", files={"file": ("photo", small_photo(), "application/octet-stream")})
    assert uploaded.status_code == 202, uploaded.text
    assert await asyncio.to_thread(run_queued_jobs) >= 1  # processing the photo, the back-fill

    await asyncio.to_thread(redis_server.stop)
    created = alice.post("/posts", json={"items": [{"media_id": uploaded.json()["id"]}]})
    assert created.status_code == 201, created.text  # the fan-out job waits in the database
    assert await pending_jobs(db) == 1
    assert feed(bob) == []

    await asyncio.to_thread(redis_server.start)
    # The periodic flush (as the worker runs it every minute) moves it into Redis; a worker runs it.
    assert await asyncio.to_thread(flush_job_handoff.call_local) == 1
    assert await pending_jobs(db) == 0
    # That job delivers the post's event, and the delivery queues the fan-out and the caption's
    # embedding: still within the moment the queue skips Redis after a failure, so they too wait in
    # the database for the flush.
    assert await asyncio.to_thread(run_queued_jobs) == 1
    assert feed(bob) == []
    assert await pending_jobs(db) == 2
    assert await asyncio.to_thread(flush_job_handoff.call_local) == 2
    assert await asyncio.to_thread(run_queued_jobs) == 2
    assert feed(bob) == [created.json()["id"]]


async def test_the_next_enqueue_after_an_outage_brings_the_handed_off_jobs_along(
    settings, redis_server, running, db
):
    people = running(on_redis(settings, redis_server, jobs_backend="redis", jobs_immediate=False))
    people("alice")
    bob, carol = people("bob"), people("carol")
    await asyncio.to_thread(run_queued_jobs)

    await asyncio.to_thread(redis_server.stop)
    assert bob.post("/users/alice/follow").status_code == 200  # a back-fill job, handed off
    assert await pending_jobs(db) == 1
    await asyncio.to_thread(redis_server.start)
    await asyncio.sleep(2.1)  # past the moment the queue skips Redis after a failure

    assert carol.post("/users/alice/follow").status_code == 200  # reaches Redis, and flushes
    assert await pending_jobs(db) == 0
    # Each follow's event delivery, then the back-fill each delivery queues.
    assert await asyncio.to_thread(run_queued_jobs) == 4


def test_queued_jobs_survive_a_redis_restart(settings, redis_server):
    storage = RedisStorageWithHandoff("restart", redis_server.url, settings.resolved_database_url)
    try:
        storage.enqueue(b"a job")
        redis_server.stop()
        redis_server.start()
        storage.blocking = False
        assert storage.dequeue() == b"a job"
    finally:
        storage.close()


async def ended(subscriber: Subscriber) -> None:
    """Returns once the subscriber's stream has ended (what a stream of the API then does too)."""
    async for _ in subscriber.iter_events():
        pass


async def test_streams_open_through_an_outage_are_ended_for_a_replay_then_events_flow_again(
    settings, redis_server, db
):
    realtime = on_redis(settings, redis_server, realtime_poll_interval_ms=50)
    heard: list[bytes] = []
    async with RealtimeChannels(realtime) as plugin:
        first = await plugin.subscribe("user:42")
        async with first.run_in_background(collector(heard)):
            await wait_for(lambda: plugin.relay.last_seen is not None)
            await write_event(db, "user:42", {"n": 1})
            await wait_for(lambda: len(heard) == 1)

            await asyncio.to_thread(redis_server.stop)
            await write_event(db, "user:42", {"n": 2})  # made while Redis is away: waits in the outbox
            # Someone connects meanwhile: subscribing succeeds (the stream opens, with its replay).
            late = await plugin.subscribe("user:43")
            await asyncio.sleep(0.3)
            assert len(heard) == 1

            await asyncio.to_thread(redis_server.start)
            # Both may have missed what was published before this process listened again: they
            # are ended, so their clients reconnect with Last-Event-ID and the outbox replays it.
            await wait_for(lambda: not first.is_running, timeout=10)
        await asyncio.wait_for(ended(late), timeout=2)

        again: list[bytes] = []
        subscriber = await plugin.subscribe("user:42")
        async with subscriber.run_in_background(collector(again)):
            await write_event(db, "user:42", {"n": 3})
            await wait_for(lambda: any(b'"n":3' in event for event in again), timeout=10)
            await plugin.unsubscribe(subscriber)


@pytest.mark.slow
def test_through_a_real_server_a_stream_catches_up_after_an_outage(redis_server, migrated_database, tmp_path):
    """Two web processes (each with its relay) on a private Redis, and a real SSE client."""
    data_dir = tmp_path / "var"
    data_dir.mkdir()
    shutil.copy(migrated_database, data_dir / "viewfinder.db")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "serve.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [str(VIEWFINDER), "serve", "--port", str(port), "--no-jobs"],
            env=environment(
                data_dir,
                VIEWFINDER_WEB_WORKERS="2",
                VIEWFINDER_REDIS_URL=redis_server.url,
                VIEWFINDER_STORE_BACKEND="redis",
                VIEWFINDER_REDIS_NAMESPACE="fault",
            ),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    people: list[Person] = []
    try:
        wait_until_serving(server, base, log_path)
        people += [sign_up(base, name) for name in ("alice", "bob", "carol")]
        alice, bob, carol = people
        with open_stream(base, alice.token) as stream:
            stream.next_of("unread")
            assert bob.post("/users/alice/follow").status_code == 200
            seen = stream.next_of("notification")
            assert seen.data["actor"]["username"] == "bob"
            with pytest.raises(queue.Empty):  # two relays, one publication
                stream.next_of("notification", timeout=0.7)

        redis_server.stop()
        assert carol.post("/users/alice/follow").status_code == 200  # served while Redis is down
        people.append(sign_up(base, "dave"))  # sign-up and token creation too (failing open)
        redis_server.start()

        with open_stream(base, alice.token, last_event_id=seen.id) as stream:
            missed = stream.next_of("notification")
            assert missed.data["actor"]["username"] == "carol"
            # And live delivery is back (once the relays' back-off lets them publish again).
            assert people[-1].post("/users/alice/follow").status_code == 200
            live = stream.next_of("notification", timeout=10)
            assert live.data["actor"]["username"] == "dave"
    finally:
        for person in people:
            person.client.close()
        kill(server.pid)
        server.wait(timeout=10)

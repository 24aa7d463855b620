"""Real-time delivery over real connections: a real server, a real SSE stream, real processes."""

from __future__ import annotations

import asyncio
import contextlib
import queue
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import PASSWORD
from tests.stacks import as_environment, scale_overrides
from tests.test_cli import VIEWFINDER, environment, free_port, kill, wait_until_serving
from viewfinder.accounts import services as accounts
from viewfinder.app import create_app
from viewfinder.core import ids
from viewfinder.core.db import utcnow
from viewfinder.notifications.models import RealtimeEvent
from viewfinder.notifications.realtime import prune_events
from viewfinder.notifications.services import Kind, notify

API = "/api/viewfinder/v1"
DELIVERY_SECONDS = 1.0
"""The promise: a connected client receives the event within one second of the action."""


@dataclass
class Event:
    kind: str
    data: dict[str, Any]
    id: str | None
    at: float
    """time.monotonic() when the client read it."""


@dataclass
class Stream:
    """An open SSE connection read by a thread; each event lands in `events` as it arrives."""

    events: queue.Queue[Event] = field(default_factory=queue.Queue)
    comments: list[str] = field(default_factory=list)
    connection: socket.socket | None = None

    def hang_up(self) -> None:
        """Go away as a client does: the reader sees the end of the stream and closes it."""
        if self.connection is not None:
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)

    def next(self, timeout: float = 5.0) -> Event:
        return self.events.get(timeout=timeout)

    def next_of(self, kind: str, timeout: float = 5.0) -> Event:
        deadline = time.monotonic() + timeout
        while True:
            event = self.next(timeout=max(0.01, deadline - time.monotonic()))
            if event.kind == kind:
                return event


def read_stream(base: str, headers: dict[str, str], stream: Stream, opened: threading.Event) -> None:
    """Read SSE messages until the connection ends (runs in its own thread)."""
    kind, data, event_id = "message", "", None
    with (
        httpx.Client(base_url=base) as client,
        client.stream("GET", f"{API}/notifications/stream", headers=headers, timeout=None) as response,
    ):
        # httpx asks for gzip: a compressed stream would hold its events back (docs/decisions/0078).
        if response.status_code != 200 or "content-encoding" in response.headers:
            return
        stream.connection = response.extensions["network_stream"].get_extra_info("socket")
        opened.set()
        for line in response.iter_lines():
            if line.startswith(":"):
                stream.comments.append(line)
            elif line.startswith("event:"):
                kind = line.removeprefix("event:").strip()
            elif line.startswith("data:"):
                data += line.removeprefix("data:").strip()
            elif line.startswith("id:"):
                event_id = line.removeprefix("id:").strip()
            elif line == "" and data:
                stream.events.put(Event(kind, msgspec.json.decode(data), event_id, time.monotonic()))
                kind, data, event_id = "message", "", None


@contextlib.contextmanager
def open_stream(base: str, token: str, last_event_id: str | None = None) -> Iterator[Stream]:
    """Connect to the stream as the token's owner; disconnects on leaving."""
    headers = {"authorization": f"Bearer {token}"}
    if last_event_id is not None:
        headers["last-event-id"] = last_event_id
    stream, opened = Stream(), threading.Event()
    reader = threading.Thread(target=_read_quietly, args=(base, headers, stream, opened), daemon=True)
    reader.start()
    try:
        assert opened.wait(10), "the stream did not open"
        yield stream
    finally:
        stream.hang_up()
        reader.join(timeout=5)
        assert not reader.is_alive()


def _read_quietly(base: str, headers: dict[str, str], stream: Stream, opened: threading.Event) -> None:
    # Hanging up mid-stream ends the read with a protocol error: that is the goodbye.
    with contextlib.suppress(httpx.HTTPError):
        read_stream(base, headers, stream, opened)


@dataclass
class Person:
    username: str
    client: httpx.Client
    token: str
    id: str

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.client.post(API + path, headers={"authorization": f"Bearer {self.token}"}, **kwargs)


@dataclass
class Server:
    """A running `viewfinder serve` and the people signed up on it."""

    base: str
    data_dir: Path
    stack: dict[str, str] = field(default_factory=dict)
    """VIEWFINDER_* variables putting it on the run's stack (none on the embedded one)."""
    people: list[Person] = field(default_factory=list)

    def sign_up(self, *usernames: str) -> list[Person]:
        made = [sign_up(self.base, username) for username in usernames]
        self.people += made
        return made


def sign_up(base: str, username: str) -> Person:
    """A new account with an API token (the session cookie is Secure, so it only serves once here)."""
    client = httpx.Client(base_url=base, timeout=10)
    response = client.post(
        f"{API}/accounts/signup",
        json={"username": username, "email": f"{username}@example.com", "password": PASSWORD},
    )
    assert response.status_code == 201, response.text
    cookies = "; ".join(f"{name}={value}" for name, value in response.cookies.items())
    client.cookies.clear()
    made = client.post(
        f"{API}/accounts/tokens",
        json={"name": "stream"},
        headers={"x-csrf-token": response.json()["csrf_token"], "cookie": cookies},
    )
    assert made.status_code == 201, made.text
    return Person(username, client, made.json()["secret"], response.json()["me"]["profile"]["id"])


@pytest.fixture(scope="module")
def running_server(tmp_path_factory: pytest.TempPathFactory, migrated_database: Path) -> Iterator[Server]:
    """`viewfinder serve` on a free port with its own data directory (and, on the scale stack, its
    own PostgreSQL database, Redis namespace, bucket and Cassandra keyspace), shared by this
    module's tests (each signs up its own people); stopped by pid afterwards."""
    with scale_overrides("tests/notifications/test_realtime.py") as overrides:
        yield from _serve(tmp_path_factory, migrated_database, as_environment(overrides))


def _serve(
    tmp_path_factory: pytest.TempPathFactory, migrated_database: Path, stack: dict[str, str]
) -> Iterator[Server]:
    tmp_path = tmp_path_factory.mktemp("realtime")
    data_dir = tmp_path / "var"
    data_dir.mkdir()
    shutil.copy(migrated_database, data_dir / "viewfinder.db")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "serve.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [str(VIEWFINDER), "serve", "--port", str(port), "--no-jobs"],
            env=environment(data_dir, VIEWFINDER_WEB_WORKERS="1", **stack),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    running = Server(base, data_dir, stack)
    try:
        wait_until_serving(server, base, log_path)
        yield running
    finally:
        for person in running.people:
            person.client.close()
        kill(server.pid)
        server.wait(timeout=10)


@pytest.mark.slow
def test_a_connected_client_hears_of_a_new_follower_within_a_second(running_server):
    base = running_server.base
    alice, bob, carol = running_server.sign_up("alice", "bob", "carol")

    with open_stream(base, alice.token) as stream:
        assert stream.next_of("unread").data == {"type": "unread", "unread": 0}

        acted = time.monotonic()
        assert bob.post("/users/alice/follow").status_code == 200
        event = stream.next_of("notification")
        assert event.at - acted < DELIVERY_SECONDS
        assert event.data["kind"] == "follow"
        assert event.data["actor"]["username"] == "bob"
        assert event.data["unread"] == 1
        assert event.id is not None

        # The next follower joins the same line; the count of unread lines stays at one.
        acted = time.monotonic()
        assert carol.post("/users/alice/follow").status_code == 200
        event = stream.next_of("notification")
        assert event.at - acted < DELIVERY_SECONDS
        assert (event.data["actor"]["username"], event.data["unread"]) == ("carol", 1)

        # Reading elsewhere (another tab, say) updates the count here too.
        assert alice.post("/notifications/read").json() == {"unread": 0}
        assert stream.next_of("unread").data["unread"] == 0

    # Nobody else's events reach a stream: Bob's own stream is quiet about Alice's inbox.
    with open_stream(base, bob.token) as bobs:
        assert bobs.next_of("unread").data == {"type": "unread", "unread": 0}
        assert carol.post("/users/bob/follow").status_code == 200
        assert bobs.next_of("notification").data["actor"]["username"] == "carol"
        with pytest.raises(queue.Empty):
            bobs.next(timeout=0.5)


NOTIFY_FROM_ANOTHER_PROCESS = """
import asyncio, sys
from viewfinder.core.jobs import run_with_db
from viewfinder.notifications.services import Kind, notify
from viewfinder.settings import get_settings
from viewfinder.wiring import build_backends

build_backends(get_settings()).install()  # as a worker's start-up does (viewfinder.cli)

async def work(db):
    await notify(db, recipient_id=int(sys.argv[1]), actor_id=int(sys.argv[2]), kind=Kind.FOLLOW_ACCEPTED)
    await db.commit()

run_with_db(work)
"""


@pytest.mark.slow
def test_a_notification_made_in_another_process_reaches_the_connected_client(running_server):
    base, data_dir = running_server.base, running_server.data_dir
    alice, bob = running_server.sign_up("dora", "eli")

    with open_stream(base, alice.token) as stream:
        stream.next_of("unread")
        # A separate process (as a job worker is) writes through the service layer.
        result = subprocess.run(
            [sys.executable, "-c", NOTIFY_FROM_ANOTHER_PROCESS, alice.id, bob.id],
            env=environment(data_dir, **running_server.stack),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        written = time.monotonic()
        assert result.returncode == 0, result.stderr
        event = stream.next_of("notification")
        assert event.at - written < DELIVERY_SECONDS
        assert (event.data["kind"], event.data["actor"]["username"]) == ("follow_accepted", "eli")


@pytest.mark.slow
def test_a_client_that_reconnects_gets_what_it_missed(running_server):
    base = running_server.base
    alice, bob, carol = running_server.sign_up("finn", "gus", "hana")

    with open_stream(base, alice.token) as stream:
        assert bob.post("/users/finn/follow").status_code == 200
        seen = stream.next_of("notification")
    # While Finn is away, Hana follows him: no connection is there to hear it live.
    assert carol.post("/users/finn/follow").status_code == 200

    with open_stream(base, alice.token, last_event_id=seen.id) as stream:
        assert stream.next_of("unread").data["unread"] == 1
        missed = stream.next_of("notification")
        assert missed.data["actor"]["username"] == "hana"
        assert int(missed.id or 0) > int(seen.id or 0)


@pytest.mark.slow
def test_a_last_event_id_that_names_nothing_replays_nothing(running_server):
    [ivy] = running_server.sign_up("ivy")
    for nonsense in ("x", "9" * 19, "-1", "0"):
        with open_stream(running_server.base, ivy.token, last_event_id=nonsense) as stream:
            assert stream.next_of("unread").data["unread"] == 0
            with pytest.raises(queue.Empty):
                stream.next(timeout=0.3)


async def test_old_outbox_rows_are_pruned_but_the_newest_is_kept(db: AsyncSession):
    for channel in ("user:1", "user:2", "user:3"):
        db.add(RealtimeEvent(channel=channel, payload="{}"))
    await db.commit()
    newest = await db.scalar(select(func.max(RealtimeEvent.id)))
    await db.execute(update(RealtimeEvent).values(created_at=utcnow().replace(year=2020)))
    await db.commit()

    assert await prune_events(db, retention_seconds=300) == 2
    assert list(await db.scalars(select(RealtimeEvent.id))) == [newest]


async def test_the_stream_follows_the_inbox_and_ends_when_the_client_goes(settings, db: AsyncSession):
    """Driven as an ASGI server would drive it, in-process: the stream closes itself on disconnect."""
    alice = await accounts.signup(db, username="alice", email="alice@example.com", password=PASSWORD)
    bob = await accounts.signup(db, username="bob", email="bob@example.com", password=PASSWORD)
    token = (await accounts.create_api_token(db, alice, "stream")).secret
    app = create_app(settings)
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "https",
        "path": f"{API}/notifications/stream",
        "raw_path": f"{API}/notifications/stream".encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver.local"), (b"authorization", f"Bearer {token}".encode())],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver.local", 443),
        "state": {},
    }
    body = bytearray()
    received = asyncio.Event()
    gone = asyncio.Event()
    asked = False

    async def receive() -> dict[str, Any]:
        nonlocal asked
        if not asked:
            asked = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        body.extend(message.get("body", b""))
        received.set()

    async def until_sent(text: bytes) -> None:
        while text not in body:
            received.clear()
            await received.wait()

    try:
        async with app.lifespan():
            stream = asyncio.create_task(app(scope, receive, send))  # type: ignore[arg-type]
            await asyncio.wait_for(until_sent(b'"unread":0'), timeout=5)

            await notify(db, recipient_id=alice.id, actor_id=bob.id, kind=Kind.FOLLOW)
            await db.commit()
            await asyncio.wait_for(until_sent(b'"username":"bob"'), timeout=DELIVERY_SECONDS)

            gone.set()
            await asyncio.wait_for(stream, timeout=5)  # the handler returned: nothing left hanging
    finally:
        ids.release_shard()

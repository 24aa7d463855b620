"""A web process works on a few API reads at a time (core.admission, decision 0057): the others wait
their turn, in order, while writes, health checks and everything outside the API pass at once, and a
stream gives its place back as soon as it starts."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from litestar import Litestar, get, post
from litestar.params import FromPath
from litestar.response import Stream

from tests.notifications.test_realtime import API, open_stream, running_server  # noqa: F401
from viewfinder.core.admission import AdmissionMiddleware


def gated_app(limit: int) -> tuple[Litestar, dict[str, asyncio.Event], list[str]]:
    """An app whose /api/slow/{name} reads wait for their event; `started` lists the reads begun."""
    events: dict[str, asyncio.Event] = {}
    started: list[str] = []

    @get("/api/slow/{name:str}")
    async def slow(name: FromPath[str]) -> str:
        started.append(name)
        await events.setdefault(name, asyncio.Event()).wait()
        return name

    @get("/api/fail")
    async def fail() -> None:
        started.append("fail")
        raise RuntimeError("boom")

    @get("/api/stream")
    async def stream() -> Stream:
        started.append("stream")

        async def chunks() -> AsyncIterator[bytes]:
            yield b"first"
            await events.setdefault("stream-end", asyncio.Event()).wait()
            yield b"last"

        return Stream(chunks())

    @post("/api/write")
    async def write() -> str:
        return "written"

    @get("/healthz")
    async def healthz() -> str:
        return "ok"

    app = Litestar([slow, fail, stream, write, healthz], middleware=[AdmissionMiddleware(limit, "/api")])
    return app, events, started


async def until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("timed out")


class Call:
    """One request straight into the ASGI app (in this test's loop), its messages as they are sent."""

    def __init__(self, app: Litestar, method: str, path: str) -> None:
        self.messages: list[dict[str, Any]] = []
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "root_path": "",
            "query_string": b"",
            "headers": [(b"host", b"test")],
            "client": ("127.0.0.1", 1),
            "server": ("127.0.0.1", 80),
        }

        received = False

        async def receive() -> dict[str, Any]:
            nonlocal received
            if received:  # the client stays connected
                await asyncio.Event().wait()
            received = True
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            self.messages.append(message)

        self.task = asyncio.create_task(app(scope, receive, send))  # type: ignore[arg-type]

    @property
    def status(self) -> int | None:
        return next((m["status"] for m in self.messages if m["type"] == "http.response.start"), None)

    @property
    def body(self) -> bytes:
        return b"".join(m.get("body", b"") for m in self.messages if m["type"] == "http.response.body")

    async def done(self) -> Call:
        await asyncio.wait_for(self.task, 5)
        return self


def release(events: dict[str, asyncio.Event], *names: str) -> None:
    for name in names:
        events.setdefault(name, asyncio.Event()).set()


async def test_reads_beyond_the_limit_wait_their_turn_in_order():
    app, events, started = gated_app(limit=2)
    calls = [Call(app, "GET", f"/api/slow/{name}") for name in "abcd"]
    await until(lambda: len(started) == 2)
    await asyncio.sleep(0.1)
    assert started == ["a", "b"]  # c and d wait at the gate, not in the handler

    release(events, "a")
    await until(lambda: len(started) == 3)
    assert started == ["a", "b", "c"]
    release(events, "b", "c", "d")
    assert [(await call.done()).body for call in calls] == [b"a", b"b", b"c", b"d"]


async def test_writes_health_checks_and_other_paths_pass_a_full_gate():
    app, events, started = gated_app(limit=1)
    busy = Call(app, "GET", "/api/slow/busy")
    await until(lambda: started == ["busy"])

    write = await Call(app, "POST", "/api/write").done()
    health = await Call(app, "GET", "/healthz").done()
    assert (write.status, write.body) == (201, b"written")
    assert (health.status, health.body) == (200, b"ok")

    release(events, "busy")
    assert (await busy.done()).status == 200


async def test_a_failed_read_and_a_started_stream_give_their_place_back():
    app, events, _ = gated_app(limit=1)
    failed = await Call(app, "GET", "/api/fail").done()
    assert failed.status == 500

    stream = Call(app, "GET", "/api/stream")
    await until(lambda: b"first" in stream.body)
    # The stream is still open, yet the next read is admitted at once.
    release(events, "next")
    assert (await Call(app, "GET", "/api/slow/next").done()).body == b"next"
    assert not stream.task.done()
    release(events, "stream-end")
    await until(lambda: stream.body == b"firstlast")
    stream.task.cancel()


@pytest.mark.slow
def test_more_open_notification_streams_than_the_read_limit_leave_the_api_answering(running_server):  # noqa: F811
    # The server runs with the default limit (1 read at a time on SQLite, 8 on PostgreSQL); nine
    # streams are open at once.
    people = running_server.sign_up("ann", "ben", "cai", "dee", "eve", "fox", "gil", "hub", "ida")
    with contextlib.ExitStack() as streams:
        for person in people:
            streams.enter_context(open_stream(running_server.base, person.token))
        with httpx.Client(base_url=running_server.base, timeout=5) as client:
            me = client.get(f"{API}/accounts/me", headers={"authorization": f"Bearer {people[0].token}"})
    assert me.status_code == 200
    assert me.json()["profile"]["username"] == "ann"


@pytest.mark.slow
def test_a_profile_answers_while_the_database_is_locked_for_writing_and_counts_the_visit_after(
    running_server,  # noqa: F811
):
    if running_server.stack:
        pytest.skip("holds SQLite's write lock")
    gus, hal = running_server.sign_up("gus", "hal")
    headers = {"authorization": f"Bearer {gus.token}"}
    # The token's first use records it (a write at most every few minutes); that is done before.
    assert gus.client.get(f"{API}/accounts/me", headers=headers).status_code == 200
    database = sqlite3.connect(running_server.data_dir / "viewfinder.db", isolation_level=None)
    try:
        database.execute("BEGIN IMMEDIATE")  # another process is writing, for a while
        began = time.perf_counter()
        profile = gus.client.get(f"{API}/users/hal", headers=headers)
        answered = time.perf_counter() - began
        database.execute("COMMIT")
        assert profile.status_code == 200
        assert profile.json()["username"] == "hal"
        assert answered < 1.0, "the profile waited for the write lock"  # the lock was held throughout

        # The visit (a write) was made once the lock was free.
        visits = "SELECT visits FROM affinities WHERE viewer_id = ? AND author_id = ?"
        for _ in range(100):
            row = database.execute(visits, (int(gus.id), int(hal.id))).fetchone()
            if row is not None:
                break
            time.sleep(0.05)
        assert row == (1,)
    finally:
        database.close()

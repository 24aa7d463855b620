"""Admission: a web process works on at most `limit` API reads at once; the others wait their turn.

One web process is one event loop on one core. Every request it has accepted takes turns on that loop,
so with 16 reads in flight a write's next step waits behind up to 16 others, and on SQLite the write
holds the process's one write transaction (docs/decisions/0036) across each of those waits: writes
queue behind writes that queue behind reads. Admitting a few reads at a time keeps the loop's queue
short. Reads do not finish later on the whole (the core was busy anyway; they wait at the gate instead
of in the loop), while writes, health checks and everything that is not an API read pass at once and
find a short queue (docs/decisions/0057).

A read holds its place until its response starts: a stream (Server-Sent Events, a download) gives
its place back when its headers go out, so a long-lived stream never blocks the reads behind it.
"""

from __future__ import annotations

import asyncio
import weakref

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

READ_METHODS = frozenset({"GET", "HEAD"})


class AdmissionMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    def __init__(self, limit: int, prefix: str) -> None:
        self.limit = limit
        self.prefix = prefix.rstrip("/") + "/"
        # One gate per event loop: tests drive one app from several loops, one after another.
        self._gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )

    def _gate(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        gate = self._gates.get(loop)
        if gate is None:
            gate = self._gates[loop] = asyncio.Semaphore(self.limit)
        return gate

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        if scope.get("method") not in READ_METHODS or not scope["path"].startswith(self.prefix):
            await next_app(scope, receive, send)
            return
        gate = self._gate()
        await gate.acquire()
        held = True

        async def send_and_give_back(message: Message) -> None:
            nonlocal held
            if held and message["type"] == "http.response.start":
                held = False
                gate.release()
            await send(message)

        try:
            await next_app(scope, receive, send_and_give_back)
        finally:
            if held:
                gate.release()

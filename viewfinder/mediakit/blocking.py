"""Decoding and probing media off the event loop, a few at a time.

Opening a photo or a video (libvips, FFmpeg) takes from milliseconds to seconds of CPU. On the event
loop it would stall every other request of the process; in anyio's default thread pool a burst of
uploads could take all its threads, which storage and database calls also wait for. So such work
runs in worker threads through a limiter of its own, per event loop.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from typing import TypeVar
from weakref import WeakKeyDictionary

import anyio
import anyio.to_thread

T = TypeVar("T")

MEDIA_THREADS = max(2, min(4, os.cpu_count() or 2))
"""Media decodes at once in one process: about the cores there are to run them."""

_limiters: WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = WeakKeyDictionary()


def media_limiter() -> anyio.CapacityLimiter:
    """The running event loop's limiter for media work."""
    loop = asyncio.get_running_loop()
    limiter = _limiters.get(loop)
    if limiter is None:
        limiter = _limiters[loop] = anyio.CapacityLimiter(MEDIA_THREADS)
    return limiter


async def run_media_work(function: Callable[..., T], *args: object) -> T:
    """Call a blocking media function in a worker thread, at most MEDIA_THREADS at once."""
    return await anyio.to_thread.run_sync(function, *args, limiter=media_limiter())

"""Uploads are streamed: refused from their first bytes or as they pass the size limit, written to disk
in chunks, never held whole in the web process; and the decoding they need runs off the event loop.

The large bodies here are sent chunk by chunk through the app's ASGI interface (httpx's ASGI
transport on the test server's own event loop), made as they are read, so the test knows how much
of a body the server took before it answered.
"""

from __future__ import annotations

import asyncio
import threading
import time
import tracemalloc
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.conftest import BASE_URL, Api
from tests.helpers import assert_error, dedicated_api, small_photo
from tests.media.test_videos import make_video
from viewfinder.accounts import services as account_services
from viewfinder.app import API_PREFIX
from viewfinder.detection import nsfw
from viewfinder.media import services
from viewfinder.mediakit.images import make_avatar
from viewfinder.mediakit.storage import storage_from_settings
from viewfinder.mediakit.videos import probe_video
from viewfinder.settings import Settings

BOUNDARY = "----viewfinder-test-boundary"
CHUNK = 64 * 1024
MB = 1024 * 1024


@dataclass
class Sent:
    response: httpx.Response
    file_bytes_read: int  # how much of the file the server asked for before it answered


def stream_upload(api: Api, file_chunks: Iterable[bytes], *, filename: str = "clip.mp4") -> Sent:
    """POST /media with a multipart body whose file part is read from `file_chunks` as the server
    asks for it."""
    read = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal read
        yield (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="filter"\r\n\r\nnormal\r\n'
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            "Content-Type: video/mp4\r\n\r\n"
        ).encode()
        for chunk in file_chunks:
            read += len(chunk)
            yield chunk
        yield f"\r\n--{BOUNDARY}--\r\n".encode()

    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=api.client.app)
        headers = {
            "x-csrf-token": api.csrf_token,
            "content-type": f"multipart/form-data; boundary={BOUNDARY}",
        }
        async with httpx.AsyncClient(
            transport=transport, base_url=BASE_URL, cookies=api.client.cookies, headers=headers
        ) as client:
            return await client.post(API_PREFIX + "/media", content=body(), timeout=120)

    assert api.client.blocking_portal is not None
    response = api.client.blocking_portal.call(send)
    return Sent(response, read)


def endless(start: bytes, total: int, filler: bytes = bytes(CHUNK)) -> Iterator[bytes]:
    """`start`, then `filler` repeated up to `total` bytes in all (one bytes object, reused)."""
    yield start
    sent = len(start)
    while sent < total:
        piece = filler if total - sent >= len(filler) else filler[: total - sent]
        sent += len(piece)
        yield piece


def padded_video(total: int) -> Iterator[bytes]:
    """A real 2-second MP4 followed by a `free` box that makes the file `total` bytes long."""
    clip = make_video("mp4", "libx264", (320, 240), seconds=2, faststart=True)
    padding = total - len(clip)
    return endless(clip + padding.to_bytes(4, "big") + b"free", total)


def leftovers(settings: Settings) -> list[str]:
    """Files the uploads left: in storage, and in the folder uploads are received into."""
    incoming = settings.data_dir / "incoming"
    return storage_from_settings(settings).list_keys() + [p.name for p in incoming.glob("*")]


def test_a_500_mb_file_that_is_not_media_is_refused_from_its_first_bytes(alice, settings):
    sent = stream_upload(alice, endless(b"%PDF-1.7\n", 500 * MB, b"not a photo " * 5000), filename="big.mp4")

    assert_error(sent.response, 415, "unsupported_media_type", ["file"])
    assert sent.file_bytes_read < MB  # of 500 MB
    assert leftovers(settings) == []


def test_an_upload_is_refused_as_soon_as_it_passes_the_size_limit(settings):
    limit = 4 * MB
    with dedicated_api(settings, photo_max_bytes=MB, video_max_bytes=limit) as api:
        api.signup("dora")
        sent = stream_upload(api, padded_video(100 * MB))

    assert_error(sent.response, 413, "too_large", ["file"])
    assert limit < sent.file_bytes_read < limit + MB  # of 100 MB
    assert leftovers(settings) == []


def test_memory_does_not_grow_with_the_size_of_an_upload(alice, settings):
    size = 60 * MB
    nsfw.session()  # the nudity model, loaded once per process: not part of an upload's cost
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        baseline = tracemalloc.get_traced_memory()[0]
        sent = stream_upload(alice, padded_video(size))
        peak = tracemalloc.get_traced_memory()[1] - baseline
    finally:
        tracemalloc.stop()

    assert sent.response.status_code == 202, sent.response.text
    assert sent.file_bytes_read == size
    item = sent.response.json()
    assert item["state"] == "ready"  # received, stored, processed (inline in tests), all in the process
    # Python's allocations at their highest, web request and processing job together: a few chunks
    # (about 3 MB), not the 60 MB file (reading it whole, as before, peaked at 500 MB: the read
    # asked for the whole size limit at once).
    assert peak < 12 * MB, f"{peak / MB:.1f} MB"
    assert [p.name for p in (settings.data_dir / "incoming").glob("*")] == []


@pytest.mark.parametrize(
    ("request_kwargs", "field"),
    [
        ({"data": {"filter": "normal"}}, "file"),  # no file
        ({"json": {"file": "x"}}, "file"),  # not a form
        (
            {
                "files": [
                    ("file", ("a.jpg", small_photo(), "image/jpeg")),
                    ("file", ("b.jpg", b"x", "image/jpeg")),
                ]
            },
            "file",
        ),
        ({"files": {"file": ("a.jpg", small_photo(), "image/jpeg")}, "data": {"crop": "0" * 5000}}, "crop"),
        (
            {"files": {"file": ("a.jpg", small_photo(), "image/jpeg")}, "data": {"filter": "no-such"}},
            "filter",
        ),
        (
            {
                "content": b"--xyz\r\nnonsense",
                "headers": {"content-type": "multipart/form-data; boundary=xyz"},
            },
            "file",
        ),
    ],
)
def test_malformed_upload_forms_are_refused_in_the_error_shape(alice, settings, request_kwargs, field):
    assert_error(alice.post("/media", **request_kwargs), 400, "validation_error", [field])
    assert leftovers(settings) == []


def test_an_empty_file_is_refused_as_empty(alice, settings):
    assert_error(alice.post("/media", files={"file": ("a.jpg", b"", "image/jpeg")}), 400, "corrupt_media")
    assert leftovers(settings) == []


# Off the event loop


class Slowed:
    """Wraps a blocking function: notes whether it ran on an event loop's thread, and takes a second."""

    def __init__(self, function: Any) -> None:
        self.function = function
        self.started = threading.Event()
        self.on_event_loop: bool | None = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            asyncio.get_running_loop()
            self.on_event_loop = True
        except RuntimeError:
            self.on_event_loop = False
        self.started.set()
        time.sleep(1.5)
        return self.function(*args, **kwargs)


def healthz_while(slowed: Slowed, request: Any, anon: Api) -> float:
    """Run `request` in a thread; once the slowed function runs, time GET /healthz."""
    outcome: list[httpx.Response] = []
    thread = threading.Thread(target=lambda: outcome.append(request()))
    thread.start()
    assert slowed.started.wait(30)
    start = time.perf_counter()
    health = anon.client.get("/healthz")
    elapsed = time.perf_counter() - start
    thread.join(60)
    assert health.status_code == 200
    assert outcome
    assert outcome[0].status_code in (200, 202), outcome[0].text
    return elapsed


def test_probing_a_video_leaves_the_event_loop_free(alice, anon, monkeypatch: pytest.MonkeyPatch):
    clip = make_video("mp4", "libx264", (320, 240), seconds=0.5)
    slowed = Slowed(probe_video)
    monkeypatch.setattr(services, "probe_video", slowed)

    elapsed = healthz_while(
        slowed, lambda: alice.post("/media", files={"file": ("c.mp4", clip, "video/mp4")}), anon
    )

    assert slowed.on_event_loop is False
    assert elapsed < 0.5  # not held up behind the 1.5 s probe


def test_decoding_an_avatar_leaves_the_event_loop_free(alice, anon, monkeypatch: pytest.MonkeyPatch):
    slowed = Slowed(make_avatar)
    monkeypatch.setattr(account_services, "make_avatar", slowed)

    elapsed = healthz_while(
        slowed,
        lambda: alice.put("/accounts/me/avatar", files={"data": ("me.jpg", small_photo(), "image/jpeg")}),
        anon,
    )

    assert slowed.on_event_loop is False
    assert elapsed < 0.5

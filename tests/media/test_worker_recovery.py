"""A worker killed in the middle of a job leaves the item for the next worker to finish.

On the scale stack the workers run on PostgreSQL, with the job queue on Redis and media in S3: the
killed worker's job is gone from the queue, and the workers' sweep of items stuck past their lease
is what finishes it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import av
import pytest

from tests import database
from tests.stacks import as_environment, scale_overrides
from viewfinder.mediakit.storage import storage_from_settings
from viewfinder.settings import Settings

VIEWFINDER = str(Path(sys.executable).parent / "viewfinder")

ENQUEUE = """
import asyncio, sys
from viewfinder.accounts import services as accounts
from viewfinder.core.db import make_async_engine, make_sessionmaker
from viewfinder.media import services as media
from viewfinder.mediakit.storage import storage_from_settings
from viewfinder.media.tasks import process_media
from viewfinder.settings import get_settings

async def main():
    settings = get_settings()
    engine = make_async_engine(settings.resolved_database_url)
    async with make_sessionmaker(engine)() as db:
        user = await accounts.signup(db, username="maker", email="maker@example.com",
                                     password="a long and unusual password")
        data = open(sys.argv[1], "rb").read()
        item = await media.record_upload(db, storage_from_settings(settings), user, data,
                                        filter_name="normal", crop=None, max_bytes=10**9, max_pixels=10**8)
    await engine.dispose()
    process_media(item.id)  # into the queue's SQLite file: no worker runs yet
    print(item.id)

asyncio.run(main())
"""


def make_clip(path: Path, seconds: int) -> None:
    """A 1080p clip long enough that transcoding it takes a few seconds."""
    source = av.open(f"testsrc2=size=1920x1080:rate=30:duration={seconds}", format="lavfi")
    with av.open(str(path), "w", format="mp4") as output:
        stream = output.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 1920, 1080, "yuv420p"
        stream.options = {"preset": "ultrafast"}
        for frame in source.decode(video=0):
            output.mux(stream.encode(frame))
        output.mux(stream.encode())
    source.close()


def state_of(settings: Settings, item_id: str) -> str:
    rows = database.query(settings, "SELECT state FROM media_items WHERE id = ?", int(item_id))
    return str(rows[0][0]) if rows else "missing"


def wait_for(settings: Settings, item_id: str, wanted: str, seconds: float) -> str:
    deadline = time.monotonic() + seconds
    state = state_of(settings, item_id)
    while state != wanted and time.monotonic() < deadline:
        time.sleep(0.05)
        state = state_of(settings, item_id)
    return state


def leftover_uploads(settings: Settings) -> list[str]:
    """Original uploads still stored (the media folder, or the test's bucket)."""
    return storage_from_settings(settings).list_keys("uploads/")


@pytest.fixture
def stack(request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    """The run's stack for the subprocesses: on the scale stack, a PostgreSQL database, Redis
    namespace (the job queue there too) and bucket of this test's own; nothing embedded."""
    with scale_overrides(request.node.nodeid) as overrides:
        if "redis_url" in overrides:
            overrides["jobs_backend"] = "redis"
        yield as_environment(overrides)


@pytest.mark.slow
def test_a_job_cut_off_by_a_killed_worker_is_finished_by_the_next_worker(
    tmp_path: Path, stack: dict[str, str]
):
    env = {key: value for key, value in os.environ.items() if not key.startswith("VIEWFINDER_")}
    env.update(
        VIEWFINDER_ENV="development",
        VIEWFINDER_DATA_DIR=str(tmp_path / "var"),
        VIEWFINDER_MEDIA_PROCESSING_LEASE_SECONDS="1",
        **stack,
    )
    settings = settings_from(env)
    clip = tmp_path / "clip.mp4"
    make_clip(clip, seconds=12)
    subprocess.run([VIEWFINDER, "migrate"], env=env, check=True, capture_output=True)
    item_id = subprocess.run(
        [sys.executable, "-c", ENQUEUE, str(clip)], env=env, check=True, capture_output=True, text=True
    ).stdout.strip()
    assert state_of(settings, item_id) == "uploaded"

    workers: list[subprocess.Popen[bytes]] = []
    try:
        first = subprocess.Popen([VIEWFINDER, "worker"], env=env, start_new_session=True,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        workers.append(first)
        assert wait_for(settings, item_id, "processing", 30) == "processing"
        os.killpg(first.pid, signal.SIGKILL)  # mid-transcode, as a crash or an OOM kill would
        first.wait(timeout=10)
        time.sleep(1.5)  # past the processing lease
        assert state_of(settings, item_id) == "processing"

        second = subprocess.Popen([VIEWFINDER, "worker"], env=env, start_new_session=True,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        workers.append(second)
        assert wait_for(settings, item_id, "ready", 90) == "ready"
        # The original upload is deleted just after the "ready" commit: give the worker a moment.
        deadline = time.monotonic() + 10
        while leftover_uploads(settings) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        for worker in workers:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait(timeout=10)
    assert leftover_uploads(settings) == []


def settings_from(env: dict[str, str]) -> Settings:
    """The settings the subprocesses read from this environment."""
    saved = dict(os.environ)
    try:
        os.environ.clear()
        os.environ.update(env)
        return Settings()
    finally:
        os.environ.clear()
        os.environ.update(saved)

"""A job its worker took from the queue but never got to start is not lost with the worker (issue 12,
docs/decisions/0050): a real `viewfinder worker` takes an upload's processing job and is killed
before the job has marked the item as processing; the next worker's heartbeat puts the job back in
the queue within seconds, not after the 300 s an `uploaded` item waits before the media sweep
queues it again."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tests.helpers import small_photo
from tests.media.test_worker_recovery import (  # noqa: F401  # `stack` is a fixture
    ENQUEUE,
    VIEWFINDER,
    settings_from,
    stack,
    state_of,
    wait_for,
)
from viewfinder.core.db import sync_url
from viewfinder.core.jobs import make_storage
from viewfinder.settings import Settings

HEARTBEAT_SECONDS = 0.5
CONSUMER_TIMEOUT_SECONDS = 2


@contextmanager
def item_locked(settings: Settings, item_id: str) -> Iterator[None]:
    """Hold what the processing job's first write needs, so a worker that took the job waits
    before it has marked the item: the write lock of the SQLite file, or the item's PostgreSQL row."""
    url = settings.resolved_database_url
    if url.startswith("sqlite"):
        connection = sqlite3.connect(str(settings.data_dir / "viewfinder.db"), isolation_level=None)
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            connection.execute("ROLLBACK")
            connection.close()
        return
    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as lock:
            lock.execute(text("SELECT id FROM media_items WHERE id = :id FOR UPDATE"), {"id": int(item_id)})
            yield
            lock.rollback()
    finally:
        engine.dispose()


def wait(condition: Any, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return bool(condition())


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as output:
        return subprocess.Popen([VIEWFINDER, "worker"], env=env, start_new_session=True,
                                stdout=output, stderr=subprocess.STDOUT)  # fmt: skip


@pytest.mark.slow
def test_a_job_taken_by_a_worker_killed_before_it_started_runs_again_within_seconds(
    tmp_path: Path,
    stack: dict[str, str],  # noqa: F811
) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("VIEWFINDER_")}
    env.update(
        VIEWFINDER_ENV="development",
        VIEWFINDER_DATA_DIR=str(tmp_path / "var"),
        VIEWFINDER_JOB_HEARTBEAT_SECONDS=str(HEARTBEAT_SECONDS),
        VIEWFINDER_JOB_CONSUMER_TIMEOUT_SECONDS=str(CONSUMER_TIMEOUT_SECONDS),
        VIEWFINDER_JOB_WORKERS="1",
        **stack,
    )
    settings = settings_from(env)
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(small_photo())
    subprocess.run([VIEWFINDER, "migrate"], env=env, check=True, capture_output=True)
    item_id = subprocess.run(
        [sys.executable, "-c", ENQUEUE, str(photo)], env=env, check=True, capture_output=True, text=True
    ).stdout.strip()
    assert state_of(settings, item_id) == "uploaded"
    queue = make_storage(settings)  # the worker's queue (its SQLite file, or Redis)
    [job] = queue.enqueued_items()

    def job_queued() -> bool:
        return job in queue.enqueued_items()

    workers: list[subprocess.Popen[bytes]] = []
    try:
        with item_locked(settings, item_id):
            first = start_worker(env, tmp_path / "first.log")
            workers.append(first)
            # It took the job (gone from the queue) and waits to mark the item: killed right there.
            # (The worker's periodic jobs may be queued meanwhile: what matters is this one.)
            assert wait(lambda: not job_queued(), 60), "the worker never took the job"
            os.killpg(first.pid, signal.SIGKILL)
            first.wait(timeout=10)
        killed_at = time.monotonic()
        assert state_of(settings, item_id) == "uploaded"
        assert not job_queued()  # gone from the queue with the worker that took it

        workers.append(start_worker(env, tmp_path / "second.log"))

        # Well within the 300 s after which the media sweep would queue an `uploaded` item again.
        assert wait_for(settings, item_id, "ready", 60) == "ready", (tmp_path / "second.log").read_text()
        assert time.monotonic() - killed_at < 60
    finally:
        for worker in workers:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait(timeout=10)
        if hasattr(queue, "close"):
            queue.close()

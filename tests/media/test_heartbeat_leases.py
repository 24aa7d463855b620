"""Items a worker holds are kept by its heartbeat, and taken up within seconds once it dies (issue 12,
docs/decisions/0037): two real `viewfinder worker` processes, one processing a long clip; while it
lives, its heartbeat renews the item's short lease so the other never takes it; killed mid-job, the
other takes it up within the lease and a heartbeat (not after the 300 s a fixed lease took) and the
item ends ready."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests import database
from tests.media.test_worker_recovery import (  # noqa: F401  # `stack` is a fixture
    ENQUEUE,
    VIEWFINDER,
    make_clip,
    settings_from,
    stack,
    state_of,
    wait_for,
)
from viewfinder.core.db import utcnow
from viewfinder.settings import Settings

LEASE_SECONDS = 6  # twelve heartbeats: a loaded 2-core CI machine has stalled one for 3 s
HEARTBEAT_SECONDS = 0.5


def hold_of(settings: Settings, item_id: str) -> tuple[str, datetime | None]:
    rows = database.query(
        settings, "SELECT state, processing_started_at FROM media_items WHERE id = ?", int(item_id)
    )
    state, held_since = rows[0]
    if isinstance(held_since, str):  # SQLite hands back text
        held_since = datetime.fromisoformat(held_since)
    if held_since is not None and held_since.tzinfo is None:
        held_since = held_since.replace(tzinfo=UTC)
    return str(state), held_since


def consumers(settings: Settings) -> list[tuple[int, int]]:
    """(pid, jobs running) of every consumer with a heartbeat row."""
    return [
        (int(pid), int(running))
        for pid, running in database.query(settings, "SELECT pid, running FROM job_consumers")
    ]


def running_consumers(settings: Settings) -> list[int]:
    """The consumers whose last heartbeat said they were running a job."""
    return [pid for pid, running in consumers(settings) if running]


def wait(condition: Any, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return bool(condition())


@pytest.mark.slow
def test_a_held_item_is_kept_while_its_worker_lives_and_taken_up_within_seconds_when_it_dies(
    tmp_path: Path,
    stack: dict[str, str],  # noqa: F811
) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("VIEWFINDER_")}
    env.update(
        VIEWFINDER_ENV="development",
        VIEWFINDER_DATA_DIR=str(tmp_path / "var"),
        VIEWFINDER_MEDIA_PROCESSING_LEASE_SECONDS=str(LEASE_SECONDS),
        VIEWFINDER_JOB_HEARTBEAT_SECONDS=str(HEARTBEAT_SECONDS),
        VIEWFINDER_JOB_WORKERS="1",
        **stack,
    )
    settings = settings_from(env)
    clip = tmp_path / "clip.mp4"
    make_clip(clip, seconds=48)
    subprocess.run([VIEWFINDER, "migrate"], env=env, check=True, capture_output=True)

    workers: dict[int, subprocess.Popen[bytes]] = {}
    try:
        for _ in range(2):
            worker = subprocess.Popen([VIEWFINDER, "worker"], env=env, start_new_session=True,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
            workers[worker.pid] = worker
        assert wait(lambda: len(consumers(settings)) == 2, 90), "the workers never sent a heartbeat"
        item_id = subprocess.run(
            [sys.executable, "-c", ENQUEUE, str(clip)], env=env, check=True, capture_output=True, text=True
        ).stdout.strip()
        assert wait_for(settings, item_id, "processing", 30) == "processing"
        assert wait(lambda: len(running_consumers(settings)) == 1, 10)
        [holder] = running_consumers(settings)
        assert holder in workers

        # Alive, the holder keeps the item far beyond its short lease: its heartbeat renews the hold
        # so often that the hold never grows older than the lease, which is what lets the other
        # worker's sweeps (every heartbeat) take an item; and the state stays `processing`.
        first_hold = hold_of(settings, item_id)[1]
        oldest_hold = 0.0
        watch_until = time.monotonic() + 2 * LEASE_SECONDS
        while time.monotonic() < watch_until:
            assert holder in running_consumers(settings)
            state, held_since = hold_of(settings, item_id)
            assert state == "processing", f"the item went {state!r} while its worker lived"
            assert held_since is not None
            oldest_hold = max(oldest_hold, (utcnow() - held_since).total_seconds())
            time.sleep(HEARTBEAT_SECONDS / 4)
        renewed = hold_of(settings, item_id)[1]
        assert first_hold is not None
        assert renewed is not None
        assert renewed > first_hold
        assert oldest_hold < LEASE_SECONDS, (
            f"a hold went {oldest_hold:.2f} s unrenewed: a sweep could take it"
        )

        os.killpg(holder, signal.SIGKILL)  # mid-transcode, as a crash or an OOM kill would
        workers.pop(holder).wait(timeout=10)
        killed_at = time.monotonic()
        _, last_hold = hold_of(settings, item_id)

        # Taken up by the other worker within the lease and a heartbeat or two.
        assert wait(lambda: hold_of(settings, item_id)[1] != last_hold, LEASE_SECONDS + 6)
        taken_after = time.monotonic() - killed_at
        assert taken_after < LEASE_SECONDS + 6, taken_after
        assert wait_for(settings, item_id, "ready", 120) == "ready"
    finally:
        for worker in workers.values():
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait(timeout=10)
    assert state_of(settings, item_id) == "ready"

"""`viewfinder serve` supervises its processes (issue 12, docs/decisions/0037), run for real: a job
consumer that hangs makes /readyz say so; one that is killed is started again within seconds, with
a log line; a killed web worker is started again by granian; and an instance with no consumer at
all (`serve --no-jobs` and no `viewfinder worker`) is not ready."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.test_cli import (
    VIEWFINDER,
    children_of,
    environment,
    free_port,
    kill,
    still_running,
    wait_until,
    wait_until_serving,
)

FAST_HEARTBEAT = {
    "VIEWFINDER_JOB_HEARTBEAT_SECONDS": "0.5",
    "VIEWFINDER_JOB_CONSUMER_TIMEOUT_SECONDS": "2",
    "VIEWFINDER_WEB_WORKERS": "1",
}


class Served:
    """A running `viewfinder serve` and what was seen of it."""

    def __init__(self, process: subprocess.Popen[Any], base: str, log_path: Path) -> None:
        self.process, self.base, self.log_path = process, base, log_path
        self.seen: dict[int, str] = {}

    def log(self) -> str:
        return self.log_path.read_text()

    def children(self) -> dict[int, str]:
        children = children_of(self.process.pid)
        self.seen.update(children)
        return children

    def consumers(self) -> list[int]:
        return [pid for pid, cmdline in self.children().items() if cmdline.endswith("viewfinder worker")]

    def web_workers(self) -> list[int]:
        return [pid for pid, cmdline in self.children().items() if " serve " in f"{cmdline} "]

    def readyz(self) -> httpx.Response | None:
        try:
            return httpx.get(f"{self.base}/readyz", timeout=2)
        except httpx.TransportError:
            return None

    def ready(self) -> bool:
        response = self.readyz()
        return response is not None and response.status_code == 200

    def not_ready(self) -> bool:
        response = self.readyz()
        return response is not None and response.status_code == 503


@pytest.fixture
def serve(tmp_path: Path, migrated_database: Path) -> Iterator[Any]:
    """Start `viewfinder serve ARGS` on a data directory of its own; stopped (every child too) after."""
    started: list[Served] = []

    def start(*args: str, **extra: str) -> Served:
        data_dir = tmp_path / "var"
        data_dir.mkdir(exist_ok=True)
        shutil.copy(migrated_database, data_dir / "viewfinder.db")
        port = free_port()
        log_path = tmp_path / "serve.log"
        with log_path.open("w") as log:
            process = subprocess.Popen(
                [str(VIEWFINDER), "serve", "--port", str(port), *args],
                env=environment(data_dir, **FAST_HEARTBEAT, **extra),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        served = Served(process, f"http://127.0.0.1:{port}", log_path)
        started.append(served)
        wait_until_serving(process, served.base, log_path, also=served.children)
        return served

    yield start
    for served in started:
        if served.process.poll() is None:
            served.process.send_signal(signal.SIGTERM)
            try:
                served.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                kill(served.process.pid)
                served.process.wait(timeout=10)
        for pid, cmdline in served.seen.items():
            if still_running(pid, cmdline):
                os.kill(pid, signal.SIGKILL)


@pytest.mark.slow
def test_a_hung_consumer_is_reported_and_a_killed_one_is_started_again(serve):
    served = serve()
    assert wait_until(served.ready, timeout=90), served.log()
    [consumer] = served.consumers()

    # Hung (stopped, not dead): its heartbeat ages past the timeout and /readyz says so.
    os.kill(consumer, signal.SIGSTOP)
    assert wait_until(served.not_ready, timeout=15), served.log()
    answer = served.readyz()
    assert answer is not None
    body = answer.json()
    assert body["error"]["code"] == "unavailable"
    assert "No background-job consumer is running (none has reported lately)" in body["error"]["message"]
    assert body["jobs"]["consumers"] == 0
    assert body["database"] == "ok"

    # Killed: serve starts another within seconds, and says so.
    os.kill(consumer, signal.SIGKILL)
    killed_at = time.monotonic()
    assert wait_until(lambda: [pid for pid in served.consumers() if pid != consumer] != [], timeout=10), (
        served.log()
    )
    assert time.monotonic() - killed_at < 10
    [replacement] = served.consumers()
    log = served.log()
    assert f"The job consumer (pid {consumer}) was killed by SIGKILL; starting it again in 1 s" in log
    assert f"The job consumer is running again (pid {replacement})" in log
    # Ready again once the new consumer's first heartbeat is in.
    assert wait_until(served.ready, timeout=90), served.log()
    ready = served.readyz()
    assert ready is not None
    assert ready.json()["jobs"]["consumers"] == 1

    # A web worker killed: granian starts another and the instance answers again.
    [web_worker] = served.web_workers()
    os.kill(web_worker, signal.SIGKILL)
    assert wait_until(lambda: [pid for pid in served.web_workers() if pid != web_worker] != [], timeout=15), (
        served.log()
    )
    assert wait_until(served.ready, timeout=90), served.log()
    assert "Respawning worker-1" in served.log()
    assert served.process.poll() is None


@pytest.mark.slow
def test_serve_without_a_consumer_is_not_ready_until_a_worker_runs(serve, tmp_path):
    served = serve("--no-jobs")
    assert served.consumers() == []
    answer = served.readyz()
    assert answer is not None
    assert answer.status_code == 503
    body = answer.json()
    assert "No background-job consumer is running (none has ever reported)" in body["error"]["message"]
    assert body["jobs"] == {"consumers": 0, "pending": 0, "stalled_seconds": 0.0}

    # A stand-alone consumer beside it (web and workers run apart): ready.
    worker = subprocess.Popen(
        [str(VIEWFINDER), "worker"],
        env=environment(tmp_path / "var", **FAST_HEARTBEAT),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        assert wait_until(served.ready, timeout=90), served.log()
    finally:
        worker.send_signal(signal.SIGINT)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            kill(worker.pid)
            worker.wait(timeout=10)
    # The consumer gone, the instance is not ready again (its row removed, or aged out).
    assert wait_until(served.not_ready, timeout=15), served.log()

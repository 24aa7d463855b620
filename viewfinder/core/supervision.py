"""What `viewfinder serve` does to keep its processes running (docs/decisions/0037).

- The job consumer (`viewfinder worker`) runs as a child process; `ConsumerSupervisor` starts it
  again whenever it exits without being asked to (killed, crashed, out of memory), after a wait that
  doubles from RESTART_MIN_SECONDS to RESTART_MAX_SECONDS and starts over once a consumer has run
  for STABLE_SECONDS, with a log line each time.
- The web workers are granian's: it starts a dead one again at once (`respawn_failed_workers`,
  with its own log line) and gives up only when one dies again within seconds of being started,
  a crash loop. `run_web` then starts granian again after the same doubling wait, rather than
  letting `serve` end.

The consumer's items are not lost with it: its heartbeat stops, so what it held is taken up again
by the next consumer within `media_processing_lease_seconds` (core.jobs).
"""

from __future__ import annotations

import contextlib
import logging
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

RESTART_MIN_SECONDS = 1.0
RESTART_MAX_SECONDS = 60.0
STABLE_SECONDS = 60.0
"""A process that ran this long before it died is started again after the shortest wait."""
STOP_GRACE_SECONDS = 15.0
"""How long a stopping consumer may take to finish its jobs before it is killed."""

logger = logging.getLogger("viewfinder.serve")


def log_to_stderr() -> None:
    """Give this module's log lines a handler of their own (granian configures only its loggers)."""
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("[%(levelname)s] viewfinder serve: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False


def describe_exit(code: int) -> str:
    """How a child process ended, in words."""
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"was killed by {name}"
    return f"exited with status {code}"


class Backoff:
    """The doubling wait between restarts of one process, starting over after a stable run."""

    def __init__(self, low: float = RESTART_MIN_SECONDS, high: float = RESTART_MAX_SECONDS) -> None:
        self.low, self.high = low, high
        self._next = low

    def after(self, ran_seconds: float) -> float:
        """The wait before the next start of a process that ran this long."""
        if ran_seconds >= STABLE_SECONDS:
            self._next = self.low
        wait, self._next = self._next, min(self._next * 2, self.high)
        return wait


class ConsumerSupervisor:
    """Runs a job consumer as a child process and starts it again when it dies."""

    def __init__(self, command: Sequence[str], env: dict[str, str]) -> None:
        self._command = list(command)
        self._env = env
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._process: subprocess.Popen[bytes] | None = None
        self._started = 0.0
        self._thread: threading.Thread | None = None
        self.restarts = 0

    @property
    def pid(self) -> int | None:
        process = self._process
        return None if process is None else process.pid

    def start(self) -> None:
        with self._lock:
            self._spawn()
        self._thread = threading.Thread(
            target=self._watch, name="viewfinder-consumer-supervisor", daemon=True
        )
        self._thread.start()

    def _spawn(self) -> None:
        self._process = subprocess.Popen(self._command, env=self._env)
        self._started = time.monotonic()

    def _watch(self) -> None:
        backoff = Backoff()
        while not self._stopping.is_set():
            process = self._process
            assert process is not None
            code = process.wait()
            if self._stopping.is_set():
                return
            wait = backoff.after(time.monotonic() - self._started)
            logger.warning(
                "The job consumer (pid %d) %s; starting it again in %.0f s",
                process.pid,
                describe_exit(code),
                wait,
            )
            if self._stopping.wait(wait):
                return
            with self._lock:
                if self._stopping.is_set():
                    return
                self._spawn()
                self.restarts += 1
            logger.warning("The job consumer is running again (pid %d)", self.pid)

    def stop(self) -> None:
        """Stop supervising; ask the consumer to finish its jobs (SIGINT), kill it after the grace."""
        with self._lock:
            self._stopping.set()
            process = self._process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def _stop_signals_set(event: threading.Event) -> Iterator[None]:
    """While inside, SIGINT and SIGTERM set the event instead of ending the process."""
    previous = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    for signum in previous:
        signal.signal(signum, lambda *_: event.set())
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def run_web(make_server: Callable[[], Any]) -> None:
    """Serve with granian until a stop signal; when granian gives up on a crash loop of its
    workers, start it again after a doubling wait."""
    backoff = Backoff()
    while True:
        started = time.monotonic()
        try:
            make_server().serve()
        except SystemExit as exit_:
            if exit_.code in (0, None):
                return
            code = exit_.code
        else:
            return  # stopped by SIGINT or SIGTERM
        wait = backoff.after(time.monotonic() - started)
        logger.warning(
            "The web workers stopped (granian exited with %s); starting them again in %.0f s", code, wait
        )
        stop = threading.Event()
        with _stop_signals_set(stop):
            if stop.wait(wait):
                return

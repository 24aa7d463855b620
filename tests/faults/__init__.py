"""Fault tests: each stops and restarts a service of its own (its own folder and ports, started by the
same scripts/services/NAME as the suite's), so the other test processes never see theirs go."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

SERVICES = Path(__file__).resolve().parents[2] / "scripts" / "services"

S = TypeVar("S", bound="PrivateService")


class PrivateService:
    """One private instance of scripts/services/NAME; `variables` pick its ports (and the like)."""

    def __init__(self, name: str, **variables: str) -> None:
        self.name = name
        self.services_dir = tempfile.mkdtemp(prefix=f"viewfinder-{name}-fault-")
        self.env = {**os.environ, "VIEWFINDER_SERVICES_DIR": self.services_dir, **variables}

    def script(self, action: str) -> str:
        """Run `scripts/services/NAME ACTION` for this instance; what it printed."""
        done = subprocess.run(
            [str(SERVICES / self.name), action],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"scripts/services/{self.name} {action} failed ({done.returncode}):\n{done.stderr}"
            )
        return done.stdout

    def start(self) -> None:
        self.script("start")

    def stop(self) -> None:
        self.script("stop")


@contextmanager
def started(service: S) -> Iterator[S]:
    """The service started, then stopped and its folder removed."""
    service.start()
    try:
        yield service
    finally:
        service.stop()
        shutil.rmtree(service.services_dir, ignore_errors=True)

"""Process checks the stacks share (they clean up after test processes that died without doing so)."""

from __future__ import annotations

import os


def alive(pid: int) -> bool:
    """Whether a process with this id still runs (one we may not signal counts as running)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True

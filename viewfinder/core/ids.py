"""64-bit, time-sortable IDs in Instagram's layout.

    | 41 bits: milliseconds since EPOCH | 13 bits: logical shard | 10 bits: sequence |

IDs sort by creation time, so cursors can use them directly. JSON carries them as strings because
JavaScript numbers lose precision above 2**53.
"""

from __future__ import annotations

import fcntl
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO

EPOCH_MS = 1_735_689_600_000  # 2025-01-01T00:00:00Z
TIMESTAMP_BITS = 41
SHARD_BITS = 13
SEQUENCE_BITS = 10
ID_TIME_SHIFT = SHARD_BITS + SEQUENCE_BITS
"""An ID shifted right by this many bits: milliseconds since EPOCH_MS."""
MAX_SHARD = (1 << SHARD_BITS) - 1
MAX_SEQUENCE = (1 << SEQUENCE_BITS) - 1
MAX_TIMESTAMP = (1 << TIMESTAMP_BITS) - 1


class IdGenerator:
    """Thread-safe ID source for one logical shard.

    If the wall clock steps backwards, the generator keeps counting from the last millisecond it
    used rather than repeating IDs; when a millisecond's 1,024 sequence numbers run out it moves
    on to the next millisecond.
    """

    def __init__(self, shard_id: int = 0, clock: Callable[[], float] = time.time) -> None:
        if not 0 <= shard_id <= MAX_SHARD:
            raise ValueError(f"shard_id must be between 0 and {MAX_SHARD}")
        self.shard_id = shard_id
        self._clock = clock
        self._lock = threading.Lock()
        self._last_ms = -1
        self._sequence = 0

    def next_id(self) -> int:
        with self._lock:
            now_ms = int(self._clock() * 1000) - EPOCH_MS
            if now_ms > self._last_ms:
                self._last_ms = now_ms
                self._sequence = 0
            else:
                # Same millisecond, or the clock went backwards: keep counting forward.
                self._sequence += 1
                if self._sequence > MAX_SEQUENCE:
                    self._last_ms += 1
                    self._sequence = 0
            if not 0 <= self._last_ms <= MAX_TIMESTAMP:
                raise OverflowError("the clock is outside the range the ID layout can hold")
            return (
                (self._last_ms << (SHARD_BITS + SEQUENCE_BITS))
                | (self.shard_id << SEQUENCE_BITS)
                | self._sequence
            )


def shard_of(id_: int) -> int:
    return (id_ >> SEQUENCE_BITS) & MAX_SHARD


def sequence_of(id_: int) -> int:
    return id_ & MAX_SEQUENCE


_UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND = timedelta(milliseconds=1)


def unix_ms(moment: datetime) -> int:
    """Whole milliseconds since 1970, in exact integer arithmetic (floats would round)."""
    return (moment - _UNIX_EPOCH) // _MILLISECOND


def moment_of_unix_ms(ms: int) -> datetime:
    return _UNIX_EPOCH + ms * _MILLISECOND


def first_id_at(moment: datetime) -> int:
    """The smallest ID a row created at this moment can have (IDs sort by creation time)."""
    return max(unix_ms(moment) - EPOCH_MS, 0) << (SHARD_BITS + SEQUENCE_BITS)


def last_id_at(moment: datetime) -> int:
    """The largest ID a row created at this moment can have."""
    return first_id_at(moment + _MILLISECOND) - 1


def created_at_of(id_: int) -> datetime:
    ms = (id_ >> (SHARD_BITS + SEQUENCE_BITS)) + EPOCH_MS
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


_generator = IdGenerator()
_shard_lock: IO[str] | None = None


def claim_shard(directory: Path, base: int) -> int:
    """Claim a shard no other live process on this machine holds: the first free one from base.

    Every process that makes IDs (each web worker, each job consumer, CLI commands) needs its own
    shard, or two of them would make the same ID in the same millisecond. The claim is an exclusive
    lock on a file under the data directory, released by the operating system when the process ends.
    """
    global _shard_lock
    release_shard()
    directory.mkdir(parents=True, exist_ok=True)
    for shard_id in range(base, MAX_SHARD + 1):
        handle = (directory / f"{shard_id}.lock").open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            continue
        _shard_lock = handle
        return shard_id
    raise RuntimeError(f"every ID shard from {base} to {MAX_SHARD} is held by another process")


def release_shard() -> None:
    """Give up this process's shard claim, if it holds one."""
    global _shard_lock
    if _shard_lock is not None:
        _shard_lock.close()
        _shard_lock = None


def configure(shard_id: int) -> None:
    """Point the process-wide generator at this process's logical shard."""
    global _generator
    if shard_id != _generator.shard_id:
        _generator = IdGenerator(shard_id)


def configure_for_process(lock_directory: Path, base_shard: int) -> int:
    """Claim a free shard for this process and make IDs with it; returns the shard."""
    shard_id = claim_shard(lock_directory, base_shard)
    configure(shard_id)
    return shard_id


def new_id() -> int:
    """A fresh ID from the process-wide generator."""
    return _generator.next_id()

"""64-bit IDs: ordering, uniqueness under threads, shard bits, clock trouble, and IDs as JSON strings."""

from __future__ import annotations

import itertools
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from litestar.testing import TestClient

from tests.conftest import BASE_URL, PASSWORD
from viewfinder.app import API_PREFIX, create_app
from viewfinder.core import ids
from viewfinder.core.ids import (
    EPOCH_MS,
    MAX_SEQUENCE,
    MAX_SHARD,
    IdGenerator,
    created_at_of,
    sequence_of,
    shard_of,
)
from viewfinder.settings import Settings


def strictly_increasing(values: list[int]) -> bool:
    return all(a < b for a, b in itertools.pairwise(values))


class FakeClock:
    """A clock the test moves by hand (seconds since the Unix epoch, like time.time)."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_ids_strictly_increase_within_a_process():
    generator = IdGenerator(shard_id=3)
    made = [generator.next_id() for _ in range(20_000)]
    assert strictly_increasing(made)


def test_ids_are_unique_across_threads_sharing_one_generator():
    generator = IdGenerator(shard_id=5)
    per_thread = 100_000
    results: list[list[int]] = [[] for _ in range(8)]
    start = threading.Barrier(8)

    def work(out: list[int]) -> None:
        next_id = generator.next_id
        start.wait()
        out.extend(next_id() for _ in range(per_thread))

    threads = [threading.Thread(target=work, args=(out,)) for out in results]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    every_id = [id_ for out in results for id_ in out]
    assert len(every_id) == 8 * per_thread
    assert len(set(every_id)) == len(every_id)
    # Each thread saw its own IDs in increasing order too.
    for out in results:
        assert strictly_increasing(out)
    assert {shard_of(id_) for id_ in every_id} == {5}


@pytest.mark.parametrize("shard_id", [0, 1, 42, 4096, MAX_SHARD])
def test_shard_id_round_trips_through_the_id(shard_id):
    generator = IdGenerator(shard_id=shard_id)
    for _ in range(3):
        assert shard_of(generator.next_id()) == shard_id
    assert MAX_SHARD == 8191


@pytest.mark.parametrize("shard_id", [-1, MAX_SHARD + 1, 1 << 20])
def test_invalid_shard_id_is_refused(shard_id):
    with pytest.raises(ValueError, match="shard_id"):
        IdGenerator(shard_id=shard_id)


def test_created_at_of_is_close_to_now():
    before = datetime.now(UTC)
    made = IdGenerator().next_id()
    after = datetime.now(UTC)
    created = created_at_of(made)
    assert created.tzinfo is not None
    # Millisecond resolution: allow the truncated millisecond on the early side.
    assert before - timedelta(milliseconds=2) <= created <= after + timedelta(milliseconds=2)


def test_created_at_of_reads_the_injected_clock():
    clock = FakeClock((EPOCH_MS + 123_456_789) / 1000)
    made = IdGenerator(clock=clock).next_id()
    assert created_at_of(made) == datetime.fromtimestamp((EPOCH_MS + 123_456_789) / 1000, tz=UTC)


def test_clock_going_backwards_never_repeats_an_id():
    clock = FakeClock(time.time())
    generator = IdGenerator(shard_id=9, clock=clock)
    made = [generator.next_id() for _ in range(5)]
    clock.now -= 10  # NTP steps the clock back ten seconds
    made += [generator.next_id() for _ in range(50)]
    clock.now += 3  # still behind the highest time already used
    made += [generator.next_id() for _ in range(50)]
    clock.now += 20  # well past it again
    made += [generator.next_id() for _ in range(5)]

    assert len(set(made)) == len(made)
    assert strictly_increasing(made)
    assert {shard_of(id_) for id_ in made} == {9}


def test_more_ids_than_one_millisecond_holds_stay_unique_and_increasing():
    clock = FakeClock(time.time())  # frozen: every ID is asked for in the same millisecond
    generator = IdGenerator(shard_id=1, clock=clock)
    count = 3 * (MAX_SEQUENCE + 1) + 10
    made = [generator.next_id() for _ in range(count)]

    assert len(set(made)) == count
    assert strictly_increasing(made)
    assert max(sequence_of(id_) for id_ in made) == MAX_SEQUENCE
    # The generator borrowed the next milliseconds rather than wrapping the sequence.
    spread = created_at_of(made[-1]) - created_at_of(made[0])
    assert spread == timedelta(milliseconds=3)


def test_json_carries_ids_as_strings_with_the_apps_shard(settings: Settings):
    app = create_app(settings.model_copy(update={"shard_id": 37}))
    try:
        with TestClient(app, base_url=BASE_URL) as client:
            response = client.post(
                API_PREFIX + "/accounts/signup",
                json={"username": "dora", "email": "dora@example.com", "password": PASSWORD},
            )
            assert response.status_code == 201, response.text
            profile_id = response.json()["me"]["profile"]["id"]
            assert isinstance(profile_id, str)
            assert profile_id.isdigit()
            assert int(profile_id) > 2**53  # beyond what a JavaScript number holds exactly
            assert shard_of(int(profile_id)) == 37
            assert abs(created_at_of(int(profile_id)) - datetime.now(UTC)) < timedelta(seconds=10)
            assert client.get(API_PREFIX + "/users/dora").json()["id"] == profile_id
    finally:
        ids.release_shard()
        ids.configure(settings.shard_id)  # put the process-wide generator back on the default shard

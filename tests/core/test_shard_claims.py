"""Each process that makes IDs claims a shard no other live process on the machine holds."""

import subprocess
import sys
import textwrap
from pathlib import Path

from viewfinder.core import ids

CLAIM_AND_WAIT = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from viewfinder.core import ids
    shard = ids.configure_for_process(Path(sys.argv[1]), 0)
    print(shard, ids.shard_of(ids.new_id()), flush=True)
    sys.stdin.readline()
    """
)


def test_live_processes_get_distinct_shards_and_a_finished_one_frees_its_shard(tmp_path: Path):
    def start() -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-c", CLAIM_AND_WAIT, str(tmp_path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    with start() as first, start() as second:
        try:
            assert first.stdout is not None
            assert second.stdout is not None
            first_claim = first.stdout.readline().split()
            second_claim = second.stdout.readline().split()
            # Each process writes its claimed shard into the IDs it makes.
            assert first_claim[0] == first_claim[1]
            assert second_claim[0] == second_claim[1]
            assert {first_claim[0], second_claim[0]} == {"0", "1"}
            first.communicate("\n", timeout=10)
            with start() as third:
                assert third.stdout is not None
                assert third.stdout.readline().split()[0] == first_claim[0]
                third.communicate("\n", timeout=10)
            second.communicate("\n", timeout=10)
        finally:
            for process in (first, second):
                if process.poll() is None:
                    process.kill()


def test_a_process_holds_one_claim_at_a_time(tmp_path: Path):
    try:
        assert ids.claim_shard(tmp_path / "a", 5) == 5
        # A new claim releases this process's previous one first, so the same shard comes back.
        assert ids.claim_shard(tmp_path / "a", 5) == 5
    finally:
        ids.release_shard()

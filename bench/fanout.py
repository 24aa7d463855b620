"""Fan-out benchmark on Cassandra: one post by an author with 100,000 followers reaching every timeline.

    .venv/bin/python bench/fanout.py [--followers 100000] [--keep]

Starts scripts/services/cassandra if it is not running (and stops it again at the end), makes a
fresh keyspace `viewfinder_fanout_bench` with `viewfinder cassandra-migrate`'s code, and a fresh
SQLite database in a temporary folder (VIEWFINDER_DATABASE_URL, when set, is used instead: an empty,
migrated PostgreSQL database, say). The author and the followers are inserted in bulk straight into
the database. Then it times, in this process:

1. the fan-out of one post with the fan-out threshold above the follower count, so the post is
   written to every follower's timeline, until every timeline holds it (goal: <= 10 s here);
   every timeline is then read back to check;
2. the same author's next post with the default threshold (10,000): a "celebrity" post, written
   to the author's own timeline only, whatever the follower count; a follower's feed still shows it,
   merged in at read time.

Prints figures (timeline rows and CQL statements written for each) and ends with one JSON line.
The keyspace is dropped at the end unless --keep is given.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select, update  # noqa: E402

from viewfinder.accounts.models import User  # noqa: E402
from viewfinder.core import cassandra, ids  # noqa: E402
from viewfinder.core.db import make_async_engine, make_sessionmaker  # noqa: E402
from viewfinder.core.migrate import upgrade  # noqa: E402
from viewfinder.feeds import services  # noqa: E402
from viewfinder.feeds.cassandra import CassandraTimelineStore  # noqa: E402
from viewfinder.graph.models import Follow  # noqa: E402
from viewfinder.posts.models import Post  # noqa: E402
from viewfinder.settings import Settings  # noqa: E402

KEYSPACE = "viewfinder_fanout_bench"
GOAL_SECONDS = 10.0
INSERT_BATCH = 10_000
SCRIPT = ROOT / "scripts" / "services" / "cassandra"


class CountingCassandra(cassandra.Cassandra):
    """Counts the CQL statements the store sends (one IN-UPDATE writes up to CHUNK rows)."""

    statements = 0

    async def execute(self, cql: str, parameters: Sequence[Any] = ()) -> list[Any]:
        CountingCassandra.statements += 1
        return await super().execute(cql, parameters)

    async def execute_all(self, cql_and_parameters: Iterable[tuple[str, Sequence[Any]]]) -> list[list[Any]]:
        work = list(cql_and_parameters)
        CountingCassandra.statements += len(work)
        return await super().execute_all(work)


class CountingStore(CassandraTimelineStore):
    """The Cassandra store, counting the timeline rows it is asked to write."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self._db = CountingCassandra(settings)
        self.rows = 0

    async def add(self, entries: Sequence[Any]) -> None:
        self.rows += len(entries)
        await super().add(entries)


def service(command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SCRIPT), command], capture_output=True, text=True, check=False)


async def insert_accounts(settings: Settings, followers: int) -> tuple[int, list[int]]:
    """The author and `followers` accounts following it, in bulk; returns their ids."""
    engine = make_async_engine(settings.resolved_database_url)
    author = ids.new_id()
    follower_ids = [ids.new_id() for _ in range(followers)]

    def account(user_id: int, name: str) -> dict[str, Any]:
        return {
            "id": user_id,
            "username": name,
            "username_key": name,
            "email": f"{name}@example.com",
            "email_key": f"{name}@example.com",
            "password_hash": "!",  # no password: nobody logs in
        }

    async with make_sessionmaker(engine)() as db:
        await db.execute(insert(User), [account(author, "author")])
        for start in range(0, followers, INSERT_BATCH):
            chunk = follower_ids[start : start + INSERT_BATCH]
            await db.execute(insert(User), [account(uid, f"f{start + n}") for n, uid in enumerate(chunk)])
            await db.execute(
                insert(Follow),
                [{"id": ids.new_id(), "follower_id": uid, "followee_id": author} for uid in chunk],
            )
        await db.execute(update(User).where(User.id == author).values(followers_count=followers))
        await db.execute(update(User).where(User.id.in_(follower_ids[:1])).values(following_count=1))
        await db.commit()
    await engine.dispose()
    return author, follower_ids


async def new_post(settings: Settings, author: int) -> int:
    engine = make_async_engine(settings.resolved_database_url)
    post_id = ids.new_id()
    async with make_sessionmaker(engine)() as db:
        await db.execute(insert(Post), [{"id": post_id, "author_id": author, "caption": "bench"}])
        await db.commit()
    await engine.dispose()
    return post_id


async def fan_out(settings: Settings, post_id: int) -> tuple[float, int, int, int]:
    """Seconds, timelines written, timeline rows and CQL statements for one post's fan-out."""
    store = CountingStore(settings)
    CountingCassandra.statements = 0
    engine = make_async_engine(settings.resolved_database_url)
    async with make_sessionmaker(engine)() as db:
        started = time.perf_counter()
        written = await services.fan_out_post(db, store, settings, post_id)
        seconds = time.perf_counter() - started
    await engine.dispose()
    return seconds, written, store.rows, CountingCassandra.statements


async def run(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    print(f"inserting 1 author and {args.followers:,} followers ...", flush=True)
    started = time.perf_counter()
    author, followers = await insert_accounts(settings, args.followers)
    print(f"  inserted in {time.perf_counter() - started:.1f} s", flush=True)

    store = CassandraTimelineStore(settings)
    await store.page(author, None, 1)  # connect and prepare outside the timing

    everyone = settings.model_copy(update={"feed_fanout_threshold": args.followers + 1})
    post_id = await new_post(settings, author)
    seconds, written, rows, statements = await fan_out(everyone, post_id)
    print(
        f"fan-out to every follower: {written:,} timelines in {seconds:.2f} s "
        f"({written / seconds:,.0f} timelines/s; {rows:,} rows in {statements:,} CQL statements); "
        f"goal <= {GOAL_SECONDS:.0f} s: {'met' if seconds <= GOAL_SECONDS else 'MISSED'}",
        flush=True,
    )
    started = time.perf_counter()
    holders = await store.holders(post_id)
    verify_seconds = time.perf_counter() - started
    every_timeline = holders == sorted([author, *followers])
    print(f"  read back: {len(holders):,} timelines hold the post ({verify_seconds:.1f} s to check)")

    celebrity_post = await new_post(settings, author)
    celebrity_seconds, celebrity_written, celebrity_rows, celebrity_statements = await fan_out(
        settings, celebrity_post
    )
    print(
        f"celebrity post (threshold {settings.feed_fanout_threshold:,} <= {args.followers:,} followers): "
        f"{celebrity_rows} timeline row in {celebrity_statements} CQL statements, "
        f"{celebrity_seconds * 1000:.1f} ms",
        flush=True,
    )
    engine = make_async_engine(settings.resolved_database_url)
    async with make_sessionmaker(engine)() as db:
        viewer = await db.scalar(select(User).where(User.id == followers[0]))
        assert viewer is not None
        page = await services.following_page(db, store, settings, viewer, None, 5)
    await engine.dispose()
    shown = [ref.id for ref in page.rows]
    print(f"  a follower's feed, merged at read time: {shown == [celebrity_post, post_id]}")
    return {
        "bench": "fanout",
        "backend": "cassandra",
        "followers": args.followers,
        "fanout_seconds": round(seconds, 3),
        "timelines_written": written,
        "timelines_per_second": round(written / seconds),
        "rows_written": rows,
        "cql_statements": statements,
        "every_timeline_has_post": every_timeline,
        "goal_seconds": GOAL_SECONDS,
        "goal_met": seconds <= GOAL_SECONDS and every_timeline,
        "celebrity_rows_written": celebrity_rows,
        "celebrity_cql_statements": celebrity_statements,
        "celebrity_seconds": round(celebrity_seconds, 4),
        "celebrity_timelines_written": celebrity_written,
        "celebrity_post_in_follower_feed": shown == [celebrity_post, post_id],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--followers", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="keep the keyspace afterwards")
    args = parser.parse_args()

    started_here = service("status").returncode != 0
    if started_here:
        print("starting Cassandra (scripts/services/cassandra start) ...", flush=True)
        done = service("start")
        if done.returncode != 0:
            raise SystemExit(f"could not start Cassandra:\n{done.stderr}")
    # `export NAME=value NAME=value` lines, several settings to a line.
    env = dict(
        word.split("=", 1)
        for line in service("env").stdout.splitlines()
        if line.startswith("export ")
        for word in shlex.split(line)[1:]
    )
    try:
        with tempfile.TemporaryDirectory(prefix="viewfinder-fanout-") as scratch:
            settings = Settings(
                env="development",
                data_dir=Path(scratch),
                database_url=os.environ.get("VIEWFINDER_DATABASE_URL"),
                timeline_backend="cassandra",
                cassandra_hosts=env["VIEWFINDER_CASSANDRA_HOSTS"].split(","),
                cassandra_port=int(env["VIEWFINDER_CASSANDRA_PORT"]),
                cassandra_keyspace=KEYSPACE,
            )
            upgrade(settings.resolved_database_url)
            ids.configure_for_process(settings.id_shard_lock_dir, settings.shard_id)
            cassandra.drop_keyspace(settings)
            cassandra.migrate(settings)
            try:
                result = asyncio.run(run(args, settings))
            finally:
                if not args.keep:
                    cassandra.drop_keyspace(settings)
                cassandra.close_all()
    finally:
        if started_here:
            service("stop")
    print(json.dumps(result))


if __name__ == "__main__":
    main()

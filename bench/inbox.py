"""Notification inbox benchmark: the same likes notified into the SQL inbox and into Cassandra's.

    .venv/bin/python bench/inbox.py [--likes 2000] [--recipients 100]

Starts scripts/services/{postgres,cassandra,redis} when they are not running (and stops those again
at the end), makes a fresh PostgreSQL database and Cassandra keyspace `viewfinder_inbox_bench`, and
inserts accounts and posts in bulk. Each recipient has 5 posts; `--likes` likes by 200 other accounts
land on random posts (distinct liker and post pairs). Then, in this process, on the same database:

1. baseline, inbox_backend=sql: each like's `notify` in its own transaction (what a like request
   adds), which writes the grouped line, its actor and the real-time event at once;
2. inbox_backend=cassandra, the request's share: each `notify` in its own transaction, which writes
   one `inbox_changes` row;
3. the drain's share: `apply_changes` until the outbox is empty, by one caller, then the same again
   by two callers at once on a second batch (their claims take turns, so two are no faster).

Prints likes per second for each, the ratio of 2 and 3 to the baseline, checks both inboxes end
with the same lines and unread counts, and ends with one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from feed import bench_settings, start_services, stop_services  # noqa: E402
from sqlalchemy import create_engine, insert, make_url, text  # noqa: E402

from viewfinder.accounts.models import User  # noqa: E402
from viewfinder.core import cassandra, ids  # noqa: E402
from viewfinder.core.db import make_async_engine, make_sessionmaker  # noqa: E402
from viewfinder.core.migrate import upgrade  # noqa: E402
from viewfinder.notifications import services  # noqa: E402
from viewfinder.notifications.cassandra import CassandraInbox  # noqa: E402
from viewfinder.notifications.services import Kind  # noqa: E402
from viewfinder.posts.models import Post  # noqa: E402
from viewfinder.settings import Settings  # noqa: E402
from viewfinder.wiring import build_backends  # noqa: E402

DATA_SET = "viewfinder_inbox_bench"
ACTORS = 200
POSTS_EACH = 5


def server_admin(url: str, statement: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(statement))
    finally:
        engine.dispose()


async def insert_people(settings: Settings, recipients: int) -> tuple[list[int], list[int], dict[int, int]]:
    """Recipients, actors, and each post's author (the recipients' posts)."""
    people = [ids.new_id() for _ in range(recipients + ACTORS)]
    owners = {ids.new_id(): people[n % recipients] for n in range(recipients * POSTS_EACH)}
    engine = make_async_engine(settings.resolved_database_url)
    async with make_sessionmaker(engine)() as db:
        await db.execute(
            insert(User),
            [
                {
                    "id": uid,
                    "username": f"u{n}",
                    "username_key": f"u{n}",
                    "email": f"u{n}@example.com",
                    "email_key": f"u{n}@example.com",
                    "password_hash": "!",
                }
                for n, uid in enumerate(people)
            ],
        )
        await db.execute(
            insert(Post), [{"id": pid, "author_id": uid, "caption": "bench"} for pid, uid in owners.items()]
        )
        await db.commit()
    await engine.dispose()
    return people[:recipients], people[recipients:], owners


async def notify_all(settings: Settings, likes: list[tuple[int, int, int]]) -> float:
    """Seconds to notify every like, one transaction each, with these settings in force."""
    build_backends(settings).install()  # the inbox store these settings name (viewfinder.wiring)
    engine = make_async_engine(settings.resolved_database_url)
    try:
        async with make_sessionmaker(engine)() as db:
            started = time.perf_counter()
            for recipient, actor, post in likes:
                await services.notify(
                    db, recipient_id=recipient, actor_id=actor, kind=Kind.LIKE, post_id=post
                )
                await db.commit()
            return time.perf_counter() - started
    finally:
        await engine.dispose()


async def drain(settings: Settings, callers: int) -> tuple[float, int]:
    """Seconds for `callers` concurrent apply_changes loops to empty the outbox; changes applied."""
    engine = make_async_engine(settings.resolved_database_url)
    sessions = make_sessionmaker(engine)
    inbox = CassandraInbox(settings)

    async def one() -> int:
        applied = 0
        async with sessions() as db:
            while True:
                done = await services.apply_changes(db, inbox)
                applied += done
                if done == 0:
                    return applied

    try:
        started = time.perf_counter()
        counts = await asyncio.gather(*(one() for _ in range(callers)))
        return time.perf_counter() - started, sum(counts)
    finally:
        await engine.dispose()


async def inbox_state(settings: Settings, recipients: list[int]) -> list[tuple[int, int, list[int]]]:
    """Each recipient's unread count and its lines' actor counts, newest first."""
    build_backends(settings).install()  # the inbox store these settings name (viewfinder.wiring)
    engine = make_async_engine(settings.resolved_database_url)
    found = []
    try:
        async with make_sessionmaker(engine)() as db:
            for recipient in recipients:
                unread = await services.unread_count(db, recipient)
                lines = await services.inbox_page(db, recipient, None, 50)
                actors = await services.newest_actors(db, recipient, lines)
                found.append((recipient, unread, [actors[line.id][1] for line in lines]))
    finally:
        await engine.dispose()
    return found


async def run(args: argparse.Namespace, sql: Settings, on_cassandra: Settings) -> dict[str, Any]:
    recipients, actors, owners = await insert_people(sql, args.recipients)
    pairs = random.Random(7).sample(  # noqa: S311 (a repeatable workload, not a secret)
        [(a, p) for a in actors for p in owners], args.likes
    )
    likes = [(owners[post], actor, post) for actor, post in pairs]
    first, second = likes[: len(likes) // 2], likes[len(likes) // 2 :]
    await inbox_state(on_cassandra, recipients[:1])  # connect and prepare outside the timings

    baseline = await notify_all(sql, likes)
    print(
        f"baseline, SQL inbox: {len(likes):,} likes notified in {baseline:.2f} s "
        f"({len(likes) / baseline:,.0f}/s)",
        flush=True,
    )

    written_first = await notify_all(on_cassandra, first)
    one_seconds, one_applied = await drain(on_cassandra, 1)
    written_second = await notify_all(on_cassandra, second)
    two_seconds, two_applied = await drain(on_cassandra, 2)
    written = written_first + written_second
    print(
        f"Cassandra inbox, request's share: {len(likes):,} outbox rows in {written:.2f} s "
        f"({len(likes) / written:,.0f}/s, {baseline / written:.2f}x the baseline's speed)",
        flush=True,
    )
    print(
        f"  drain, 1 caller: {one_applied:,} changes in {one_seconds:.2f} s "
        f"({one_applied / one_seconds:,.0f}/s, {baseline / len(likes) * one_applied / one_seconds:.2f}x "
        "the baseline's speed)",
        flush=True,
    )
    print(
        f"  drain, 2 callers: {two_applied:,} changes in {two_seconds:.2f} s "
        f"({two_applied / two_seconds:,.0f}/s)",
        flush=True,
    )

    sql_state = await inbox_state(sql, recipients)
    cassandra_state = await inbox_state(on_cassandra, recipients)
    same = sql_state == cassandra_state
    print(f"  both inboxes hold the same lines, actor counts and unread counts: {same}", flush=True)
    return {
        "bench": "inbox",
        "likes": len(likes),
        "recipients": len(recipients),
        "sql_notify_per_second": round(len(likes) / baseline),
        "cassandra_outbox_per_second": round(len(likes) / written),
        "cassandra_apply_per_second_1_caller": round(one_applied / one_seconds),
        "cassandra_apply_per_second_2_callers": round(two_applied / two_seconds),
        "outbox_write_vs_sql_ratio": round(baseline / written, 2),
        "apply_vs_sql_ratio": round((one_applied / one_seconds) / (len(likes) / baseline), 2),
        "applied_every_change": one_applied + two_applied == len(likes),
        "same_inboxes": same,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--likes", type=int, default=2000)
    parser.add_argument("--recipients", type=int, default=100)
    args = parser.parse_args()

    started, exported = start_services()
    server_url = exported["VIEWFINDER_DATABASE_URL"]
    database = make_url(server_url).set(database=DATA_SET).render_as_string(hide_password=False)
    try:
        server_admin(server_url, f"DROP DATABASE IF EXISTS {DATA_SET} WITH (FORCE)")
        server_admin(server_url, f"CREATE DATABASE {DATA_SET}")
        with tempfile.TemporaryDirectory(prefix="viewfinder-inbox-") as scratch:
            env = {**exported, "VIEWFINDER_DATABASE_URL": database, "VIEWFINDER_CASSANDRA_KEYSPACE": DATA_SET}
            sql = bench_settings(
                {**env, "VIEWFINDER_ENV": "development"}, data_dir=Path(scratch), inbox_backend="sql"
            )
            on_cassandra = sql.model_copy(update={"inbox_backend": "cassandra"})
            upgrade(sql.resolved_database_url)
            ids.configure_for_process(sql.id_shard_lock_dir, sql.shard_id)
            cassandra.drop_keyspace(on_cassandra)
            cassandra.migrate(on_cassandra)
            try:
                result = asyncio.run(run(args, sql, on_cassandra))
            finally:
                cassandra.drop_keyspace(on_cassandra)
                cassandra.close_all()
    finally:
        server_admin(server_url, f"DROP DATABASE IF EXISTS {DATA_SET} WITH (FORCE)")
        stop_services(started)
    print(json.dumps(result))


if __name__ == "__main__":
    main()

"""Home-feed benchmark: feed pages per second against the same server's plain JSON ceiling.

    .venv/bin/python bench/feed.py [--users 10000] [--posts 100000] [--duration 15] [--data-dir DIR]
                                   [--stack embedded|scale] [--setting NAME=VALUE ...]

Builds a data set with `viewfinder migrate` and `viewfinder demo` in a temporary data directory
(or reuses one given with --data-dir), serves it with `viewfinder serve` under production settings
(a real secret key, allowed host 127.0.0.1, one web process per CPU, the job consumer beside it),
logs demo accounts in and gives each an API token, then drives it with wrk on loopback at 64
connections: GET /healthz (plain JSON, the framework ceiling) and GET /api/viewfinder/v1/feed?limit=20
in both modes, rotating the Authorization header across the accounts. Prints requests per second,
p50/p99 latency, non-2xx counts (must be 0), the ratio feed/ceiling, the goals of issue 13 beside
them (embedded: following >= 1,000 pages/s with p99 <= 100 ms, ranked >= 500; scale: following >= 355,
five times the 71 pages/s measured when the issue was filed) and the server's CPU per request (user
+ system time of `serve` and every process under it, divided by the requests: the figure other load
on a shared machine disturbs least). A
reused data directory keeps its accounts' API tokens (bench-tokens.json). Then, with the server
stopped, it times in-process the fan-out of one post by an account with 10,000 followers (the
fan-out threshold raised above that, so it is written to every follower's timeline). Ends with one
JSON line holding every figure.

`--stack scale` runs the same on PostgreSQL + Cassandra + Redis: it starts scripts/services/{postgres,
cassandra,redis} (those not already running, stopped again at the end), exports their settings to every
command and to the server, and keeps the data set in its own database and keyspace (and Redis
namespace), all named viewfinder_feed_bench: made afresh and dropped at the end, or kept and reused
with --data-dir (which still holds the media files). The fan-out is then written to Cassandra.
Services the bench starts itself are cold (a fresh Cassandra JVM has compiled little of its read path
yet, and costs more CPU per read for a while): the JSON line names them (`services_started`); start
them beforehand with scripts/services/NAME start to measure warm servers. Each feed mode is first run
for --warmup seconds (default 3), unmeasured: tokens' first use, caches, connections.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, make_url, text

ROOT = Path(__file__).resolve().parent.parent
VIEWFINDER = Path(sys.executable).parent / "viewfinder"
API = "/api/viewfinder/v1"
FANOUT_FOLLOWERS = 10_000
SCALE_SERVICES = ("postgres", "cassandra", "redis")
GOALS = {  # issue 13's, printed beside the figures
    ("embedded", "following"): "goal >= 1,000 pages/s, p99 <= 100 ms",
    ("embedded", "ranked"): "goal >= 500 pages/s",
    ("scale", "following"): "goal >= 355 pages/s",
    ("scale", "ranked"): "no goal of its own",
}
# The scale stack's data set: its own database, keyspace and Redis namespace on the shared services.
SCALE_DATA_SET = "viewfinder_feed_bench"
LUA = """
local tokens = {%s}
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("offset", counter * 997)
end
function init(args)
  index = offset or 0
end
function request()
  index = index + 1
  return wrk.format("GET", "%s", {["Authorization"] = "Bearer " .. tokens[(index %% #tokens) + 1]})
end
"""


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    print("wrk is missing; installing the Debian package", flush=True)
    install = ["apt-get", "install", "-y", "-q", "wrk"]  # we run as root on the bench machine
    if subprocess.run(install, check=False, capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], check=True, capture_output=True)  # noqa: S607
        subprocess.run(install, check=True, capture_output=True)
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("could not install wrk")
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def environment(
    data_dir: Path, secret: str, port: int, workers: int, stack: dict[str, str]
) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("VIEWFINDER_")}
    env.update(stack)
    env.update(
        {
            "VIEWFINDER_ENV": "production",
            "VIEWFINDER_SECRET_KEY": secret,
            "VIEWFINDER_DATA_DIR": str(data_dir),
            "VIEWFINDER_ALLOWED_HOSTS": "127.0.0.1",
            "VIEWFINDER_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "VIEWFINDER_WEB_WORKERS": str(workers),
        }
    )
    return env


def service(name: str, command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ROOT / "scripts" / "services" / name), command], capture_output=True, text=True, check=False
    )


def start_services() -> tuple[list[str], dict[str, str]]:
    """Starts the scale stack's services that are not running; returns those it started and the
    settings their `env` commands print (`export VIEWFINDER_NAME=value ...` lines)."""
    started: list[str] = []
    settings: dict[str, str] = {}
    try:
        for name in SCALE_SERVICES:
            if service(name, "status").returncode != 0:
                print(f"starting scripts/services/{name}", flush=True)
                started.append(name)
                result = service(name, "start")
                if result.returncode != 0:
                    raise SystemExit(f"scripts/services/{name} start failed:\n{result.stdout}{result.stderr}")
            printed = service(name, "env")
            if printed.returncode != 0:
                raise SystemExit(f"scripts/services/{name} env failed:\n{printed.stderr}")
            for line in printed.stdout.splitlines():
                words = shlex.split(line)
                if words[:1] == ["export"]:
                    for word in words[1:]:
                        key, _, value = word.partition("=")
                        settings[key] = value
    except BaseException:
        stop_services(started)
        raise
    return started, settings


def stop_services(started: list[str]) -> None:
    for name in reversed(started):
        service(name, "stop")


def add_setting_argument(parser: argparse.ArgumentParser) -> None:
    """`--setting NAME=VALUE` (repeatable): a setting for the server and every command of the run."""
    parser.add_argument(
        "--setting",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a setting for the server, as VIEWFINDER_NAME (e.g. timeline_page_cache_seconds=0); repeatable",
    )


def settings_from(given: list[str]) -> dict[str, str]:
    """The VIEWFINDER_* variables of `--setting NAME=VALUE` arguments."""
    found: dict[str, str] = {}
    for setting in given:
        name, _, value = setting.partition("=")
        found[f"VIEWFINDER_{name.upper()}"] = value
    return found


def scale_settings(exported: dict[str, str]) -> dict[str, str]:
    """The services' settings with the bench's own database, keyspace and Redis namespace."""
    if "VIEWFINDER_DATABASE_URL" not in exported:
        raise SystemExit("scripts/services/postgres env did not export VIEWFINDER_DATABASE_URL")
    database = make_url(exported["VIEWFINDER_DATABASE_URL"]).set(database=SCALE_DATA_SET)
    return {
        **exported,
        "VIEWFINDER_DATABASE_URL": database.render_as_string(hide_password=False),
        "VIEWFINDER_CASSANDRA_KEYSPACE": SCALE_DATA_SET,
        "VIEWFINDER_REDIS_NAMESPACE": SCALE_DATA_SET,
    }


def bench_settings(env: dict[str, str], **changes: Any) -> Any:
    """The settings the bench's commands run with, as an object, for in-process work."""
    from viewfinder.settings import Settings

    saved = dict(os.environ)
    try:
        os.environ.clear()
        os.environ.update(env)
        return Settings(**changes)
    finally:
        os.environ.clear()
        os.environ.update(saved)


def drop_scale_data_set(env: dict[str, str], exported: dict[str, str]) -> None:
    """Drops the bench's database, keyspace and Redis keys (each may be missing)."""
    import redis

    from viewfinder.core import cassandra

    server = create_engine(exported["VIEWFINDER_DATABASE_URL"], isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {SCALE_DATA_SET} WITH (FORCE)"))
    finally:
        server.dispose()
    cassandra.drop_keyspace(bench_settings(env))
    cassandra.close_all()
    client = redis.Redis.from_url(env["VIEWFINDER_REDIS_URL"])
    try:
        for key in client.scan_iter(match=f"{SCALE_DATA_SET}*", count=1000):
            client.delete(key)
    finally:
        client.close()


def create_scale_database(exported: dict[str, str]) -> None:
    server = create_engine(exported["VIEWFINDER_DATABASE_URL"], isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as connection:
            connection.execute(text(f"CREATE DATABASE {SCALE_DATA_SET}"))
    finally:
        server.dispose()


def run_cli(env: dict[str, str], *args: str) -> str:
    started = time.perf_counter()
    result = subprocess.run([str(VIEWFINDER), *args], env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"viewfinder {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    print(f"viewfinder {' '.join(args)}: {time.perf_counter() - started:.1f} s", flush=True)
    return result.stdout


def database_url(env: dict[str, str]) -> str:
    """The data set's database, as a URL for SQLAlchemy's synchronous engine."""
    url = (
        env.get("VIEWFINDER_DATABASE_URL")
        or f"sqlite:///{Path(env['VIEWFINDER_DATA_DIR']) / 'viewfinder.db'}"
    )
    return url.replace("sqlite+aiosqlite:", "sqlite:")  # psycopg URLs serve both kinds of engine


def query(url: str, sql: str, **parameters: Any) -> list[Any]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(text(sql), parameters).all())
    finally:
        engine.dispose()


def has_demo(url: str) -> bool:
    if url.startswith("sqlite:") and not Path(url.split("///", 1)[1]).exists():
        return False
    try:
        return bool(query(url, "SELECT count(*) FROM users")[0][0])
    except Exception:  # no database, or no tables yet
        return False


BENCH_ACCOUNTS = (
    "SELECT username FROM users WHERE following_count > 0 AND username NOT LIKE 'fan%' "
    "ORDER BY {spread} LIMIT :count"
)


def bench_accounts(url: str, count: int) -> list[str]:
    """Demo accounts with something in their feed, a spread of light and heavy followers."""
    # A shuffle by id that is the same on every run; the product would overflow PostgreSQL's bigint,
    # so there the remainder is taken first.
    if url.startswith("sqlite:"):
        sql = BENCH_ACCOUNTS.format(spread="(id * 2654435761) % 1000003")
    else:
        sql = BENCH_ACCOUNTS.format(spread="(id % 1000003) * 2654435761 % 1000003")
    rows = query(url, sql, count=count)
    return [row[0] for row in rows]


def api_token(base: str, username: str, password: str) -> str:
    """Log in and create an API token. Cookies are Secure in production, so they are sent by hand
    over this plain-HTTP loopback connection."""
    with httpx.Client(base_url=base, timeout=60) as client:
        login = client.post(f"{API}/accounts/login", json={"login": username, "password": password})
        login.raise_for_status()
        cookies = "; ".join(f"{name}={value}" for name, value in login.cookies.items())
        made = client.post(
            f"{API}/accounts/tokens",
            json={"name": "feed benchmark"},
            headers={"Cookie": cookies, "x-csrf-token": login.json()["csrf_token"]},
        )
        made.raise_for_status()
        secret: str = made.json()["secret"]
        return secret


def token_works(base: str, token: str) -> bool:
    answer = httpx.get(f"{base}{API}/accounts/me", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    return answer.status_code == 200


UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def milliseconds(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", text.strip())
    if match is None:
        raise ValueError(text)
    return float(match[1]) * UNITS[match[2]]


def wrk(
    binary: str, url: str, *, duration: int, connections: int, threads: int, script: Path | None
) -> dict[str, Any]:
    command = [binary, f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "10s"]
    if script is not None:
        command += ["-s", str(script)]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    figures: dict[str, Any] = {
        "requests_per_second": float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1]),  # type: ignore[index]
        "requests": int(re.search(r"(\d+) requests in", output)[1]),  # type: ignore[index]
        "non_2xx": int(match[1]) if (match := re.search(r"Non-2xx or 3xx responses: (\d+)", output)) else 0,
        "socket_errors": sum(map(int, match.groups()))
        if (
            match := re.search(
                r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
            )
        )
        else 0,
    }
    for percent in ("50", "75", "90", "99"):
        latency = re.search(rf"^\s+{percent}%\s+(\S+)", output, re.MULTILINE)
        figures[f"p{percent}_ms"] = round(milliseconds(latency[1]), 3) if latency else None
    return figures


def data_set_secret(data_dir: Path) -> str:
    """The secret key of the data set in `data_dir`, made on first use and kept beside it: the data is
    encrypted under a key derived from it, so a reused data set needs the same one."""
    secret_file = data_dir / "bench-secret"
    if secret_file.exists():
        return secret_file.read_text().strip()
    secret = secrets.token_urlsafe(48)
    data_dir.mkdir(parents=True, exist_ok=True)
    secret_file.write_text(secret)
    return secret


def serve(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    """`viewfinder serve` on 127.0.0.1:`port` in its own process group, its output in `log`; returns
    once /healthz answers."""
    with log.open("wb") as output:
        server = subprocess.Popen(
            [str(VIEWFINDER), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    wait_healthy(f"http://127.0.0.1:{port}", server, log)
    return server


def wait_healthy(base: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server stopped:\n{log.read_text()}")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise SystemExit(f"the server did not come up:\n{log.read_text()}")


def server_cpu_seconds(server: subprocess.Popen[bytes]) -> float:
    """CPU seconds (user + system) spent so far by `serve` and every process under it (web workers,
    job consumer), from /proc: divided by a run's requests it is the figure a noisy machine
    disturbs least, since time other processes take is not counted."""
    tick = os.sysconf("SC_CLK_TCK")
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                fields = (entry / "stat").read_text().rpartition(")")[2].split()
                children.setdefault(int(fields[1]), []).append(int(entry.name))
    total, todo = 0.0, [server.pid]
    while todo:
        pid = todo.pop()
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
        todo += children.get(pid, [])
    return total


def measured(server: subprocess.Popen[bytes], run: Any) -> dict[str, Any]:
    """`run()` (a wrk run's figures) plus the server's CPU microseconds per request meanwhile."""
    before = server_cpu_seconds(server)
    figures: dict[str, Any] = run()
    spent = server_cpu_seconds(server) - before
    figures["server_cpu_us_per_request"] = round(spent / max(figures["requests"], 1) * 1e6)
    return figures


def stop(server: subprocess.Popen[bytes]) -> None:
    """SIGTERM (serve stops its web workers and job consumer), then SIGKILL its process group."""
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGKILL)  # serve leads the group it was started in
            server.wait(timeout=10)


async def time_fan_out(env: dict[str, str]) -> dict[str, Any]:
    """An account followed by 10,000 new accounts (bulk-inserted) posts once; time its fan-out."""
    from sqlalchemy import func, insert, select

    from viewfinder.accounts.models import User
    from viewfinder.accounts.passwords import hash_password
    from viewfinder.core import crypto, ids
    from viewfinder.core.db import make_async_engine, make_sessionmaker, utcnow
    from viewfinder.feeds import services
    from viewfinder.feeds.models import TimelineRow
    from viewfinder.feeds.store import timelines, using_session
    from viewfinder.graph.models import Follow
    from viewfinder.posts.models import Post
    from viewfinder.wiring import build_backends

    settings = bench_settings(env, feed_fanout_threshold=FANOUT_FOLLOWERS + 1)
    crypto.configure(settings)
    build_backends(settings).install()  # the timeline store, as a web or worker process has it
    ids.configure_for_process(settings.id_shard_lock_dir, settings.shard_id)
    run = secrets.token_hex(3)
    password_hash = hash_password(secrets.token_urlsafe(16))
    now = utcnow()

    def account(username: str, followers: int, following: int) -> dict[str, Any]:
        return {
            "id": ids.new_id(),
            "username": username,
            "username_key": username,
            "email": f"{username}@example.com",
            "email_key": f"{username}@example.com",
            "password_hash": password_hash,
            "followers_count": followers,
            "following_count": following,
            "posts_count": 0,
            "created_at": now,
            "updated_at": now,
        }

    author = account(f"fanstar{run}", FANOUT_FOLLOWERS, 0)
    author["posts_count"] = 1
    fans = [account(f"fan{run}x{index}", 0, 1) for index in range(FANOUT_FOLLOWERS)]
    follows = [
        {"id": ids.new_id(), "follower_id": fan["id"], "followee_id": author["id"], "created_at": now}
        for fan in fans
    ]
    post_id = ids.new_id()
    engine = make_async_engine(settings.resolved_database_url)
    try:
        async with make_sessionmaker(engine)() as db:
            for model, rows in ((User, [author, *fans]), (Follow, follows)):
                for start in range(0, len(rows), 5000):
                    await db.execute(insert(model), rows[start : start + 5000])
            await db.execute(
                insert(Post),
                [
                    {
                        "id": post_id,
                        "author_id": author["id"],
                        "caption": "Fan-out benchmark",
                        "created_at": now,
                        "updated_at": now,
                    }
                ],
            )
            await db.commit()
            store = timelines(using_session(db))
            started = time.perf_counter()
            written = await services.fan_out_post(db, store, settings, post_id)
            seconds = time.perf_counter() - started
            if settings.timeline_backend == "cassandra":
                rows_written = len(await store.holders(post_id))  # type: ignore[attr-defined]
            else:
                rows_written = await db.scalar(
                    select(func.count()).select_from(TimelineRow).where(TimelineRow.post_id == post_id)
                )
    finally:
        await engine.dispose()
        ids.release_shard()
        if settings.timeline_backend == "cassandra":
            from viewfinder.core import cassandra

            cassandra.close_all()
    return {
        "fanout_followers": FANOUT_FOLLOWERS,
        "fanout_timelines_written": written,
        "fanout_rows_in_store": rows_written,
        "fanout_seconds": round(seconds, 3),
        "fanout_timelines_per_second": round(written / seconds),
        "fanout_batch": settings.feed_fanout_batch,
    }


IN_PROCESS_VIEWERS = 200
IN_PROCESS_ROUNDS = int(os.environ.get("BENCH_IN_PROCESS_ROUNDS", "5"))


async def time_in_process(env: dict[str, str], usernames: list[str]) -> dict[str, Any]:
    """CPU microseconds per hydrated 20-post home-feed page, in this process, without HTTP: the
    first page of each viewer's following feed, read and rendered as the endpoint does (SQLite
    time counts: aiosqlite's thread is in this process). Cold: each card's first use (caches
    emptied); warm: the same pages again, `IN_PROCESS_ROUNDS` times over."""
    from sqlalchemy import select

    from viewfinder.accounts.models import User
    from viewfinder.core import crypto, redis_client
    from viewfinder.core.db import make_async_engine, make_sessionmaker
    from viewfinder.feeds import services
    from viewfinder.feeds.store import timelines, using_session
    from viewfinder.mediakit.storage import storage_from_settings
    from viewfinder.posts import cards
    from viewfinder.wiring import build_backends

    settings = bench_settings(env)
    crypto.configure(settings)
    # The stores as a web process has them: with its Redis client when the stores live in Redis.
    client = redis_client.async_client(settings) if settings.store_backend == "redis" else None
    backends = build_backends(settings, client)
    backends.install()
    backends.serve_on_this_loop()  # as the app's lifespan does: reads here use that client
    storage = storage_from_settings(settings)
    engine = make_async_engine(settings.resolved_database_url)
    sessions = make_sessionmaker(engine)

    async def page(viewer: Any) -> int:
        async with sessions() as db:
            store = timelines(using_session(db))
            found = await services.following_page(db, store, settings, viewer, None, 20)
            items = await cards.render_posts(db, viewer, found.rows, storage, settings)
            return len(items)

    try:
        async with sessions() as db:
            viewers = list(await db.scalars(select(User).where(User.username.in_(usernames))))
            db.expunge_all()
        viewers = viewers[:IN_PROCESS_VIEWERS]
        cards.card_cache(settings).clear()
        figures: dict[str, Any] = {"in_process_viewers": len(viewers)}
        for label, rounds in (("cold", 1), ("warm", IN_PROCESS_ROUNDS)):
            posts = pages = 0
            started = time.process_time()
            for _ in range(rounds):
                for viewer in viewers:
                    posts += await page(viewer)
                    pages += 1
            spent = time.process_time() - started
            figures[f"in_process_{label}_us_per_page"] = round(spent / pages * 1e6)
            figures[f"in_process_{label}_posts_per_page"] = round(posts / pages, 1)
    finally:
        await engine.dispose()
        if client is not None:
            await client.aclose()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10_000, help="demo accounts (default 10,000)")
    parser.add_argument("--posts", type=int, default=100_000, help="demo posts (default 100,000)")
    parser.add_argument("--duration", type=int, default=15, help="seconds per wrk run (default 15)")
    parser.add_argument("--connections", type=int, default=64, help="wrk connections (default 64)")
    parser.add_argument(
        "--accounts", type=int, default=200, help="accounts whose tokens the feed run rotates"
    )
    parser.add_argument("--data-dir", type=Path, help="build (or reuse) the data set here and keep it")
    parser.add_argument("--skip-ranked", action="store_true", help="measure mode=following only")
    add_setting_argument(parser)
    parser.add_argument(
        "--warmup", type=int, default=3, help="seconds of unmeasured load before each feed mode (default 3)"
    )
    parser.add_argument(
        "--stack",
        choices=["embedded", "scale"],
        default="embedded",
        help="embedded (SQLite, the default) or scale (PostgreSQL + Cassandra + Redis, started on loopback)",
    )
    args = parser.parse_args()

    binary = ensure_wrk()
    cpus = os.cpu_count() or 1
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    scratch = Path(tempfile.mkdtemp(prefix="viewfinder-feed-bench-"))
    data_dir = args.data_dir or scratch / "var"
    secret = data_set_secret(data_dir)
    started_services: list[str] = []
    exported: dict[str, str] = {}
    if args.stack == "scale":
        started_services, exported = start_services()
    try:
        env = environment(data_dir, secret, port, cpus, scale_settings(exported) if exported else {})
        env.update(settings_from(args.setting))
    except BaseException:
        stop_services(started_services)
        raise
    url = database_url(env)
    figures: dict[str, Any] = {
        "stack": args.stack,
        "connections": args.connections,
        "duration_seconds": args.duration,
        "warmup_seconds": args.warmup,
        "services_started": started_services,
        "settings": args.setting,
        "web_workers": cpus,
        "cpus": cpus,
    }
    server: subprocess.Popen[bytes] | None = None
    try:
        if args.stack == "scale" and not (args.data_dir and has_demo(url)):
            drop_scale_data_set(env, exported)
            create_scale_database(exported)
        # Migrations first, for a reused data set too (the code may be newer than it).
        run_cli(env, "migrate")
        if args.stack == "scale":
            run_cli(env, "cassandra-migrate")
        if has_demo(url):
            print(f"reusing the data set in {data_dir}" + (f" and {SCALE_DATA_SET}" if exported else ""))
            figures["demo_seconds"] = None
        else:
            started = time.perf_counter()
            print(
                run_cli(env, "demo", "--users", str(args.users), "--posts", str(args.posts)).strip(),
                flush=True,
            )
            figures["demo_seconds"] = round(time.perf_counter() - started, 1)
        # What the data set holds (a reused one may differ from the arguments; earlier runs' fan-out
        # accounts and posts are left out). Timelines on Cassandra are not counted (a full scan).
        for name, sql in (
            ("users", "SELECT count(*) FROM users WHERE username NOT LIKE 'fan%'"),
            ("posts", "SELECT count(*) FROM posts WHERE caption != 'Fan-out benchmark'"),
            (
                "follows",
                "SELECT count(*) FROM follows JOIN users ON users.id = follower_id "
                "WHERE username NOT LIKE 'fan%'",
            ),
            ("likes", "SELECT count(*) FROM post_likes"),
            ("comments", "SELECT count(*) FROM comments"),
            ("timeline_rows", "SELECT count(*) FROM timeline_entries"),
        ):
            if name == "timeline_rows" and args.stack == "scale":
                figures[name] = None
                continue
            figures[name] = query(url, sql)[0][0]

        server = serve(env, port, scratch / "serve.log")

        from viewfinder.demo import DEMO_PASSWORD

        names = bench_accounts(url, args.accounts)
        # A reused data set keeps its tokens (logging 200 accounts in takes half a minute).
        saved = data_dir / "bench-tokens.json"
        tokens = json.loads(saved.read_text()) if saved.exists() else []
        if len(tokens) != len(names) or not token_works(base, tokens[0]):
            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=8) as pool:
                tokens = list(pool.map(lambda name: api_token(base, name, DEMO_PASSWORD), names))
            saved.write_text(json.dumps(tokens))
            spent = time.perf_counter() - started
            print(f"logged in {len(tokens)} accounts and made their tokens: {spent:.1f} s")
        figures["feed_accounts"] = len(tokens)

        run = {"duration": args.duration, "connections": args.connections, "threads": min(cpus, 4)}
        ceiling = measured(server, functools.partial(wrk, binary, f"{base}/healthz", script=None, **run))
        figures.update({f"ceiling_{key}": value for key, value in ceiling.items()})
        modes = ["following"] if args.skip_ranked else ["following", "ranked"]
        quoted = ", ".join(f'"{token}"' for token in tokens)
        for mode in modes:
            path = f"{API}/feed?limit=20&mode={mode}"
            script = scratch / f"feed-{mode}.lua"
            script.write_text(LUA % (quoted, path))
            # Warm up: every token's first use is recorded once, and the page cache fills.
            wrk(binary, f"{base}{path}", script=script, **{**run, "duration": args.warmup})
            result = measured(server, functools.partial(wrk, binary, f"{base}{path}", script=script, **run))
            figures.update({f"feed_{mode}_{key}": value for key, value in result.items()})
            figures[f"feed_{mode}_vs_ceiling"] = round(
                result["requests_per_second"] / ceiling["requests_per_second"], 3
            )
        # Sanity: a page really is 20 posts.
        page = httpx.get(
            f"{base}{API}/feed?limit=20", headers={"Authorization": f"Bearer {tokens[0]}"}, timeout=30
        ).json()
        figures["feed_page_posts"] = len(page["items"])
        if server is not None:
            stop(server)
            server = None
        figures.update(asyncio.run(time_in_process(env, names)))
        figures.update(asyncio.run(time_fan_out(env)))
        if args.stack == "scale" and args.data_dir is None:
            drop_scale_data_set(env, exported)
    finally:
        if server is not None:
            stop(server)
        stop_services(started_services)
    if args.data_dir is None:
        shutil.rmtree(scratch, ignore_errors=True)

    ceiling_rate = figures["ceiling_requests_per_second"]
    print(f"plain JSON (/healthz):   {ceiling_rate:8.0f} req/s  p50 {figures['ceiling_p50_ms']} ms  "
          f"p99 {figures['ceiling_p99_ms']} ms  "
          f"server CPU {figures['ceiling_server_cpu_us_per_request']} us/request")  # fmt: skip
    for mode in modes:
        rate = figures[f"feed_{mode}_requests_per_second"]
        print(
            f"home feed ({mode}): {rate:8.0f} pages/s  p50 {figures[f'feed_{mode}_p50_ms']} ms  "
            f"p99 {figures[f'feed_{mode}_p99_ms']} ms  non-2xx {figures[f'feed_{mode}_non_2xx']}  "
            f"= {figures[f'feed_{mode}_vs_ceiling']:.0%} of the ceiling ({GOALS[args.stack, mode]})  "
            f"server CPU {figures[f'feed_{mode}_server_cpu_us_per_request']} us/page"
        )
    print(
        f"in process (no HTTP), CPU per 20-post page: warm {figures['in_process_warm_us_per_page']} us, "
        f"cold {figures['in_process_cold_us_per_page']} us ({figures['in_process_viewers']} viewers)"
    )
    print(
        f"fan-out of one post to {FANOUT_FOLLOWERS} followers: {figures['fanout_seconds']} s "
        f"({figures['fanout_timelines_per_second']} timelines/s)"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

"""Soak benchmark: bounded mixed reads and writes for minutes, a job worker killed midway, then checks.

    .venv/bin/python bench/soak.py [--seconds 600] [--users 500] [--posts 5000] [--data-dir DIR]
                                   [--stack embedded|scale]

Builds a data set with `viewfinder demo` in a temporary data directory (or reuses one given with
--data-dir), serves it with `viewfinder serve` under production settings with its defaults (one web
process per core, the job consumer beside it), logs 52 demo accounts in and gives each an API token.
It first measures GET /healthz unloaded for a few seconds (the baseline), then for --seconds runs:

- 32 readers, each one request after another: the home feed, Explore, a profile, a post, the
  notifications, an account search;
- 20 writers, each about one write a second (~20 writes/s): liking and unliking, commenting,
  following and unfollowing, and, every 3 s across them all, a photo upload and its post;
- a /healthz probe every 0.5 s (from a process of its own), and the resident memory (RSS, from
  /proc) of `serve` and every process under it every 2 s;
- once, midway, SIGKILL to the job worker (`viewfinder worker`, started by serve): how long until a new
  one runs, and until every upload not yet ready at the kill (and one made just after it) is ready.

Afterwards (every upload given up to 120 s to finish): every like_count, comment_count,
followers_count and following_count matches the rows it counts, every accepted upload ended ready,
and no response was a 5xx. Prints figures against the goals of issue 12 (write p99 <= 200 ms,
/healthz p99 <= 50 ms, the worker back with its items ready within 30 s, every process's RSS within
10 % of its mean over the last half, counts consistent, no 5xx) and ends with one JSON line.

`--stack scale` runs the same on PostgreSQL + Cassandra + Redis (scripts/services, those not running
are started and stopped again), in a database, keyspace and Redis namespace of its own named
viewfinder_soak_bench, made afresh and dropped at the end unless --data-dir is given.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import os
import random
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import feed as common  # noqa: E402  # the benchmarks' shared server, stack and data-set helpers

common.SCALE_DATA_SET = "viewfinder_soak_bench"  # its own database, keyspace and Redis namespace
VIEWFINDER = common.VIEWFINDER
API = common.API
READERS = 32
WRITERS = 20
WRITES_PER_WRITER_PER_SECOND = 1.0
UPLOAD_EVERY_SECONDS = 3.0
HEALTH_EVERY_SECONDS = 0.5
RSS_EVERY_SECONDS = 2.0
BASELINE_SECONDS = 5.0
SETTLE_SECONDS = 120.0
GOALS = {"write_p99_ms": 200.0, "healthz_p99_ms": 50.0, "worker_ready_seconds": 30.0, "rss_spread": 0.10}


def environment(data_dir: Path, secret: str, port: int, stack: dict[str, str]) -> dict[str, str]:
    """Production settings with serve's defaults (no VIEWFINDER_WEB_WORKERS: one per core)."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("VIEWFINDER_")}
    env.update(stack)
    env.update(
        {
            "VIEWFINDER_ENV": "production",
            "VIEWFINDER_SECRET_KEY": secret,
            "VIEWFINDER_DATA_DIR": str(data_dir),
            "VIEWFINDER_ALLOWED_HOSTS": "127.0.0.1",
            "VIEWFINDER_PUBLIC_URL": f"http://127.0.0.1:{port}",
        }
    )
    return env


def kept_secret(data_dir: Path) -> str:
    """The data set's secret key, kept beside it: data at rest is encrypted under a key derived from
    it (when no VIEWFINDER_ENCRYPTION_KEYS is set), so a reused data set needs the same one."""
    path = data_dir.parent / f".{data_dir.name}-secret-key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


# --- processes -------------------------------------------------------------------------------------


def process_info(pid: int) -> tuple[int, int, str] | None:
    """(parent pid, RSS in bytes, command line) of a live process, from /proc; None when gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    state, ppid = stat.rsplit(")", 1)[1].split()[:2]
    if state == "Z":
        return None
    rss = next((int(line.split()[1]) * 1024 for line in status.splitlines() if line.startswith("VmRSS:")), 0)
    return int(ppid), rss, cmdline


def process_tree(root: int) -> dict[int, tuple[int, str]]:
    """root and every live process under it: pid -> (RSS bytes, command line)."""
    table = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (info := process_info(int(entry.name))):
            table[int(entry.name)] = info
    tree: dict[int, tuple[int, str]] = {}
    frontier = [root]
    while frontier:
        pid = frontier.pop()
        if pid in table and pid not in tree:
            tree[pid] = (table[pid][1], table[pid][2])
            frontier += [child for child, (ppid, _, _) in table.items() if ppid == pid]
    return tree


def role(pid: int, cmdline: str, serve_pid: int) -> str:
    if pid == serve_pid:
        return "serve"
    if cmdline.endswith("viewfinder worker"):
        return "job worker"
    return "web worker"


def job_workers(serve_pid: int) -> list[int]:
    return [pid for pid, (_, cmd) in process_tree(serve_pid).items() if cmd.endswith("viewfinder worker")]


# --- load ------------------------------------------------------------------------------------------


@dataclass
class Tally:
    """Every request's latency by kind, and every status."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    statuses: Counter[int] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    transport_errors: int = 0

    def record(self, kind: str, seconds: float, status: int, what: str) -> None:
        self.latencies.setdefault(kind, []).append(seconds)
        self.latencies.setdefault(f"{kind} {endpoint(what)}", []).append(seconds)
        self.statuses[status] += 1
        if status >= 500:
            self.server_errors.append(f"{status} {what}")


def endpoint(what: str) -> str:
    """ "POST /api/viewfinder/v1/posts/123/like" -> "POST /posts/{id}/like": one name per route."""
    method, path = what.split(" ", 1)
    parts = path.split("?", 1)[0].removeprefix(API).strip("/").split("/")
    named = [part if part.isalpha() else "{id}" for part in parts]
    if named[:1] == ["users"] and len(named) > 1:
        named[1] = "{name}"
    return f"{method} /{'/'.join(named)}"


def percentile(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


def photo(seed: int) -> bytes:
    """A small, distinct JPEG (a real photo for the pipeline: decoded, resized, blurhashed)."""
    from PIL import Image, ImageDraw

    chance = random.Random(seed)  # noqa: S311  # a drawing, not a secret
    image = Image.new("RGB", (480, 360), tuple(chance.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x, y = chance.randrange(480), chance.randrange(360)
        draw.ellipse((x, y, x + 60, y + 60), fill=tuple(chance.randrange(256) for _ in range(3)))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


Samples = list[tuple[float, float]]


def probe_healthz(
    base: str, seconds: float, every: float
) -> tuple[list[tuple[float, float]], int, list[str]]:
    """(seconds since the start, latency) of GET /healthz every `every` seconds, transport errors,
    and the 5xx answers: run in a process of its own (Soak.probe)."""
    samples: Samples = []
    errors, failures = 0, []
    started = time.perf_counter()
    with httpx.Client(base_url=base, timeout=60) as client:
        while time.perf_counter() - started < seconds:
            began = time.perf_counter()
            try:
                response = client.get("/healthz")
            except httpx.TransportError:
                errors += 1
            else:
                samples.append((began - started, time.perf_counter() - began))
                if response.status_code >= 500:
                    failures.append(f"{response.status_code} GET /healthz")
            time.sleep(max(0.0, every - (time.perf_counter() - began)))
    return samples, errors, failures


class Soak:
    def __init__(self, base: str, tokens: list[str], post_ids: list[int], usernames: list[str]) -> None:
        self.base = base
        self.tokens = tokens
        self.post_ids = post_ids
        self.usernames = usernames
        self.tally = Tally()
        self.health: list[tuple[float, float]] = []  # (seconds since the load began, latency)
        self.uploads: list[int] = []  # media ids accepted (202)
        self.last_upload = 0.0
        self.started = 0.0

    async def request(self, client: httpx.AsyncClient, kind: str, method: str, path: str, **kw: Any) -> Any:
        began = time.perf_counter()
        try:
            response = await client.request(method, path, **kw)
        except httpx.TransportError:
            self.tally.transport_errors += 1
            return None
        self.tally.record(kind, time.perf_counter() - began, response.status_code, f"{method} {path}")
        return response

    def client(self, token: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.base, headers={"Authorization": f"Bearer {token}"}, timeout=60)

    async def reader(self, index: int, until: float) -> None:
        chance = random.Random(1000 + index)  # noqa: S311  # a seeded load, not a secret
        async with self.client(self.tokens[index]) as client:
            while time.perf_counter() < until:
                pick = chance.randrange(6)
                if pick == 0:
                    await self.request(client, "read", "GET", f"{API}/feed?limit=20")
                elif pick == 1:
                    await self.request(client, "read", "GET", f"{API}/explore")
                elif pick == 2:
                    await self.request(client, "read", "GET", f"{API}/users/{chance.choice(self.usernames)}")
                elif pick == 3:
                    await self.request(client, "read", "GET", f"{API}/posts/{chance.choice(self.post_ids)}")
                elif pick == 4:
                    await self.request(client, "read", "GET", f"{API}/notifications")
                else:
                    prefix = chance.choice(self.usernames)[:3]
                    await self.request(client, "read", "GET", f"{API}/search/accounts?q={prefix}")

    async def upload(self, client: httpx.AsyncClient, seed: int) -> int | None:
        files = {"file": ("photo.jpg", photo(seed), "image/jpeg")}
        uploaded = await self.request(client, "write", "POST", f"{API}/media", files=files)
        if uploaded is None or uploaded.status_code != 202:
            return None
        media_id = int(uploaded.json()["id"])
        self.uploads.append(media_id)
        await self.request(
            client,
            "write",
            "POST",
            f"{API}/posts",
            json={"items": [{"media_id": str(media_id)}], "caption": f"soak #{seed}"},
        )
        return media_id

    async def writer(self, index: int, until: float) -> None:
        chance = random.Random(2000 + index)  # noqa: S311  # a seeded load, not a secret
        period = 1.0 / WRITES_PER_WRITER_PER_SECOND
        async with self.client(self.tokens[READERS + index]) as client:
            next_at = time.perf_counter() + chance.random() * period
            while time.perf_counter() < until:
                await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
                next_at += period
                now = time.perf_counter()
                if now - self.last_upload >= UPLOAD_EVERY_SECONDS:
                    self.last_upload = now
                    await self.upload(client, chance.randrange(1 << 30))
                    continue
                post_id = chance.choice(self.post_ids)
                pick = chance.random()
                if pick < 0.3:
                    await self.request(client, "write", "POST", f"{API}/posts/{post_id}/like")
                elif pick < 0.45:
                    await self.request(client, "write", "DELETE", f"{API}/posts/{post_id}/like")
                elif pick < 0.75:
                    text = f"soak comment {chance.randrange(1 << 20)}"
                    await self.request(
                        client, "write", "POST", f"{API}/posts/{post_id}/comments", json={"text": text}
                    )
                elif pick < 0.9:
                    await self.request(
                        client, "write", "POST", f"{API}/users/{chance.choice(self.usernames)}/follow"
                    )
                else:
                    await self.request(
                        client, "write", "DELETE", f"{API}/users/{chance.choice(self.usernames)}/follow"
                    )

    async def probe(self, until: float, into: list[tuple[float, float]], every: float) -> None:
        """GET /healthz every `every` seconds until `until`, from a process of its own: a probe on this
        process's loop would time the load generator's own queue along with the server."""
        with ProcessPoolExecutor(max_workers=1) as pool:
            offset = time.perf_counter() - self.started
            samples, errors, failures = await asyncio.get_running_loop().run_in_executor(
                pool, probe_healthz, self.base, until - time.perf_counter(), every
            )
        into.extend((offset + at, latency) for at, latency in samples)
        self.tally.server_errors.extend(failures)
        self.tally.transport_errors += errors


async def sample_rss(
    serve_pid: int,
    until: float,
    started: float,
    samples: dict[int, list[tuple[float, int]]],
    roles: dict[int, str],
) -> None:
    while time.perf_counter() < until:
        for pid, (rss, cmdline) in process_tree(serve_pid).items():
            samples.setdefault(pid, []).append((time.perf_counter() - started, rss))
            roles.setdefault(pid, role(pid, cmdline, serve_pid))
        await asyncio.sleep(RSS_EVERY_SECONDS)


def not_ready(url: str, media_ids: list[int]) -> set[int]:
    if not media_ids:
        return set()
    listed = ",".join(str(int(media_id)) for media_id in media_ids)  # integers only
    rows = common.query(url, f"SELECT id, state FROM media_items WHERE id IN ({listed})")  # noqa: S608
    states = {int(row[0]): row[1] for row in rows}
    return {media_id for media_id in media_ids if states.get(media_id) != "ready"}


async def kill_worker_midway(
    soak: Soak, serve_pid: int, url: str, at: float, client: httpx.AsyncClient, figures: dict[str, Any]
) -> None:
    await asyncio.sleep(max(0.0, at - time.perf_counter()))
    victims = job_workers(serve_pid)
    if not victims:
        figures["worker_killed"] = False
        return
    killed_at = time.perf_counter()
    for pid in victims:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    figures["worker_killed"] = True
    figures["worker_killed_at_seconds"] = round(killed_at - soak.started, 1)
    extra = await soak.upload(client, 7)  # accepted while no worker runs
    waiting = await asyncio.to_thread(not_ready, url, list(soak.uploads))
    if extra is not None:
        waiting.add(extra)
    figures["worker_items_pending_at_kill"] = len(waiting)
    restarted: float | None = None
    ready: float | None = None
    while time.perf_counter() - killed_at < 120:
        now = time.perf_counter()
        if restarted is None and [pid for pid in job_workers(serve_pid) if pid not in victims]:
            restarted = now - killed_at
        if ready is None and not await asyncio.to_thread(not_ready, url, sorted(waiting)):
            ready = now - killed_at
        if restarted is not None and ready is not None:
            break
        await asyncio.sleep(0.25)
    figures["worker_restarted_seconds"] = None if restarted is None else round(restarted, 2)
    figures["worker_items_ready_seconds"] = None if ready is None else round(ready, 2)


async def run_load(
    soak: Soak, serve_pid: int, url: str, seconds: float, figures: dict[str, Any]
) -> dict[str, Any]:
    # Baseline: /healthz with nothing else running.
    soak.started = time.perf_counter()
    baseline: list[tuple[float, float]] = []
    await soak.probe(time.perf_counter() + BASELINE_SECONDS, baseline, HEALTH_EVERY_SECONDS / 5)
    figures["healthz_unloaded_p50_ms"] = ms(percentile([b for _, b in baseline], 0.5))
    figures["healthz_unloaded_p99_ms"] = ms(percentile([b for _, b in baseline], 0.99))

    samples: dict[int, list[tuple[float, int]]] = {}
    roles: dict[int, str] = {}
    soak.started = time.perf_counter()
    until = soak.started + seconds
    async with soak.client(soak.tokens[-1]) as killer_client:
        await asyncio.gather(
            *(soak.reader(index, until) for index in range(READERS)),
            *(soak.writer(index, until) for index in range(WRITERS)),
            soak.probe(until, soak.health, HEALTH_EVERY_SECONDS),
            sample_rss(serve_pid, until, soak.started, samples, roles),
            kill_worker_midway(soak, serve_pid, url, soak.started + seconds / 2, killer_client, figures),
        )
    return {"samples": samples, "roles": roles}


def rss_figures(
    samples: dict[int, list[tuple[float, int]]], roles: dict[int, str], seconds: float
) -> dict[str, Any]:
    """Per process: RSS at the end, and its spread over the last half (from 15 s after it started,
    for one started late: the restarted worker): max and min against the mean."""
    processes: list[dict[str, Any]] = []
    spreads: list[float] = []
    for pid, series in samples.items():
        first = series[0][0]
        window = [rss for at, rss in series if at >= max(seconds / 2, first + 15)]
        if len(window) < 3:
            continue
        mean = statistics.fmean(window)
        spread = max(max(window) / mean - 1, 1 - min(window) / mean)
        spreads.append(round(spread, 3))
        processes.append(
            {
                "pid": pid,
                "role": roles[pid],
                "rss_mb_end": round(window[-1] / 2**20, 1),
                "rss_mb_min": round(min(window) / 2**20, 1),
                "rss_mb_max": round(max(window) / 2**20, 1),
                "spread": round(spread, 3),
            }
        )
    return {"processes": processes, "rss_worst_spread": max(spreads, default=None)}


COUNT_CHECKS = {
    "posts_like_count": "SELECT count(*) FROM posts p WHERE p.like_count != "
    "(SELECT count(*) FROM post_likes l WHERE l.post_id = p.id)",
    "posts_comment_count": "SELECT count(*) FROM posts p WHERE p.comment_count != "
    "(SELECT count(*) FROM comments c WHERE c.post_id = p.id)",
    "users_followers_count": "SELECT count(*) FROM users u WHERE u.followers_count != "
    "(SELECT count(*) FROM follows f WHERE f.followee_id = u.id)",
    "users_following_count": "SELECT count(*) FROM users u WHERE u.following_count != "
    "(SELECT count(*) FROM follows f WHERE f.follower_id = u.id)",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=600, help="length of the load (default 600)")
    parser.add_argument("--users", type=int, default=500, help="demo accounts (default 500)")
    parser.add_argument("--posts", type=int, default=5000, help="demo posts (default 5,000)")
    parser.add_argument("--data-dir", type=Path, help="build (or reuse) the data set here and keep it")
    parser.add_argument(
        "--stack",
        choices=["embedded", "scale"],
        default="embedded",
        help="embedded (SQLite, the default) or scale (PostgreSQL + Cassandra + Redis, started on loopback)",
    )
    common.add_setting_argument(parser)
    args = parser.parse_args()

    port = common.free_port()
    base = f"http://127.0.0.1:{port}"
    scratch = Path(tempfile.mkdtemp(prefix="viewfinder-soak-"))
    data_dir = args.data_dir or scratch / "var"
    secret = kept_secret(data_dir)
    started_services: list[str] = []
    exported: dict[str, str] = {}
    if args.stack == "scale":
        started_services, exported = common.start_services()
    try:
        env = environment(data_dir, secret, port, common.scale_settings(exported) if exported else {})
        env.update(common.settings_from(args.setting))
    except BaseException:
        common.stop_services(started_services)
        raise
    url = common.database_url(env)
    figures: dict[str, Any] = {
        "stack": args.stack,
        "seconds": args.seconds,
        "readers": READERS,
        "writers": WRITERS,
        "cpus": os.cpu_count(),
        "settings": args.setting,
    }
    server: subprocess.Popen[bytes] | None = None
    try:
        if args.stack == "scale" and not (args.data_dir and common.has_demo(url)):
            common.drop_scale_data_set(env, exported)
            common.create_scale_database(exported)
        if common.has_demo(url):
            print(f"reusing the data set in {data_dir}", flush=True)
        else:
            if args.stack == "scale":
                common.run_cli(env, "cassandra-migrate")
            # demo applies the migrations itself (issue 12, part 5).
            common.run_cli(env, "demo", "--users", str(args.users), "--posts", str(args.posts))
        figures["users"] = common.query(url, "SELECT count(*) FROM users")[0][0]
        figures["posts"] = common.query(url, "SELECT count(*) FROM posts")[0][0]

        server = common.serve(env, port, scratch / "serve.log")
        figures["web_workers"] = sum(
            1
            for pid, (_, cmd) in process_tree(server.pid).items()
            if role(pid, cmd, server.pid) == "web worker"
        )

        from viewfinder.demo import DEMO_PASSWORD

        accounts = READERS + WRITERS + 1
        names = common.bench_accounts(url, accounts)
        if len(names) < accounts:
            raise SystemExit(f"the data set has {len(names)} usable accounts; {accounts} are needed")
        began = time.perf_counter()
        with ThreadPoolExecutor(max_workers=4) as pool:
            tokens = list(pool.map(lambda name: common.api_token(base, name, DEMO_PASSWORD), names))
        print(f"logged in {len(tokens)} accounts: {time.perf_counter() - began:.1f} s", flush=True)
        public = "SELECT p.id FROM posts p JOIN users u ON u.id = p.author_id WHERE u.is_private = false"
        post_ids = [int(row[0]) for row in common.query(url, public + " ORDER BY p.id DESC LIMIT 500")]
        usernames = [
            row[0] for row in common.query(url, "SELECT username FROM users WHERE is_private = false")
        ]
        soak = Soak(base, tokens, post_ids, usernames)

        print(f"load: {READERS} readers, {WRITERS} writers for {args.seconds:.0f} s", flush=True)
        rss = asyncio.run(run_load(soak, server.pid, url, args.seconds, figures))

        # Let every accepted upload finish, then check what the load left.
        deadline = time.perf_counter() + SETTLE_SECONDS
        while (pending := not_ready(url, soak.uploads)) and time.perf_counter() < deadline:
            time.sleep(1)
        listed = ",".join(str(int(media_id)) for media_id in soak.uploads) or "0"  # integers only
        failed_sql = f"SELECT count(*) FROM media_items WHERE state = 'failed' AND id IN ({listed})"  # noqa: S608
        failed = common.query(url, failed_sql)[0][0]
        figures.update(
            {
                "uploads_accepted": len(soak.uploads),
                "uploads_not_ready": len(pending),
                "uploads_failed": failed,
            }
        )
        mismatches = {name: common.query(url, sql)[0][0] for name, sql in COUNT_CHECKS.items()}
        figures["count_mismatches"] = mismatches
        figures["counts_consistent"] = not any(mismatches.values())
        figures["job_workers_at_end"] = len(job_workers(server.pid))

        reads, writes = soak.tally.latencies.get("read", []), soak.tally.latencies.get("write", [])
        health = [latency for _, latency in soak.health]
        figures.update(
            {
                "reads": len(reads),
                "reads_per_second": round(len(reads) / args.seconds, 1),
                "read_p50_ms": ms(percentile(reads, 0.5)),
                "read_p99_ms": ms(percentile(reads, 0.99)),
                "writes": len(writes),
                "writes_per_second": round(len(writes) / args.seconds, 1),
                "write_p50_ms": ms(percentile(writes, 0.5)),
                "write_p99_ms": ms(percentile(writes, 0.99)),
                "write_max_ms": ms(max(writes, default=None)),
                "healthz_samples": len(health),
                "healthz_p50_ms": ms(percentile(health, 0.5)),
                "healthz_p99_ms": ms(percentile(health, 0.99)),
                "healthz_max_ms": ms(max(health, default=None)),
                "healthz_over_1s": sum(1 for latency in health if latency > 1),
                "statuses": {str(code): count for code, count in sorted(soak.tally.statuses.items())},
                "responses_5xx": len(soak.tally.server_errors),
                "transport_errors": soak.tally.transport_errors,
                "first_5xx": soak.tally.server_errors[:5],
            }
        )
        figures["by_endpoint"] = {
            name[len(kind) + 1 :]: {
                "count": len(values),
                "p50_ms": ms(percentile(values, 0.5)),
                "p99_ms": ms(percentile(values, 0.99)),
            }
            for name, values in sorted(soak.tally.latencies.items())
            for kind in ("read", "write")
            if name.startswith(f"{kind} ")
        }
        figures.update(rss_figures(rss["samples"], rss["roles"], args.seconds))
        if server is not None:
            common.stop(server)
            server = None
        if args.stack == "scale" and args.data_dir is None:
            common.drop_scale_data_set(env, exported)
    finally:
        if server is not None:
            common.stop(server)
        common.stop_services(started_services)
    shutil.rmtree(scratch, ignore_errors=True)  # the data set too, unless --data-dir put it elsewhere

    ready_in = figures.get("worker_items_ready_seconds")
    goals = {
        "no_5xx": figures["responses_5xx"] == 0,
        "write_p99": (figures["write_p99_ms"] or 0) <= GOALS["write_p99_ms"],
        "healthz_p99": (figures["healthz_p99_ms"] or 0) <= GOALS["healthz_p99_ms"],
        "worker_back_and_ready": ready_in is not None
        and ready_in <= GOALS["worker_ready_seconds"]
        and figures.get("worker_restarted_seconds") is not None,
        "rss_flat": figures["rss_worst_spread"] is not None
        and figures["rss_worst_spread"] <= GOALS["rss_spread"],
        "counts_consistent": figures["counts_consistent"],
        "uploads_ready": figures["uploads_not_ready"] == 0 and figures["uploads_failed"] == 0,
    }
    figures["goals_met"] = goals
    print(f"{figures['users']} accounts, {figures['posts']} posts; {figures['web_workers']} web workers")
    print(
        f"reads:   {figures['reads_per_second']:7.1f}/s  p50 {figures['read_p50_ms']} ms  "
        f"p99 {figures['read_p99_ms']} ms"
    )
    print(
        f"writes:  {figures['writes_per_second']:7.1f}/s  p50 {figures['write_p50_ms']} ms  "
        f"p99 {figures['write_p99_ms']} ms (goal <= 200)  max {figures['write_max_ms']} ms"
    )
    for name, row in figures["by_endpoint"].items():
        print(f"  {name:32} {row['count']:6}  p50 {row['p50_ms']:8} ms  p99 {row['p99_ms']:8} ms")
    print(
        f"/healthz unloaded p99 {figures['healthz_unloaded_p99_ms']} ms; "
        f"loaded p50 {figures['healthz_p50_ms']} ms "
        f"p99 {figures['healthz_p99_ms']} ms (goal <= 50)  max {figures['healthz_max_ms']} ms"
    )
    print(
        f"job worker killed at {figures.get('worker_killed_at_seconds')} s: restarted after "
        f"{figures.get('worker_restarted_seconds')} s, "
        f"its {figures.get('worker_items_pending_at_kill')} items "
        f"ready after {ready_in} s (goal <= 30)"
    )
    for process in figures["processes"]:
        print(
            f"RSS {process['role']:10} pid {process['pid']}: "
            f"{process['rss_mb_min']}-{process['rss_mb_max']} MB "
            f"over the last half, spread {process['spread']:.1%} (goal <= 10%)"
        )
    print(
        f"uploads: {figures['uploads_accepted']} accepted, {figures['uploads_not_ready']} not ready, "
        f"{figures['uploads_failed']} failed; count mismatches {figures['count_mismatches']}; "
        f"5xx {figures['responses_5xx']}; statuses {figures['statuses']}"
    )
    print("goals: " + ", ".join(f"{name} {'met' if met else 'MISSED'}" for name, met in goals.items()))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

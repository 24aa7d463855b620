"""Moderation benchmark: the queue page under 100,000 open cases, and how long an action takes to
reach every surface.

    .venv/bin/python bench/moderation.py [--cases 100000] [--calls 300] [--data-dir DIR]

Builds a small demo instance (`viewfinder migrate`, `viewfinder demo --users 200 --posts 1000`) in a
temporary data directory (or reuses one given with --data-dir), adds a moderator and an admin with
`viewfinder createuser --role`, and bulk-inserts `--cases` open cases (each with one report, about
made-up targets: the queue page reads cases, reports and the accounts behind them, never the targets).
Serves it with `viewfinder serve` under production settings (two web processes and the job consumer),
then, over HTTP on loopback, one call at a time:

1. **Queue**: `GET /staff/cases?limit=50`, the first page and pages deeper in (following the cursor),
   `--calls` times; p50/p99 next to `GET /healthz` (plain JSON, the baseline) timed the same way in the
   same run.
2. **Action to every surface**: a demo account reports the newest post of a public account; the
   moderator removes it (`POST /staff/cases/{id}/actions`), and the clock runs from just before that
   call until the post has left every surface that showed it before (a follower's home feed, the
   author's grid, the hashtag page, the post page: 404), each read in turn, again and again, so both
   web processes answer. Then the same for banning the author: until its profile is a 404, its posts
   are out of the follower's feed, search no longer finds it and its API token is refused.

Ends with one JSON line holding every figure. Embedded stack (SQLite) only.
"""

from __future__ import annotations

import argparse
import json
import random
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

import feed as common  # noqa: E402  # the benchmarks' shared server, stack and data-set helpers

API = common.API
STAFF_PASSWORD = "moderation-bench-password"  # noqa: S105  # a throwaway instance's staff accounts
REASONS = ("spam", "nudity", "harassment", "violence", "hate", "false_information", "other")
QUEUE_PAGE = 50
POLL_LIMIT_SECONDS = 30.0


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def timed(call: Callable[[], httpx.Response], times: int) -> dict[str, float]:
    """p50/p99 (ms) of `times` calls made one after another, each answering 200."""
    spent: list[float] = []
    for _ in range(times):
        started = time.perf_counter()
        response = call()
        spent.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{response.request.url} answered {response.status_code}: {response.text}")
    return {
        "p50_ms": round(percentile(spent, 0.5), 2),
        "p99_ms": round(percentile(spent, 0.99), 2),
        "mean_ms": round(statistics.fmean(spent), 2),
    }


def seed_cases(url: str, count: int) -> int:
    """`count` open cases, one report each, spread over the demo accounts; returns how many there are."""
    from viewfinder.core.ids import new_id
    from viewfinder.moderation.cases import SEVERITY, priority_key

    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            existing = connection.execute(text("SELECT count(*) FROM moderation_cases WHERE status = 'open'"))
            have = int(existing.scalar_one())
            if have >= count:
                return have
            people = [row[0] for row in connection.execute(text("SELECT id FROM users ORDER BY id"))]
            chooser = random.Random(14)  # noqa: S311  # a repeatable spread, not a secret
            now = datetime.now(UTC)
            cases: list[dict[str, Any]] = []
            reports: list[dict[str, Any]] = []
            for index in range(count - have):
                case_id, owner = new_id(), chooser.choice(people)
                reporter = chooser.choice([person for person in people[:50] if person != owner])
                reason = chooser.choice(REASONS)
                opened = now - timedelta(seconds=chooser.randrange(30 * 24 * 3600))
                reporters = chooser.choice((1, 1, 1, 2, 3, 8))
                cases.append(
                    {
                        "id": case_id,
                        "kind": "comment",
                        "target": 9_000_000_000_000 + have + index,  # made up: the queue never reads it
                        "owner": owner,
                        "severity": SEVERITY[reason],
                        "reporters": reporters,
                        "key": priority_key(SEVERITY[reason], reporters, None, opened),
                        "at": opened,
                    }
                )
                reports.append(
                    {
                        "id": new_id(),
                        "reporter": reporter,
                        "kind": "comment",
                        "target": cases[-1]["target"],
                        "reason": reason,
                        "case": case_id,
                        "at": opened,
                    }
                )
            connection.execute(
                text(
                    "INSERT INTO moderation_cases (id, target_kind, target_id, target_owner_id, status, "
                    "severity, reporters_count, priority_key, created_at) VALUES (:id, :kind, :target, "
                    ":owner, 'open', :severity, :reporters, :key, :at)"
                ),
                cases,
            )
            connection.execute(
                text(
                    "INSERT INTO reports (id, reporter_id, target_kind, target_id, reason, details, status, "
                    "case_id, created_at) VALUES (:id, :reporter, :kind, :target, :reason, '', 'open', "
                    ":case, :at)"
                ),
                reports,
            )
        return count
    finally:
        engine.dispose()


def create_staff(env: dict[str, str], url: str, username: str, role: str) -> None:
    if common.query(url, "SELECT count(*) FROM users WHERE username = :name", name=username)[0][0]:
        return
    made = subprocess.run(
        [str(common.VIEWFINDER), "createuser", username, "--role", role, "--email",
         f"{username}@example.com", "--password-stdin"],
        input=f"{STAFF_PASSWORD}\n{STAFF_PASSWORD}\n", env=env, text=True, capture_output=True, check=False,
    )  # fmt: skip
    if made.returncode != 0:
        raise SystemExit(f"createuser {username} failed:\n{made.stdout}\n{made.stderr}")


def ids_in(page: dict[str, Any]) -> set[str]:
    return {str(item["id"]) for item in page.get("items", [])}


def until_gone(checks: dict[str, Callable[[], bool]], started: float) -> tuple[float | None, int]:
    """Reads every surface in turn until none shows the thing; (ms since `started`, rounds)."""
    rounds = 0
    while time.perf_counter() - started < POLL_LIMIT_SECONDS:
        rounds += 1
        if all(not shows() for shows in checks.values()):
            return round((time.perf_counter() - started) * 1000, 1), rounds
    return None, rounds


def action_to_surfaces(base: str, url: str, moderator: str) -> dict[str, Any]:
    """Report, remove and ban, timing each action until it has reached every surface."""
    from viewfinder.demo import DEMO_PASSWORD

    rows = common.query(
        url,
        "SELECT p.id, u.username, (SELECT f.follower_id FROM follows f WHERE f.followee_id = u.id "
        "ORDER BY f.follower_id LIMIT 1), (SELECT h.name FROM post_hashtags ph JOIN hashtags h "
        "ON h.id = ph.hashtag_id WHERE ph.post_id = p.id LIMIT 1) FROM posts p JOIN users u "
        "ON u.id = p.author_id WHERE NOT u.is_private AND u.is_active AND u.role = 'none' "
        "AND p.moderation = 'visible' AND EXISTS (SELECT 1 FROM follows f WHERE f.followee_id = u.id) "
        "ORDER BY p.id DESC LIMIT 1",
    )
    post_id, author, follower_id, tag = rows[0]
    post_id = str(post_id)
    follower = common.query(url, "SELECT username FROM users WHERE id = :id", id=follower_id)[0][0]
    reporter = common.query(
        url,
        "SELECT username FROM users WHERE username NOT IN (:a, :b) AND role = 'none' AND is_active "
        "ORDER BY id LIMIT 1",
        a=author,
        b=follower,
    )[0][0]
    tokens = {name: common.api_token(base, name, DEMO_PASSWORD) for name in (follower, reporter, author)}
    client = httpx.Client(base_url=f"{base}{API}", timeout=30)

    def get(path: str, who: str) -> httpx.Response:
        return client.get(path, headers={"Authorization": f"Bearer {tokens[who]}"})

    def staff(method: str, path: str, body: dict[str, Any]) -> httpx.Response:
        return client.request(method, path, json=body, headers={"Authorization": f"Bearer {moderator}"})

    post_surfaces: dict[str, Callable[[], bool]] = {
        "home_feed": lambda: post_id in ids_in(get("/feed?limit=50&mode=following", follower).json()),
        "profile_grid": lambda: post_id in ids_in(get(f"/users/{author}/posts?limit=50", follower).json()),
        "post_page": lambda: get(f"/posts/{post_id}", follower).status_code == 200,
    }
    if tag:
        post_surfaces["hashtag_page"] = lambda: (
            post_id in ids_in(get(f"/hashtags/{tag}/posts?limit=50", follower).json())
        )
    shown_before = {name: check() for name, check in post_surfaces.items()}
    post_surfaces = {name: check for name, check in post_surfaces.items() if shown_before[name]}

    def open_case(target: str, target_id: str) -> str:
        filed = client.post(
            "/reports",
            json={"target": target, "target_id": target_id, "reason": "spam"},
            headers={"Authorization": f"Bearer {tokens[reporter]}"},
        )
        filed.raise_for_status()
        case_id: str = filed.json().get("case_id", "")
        if not case_id:  # the report's JSON does not name its case: find it in the database
            detail = common.query(
                url, "SELECT case_id FROM reports WHERE id = :id", id=int(filed.json()["id"])
            )
            case_id = str(detail[0][0])
        return case_id

    figures: dict[str, Any] = {"surfaces_before": sorted(post_surfaces)}
    case_id = open_case("post", post_id)
    started = time.perf_counter()
    acted = staff(
        "POST", f"/staff/cases/{case_id}/actions", {"action": "remove_content", "reason": "benchmark"}
    )
    figures["remove_call_ms"] = round((time.perf_counter() - started) * 1000, 1)
    if acted.status_code != 201:
        raise SystemExit(f"remove_content answered {acted.status_code}: {acted.text}")
    figures["remove_to_every_surface_ms"], figures["remove_poll_rounds"] = until_gone(post_surfaces, started)

    author_id = get("/accounts/me", author).json()["profile"]["id"]
    author_surfaces: dict[str, Callable[[], bool]] = {
        "profile": lambda: get(f"/users/{author}", follower).status_code == 200,
        "home_feed": lambda: any(
            item.get("author", {}).get("username") == author
            for item in get("/feed?limit=50&mode=following", follower).json().get("items", [])
        ),
        "search": lambda: (
            author in {item.get("username") for item in get(f"/search/accounts?q={author}", follower).json()}
        ),
        "own_token": lambda: get("/accounts/me", author).status_code == 200,
    }
    author_shown = {name: check() for name, check in author_surfaces.items()}
    author_surfaces = {name: check for name, check in author_surfaces.items() if author_shown[name]}
    figures["ban_surfaces_before"] = sorted(author_surfaces)
    case_id = open_case("user", str(author_id))
    started = time.perf_counter()
    acted = staff("POST", f"/staff/cases/{case_id}/actions", {"action": "ban", "reason": "benchmark"})
    figures["ban_call_ms"] = round((time.perf_counter() - started) * 1000, 1)
    if acted.status_code != 201:
        raise SystemExit(f"ban answered {acted.status_code}: {acted.text}")
    figures["ban_to_every_surface_ms"], figures["ban_poll_rounds"] = until_gone(author_surfaces, started)
    client.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--cases", type=int, default=100_000, help="open cases in the queue (default 100,000)"
    )
    parser.add_argument("--calls", type=int, default=300, help="timed calls per measure (default 300)")
    parser.add_argument("--data-dir", type=Path, help="build (or reuse) the data set here and keep it")
    args = parser.parse_args()

    port = common.free_port()
    base = f"http://127.0.0.1:{port}"
    scratch = Path(tempfile.mkdtemp(prefix="viewfinder-moderation-bench-"))
    data_dir = args.data_dir or scratch / "var"
    data_dir.mkdir(parents=True, exist_ok=True)
    secret_file = data_dir / "bench-secret"
    if not secret_file.exists():
        secret_file.write_text(secrets.token_urlsafe(48))
    env = common.environment(data_dir, secret_file.read_text().strip(), port, 2, {})
    url = common.database_url(env)
    figures: dict[str, Any] = {"stack": "embedded", "web_workers": 2}
    server: subprocess.Popen[bytes] | None = None
    try:
        common.run_cli(env, "migrate")
        if not common.has_demo(url):
            common.run_cli(env, "demo", "--users", "200", "--posts", "1000")
        for username, role in (("benchmod", "moderator"), ("benchadmin", "admin")):
            create_staff(env, url, username, role)
        started = time.perf_counter()
        figures["open_cases"] = seed_cases(url, args.cases)
        figures["seed_seconds"] = round(time.perf_counter() - started, 1)

        server = common.serve(env, port, scratch / "serve.log")
        moderator = common.api_token(base, "benchmod", STAFF_PASSWORD)
        with httpx.Client(base_url=base, timeout=30) as client:
            auth = {"Authorization": f"Bearer {moderator}"}
            first = client.get(f"{API}/staff/cases?limit={QUEUE_PAGE}", headers=auth)
            first.raise_for_status()
            figures["queue_page_cases"] = len(first.json()["items"])
            # A cursor ten pages in, to time a page deep in the queue too.
            cursor = first.json()["next_cursor"]
            for _ in range(9):
                cursor = client.get(
                    f"{API}/staff/cases?limit={QUEUE_PAGE}&cursor={cursor}", headers=auth
                ).json()["next_cursor"]
            for name, call in (
                ("healthz", lambda: client.get("/healthz")),
                (
                    "queue_first_page",
                    lambda: client.get(f"{API}/staff/cases?limit={QUEUE_PAGE}", headers=auth),
                ),
                (
                    "queue_page_11",
                    lambda: client.get(f"{API}/staff/cases?limit={QUEUE_PAGE}&cursor={cursor}", headers=auth),
                ),
            ):
                client.get("/healthz")  # one warm-up call each
                figures.update({f"{name}_{key}": value for key, value in timed(call, args.calls).items()})
            figures["queue_first_page_vs_healthz_p50"] = round(
                figures["queue_first_page_p50_ms"] / figures["healthz_p50_ms"], 1
            )
        figures.update(action_to_surfaces(base, url, moderator))
    finally:
        if server is not None:
            common.stop(server)
    if args.data_dir is None:
        shutil.rmtree(scratch, ignore_errors=True)

    print(
        f"healthz (baseline):      p50 {figures['healthz_p50_ms']} ms  p99 {figures['healthz_p99_ms']} ms\n"
        f"queue, first page of {QUEUE_PAGE} ({figures['open_cases']} open cases): "
        f"p50 {figures['queue_first_page_p50_ms']} ms  p99 {figures['queue_first_page_p99_ms']} ms "
        f"({figures['queue_first_page_vs_healthz_p50']}x healthz)\n"
        f"queue, page 11:          p50 {figures['queue_page_11_p50_ms']} ms  "
        f"p99 {figures['queue_page_11_p99_ms']} ms\n"
        f"remove a post: call {figures['remove_call_ms']} ms, gone from {figures['surfaces_before']} "
        f"{figures['remove_to_every_surface_ms']} ms after the call began\n"
        f"ban an account: call {figures['ban_call_ms']} ms, gone from {figures['ban_surfaces_before']} "
        f"{figures['ban_to_every_surface_ms']} ms after the call began"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

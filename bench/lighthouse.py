"""Lighthouse on a phone: the web app's first load as issue 17 measures it.

    .venv/bin/python bench/lighthouse.py [--runs 3] [--data-dir DIR]

Serves the built app (frontend/dist: run `make web` first) with a small demo data set (`viewfinder
migrate` and `viewfinder demo`, in a temporary data directory or one given with --data-dir) under
production settings, logs a demo account in, and runs Lighthouse 12 (bench/lighthouse/, installed
with npm ci on first use) in Debian's Chromium with its mobile preset (a mid-range phone: 4x CPU
slowdown, simulated slow 4G) on three pages, --runs times each, keeping each page's median run:

- `floor`: the log-in screen, signed out: no images, no API calls beyond /accounts/me. What this
  machine and this run's noise give the smallest page of the app: the baseline of the run.
- `landing`: `/` signed out (the landing page with recent public posts).
- `home`: `/` signed in (the home feed): the page issue 17's budget is about.

Prints each page's performance score, FCP, LCP, TBT, CLS, bytes and the first-load script (gzipped
bytes of the JavaScript requested), the home feed's LCP and TBT as ratios to the floor's, and the
budget beside them (performance >= 90, LCP <= 2.5 s, CLS <= 0.1, TBT <= 200 ms, script <= 100 KB
gzipped). TBT is CPU time on this machine slowed 4x: on a shared 2-core machine it moves by a factor
of two between runs; the ratio to the floor moves less. Ends with one JSON line holding every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import feed as common  # noqa: E402  # the benchmarks' shared server, stack and data-set helpers

LIGHTHOUSE_DIR = ROOT / "bench" / "lighthouse"
LIGHTHOUSE = LIGHTHOUSE_DIR / "node_modules" / ".bin" / "lighthouse"
CHROMIUM = "/usr/bin/chromium"
DIST = ROOT / "frontend" / "dist"
DEMO_PASSWORD = "viewfinder-demo-password"  # noqa: S105 (viewfinder.demo's public demo password)
BUDGET = {"performance": 90, "lcp_ms": 2500, "cls": 0.1, "tbt_ms": 200, "script_gz_kb": 100}


def ensure_tools() -> None:
    if not (DIST / "index.html").is_file():
        raise SystemExit("frontend/dist is missing: run `make web` first")
    if not Path(CHROMIUM).is_file():
        subprocess.run([str(ROOT / "scripts" / "install-chromium.sh")], check=True)
    if not LIGHTHOUSE.is_file():
        print("installing Lighthouse (bench/lighthouse)", flush=True)
        npm = shutil.which("npm")
        if npm is None:
            raise SystemExit("npm is missing: `make install` installs Node.js")
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=LIGHTHOUSE_DIR, check=True)


def log_in(base: str, username: str) -> str:
    """The Cookie header of a browser session of `username`."""
    response = httpx.post(
        f"{base}{common.API}/accounts/login",
        json={"login": username, "password": DEMO_PASSWORD},
        headers={"Origin": base},
        timeout=30,
    )
    response.raise_for_status()
    return "; ".join(f"{name}={value}" for name, value in response.cookies.items())


def lighthouse(url: str, cookie: str | None, out: Path) -> dict[str, Any] | None:
    """One mobile Lighthouse run of `url`: its figures, or None (said why) when the run failed to
    measure the page (Lighthouse's runtimeError, e.g. no first paint seen on a starved machine)."""
    headers = json.dumps({"Cookie": cookie} if cookie else {})
    subprocess.run(
        [
            str(LIGHTHOUSE),
            url,
            "--quiet",
            "--only-categories=performance",
            "--chrome-flags=--headless=new --no-sandbox --disable-gpu",
            f"--extra-headers={headers}",
            "--output=json",
            f"--output-path={out}",
        ],
        env={**os.environ, "CHROME_PATH": CHROMIUM},
        check=False,
        capture_output=True,
        timeout=180,
    )
    report = json.loads(out.read_text()) if out.is_file() else {}
    audits = report.get("audits", {})
    if "numericValue" not in audits.get("largest-contentful-paint", {}):
        print(f"  a run of {url} measured nothing: {report.get('runtimeError', 'no report')}", flush=True)
        return None
    requests = audits["network-requests"]["details"]["items"]
    script = sum(r["transferSize"] for r in requests if r.get("resourceType") == "Script")
    return {
        "performance": round((report["categories"]["performance"]["score"] or 0) * 100),
        "fcp_ms": round(audits["first-contentful-paint"]["numericValue"]),
        "lcp_ms": round(audits["largest-contentful-paint"]["numericValue"]),
        "tbt_ms": round(audits["total-blocking-time"]["numericValue"]),
        "cls": round(audits["cumulative-layout-shift"]["numericValue"], 3),
        "bytes_kb": round(audits["total-byte-weight"]["numericValue"] / 1024),
        "script_gz_kb": round(script / 1024, 1),
    }


def median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run with the median performance score (its figures belong together)."""
    ordered = sorted(runs, key=lambda run: run["performance"])
    chosen = dict(ordered[len(ordered) // 2])
    chosen["performance_all"] = [run["performance"] for run in runs]
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--data-dir", type=Path)
    args = parser.parse_args()
    ensure_tools()

    scratch = Path(tempfile.mkdtemp(prefix="vf-lighthouse-"))
    data_dir = args.data_dir or scratch / "data"
    port = common.free_port()
    base = f"http://127.0.0.1:{port}"
    env = common.environment(data_dir, common.data_set_secret(data_dir), port, 1, {})
    env["VIEWFINDER_WEB_DIR"] = str(DIST)
    env["VIEWFINDER_ACCESS_LOG"] = "false"
    server = None
    try:
        common.run_cli(env, "migrate")
        url = common.database_url(env)
        if not common.has_demo(url):
            print("building the demo data set", flush=True)
            common.run_cli(env, "demo", "--users", "12", "--posts", "36", "--photos", "12")
        server = common.serve(env, port, scratch / "serve.log")
        [username] = common.bench_accounts(url, 1)
        cookie = log_in(base, username)
        pages = {
            "floor": (f"{base}/login", None),
            "landing": (f"{base}/", None),
            "home": (f"{base}/", cookie),
        }
        results: dict[str, Any] = {}
        for name, (page, page_cookie) in pages.items():
            measured = [lighthouse(page, page_cookie, scratch / f"{name}-{n}.json") for n in range(args.runs)]
            runs = [run for run in measured if run is not None]
            if not runs:
                raise SystemExit(f"no run of {name} measured anything")
            results[name] = median_run(runs)
            print(f"{name:8} {json.dumps(results[name])}", flush=True)
    finally:
        if server is not None:
            common.stop(server)
        if args.data_dir is None:
            shutil.rmtree(scratch, ignore_errors=True)

    home, floor = results["home"], results["floor"]
    ratios = {
        "home_lcp_over_floor": round(home["lcp_ms"] / max(floor["lcp_ms"], 1), 2),
        "home_tbt_over_floor": round(home["tbt_ms"] / max(floor["tbt_ms"], 1), 2),
    }
    met = {
        "performance": home["performance"] >= BUDGET["performance"],
        "lcp_ms": home["lcp_ms"] <= BUDGET["lcp_ms"],
        "cls": home["cls"] <= BUDGET["cls"],
        "tbt_ms": home["tbt_ms"] <= BUDGET["tbt_ms"],
        "script_gz_kb": home["script_gz_kb"] <= BUDGET["script_gz_kb"],
    }
    print(f"home feed against the floor: {ratios}")
    print(f"budget (home feed): {BUDGET}  met: {met}  (median of {args.runs} runs)")
    print(
        json.dumps(
            {"bench": "lighthouse", "runs": args.runs, **results, **ratios, "budget": BUDGET, "met": met}
        )
    )


if __name__ == "__main__":
    main()

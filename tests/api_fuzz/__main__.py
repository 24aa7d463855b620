"""`python -m tests.api_fuzz` (`make test-api-fuzz`): schemathesis against a real `viewfinder serve`,
with every check, as three kinds of client, bounded in time. Exits non-zero on any failure.

1. bearer: alice with her API token, every operation but revoking tokens (the token would go);
   bob's token is loaded too, as a peer, for the object-level authorization check.
2. cookie: carol with a session cookie and its CSRF header (tests/api_fuzz/hooks.py), logged in
   again whenever the fuzzer logs her out; every operation.
3. anonymous: no credentials at all; every operation.

Each run starts from the shared settings in tests/api_fuzz/schemathesis.toml (which says, per
operation, where a check is widened and why) and the operations taking a `cursor`, read from the
document itself: a cursor is signed, so no string the schema admits is one the server accepts
unless the server made it (400 `invalid_cursor`). The server gets a fresh data folder and
database under var/api-fuzz/ each time (its log and the runs' reports stay there), and is stopped
by its process group at the end. VF_FUZZ_SEED picks another seed; VF_FUZZ_SCALE scales every
step's examples and time.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
WORK = ROOT / "var" / "api-fuzz"
BIN = Path(sys.executable).parent
API = "/api/viewfinder/v1"
PASSWORD = "a long and unusual fuzzing password"
TEMPLATE = Path(__file__).with_name("schemathesis.toml")
SEED = int(os.environ.get("VF_FUZZ_SEED", "20261204"))
SCALE = float(os.environ.get("VF_FUZZ_SCALE", "1"))
"""Multiplies every step's examples and seconds (VF_FUZZ_SCALE=4 for a longer hunt)."""


@dataclass
class Step:
    """One `st run` of a run: the phases it runs, examples per operation, and its time cap. Each
    phase gets its own cap, so a slow phase on a busy machine cannot starve the next one."""

    phases: str
    max_examples: int
    max_time: int


@dataclass
class Run:
    """One kind of client: its name, its steps, and its own settings and environment."""

    name: str
    steps: list[Step]
    settings: str = ""
    env: dict[str, str] = field(default_factory=dict)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def server_environment(data_dir: Path, base: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("VIEWFINDER_")}
    env.update(
        VIEWFINDER_ENV="development",
        VIEWFINDER_DATA_DIR=str(data_dir),
        VIEWFINDER_PUBLIC_URL=base,
        VIEWFINDER_WEB_WORKERS="1",
        # The fuzzer logs in with wrong passwords and makes tokens by the hundred; the runs' own
        # log-ins must not be locked out by it. (Rate limits have tests of their own.)
        VIEWFINDER_SIGNUP_LIMIT_PER_IP="100000",
        VIEWFINDER_LOGIN_FAILURE_LIMIT="100000",
        VIEWFINDER_LOGIN_ADDRESS_FAILURE_LIMIT="100000",
        VIEWFINDER_LOGIN_ACCOUNT_FREE_FAILURES="100000",
        VIEWFINDER_TOKEN_CREATION_LIMIT="100000",
    )
    return env


def start_server(base: str, port: int) -> subprocess.Popen[bytes]:
    data_dir = WORK / "data"
    data_dir.mkdir(parents=True)
    with (WORK / "serve.log").open("wb") as log:
        server = subprocess.Popen(
            [str(BIN / "viewfinder"), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=server_environment(data_dir, base),
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the web worker and job consumer stop with it
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"viewfinder serve exited:\n{(WORK / 'serve.log').read_text()}")
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    stop_server(server)
    sys.exit(f"viewfinder serve did not get ready:\n{(WORK / 'serve.log').read_text()}")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def make_account(base: str, name: str) -> httpx.Client:
    """Sign up `name`; returns a client holding its session (cookie and CSRF header)."""
    client = httpx.Client(base_url=base + API, timeout=30)
    response = client.post(
        "/accounts/signup", json={"username": name, "email": f"{name}@example.com", "password": PASSWORD}
    )
    response.raise_for_status()
    # The cookie is Secure (not sent back over plain HTTP by a cookie jar): send it by hand.
    client.headers["cookie"] = f"vf_session={response.cookies['vf_session']}"
    client.headers["x-csrf-token"] = response.json()["csrf_token"]
    return client


def api_token(account: httpx.Client) -> str:
    response = account.post("/accounts/tokens", json={"name": "fuzzing"})
    response.raise_for_status()
    secret: str = response.json()["secret"]
    return secret


def runs(base: str) -> list[Run]:
    alice, bob, carol = (make_account(base, name) for name in ("alice", "bob", "carol"))
    wfc = WORK / "tokens.json"
    wfc.write_text(
        json.dumps(
            {
                "auth": [
                    {"name": name, "fixedHeaders": [{"name": "Authorization", "value": f"Bearer {token}"}]}
                    for name, token in (("alice", api_token(alice)), ("bob", api_token(bob)))
                ]
            }
        )
    )
    for client in (alice, bob, carol):
        client.close()
    return [
        Run(
            "bearer",
            [Step("coverage", 10, 50), Step("fuzzing", 8, 30), Step("stateful", 10, 25)],
            settings=f'[auth.wfc]\npath = "{wfc}"\nuser = "alice"\npeers = ["alice", "bob"]\n'
            # Revoking alice's own token (its id is in GET /accounts/tokens) would end the run's
            # identity; the cookie run, which logs in again, covers it.
            '[[operations]]\ninclude-name = "DELETE /api/viewfinder/v1/accounts/tokens/{token_id}"\n'
            "enabled = false\n",
        ),
        Run(
            "cookie",
            [Step("coverage", 10, 35), Step("fuzzing,stateful", 5, 25)],
            # Reads answer alike whichever credential was sent (the bearer run covers them); a
            # cookie matters on writes, which need the CSRF header. A fresh log-in is sudo mode, so
            # deleting the account "now" would succeed and end carol for the rest of the run (the
            # bearer run covers that operation: API tokens never have sudo mode).
            settings='[[operations]]\ninclude-method = "GET"\nenabled = false\n'
            '[[operations]]\ninclude-name = "POST /api/viewfinder/v1/accounts/me/delete"\nenabled = false\n',
            env={
                "SCHEMATHESIS_HOOKS": "tests.api_fuzz.hooks",
                "VF_FUZZ_BASE_URL": base,
                "VF_FUZZ_LOGIN": "carol",
                "VF_FUZZ_PASSWORD": PASSWORD,
            },
        ),
        Run("anonymous", [Step("coverage,fuzzing,stateful", 5, 35)]),
    ]


def cursor_operations(base: str) -> str:
    """Settings widening positive_data_acceptance to 400 on every operation with a cursor."""
    document = httpx.get(f"{base}{API}/openapi.json", timeout=30).json()
    names = [
        f"{method.upper()} {path}"
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if any(parameter.get("name") == "cursor" for parameter in operation.get("parameters", []))
    ]
    statuses = ["2xx", "3xx", "400", "401", "403", "404", "409", "429", "5xx"]
    return (
        "\n# Signed cursors: only the server's own next_cursor is accepted (see the runner).\n"
        f"[[operations]]\ninclude-name = {json.dumps(names)}\n"
        f"checks.positive_data_acceptance.expected-statuses = {json.dumps(statuses)}\n"
    )


def run_schemathesis(base: str, run: Run) -> bool:
    folder = WORK / run.name
    folder.mkdir()
    config = folder / "schemathesis.toml"
    config.write_text(TEMPLATE.read_text() + cursor_operations(base) + "\n" + run.settings)
    passed = [run_step(base, run, step, config, folder) for step in run.steps]  # every step runs
    return all(passed)


def run_step(base: str, run: Run, step: Step, config: Path, folder: Path) -> bool:
    name = f"{run.name} ({step.phases})"
    command = [
        str(BIN / "st"),
        "--config-file",
        str(config),
        "run",
        f"{base}{API}/openapi.json",
        "--url",
        base,
        "--checks",
        "all",
        "--phases",
        step.phases,
        "--max-examples",
        str(max(1, round(step.max_examples * SCALE))),
        "--max-time",
        str(max(1, round(step.max_time * SCALE))),
        "--seed",
        str(SEED),
        # One worker: on Python 3.11 concurrent ast.parse (which Hypothesis calls) can raise a
        # spurious SystemError (CPython gh-106905), and the server shares the machine's two cores.
        "--workers",
        "1",
        "--max-failures",
        "1000",
        "--report",
        "junit,ndjson",
        "--report-dir",
        str(folder / step.phases.replace(",", "-")),
        "--no-color",
    ]
    print(f"\n=== {name}: {' '.join(command[3:])}", flush=True)
    started = time.monotonic()
    result = subprocess.run(command, env={**os.environ, **run.env}, cwd=ROOT, check=False)
    print(f"=== {name}: exit {result.returncode} in {time.monotonic() - started:.0f} s", flush=True)
    return result.returncode == 0


def main() -> int:
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(base, port)
    try:
        results = {run.name: run_schemathesis(base, run) for run in runs(base)}
    finally:
        stop_server(server)
    failed = [name for name, passed in results.items() if not passed]
    print(f"\nAPI fuzzing (seed {SEED}): " + (f"FAILED in {', '.join(failed)}" if failed else "no failures"))
    print(f"Server log and reports: {WORK}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""The `viewfinder` console script, run for real: help, migrate, check, createuser, demo and serve."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import PASSWORD

VIEWFINDER = Path(sys.executable).parent / "viewfinder"
SECRET = "cli-test-secret-0123456789-abcdefghijklm"  # 40 characters
SUBCOMMANDS = {
    "serve": "web app",
    "worker": "background-job consumer",
    "migrate": "migration",
    "createuser": "Create an account",
    "check": "configuration",
    "demo": "demo accounts",
    "rebuild-timelines": "timelines",
    "cassandra-migrate": "Cassandra",
    "openapi": "OpenAPI",
}


def environment(data_dir: Path, **extra: str) -> dict[str, str]:
    """The caller's environment without any VIEWFINDER_* setting, plus a development instance."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("VIEWFINDER_")}
    env.update({"VIEWFINDER_ENV": "development", "VIEWFINDER_DATA_DIR": str(data_dir), **extra})
    return env


def viewfinder(
    data_dir: Path, *args: str, stdin: str | None = None, **extra: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(VIEWFINDER), *args],
        env=environment(data_dir, **extra),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def start(data_dir: Path, *args: str, **extra: str) -> subprocess.Popen[str]:
    """Start the command without waiting, in its own session (away from the terminal's signals)."""
    return subprocess.Popen(
        [str(VIEWFINDER), *args],
        env=environment(data_dir, **extra),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


@pytest.fixture
def data_dir(tmp_path: Path, migrated_database: Path) -> Path:
    """A data directory holding an already-migrated database."""
    path = tmp_path / "var"
    path.mkdir()
    shutil.copy(migrated_database, path / "viewfinder.db")
    return path


def query(data_dir: Path, sql: str, *params: object) -> list[tuple[object, ...]]:
    connection = sqlite3.connect(data_dir / "viewfinder.db")
    try:
        return connection.execute(sql, params).fetchall()
    finally:
        connection.close()


def test_help_lists_every_command(tmp_path):
    result = viewfinder(tmp_path, "--help")
    assert result.returncode == 0, result.stderr
    assert "self-hostable" in result.stdout
    for command in SUBCOMMANDS:
        assert command in result.stdout


def test_each_command_explains_itself(tmp_path):
    # Started together: each is a fresh interpreter, and they do not depend on one another.
    running = {command: start(tmp_path, command, "--help") for command in SUBCOMMANDS}
    for command, process in running.items():
        stdout, stderr = process.communicate(timeout=60)
        assert process.returncode == 0, stderr
        assert f"Usage: viewfinder {command}" in stdout
        assert SUBCOMMANDS[command].lower() in stdout.lower(), stdout


def test_migrate_creates_the_database_and_is_idempotent(tmp_path):
    data_dir = tmp_path / "fresh"
    first = viewfinder(data_dir, "migrate")
    assert first.returncode == 0, first.stderr
    assert "up to date" in first.stdout
    assert (data_dir / "viewfinder.db").is_file()
    tables = {row[0] for row in query(data_dir, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"users", "alembic_version"} <= tables
    revision = query(data_dir, "SELECT version_num FROM alembic_version")

    second = viewfinder(data_dir, "migrate")
    assert second.returncode == 0, second.stderr
    assert query(data_dir, "SELECT version_num FROM alembic_version") == revision


def readable_by_others(root: Path) -> list[str]:
    """Every path under root (root included) that another account of the machine could read."""
    paths = [root, *root.rglob("*")]
    return [f"{oct(path.lstat().st_mode & 0o777)} {path}" for path in paths if path.lstat().st_mode & 0o077]


def test_a_fresh_data_directory_is_private_to_its_owner(tmp_path):
    data_dir = tmp_path / "fresh"
    migrated = viewfinder(data_dir, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    # Demo content writes everything else there is: media, the job queue, ID shard claims.
    filled = viewfinder(data_dir, "demo", "--users", "2", "--posts", "1", "--photos", "1")
    assert filled.returncode == 0, filled.stderr

    names = {path.name for path in data_dir.iterdir()}
    assert {"viewfinder.db", "jobs.db", "media", "id-shards"} <= names, names
    assert list((data_dir / "media").rglob("*.jpg")) or list((data_dir / "media").rglob("*.webp"))
    assert readable_by_others(data_dir) == []


def test_migrate_closes_a_data_directory_an_earlier_version_left_open(data_dir):
    data_dir.chmod(0o755)
    (data_dir / "viewfinder.db").chmod(0o644)
    (data_dir / "stores").mkdir(mode=0o755)
    (data_dir / "media" / "photos").mkdir(parents=True, mode=0o755)
    (data_dir / "media").chmod(0o755)
    elsewhere = data_dir.parent / "queue"
    elsewhere.mkdir(mode=0o755)

    result = viewfinder(data_dir, "migrate", VIEWFINDER_JOBS_DATABASE_PATH=str(elsewhere / "jobs.db"))

    assert result.returncode == 0, result.stderr
    assert data_dir.stat().st_mode & 0o777 == 0o700
    assert (data_dir / "viewfinder.db").stat().st_mode & 0o777 == 0o600
    assert (data_dir / "stores").stat().st_mode & 0o777 == 0o700
    assert (data_dir / "media").stat().st_mode & 0o777 == 0o700
    # Below a closed folder nothing is reachable; the tree is not walked (it can be millions of files).
    assert (data_dir / "media" / "photos").stat().st_mode & 0o777 == 0o755
    # The job queue's own file, outside the data directory, is closed; its folder is not ours to change.
    if (elsewhere / "jobs.db").exists():
        assert (elsewhere / "jobs.db").stat().st_mode & 0o077 == 0
    assert elsewhere.stat().st_mode & 0o777 == 0o755


def test_check_shows_settings_with_the_secret_masked_and_every_backend_ok(data_dir):
    result = viewfinder(data_dir, "check", VIEWFINDER_SECRET_KEY=SECRET)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert SECRET not in output
    assert "********" in output
    assert str(data_dir) in output
    lines = {line.split("  ")[0].strip(): line for line in result.stdout.splitlines() if line.strip()}
    for backend in ("settings", "database", "job queue", "media storage"):
        assert backend in lines, output
        assert " ok " in lines[backend] + " ", lines[backend]
    assert "migrations applied" in lines["database"]
    # The probe file it wrote to check the media storage is gone again.
    assert not list((data_dir / "media").rglob("*.txt"))


def test_production_without_a_secret_key_is_refused(tmp_path):
    production = {"VIEWFINDER_ENV": "production"}
    serve = start(tmp_path / "serve", "serve", "--port", str(free_port()), **production)
    try:
        check = viewfinder(tmp_path / "check", "check", **production)
        assert check.returncode != 0
        assert "FAILED" in check.stdout
        assert "VIEWFINDER_SECRET_KEY must be set" in check.stdout

        _, serve_errors = serve.communicate(timeout=60)
        assert serve.returncode != 0
        assert "VIEWFINDER_SECRET_KEY must be set" in serve_errors
        assert not (tmp_path / "serve" / "viewfinder.db").exists()
    finally:
        if serve.poll() is None:
            kill(serve.pid)
            serve.wait(timeout=10)


def test_createuser_makes_a_staff_account_with_the_password_from_stdin(data_dir):
    result = viewfinder(
        data_dir,
        "createuser",
        "admin2",
        "--email",
        "a@example.com",
        "--staff",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert result.returncode == 0, result.stderr
    assert "admin2" in result.stdout
    rows = query(
        data_dir,
        "SELECT username, email, is_staff, password_hash FROM users WHERE username_key = ?",
        "admin2",
    )
    assert len(rows) == 1
    username, email, is_staff, password_hash = rows[0]
    assert (username, is_staff) == ("admin2", 1)
    # The address is stored sealed (docs/decisions/0035): only the development root key opens it.
    from viewfinder.core import crypto
    from viewfinder.settings import Settings

    development = Settings(env="development", data_dir=data_dir, database_url=None)  # as the command ran
    keyring = crypto.Keyring(crypto.root_keys_of(development), development.resolved_database_url)
    assert isinstance(email, bytes)
    assert b"a@example.com" not in email
    assert keyring.open(crypto.EMAIL, "users.email", email) == b"a@example.com"
    assert isinstance(password_hash, str)
    assert password_hash.startswith("$argon2id$")
    assert PASSWORD not in result.stdout + result.stderr


def test_createuser_refuses_reserved_names_and_common_passwords(data_dir):
    attempts = {
        "This username is reserved.": ("admin", PASSWORD),
        "This password is too common.": ("admin3", "password123"),
    }
    running = {
        reason: start(
            data_dir, "createuser", username, "--email", f"{username}@example.com", "--password-stdin"
        )
        for reason, (username, _) in attempts.items()
    }
    for reason, process in running.items():
        _, stderr = process.communicate(attempts[reason][1] + "\n", timeout=60)
        assert process.returncode != 0
        assert reason in stderr
        assert "Traceback" not in stderr
    assert query(data_dir, "SELECT count(*) FROM users") == [(0,)]


def test_demo_fills_an_empty_instance_once(data_dir):
    result = viewfinder(data_dir, "demo", "--users", "5", "--posts", "8", "--photos", "2")
    assert result.returncode == 0, result.stderr
    assert "Made 5 demo accounts" in result.stdout
    assert "8 posts" in result.stdout
    assert "viewfinder-demo-password" in result.stdout
    login = result.stdout.split("Log in as '", 1)[1].split("'", 1)[0]
    assert query(data_dir, "SELECT is_private FROM users WHERE username = ?", login) == [(0,)]
    assert query(data_dir, "SELECT count(*) FROM users") == [(5,)]
    assert query(data_dir, "SELECT count(*) FROM posts") == [(8,)]

    again = viewfinder(data_dir, "demo", "--if-empty")
    assert again.returncode == 0, again.stderr
    assert "already has accounts" in again.stdout
    assert query(data_dir, "SELECT count(*) FROM users") == [(5,)]
    assert query(data_dir, "SELECT count(*) FROM posts") == [(8,)]


# serve


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def process_info(pid: int) -> tuple[int, str, str] | None:
    """(parent pid, state, command line) of a process, from /proc; None when it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        return None
    # The command name in parentheses may hold spaces; the fields after it do not.
    state, ppid = stat.rsplit(")", 1)[1].split()[:2]
    return int(ppid), state, cmdline


def children_of(pid: int) -> dict[int, str]:
    """Live child processes of pid, with their command lines."""
    children = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (info := process_info(int(entry.name))):
            ppid, state, cmdline = info
            if ppid == pid and state != "Z":
                children[int(entry.name)] = cmdline
    return children


def still_running(pid: int, cmdline: str) -> bool:
    """Whether the process we saw is still alive (not a zombie, and not a new one reusing the pid)."""
    info = process_info(pid)
    return info is not None and info[1] != "Z" and info[2] == cmdline


def wait_until(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def wait_until_serving(
    server: subprocess.Popen[Any], base: str, log_path: Path, also: Callable[[], object] = lambda: None
) -> None:
    """Wait (60 s at most: one web process per core starts at once on a busy machine) for a started
    `viewfinder serve` to answer /healthz; fails with its log if it exits or never answers. `also`
    runs at every look (to watch its children, say)."""

    def healthy() -> bool:
        assert server.poll() is None, log_path.read_text()
        also()
        try:
            return httpx.get(f"{base}/healthz", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    assert wait_until(healthy, timeout=60), log_path.read_text()


def kill(pid: int) -> None:
    """SIGKILL a process; for a group leader (started with start_new_session=True), its whole group,
    so the web workers granian forked do not outlive it."""
    with contextlib.suppress(ProcessLookupError):
        if os.getpgid(pid) == pid:
            os.killpg(pid, signal.SIGKILL)
        else:
            os.kill(pid, signal.SIGKILL)


@pytest.mark.slow
def test_serve_runs_the_app_and_a_worker_and_stops_both_on_sigterm(tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "serve.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [str(VIEWFINDER), "serve", "--port", str(port)],
            env=environment(tmp_path / "var"),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    seen: dict[int, str] = {}  # every child of serve observed, to check (and clean up) afterwards
    try:
        wait_until_serving(server, base, log_path, also=lambda: seen.update(children_of(server.pid)))
        assert httpx.get(f"{base}/healthz").json() == {"status": "ok"}
        # Ready once the job consumer serve started has sent its first heartbeat.
        assert wait_until(lambda: httpx.get(f"{base}/readyz").status_code == 200, timeout=30), (
            log_path.read_text()
        )
        ready = httpx.get(f"{base}/readyz").json()
        assert ready["database"] == "ok"
        assert ready["jobs"]["consumers"] == 1
        document = httpx.get(f"{base}/api/viewfinder/v1/openapi.json")
        assert document.status_code == 200
        assert "openapi" in document.json()
        # The access log is on: one line per request, secrets in the query string redacted.
        assert httpx.get(f"{base}/healthz?token=never-logged&probe=1").status_code == 200
        assert wait_until(lambda: "probe=1" in log_path.read_text(), timeout=5), log_path.read_text()
        access = [line for line in log_path.read_text().splitlines() if "viewfinder.access" in line]
        assert any(
            'method=GET path="/healthz?token=[redacted]&probe=1" status=200' in line for line in access
        )
        assert "never-logged" not in log_path.read_text()
        assert readable_by_others(tmp_path / "var") == []

        children = children_of(server.pid)
        seen.update(children)
        workers = [pid for pid, cmdline in children.items() if cmdline.endswith("viewfinder worker")]
        assert len(workers) == 1, children

        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=20) == 0, log_path.read_text()
        assert wait_until(lambda: not any(still_running(*child) for child in seen.items()), timeout=5), [
            child for child in seen.items() if still_running(*child)
        ]
    finally:
        for pid, cmdline in seen.items():
            if still_running(pid, cmdline):
                kill(pid)
        if server.poll() is None:
            kill(server.pid)
            server.wait(timeout=10)


def test_demo_on_a_fresh_data_directory_applies_the_migrations_itself(tmp_path):
    fresh = tmp_path / "never-migrated"
    result = viewfinder(fresh, "demo", "--users", "3", "--posts", "3")
    assert result.returncode == 0, result.stderr
    assert "Made 3 demo accounts" in result.stdout
    assert query(fresh, "SELECT count(*) FROM users") == [(3,)]
    assert query(fresh, "SELECT count(*) FROM posts") == [(3,)]


@pytest.mark.slow
def test_serve_with_several_web_processes_shares_the_log_in_limits(tmp_path):
    """Two web processes with the default (memory) store: serve keeps the limits in the file store
    both count in, so the limit holds whichever process answers each attempt."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    api = f"{base}/api/viewfinder/v1"
    log_path = tmp_path / "serve.log"
    data_dir = tmp_path / "var"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [str(VIEWFINDER), "serve", "--port", str(port), "--no-jobs"],
            env=environment(data_dir, VIEWFINDER_WEB_WORKERS="2", VIEWFINDER_LOGIN_FAILURE_LIMIT="4"),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    seen: dict[int, str] = {}
    try:
        wait_until_serving(server, base, log_path, also=lambda: seen.update(children_of(server.pid)))
        assert "rate limits are kept in the file store" in log_path.read_text()
        account = {"username": "alice", "email": "alice@example.com", "password": PASSWORD}
        assert httpx.post(f"{api}/accounts/signup", json=account).status_code == 201
        # Each attempt on a connection of its own, so the two processes share them out.
        for _ in range(4):
            wrong = httpx.post(f"{api}/accounts/login", json={"login": "alice", "password": "not it"})
            assert wrong.status_code == 401, wrong.text
        refused = httpx.post(f"{api}/accounts/login", json={"login": "alice", "password": PASSWORD})
        assert refused.status_code == 429, refused.text
        assert (data_dir / "stores").is_dir()
    finally:
        seen.update(children_of(server.pid))
        kill(server.pid)
        server.wait(timeout=10)
        for pid, cmdline in seen.items():
            if still_running(pid, cmdline):
                kill(pid)

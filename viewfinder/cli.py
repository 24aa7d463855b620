"""The `viewfinder` command: serve, worker, migrate, createuser, check."""

from __future__ import annotations

import asyncio
import getpass
import os
import signal
import subprocess
import sys
from typing import Any

import click

from viewfinder.settings import ConfigurationError, Settings, get_settings


def _settings() -> Settings:
    try:
        settings = get_settings()
        settings.check()
    except ConfigurationError as exc:
        raise click.ClickException(str(exc)) from exc
    from viewfinder.core import ids

    ids.configure_for_process(settings.id_shard_lock_dir, settings.shard_id)
    return settings


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Viewfinder: a self-hostable photo and video sharing platform.

    Settings come from VIEWFINDER_* environment variables; `viewfinder check` shows them.
    """


@main.command()
def migrate() -> None:
    """Apply every pending database migration."""
    from viewfinder.core.migrate import upgrade

    settings = _settings()
    upgrade(settings.resolved_database_url)
    click.echo("Database is up to date.")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option("--workers", type=int, default=None, help="Web processes (default: VIEWFINDER_WEB_WORKERS).")
@click.option("--no-jobs", is_flag=True, help="Do not start a job consumer beside the web app.")
def serve(host: str, port: int, workers: int | None, no_jobs: bool) -> None:
    """Migrate, then run the web app and a background-job consumer together."""
    from granian import Granian
    from granian.constants import Interfaces

    from viewfinder.core.migrate import upgrade

    settings = _settings()
    upgrade(settings.resolved_database_url)
    consumer: subprocess.Popen[bytes] | None = None
    if not no_jobs:
        consumer = subprocess.Popen([sys.executable, "-m", "viewfinder", "worker"], env=os.environ.copy())
    try:
        click.echo(f"Viewfinder is listening on http://{host}:{port}/")
        Granian(
            "viewfinder.app:create_app",
            factory=True,
            interface=Interfaces.ASGI,
            address=host,
            port=port,
            workers=workers or settings.web_workers,
        ).serve()
    finally:
        if consumer is not None:
            consumer.send_signal(signal.SIGINT)
            try:
                consumer.wait(timeout=15)
            except subprocess.TimeoutExpired:
                consumer.kill()


@main.command()
@click.option("--threads", type=int, default=None, help="Worker threads (default: VIEWFINDER_JOB_WORKERS).")
def worker(threads: int | None) -> None:
    """Run a stand-alone background-job consumer (for when web and workers run apart)."""
    from viewfinder.core.jobs import huey, load_tasks

    # A shell that starts `serve` in the background makes its children ignore SIGINT; restore it
    # so serve's graceful stop (SIGINT) reaches this consumer even before Huey installs handlers.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    settings = _settings()
    load_tasks()
    from viewfinder.media.tasks import recover_abandoned_media

    # Pick up at once what a worker killed earlier left half-done, rather than at the next sweep.
    recover_abandoned_media()
    consumer = huey.create_consumer(
        workers=threads or settings.job_workers, worker_type="thread", periodic=True
    )
    consumer.run()


@main.command()
@click.argument("username")
@click.option("--email", prompt=True, help="The account's email address.")
@click.option("--staff", is_flag=True, help="Give the account staff rights.")
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from standard input instead of asking."
)
def createuser(username: str, email: str, staff: bool, password_stdin: bool) -> None:
    """Create an account (add --staff for a staff member)."""
    from viewfinder.accounts import services
    from viewfinder.core.db import make_async_engine, make_sessionmaker
    from viewfinder.core.errors import ApiError

    settings = _settings()
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Password (again): ") != password:
            raise click.ClickException("The passwords differ.")

    async def create() -> None:
        engine = make_async_engine(settings.resolved_database_url)
        try:
            async with make_sessionmaker(engine)() as db:
                await services.signup(db, username=username, email=email, password=password, is_staff=staff)
        finally:
            await engine.dispose()

    try:
        asyncio.run(create())
    except ApiError as exc:
        details = "; ".join(f"{field}: {message}" for field, message in exc.fields.items())
        raise click.ClickException(f"{exc.message} {details}".strip()) from exc
    click.echo(f"Created {'staff ' if staff else ''}account {username}.")


@main.command()
@click.option("--users", default=40, show_default=True, help="How many demo accounts to make.")
@click.option("--seed", default=7, show_default=True, help="Seed of the random choices.")
@click.option("--if-empty", is_flag=True, help="Do nothing when the instance already has accounts.")
def demo(users: int, seed: int, if_empty: bool) -> None:
    """Fill the instance with demo accounts and a follow graph (deterministic from the seed)."""
    from viewfinder.core.db import make_async_engine, make_sessionmaker
    from viewfinder.demo import DEMO_PASSWORD, instance_is_empty, load_demo

    settings = _settings()

    async def fill() -> list[str]:
        engine = make_async_engine(settings.resolved_database_url)
        try:
            async with make_sessionmaker(engine)() as db:
                if if_empty and not await instance_is_empty(db):
                    return []
                return [user.username for user in await load_demo(db, users=users, seed=seed)]
        finally:
            await engine.dispose()

    made = asyncio.run(fill())
    if not made:
        click.echo("The instance already has accounts; no demo content added.")
        return
    click.echo(f"Made {len(made)} demo accounts, e.g. {made[0]}; every password is {DEMO_PASSWORD!r}.")


@main.command()
def check() -> None:
    """Print the active configuration (secrets masked) and whether each backend is reachable."""
    from viewfinder.core.migrate import current_revision_is_head
    from viewfinder.media.storage import storage_from_settings

    settings = get_settings()
    values: dict[str, Any] = settings.model_dump()
    values["secret_key"] = "********" if settings.secret_key else "(development key)"
    values["database_url"] = settings.resolved_database_url
    for name, value in sorted(values.items()):
        click.echo(f"{name:32} {value}")
    click.echo("")
    failures = 0

    def report(name: str, ok: bool, detail: str) -> None:
        nonlocal failures
        failures += not ok
        click.echo(f"{name:32} {'ok' if ok else 'FAILED'}  {detail}")

    try:
        settings.check()
        report("settings", True, f"environment {settings.env}")
    except ConfigurationError as exc:
        report("settings", False, str(exc))
    try:
        up_to_date = current_revision_is_head(settings.resolved_database_url)
        report(
            "database", True, "migrations applied" if up_to_date else "reachable; run `viewfinder migrate`"
        )
    except Exception as exc:  # any failure is the thing to report
        report("database", False, str(exc))
    try:
        from viewfinder.core.jobs import huey

        report("job queue", True, f"{huey.pending_count()} jobs pending")
    except Exception as exc:  # any failure is the thing to report
        report("job queue", False, str(exc))
    try:
        storage = storage_from_settings(settings)
        probe = "healthcheck/probe.txt"
        storage.put(probe, b"ok", "text/plain")
        ok = storage.get(probe) == b"ok"
        storage.delete(probe)
        report("media storage", ok, settings.resolved_media_base_url)
    except Exception as exc:  # any failure is the thing to report
        report("media storage", False, str(exc))
    if failures:
        sys.exit(1)

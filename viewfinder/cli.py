"""The `viewfinder` command: serve, worker, migrate, cassandra-migrate, createuser, demo, rebuild-timelines,
disable-2fa, mail-server, flush-jobs, dead-letters, openapi, check, ml (detection models)."""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from viewfinder.detection.cli import ml
from viewfinder.settings import ConfigurationError, Settings, get_settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from viewfinder.recommend import ranking
    from viewfinder.wiring import Backends

T = TypeVar("T")


def _check_encryption_keys(settings: Settings) -> None:
    """Refuse to start when the root keys cannot open the database's data keys (encryption at rest)."""
    from viewfinder.core import crypto

    try:
        crypto.check(settings)
    except ConfigurationError as exc:
        raise click.ClickException(str(exc)) from exc


def _settings() -> Settings:
    try:
        settings = get_settings()
        settings.check()
    except ConfigurationError as exc:
        raise click.ClickException(str(exc)) from exc
    from viewfinder.core import crypto, ids
    from viewfinder.core.private_files import tighten

    # A data directory made by an earlier version (or by hand) is closed to other accounts too.
    tighten(settings)
    ids.configure_for_process(settings.id_shard_lock_dir, settings.shard_id)
    crypto.configure(settings)  # encryption at rest: this process's root keys and database
    _backends(settings)
    return settings


def _backends(settings: Settings) -> Backends:
    """Build this process's backends and hand them to the domains (viewfinder.wiring): a worker's
    jobs and every command use the same stores as the web app."""
    from viewfinder.wiring import build_backends

    try:
        backends = build_backends(settings)
    except ConfigurationError as exc:
        raise click.ClickException(str(exc)) from exc
    backends.install()
    return backends


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.pass_context
def main(context: click.Context) -> None:
    """Viewfinder: a self-hostable photo and video sharing platform.

    Settings come from VIEWFINDER_* environment variables; `viewfinder check` shows them.
    """
    if context.invoked_subcommand != "openapi":
        from viewfinder.core.private_files import create_privately

        # Before anything opens the database or the job queue: every file made is the owner's alone.
        create_privately()


main.add_command(ml)


async def _with_db(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run `work` on a session of its own (engine made and disposed here)."""
    from viewfinder.core.db import make_async_engine, make_sessionmaker

    engine = make_async_engine(settings.resolved_database_url)
    try:
        async with make_sessionmaker(engine)() as db:
            return await work(db)
    finally:
        await engine.dispose()


@ml.command("evaluate-recommender")
@click.option(
    "--dataset",
    type=click.Choice(["movielens", "instance"]),
    default="movielens",
    show_default=True,
    help="movielens: MovieLens-100k (ratings >= 4 are positives; each user's latest 20 % held out). "
    "instance: this instance's interaction log, accounts as items, its last fifth in time held out.",
)
@click.option("--k", default=10, show_default=True, type=click.IntRange(min=1), help="List length.")
@click.option("--seed", default=0, show_default=True, help="ALS's random state.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as one JSON object instead.")
def evaluate_recommender(dataset: str, k: int, seed: int, as_json: bool) -> None:
    """Fit popularity, implicit's ALS and the recommender on the same split and print recall@k,
    NDCG@k, catalogue coverage and fit seconds for each, and the recommender's ratio to ALS
    (decision 0067)."""
    import json

    from viewfinder.recommend import evaluate, movielens

    if dataset == "movielens":
        try:
            interactions = movielens.load()
        except movielens.DataMissing as exc:
            raise click.ClickException(str(exc)) from exc
        figures = evaluate.evaluate(interactions, evaluate.holdout_latest_positives, k=k, seed=seed)
        title = "MovieLens-100k"
    else:
        from datetime import UTC, datetime, timedelta

        import numpy as np

        from viewfinder.recommend import training

        settings = _settings()
        since = datetime.now(UTC) - timedelta(days=settings.recommender_window_days)
        interactions = asyncio.run(_with_db(settings, lambda db: training.log_interactions(db, since)))
        positive = interactions.positives(None)
        if len(positive) < 10:
            raise click.ClickException(
                "The interaction log holds too little to evaluate on (run `viewfinder demo`)."
            )
        at = float(np.quantile(positive.timestamps, 0.8))
        figures = evaluate.evaluate(interactions, lambda data: evaluate.time_split(data, at), k=k, seed=seed)
        title = "This instance's interaction log"
        figures["ranking"] = asyncio.run(
            _with_db(
                settings,
                lambda db: training.evaluate_ranker(
                    db, _hand_set(), window_days=settings.recommender_window_days
                ),
            )
        )
    figures["dataset"] = dataset
    if as_json:
        click.echo(json.dumps(figures))
        return
    click.echo(f"{title}: {evaluate.format_table(figures)}")
    if "ranking" in figures:
        from viewfinder.recommend import ranking

        click.echo(f"\nRanking its candidates: {ranking.format_table(figures['ranking'])}")


def _hand_set() -> ranking.HandSet:
    """The blend Explore orders its candidates by without a ranking model (recommend.ranking.HandSet)."""
    from viewfinder.discovery import services as discovery
    from viewfinder.recommend import ranking

    return ranking.HandSet(discovery.POPULAR_WEIGHT, discovery.TAG_WEIGHT, discovery.EXPLORE_HALF_LIFE_HOURS)


@ml.command("train-recommender")
def train_recommender() -> None:
    """Train the recommender on the interaction log now and serve the result (the worker does it
    every hour): <data_dir>/models/recommender/<version>/, named by CURRENT (decision 0069)."""
    import time

    from viewfinder.recommend import training

    settings = _settings()
    started = time.perf_counter()
    models = settings.data_dir / "models"
    trained = asyncio.run(
        _with_db(
            settings,
            lambda db: training.train(
                db, models, window_days=settings.recommender_window_days, ranker=settings.recommender_ranker
            ),
        )
    )
    if trained is None:
        click.echo(
            "Too little in the interaction log to learn from yet: nothing trained (Explore stays popular)."
        )
        return
    click.echo(
        f"Recommender {trained.version}: {trained.signals} signals, {trained.viewers} viewers, "
        f"{trained.accounts} accounts, {time.perf_counter() - started:.1f} s → {trained.directory}"
    )


@ml.command("recommender-readout")
@click.option(
    "--days", default=7, show_default=True, type=click.IntRange(min=1), help="Days of the log read."
)
def recommender_readout(days: int) -> None:
    """Each recommender version's results on Explore, For you and suggestions over the last days:
    click-through, likes, saves and follows per impression and the "not interested" rate, next to
    the popularity baseline (posts no model chose) over the same days."""
    from datetime import UTC, datetime, timedelta

    from viewfinder.recommend.readout import POPULARITY, read_out

    settings = _settings()
    since = datetime.now(UTC) - timedelta(days=days)
    figures = asyncio.run(_with_db(settings, lambda db: read_out(db, since)))
    if not figures:
        click.echo(f"No impressions on recommendation surfaces in the last {days} days.")
        return
    columns = (
        "impressions",
        "viewers",
        "click_through",
        "likes_per_impression",
        "saves_per_impression",
        "follows_per_impression",
        "not_interested_rate",
    )
    click.echo(f"{'version':<24}" + "".join(f"{name:>24}" for name in columns))
    for version, rates in sorted(figures.items(), key=lambda item: item[0] != POPULARITY):
        label = f"{version} (baseline)" if version == POPULARITY else version
        click.echo(f"{label:<24}" + "".join(f"{rates[name]:>24}" for name in columns))


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
@click.option(
    "--workers",
    type=int,
    default=None,
    help="Web processes (default: VIEWFINDER_WEB_WORKERS, or one per core).",
)
@click.option("--no-jobs", is_flag=True, help="Do not start a job consumer beside the web app.")
def serve(host: str, port: int, workers: int | None, no_jobs: bool) -> None:
    """Migrate, then run the web app and a background-job consumer together.

    In development (VIEWFINDER_ENV=development) with no SMTP server set, a local one starts too and
    every email the platform sends lands as a file under data_dir/mail/new (see `mail-server`)."""
    from granian import Granian
    from granian.constants import Interfaces

    from viewfinder.core.migrate import upgrade
    from viewfinder.core.supervision import ConsumerSupervisor, log_to_stderr, run_web

    settings = _settings()
    upgrade(settings.resolved_database_url)
    _check_encryption_keys(settings)
    web_processes = workers or settings.resolved_web_workers
    if web_processes > 1 and settings.store_backend == "memory":
        _share_rate_limits(settings)
    mail_server = None
    if settings.env == "development" and not settings.smtp_host:
        mail_server = _start_development_mail_server(settings)
    # Supervised: a consumer or web worker that dies is started again (docs/decisions/0037).
    log_to_stderr()
    consumer: ConsumerSupervisor | None = None
    if not no_jobs:
        consumer = ConsumerSupervisor([sys.executable, "-m", "viewfinder", "worker"], env=os.environ.copy())
        consumer.start()

    def web_server() -> Any:  # granian.Granian (untyped)
        return Granian(
            "viewfinder.app:create_app",
            factory=True,
            interface=Interfaces.ASGI,
            address=host,
            port=port,
            workers=web_processes,
            respawn_failed_workers=True,
        )

    try:
        click.echo(f"Viewfinder is listening on http://{host}:{port}/")
        run_web(web_server)
    finally:
        if consumer is not None:
            consumer.stop()
        if mail_server is not None:
            mail_server.stop()


def _share_rate_limits(settings: Settings) -> None:
    """Several web processes: keep the rate limits where they all count them (Redis when configured,
    else files under data_dir), not in each process's memory where each would allow the full limit.
    Set in the environment the web processes and the job consumer (started next) read."""
    backend = "redis" if settings.redis_url else "file"
    os.environ["VIEWFINDER_STORE_BACKEND"] = backend
    get_settings.cache_clear()
    click.echo(f"Several web processes: rate limits are kept in the {backend} store they share.")


def _start_development_mail_server(settings: Settings) -> Any:
    """Start the local mail server in this process and point the web processes and the job consumer
    (started next, with this environment) at it."""
    from viewfinder.core.mail import DEVELOPMENT_MAIL_PORT, mail_directory, port_is_free, start_mail_server

    port = DEVELOPMENT_MAIL_PORT if port_is_free("127.0.0.1", DEVELOPMENT_MAIL_PORT) else 0
    server = start_mail_server(mail_directory(settings), port=port)
    os.environ.update(
        {
            "VIEWFINDER_SMTP_HOST": "127.0.0.1",
            "VIEWFINDER_SMTP_PORT": str(server.port),
            "VIEWFINDER_SMTP_SECURITY": "none",
        }
    )
    get_settings.cache_clear()  # web processes forked from this one read the environment again
    click.echo(
        f"Development mail server on 127.0.0.1:{server.port}: every email lands in "
        f"{mail_directory(settings) / 'new'} (one file per message)."
    )
    return server


@main.command("mail-server")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address (this machine only).")
@click.option("--port", default=8025, show_default=True, type=int, help="Port (0: any free one).")
def mail_server(host: str, port: int) -> None:
    """Run a local SMTP server that keeps every email it receives as a file (development).

    Messages land in the Maildir data_dir/mail (one file per message under mail/new). Point
    Viewfinder at it with VIEWFINDER_SMTP_HOST=127.0.0.1 VIEWFINDER_SMTP_PORT=<port>
    VIEWFINDER_SMTP_SECURITY=none; `serve` in development starts one by itself.
    """
    import threading

    from viewfinder.core.mail import mail_directory, start_mail_server

    directory = mail_directory(get_settings())
    try:
        server = start_mail_server(directory, host=host, port=port)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--host") from exc
    except OSError as exc:
        raise click.ClickException(f"Cannot listen on {host}:{port}: {exc}") from exc
    click.echo(f"Mail server listening on {host}:{server.port}; messages are written to {directory / 'new'}")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


@main.command()
@click.option("--threads", type=int, default=None, help="Worker threads (default: VIEWFINDER_JOB_WORKERS).")
def worker(threads: int | None) -> None:
    """Run a stand-alone background-job consumer (for when web and workers run apart).

    It records a heartbeat in the database every VIEWFINDER_JOB_HEARTBEAT_SECONDS (what /readyz
    reads), and takes up again at once what a consumer that died left half-done."""
    import logging

    from viewfinder.core.jobs import ConsumerHeartbeat, flush_handoff, huey, keep_job_engines, load_tasks

    # A shell that starts `serve` in the background makes its children ignore SIGINT; restore it
    # so serve's graceful stop (SIGINT) reaches this consumer even before Huey installs handlers.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    settings = _settings()
    logging.basicConfig(
        level=logging.DEBUG if settings.debug else logging.INFO,
        format="%(asctime)s [%(levelname)s] %(name)s: %(message)s",
    )
    # Huey logs a line per job run, retry and periodic enqueue: the job policy's lines say what matters.
    for noisy in ("huey", "aiosqlite", "pyvips"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    load_tasks()
    from viewfinder.core.events import load_subscribers

    load_subscribers()  # the after-commit handlers its deliver_event jobs run
    try:  # jobs handed off to the database while Redis was away (the periodic flush retries)
        flush_handoff()
    except Exception as exc:  # Redis still away: the consumer waits for it, and retries then
        click.echo(f"Handed-off jobs stay in the database for now: {exc}", err=True)
    keep_job_engines()
    workers = threads or settings.job_workers
    consumer = huey.create_consumer(workers=workers, worker_type="thread", periodic=True)
    # Its first beat runs the recovery sweeps: what a consumer killed earlier held is queued again.
    heartbeat = ConsumerHeartbeat(settings, huey)
    heartbeat.start()
    logging.getLogger("viewfinder.worker").info(
        "Job consumer %s started: %d workers on %s", heartbeat.id, workers, huey.queue_service
    )
    try:
        consumer.run()
    finally:
        heartbeat.stop()


ROLE_CHOICES = ("none", "owner", "admin", "moderator", "analyst", "community_manager")
"""viewfinder.moderation.roles.ROLES, spelt out so `--help` needs no import (a test keeps them equal)."""


@main.command()
@click.argument("username")
@click.option("--email", prompt=True, help="The account's email address.")
@click.option(
    "--role",
    type=click.Choice(ROLE_CHOICES),
    default=None,
    help="Give the account a staff role (docs/decisions/0046-staff-roles.md).",
)
@click.option("--staff", is_flag=True, help="Deprecated: the same as --role admin.")
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from standard input instead of asking."
)
def createuser(username: str, email: str, role: str | None, staff: bool, password_stdin: bool) -> None:
    """Create an account (add --role ROLE for a staff member, e.g. --role owner for yourself)."""
    from viewfinder.accounts import services
    from viewfinder.core.db import make_async_engine, make_sessionmaker
    from viewfinder.core.errors import ApiError

    if staff:
        if role not in (None, "admin"):
            raise click.BadParameter("--staff means --role admin; give only --role.")
        click.echo("--staff is deprecated: use --role admin.", err=True)
        role = "admin"
    role = role or "none"
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
                await services.signup(db, username=username, email=email, password=password, role=role)
        finally:
            await engine.dispose()

    try:
        asyncio.run(create())
    except ApiError as exc:
        details = "; ".join(f"{field}: {message}" for field, message in exc.fields.items())
        raise click.ClickException(f"{exc.message} {details}".strip()) from exc
    click.echo(f"Created {'' if role == 'none' else role + ' '}account {username}.")


@main.command("set-role")
@click.argument("username")
@click.argument("role", type=click.Choice(ROLE_CHOICES))
@click.option("--reason", default="", help="Why, for the audit log.")
def set_role(username: str, role: str, reason: str) -> None:
    """Give an account a staff role, or take it away with `none` (the last owner stays). The
    audit log records it, with no staff member as its actor (the operator)."""
    from viewfinder.core.db import make_async_engine, make_sessionmaker
    from viewfinder.core.errors import ApiError
    from viewfinder.moderation.staff import assign_role

    settings = _settings()  # with the backends: the account's cached log-ins are dropped everywhere

    async def assign() -> None:
        engine = make_async_engine(settings.resolved_database_url)
        try:
            async with make_sessionmaker(engine)() as db:
                await assign_role(db, None, username, role, reason)
        finally:
            await engine.dispose()

    try:
        asyncio.run(assign())
    except ApiError as exc:
        if exc.status_code == 404:
            raise click.ClickException(f"There is no account named {username!r}.") from exc
        raise click.ClickException(exc.message) from exc
    click.echo(f"{username} is now {'not staff' if role == 'none' else role}.")


@main.command()
@click.option("--users", default=200, show_default=True, help="How many demo accounts to make.")
@click.option("--posts", default=2000, show_default=True, help="How many photo posts to make.")
@click.option("--seed", default=7, show_default=True, help="Seed of the random choices.")
@click.option(
    "--photos",
    type=int,
    default=None,
    help="How many distinct photos to draw; posts share them [default: scales with --posts, at most 96].",
)
@click.option("--if-empty", is_flag=True, help="Do nothing when the instance already has accounts.")
def demo(users: int, posts: int, seed: int, photos: int | None, if_empty: bool) -> None:
    """Apply pending migrations, then fill the instance with demo accounts, a follow graph, photo
    posts, likes and comments.

    Everything but the dates is deterministic from the seed. Every demo account's password is
    viewfinder-demo-password. Use --users/--posts for a large data set (benchmarks).
    """
    import time

    from viewfinder.core.db import make_async_engine, make_sessionmaker
    from viewfinder.core.migrate import upgrade
    from viewfinder.demo import DEMO_PASSWORD, DemoResult, instance_is_empty, load_demo

    if users < 1 or posts < 0 or (photos is not None and photos < 1):
        raise click.BadParameter("--users and --photos must be at least 1, --posts at least 0.")
    settings = _settings()
    started = time.perf_counter()
    upgrade(settings.resolved_database_url)  # a fresh data directory works too

    async def fill() -> DemoResult | None:
        engine = make_async_engine(settings.resolved_database_url)
        try:
            async with make_sessionmaker(engine)() as db:
                if if_empty and not await instance_is_empty(db):
                    return None
                return await load_demo(
                    db,
                    _backends(settings).storage,
                    settings,
                    users=users,
                    posts=posts,
                    seed=seed,
                    photos=photos,
                    progress=lambda stage: click.echo(f"  {stage}...", err=True),
                )
        finally:
            await engine.dispose()

    made = asyncio.run(fill())
    if made is None:
        click.echo("The instance already has accounts; no demo content added.")
        return
    click.echo(
        f"Made {len(made.usernames)} demo accounts, {made.follows} follows, {made.posts} posts "
        f"({made.photos} distinct photos), {made.likes} likes and {made.comments} comments; "
        f"rebuilt {made.timelines} timelines in {time.perf_counter() - started:.1f} s."
    )
    click.echo(
        "Time taken: " + ", ".join(f"{stage} {seconds:.1f} s" for stage, seconds in made.seconds.items())
    )
    click.echo(
        f"Log in as {made.login_username!r} with the password {DEMO_PASSWORD!r} (every demo account has it)."
    )


@main.command("rebuild-timelines")
@click.option(
    "--user", "username", default=None, metavar="NAME", help="Rebuild only this account's timeline."
)
def rebuild_timelines(username: str | None) -> None:
    """Rebuild home timelines from posts and follows (the source of truth): every account's, or one.

    Timelines are a cache of who-follows-whom and who-posted-what; run this after restoring a
    backup or changing the timeline backend, or if a timeline looks wrong.
    """
    from viewfinder.core.db import make_async_engine, make_sessionmaker
    from viewfinder.core.errors import ApiError
    from viewfinder.feeds import services

    settings = _settings()

    async def rebuild() -> int:
        engine = make_async_engine(settings.resolved_database_url)
        try:
            async with make_sessionmaker(engine)() as db:
                return await services.rebuild_timelines(db, settings, username=username)
        finally:
            await engine.dispose()

    try:
        rebuilt = asyncio.run(rebuild())
    except ApiError as exc:
        if exc.status_code == 404:
            raise click.ClickException(f"There is no account named {username!r}.") from exc
        raise click.ClickException(exc.message) from exc
    click.echo(f"Rebuilt {rebuilt} timeline{'s' if rebuilt != 1 else ''}.")


@main.command("disable-2fa")
@click.argument("username")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def disable_two_factor(username: str, yes: bool) -> None:
    """Turn off two-factor authentication of an account whose owner lost every second factor and
    every recovery code: removes its authenticator app, passkeys, recovery codes and trusted
    devices. Make sure it is really the owner first (docs/decisions/0033): their e-mail alone
    is not enough. The account's security log records it, and the owner is told.
    """
    from viewfinder.accounts import twofactor
    from viewfinder.core import jobs
    from viewfinder.core.db import make_async_engine, make_sessionmaker
    from viewfinder.core.errors import ApiError

    settings = _settings()
    # The security log's listeners (the owner's e-mail alert) hear of it from this process too.
    jobs.configure(settings)
    jobs.load_tasks()
    if not yes:
        click.confirm(f"Turn off two-factor authentication of {username!r}?", abort=True)

    async def disable() -> twofactor.DisabledByOperator:
        engine = make_async_engine(settings.resolved_database_url)
        try:
            async with make_sessionmaker(engine)() as db:
                return await twofactor.disable_all_by_operator(db, username)
        finally:
            await engine.dispose()

    try:
        done = asyncio.run(disable())
    except ApiError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(
        f"Two-factor authentication of {username} is off: app {'removed' if done.totp else 'none'}, "
        f"{done.passkeys} passkey{'s' if done.passkeys != 1 else ''} and "
        f"{done.trusted_devices} trusted device{'s' if done.trusted_devices != 1 else ''} removed, "
        "recovery codes void. The account's security log says so."
    )


@main.command("generate-key")
@click.option("--id", "key_id", default=None, help="The key's id (default: k<date><random>).")
def generate_key(key_id: str | None) -> None:
    """Print a new root key for VIEWFINDER_ENCRYPTION_KEYS (put it first; keep the old ones after it
    until `viewfinder rotate-keys` has run)."""
    from viewfinder.core import crypto

    try:
        click.echo(crypto.generate_root_key(key_id))
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc


@main.command("rotate-keys")
@click.option("--data-keys", is_flag=True, help="Also make new data keys and re-encrypt every value.")
@click.option("--index", is_flag=True, help="Also make new look-up (blind index) keys and recompute them.")
@click.option("--batch-size", default=500, show_default=True, help="Rows per transaction.")
def rotate_keys(data_keys: bool, index: bool, batch_size: int) -> None:
    """Encryption at rest: wrap every data key under the current (first) root key of
    VIEWFINDER_ENCRYPTION_KEYS, after which older root keys can leave the settings. Safe to run again;
    an interrupted run is finished by running it again (docs/deploy.md, "Encryption keys")."""
    from viewfinder.core import crypto
    from viewfinder.core.db import make_sync_engine

    settings = _settings()
    keyring = crypto.Keyring(crypto.root_keys_of(settings))
    engine = make_sync_engine(settings.resolved_database_url)
    try:
        with engine.connect() as connection:
            try:
                rewrapped = crypto.rewrap(connection, keyring)
            except crypto.KeyringError as exc:
                raise click.ClickException(str(exc)) from exc
            connection.commit()
            click.echo(f"{rewrapped} data key(s) re-wrapped under the root key {keyring.current_root_id!r}.")
            if data_keys:
                for purpose in (crypto.EMAIL, crypto.SESSION, crypto.TOTP):
                    keyring.create_data_key(connection, purpose, retire_current=True)
                    connection.commit()
                for column in crypto.SEALED_COLUMNS:
                    count = crypto.reseal_column(
                        connection, keyring, column, batch_size=batch_size, on_batch=connection.commit
                    )
                    connection.commit()
                    click.echo(f"{column.table}.{column.column}: {count} value(s) re-encrypted.")
                # A process that loaded the keys before this run may have sealed a value under an old
                # key since: such a key stays until a later run finds nothing under it.
                in_use = crypto.keys_in_use(connection, batch_size=batch_size)
                kept = 0
                for purpose in (crypto.EMAIL, crypto.SESSION, crypto.TOTP):
                    kept += crypto.drop_retired(connection, purpose, in_use)[1]
                connection.commit()
                click.echo("New data keys in use; the old ones nothing is sealed under are deleted.")
                if kept:
                    click.echo(
                        f"{kept} old data key(s) kept: values were sealed under them during the run. Restart "
                        "the servers and workers, then run `viewfinder rotate-keys --data-keys` again."
                    )
            if index:
                for purpose in (crypto.EMAIL_INDEX, crypto.ADDRESS_INDEX):
                    keyring.create_data_key(connection, purpose, retire_current=True)
                    connection.commit()
                count = crypto.reindex(connection, keyring, batch_size=batch_size, on_batch=connection.commit)
                for purpose in (crypto.EMAIL_INDEX, crypto.ADDRESS_INDEX):
                    crypto.drop_retired(connection, purpose)
                connection.commit()
                click.echo(f"New look-up keys in use: {count} row(s) re-indexed; the old keys are deleted.")
    finally:
        engine.dispose()
    click.echo("Running servers and workers read the new keys by themselves; restart them after --data-keys.")


@main.command("cassandra-migrate")
def cassandra_migrate() -> None:
    """Create the Cassandra keyspace and tables for timelines (idempotent).

    Uses VIEWFINDER_CASSANDRA_HOSTS, _PORT, _KEYSPACE and _REPLICATION_FACTOR (SimpleStrategy).
    """
    from viewfinder.core import cassandra

    settings = _settings()
    try:
        changes = cassandra.migrate(settings)
    except cassandra.CassandraUnavailable as exc:
        hosts = ",".join(settings.cassandra_hosts)
        raise click.ClickException(
            f"Cassandra at {hosts}:{settings.cassandra_port} is not reachable: {exc.detail}"
        ) from exc
    finally:
        cassandra.close_all()
    for change in changes:
        click.echo(change[0].upper() + change[1:] + ".")
    click.echo(f"Cassandra keyspace {settings.cassandra_keyspace} is up to date.")


@main.command("flush-jobs")
def flush_jobs() -> None:
    """Move jobs handed off to the database while Redis was unavailable into the Redis queue.

    Workers do this every minute by themselves; this is for doing it now.
    """
    from viewfinder.core.jobs import flush_handoff

    _settings()
    try:
        moved = flush_handoff()
    except Exception as exc:  # Redis or the database still unreachable: say so
        raise click.ClickException(f"The job queue cannot take them yet: {exc}") from exc
    click.echo(f"Moved {moved} handed-off job{'s' if moved != 1 else ''} into the queue.")


@main.group("dead-letters")
def dead_letters() -> None:
    """Jobs that gave up: list them, replay them once the cause is fixed, or discard them.

    A job gives up when its retries are spent on a failure that is not an outage (outages are
    retried until they end); its worker logged its name, arguments and reason once."""


def _dead_letter_ids(ids: tuple[int, ...], every: bool) -> list[int] | None:
    if every == bool(ids):
        raise click.UsageError("Name the dead letters by id, or give --all.")
    return None if every else list(ids)


@dead_letters.command("list")
def dead_letters_list() -> None:
    """Show every dead letter: id, when, the job and its arguments, tries, and why it gave up."""
    from viewfinder.core.jobs import configure, dead_letters

    configure(_settings())
    letters = dead_letters()
    if not letters:
        click.echo("No dead letters: no job has given up.")
        return
    for letter in letters:
        times = f" (gave up {letter.failures} times)" if letter.failures > 1 else ""
        click.echo(
            f"{letter.id:>6}  {letter.last_failed_at:%Y-%m-%d %H:%M:%S}  {letter.task}{letter.arguments}  "
            f"after {letter.attempts} tries{times}: {letter.reason}"
        )
    plural = "s" if len(letters) != 1 else ""
    click.echo(f"{len(letters)} dead letter{plural}; `viewfinder dead-letters replay ID` runs one again.")


@dead_letters.command("replay")
@click.argument("ids", nargs=-1, type=int)
@click.option("--all", "every", is_flag=True, help="Replay every dead letter.")
def dead_letters_replay(ids: tuple[int, ...], every: bool) -> None:
    """Enqueue dead letters again (with fresh retries) and remove them from the list."""
    from viewfinder.core.jobs import configure, load_tasks, replay_dead_letters

    chosen = _dead_letter_ids(ids, every)
    configure(_settings())
    load_tasks()
    try:
        replayed = replay_dead_letters(chosen)
    except Exception as exc:  # the queue (or the database) cannot take them: say so
        raise click.ClickException(f"The job queue cannot take them now: {exc}") from exc
    missing = sorted(set(chosen or ()) - set(replayed))
    click.echo(f"Queued {len(replayed)} job{'s' if len(replayed) != 1 else ''} again.")
    if missing:
        raise click.ClickException(f"No dead letter with id {', '.join(map(str, missing))}.")


@dead_letters.command("discard")
@click.argument("ids", nargs=-1, type=int)
@click.option("--all", "every", is_flag=True, help="Discard every dead letter.")
def dead_letters_discard(ids: tuple[int, ...], every: bool) -> None:
    """Remove dead letters without running them (their work is not wanted any more)."""
    from viewfinder.core.jobs import configure, discard_dead_letters

    chosen = _dead_letter_ids(ids, every)
    configure(_settings())
    removed = discard_dead_letters(chosen)
    click.echo(f"Discarded {removed} dead letter{'s' if removed != 1 else ''}.")


@main.command()
@click.option("--output", type=click.Path(dir_okay=False, writable=True), default="-", show_default=True)
def openapi(output: str) -> None:
    """Write the API's OpenAPI document (the web app's client types are generated from it)."""
    import tempfile
    from pathlib import Path

    from litestar.serialization import encode_json

    from viewfinder.app import create_app

    with tempfile.TemporaryDirectory() as scratch:
        app = create_app(Settings(env="development", data_dir=Path(scratch)))
        document = encode_json(app.openapi_schema.to_schema()).decode()
    with click.open_file(output, "w") as out:
        out.write(document + "\n")


@main.command()
def check() -> None:
    """Print the active configuration (secrets masked) and whether each backend is reachable."""
    from viewfinder.core.migrate import current_revision_is_head
    from viewfinder.mediakit.storage import storage_from_settings

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
        from viewfinder.core import crypto

        crypto.check(settings)
        report("encryption keys", True, f"root keys {', '.join(crypto.root_keys_of(settings))}")
    except Exception as exc:  # any failure is the thing to report
        report("encryption keys", False, str(exc))
    try:
        from viewfinder.core.jobs import huey

        report("job queue", True, f"{huey.pending_count()} jobs pending")
    except Exception as exc:  # any failure is the thing to report
        report("job queue", False, str(exc))
    with contextlib.suppress(Exception):  # a database that cannot be read is reported above
        from viewfinder.core.jobs import configure, dead_letters

        configure(settings)
        if letters := len(dead_letters()):
            click.echo(f"{'dead letters':32} warning  {letters} jobs gave up: `viewfinder dead-letters list`")
    if settings.smtp_host:
        try:
            from viewfinder.core.mail import check_connection

            report("mail (smtp)", True, asyncio.run(check_connection(settings)))
        except Exception as exc:  # any failure is the thing to report
            report("mail (smtp)", False, str(exc) or type(exc).__name__)
    else:
        for warning in settings.mail_warnings() or [
            "no SMTP server set (VIEWFINDER_SMTP_HOST): no email is sent"
        ]:
            click.echo(f"{'mail':32} warning  {warning}")
    if settings.redis_url:
        try:
            import redis

            from viewfinder.core.redis_client import sync_pool

            redis.Redis(connection_pool=sync_pool(settings.redis_url)).ping()
            report("redis", True, f"reachable (namespace {settings.redis_namespace})")
        except Exception as exc:  # any failure is the thing to report
            report("redis", False, str(exc))
    try:
        storage = storage_from_settings(settings)
        probe = "healthcheck/probe.txt"
        storage.put(probe, b"ok", "text/plain")
        ok = storage.get(probe) == b"ok"
        storage.delete(probe)
        report("media storage", ok, settings.resolved_media_base_url)
    except Exception as exc:  # any failure is the thing to report
        report("media storage", False, str(exc))
    on_cassandra = [
        name
        for name, backend in (("timelines", settings.timeline_backend), ("inboxes", settings.inbox_backend))
        if backend == "cassandra"
    ]
    if on_cassandra:
        label = f"{' and '.join(on_cassandra)} (cassandra)"
        try:
            from viewfinder.core import cassandra

            keyspace = cassandra.keyspace_of(settings)
            found = cassandra.connect(settings).cluster.metadata.keyspaces.get(keyspace)
            tables = {cassandra.table_of(statement, keyspace) for statement in cassandra.schema(keyspace)}
            ready = found is not None and tables <= set(found.tables)
            detail = f"keyspace {keyspace}" if ready else "reachable; run `viewfinder cassandra-migrate`"
            report(label, True, detail)
        except Exception as exc:  # any failure is the thing to report
            report(label, False, getattr(exc, "detail", "") or str(exc))
    if failures:
        sys.exit(1)

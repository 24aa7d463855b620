"""The job policy (issue 12, docs/decisions/0037), run for real: a job that keeps failing gives up
once, with one log line naming it, and becomes a dead letter that `viewfinder dead-letters` lists,
replays (a real worker then runs it) and discards; a job that meets an outage spends none of its
retries, waits it out with a capped doubling wait, and the outage is logged once when it starts
and once when it ends.

Retries are forced: each try is taken from the queue's schedule and run at once (as a consumer
would at its time), so the tests do not wait out the real delays.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
import pytest
from sqlalchemy import delete

from tests.feeds import timeline_of
from tests.helpers import make_post
from tests.mailbox import Recorder
from tests.stacks import as_environment, scale_overrides
from tests.test_cli import VIEWFINDER, environment, free_port, kill, wait_until
from viewfinder.core import jobs
from viewfinder.core.jobs import huey
from viewfinder.core.mail import MAIL_RETRIES, LocalMailServer, send_mail
from viewfinder.feeds import tasks as feed_tasks
from viewfinder.feeds.models import PostFanOut
from viewfinder.feeds.store import using_session
from viewfinder.settings import Settings
from viewfinder.wiring import timeline_store_factory

FAR_FUTURE = datetime.now(UTC).replace(tzinfo=None) + timedelta(days=365)
SEND_MAIL = "viewfinder.core.mail.send_mail"


def next_tries() -> list[Any]:
    """The jobs waiting in the schedule for a retry (taken out of it), whatever their time."""
    return list(huey.read_schedule(FAR_FUTURE))


def run_until_settled(job: Any, limit: int = 50) -> int:
    """Run a job, and each retry it schedules at once, until none is left; how many tries ran."""
    tries = 0
    pending = [job]
    while pending:
        for task in pending:
            huey.execute(task, FAR_FUTURE)  # as if its time had come
            tries += 1
        assert tries < limit, "the job never settled"
        pending = next_tries()
    return tries


def messages(caplog: pytest.LogCaptureFixture, text: str, level: int | None = None) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "viewfinder.core.jobs"
        and text in record.getMessage()
        and (level is None or record.levelno == level)
    ]


def forget_outages() -> None:
    for service in jobs.job_outages.down():
        jobs.job_outages.recovered(service)


@pytest.fixture
def stack(
    tmp_path: Path, migrated_database: Path, request: pytest.FixtureRequest
) -> Iterator[tuple[Settings, dict[str, str]]]:
    """Settings for this process and the environment for `viewfinder` subprocesses, both on the
    run's stack (the job queue is the data directory's SQLite file on either)."""
    data_dir = tmp_path / "var"
    data_dir.mkdir()
    shutil.copy(migrated_database, data_dir / "viewfinder.db")
    with scale_overrides(request.node.nodeid) as overrides:
        settings = Settings(env="test", data_dir=data_dir, jobs_immediate=True, **overrides)
        yield settings, environment(data_dir, **as_environment(overrides))


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(VIEWFINDER), *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_a_job_that_keeps_failing_becomes_a_dead_letter_to_list_replay_or_discard(
    stack: tuple[Settings, dict[str, str]], caplog: pytest.LogCaptureFixture
) -> None:
    settings, env = stack
    smtp_port = free_port()  # nothing listens there yet: every delivery is refused
    mail = {
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp_port,
        "smtp_security": "none",
        "smtp_timeout_seconds": 2.0,
    }
    jobs.configure(settings.model_copy(update=mail))
    huey.flush()
    forget_outages()
    caplog.set_level(logging.INFO, logger="viewfinder.core.jobs")
    try:
        # Two jobs that cannot succeed: each is tried 1 + MAIL_RETRIES times, then gives up.
        assert (
            run_until_settled(send_mail.s("kept@example.com", "Kept", "Delivered after the replay."))
            == MAIL_RETRIES + 1
        )
        assert (
            run_until_settled(send_mail.s("dropped@example.com", "Dropped", "Never delivered."))
            == MAIL_RETRIES + 1
        )
        letters = jobs.dead_letters()
    finally:
        jobs.configure(settings)
        huey.flush()

    assert [(letter.task, letter.attempts) for letter in letters] == [(SEND_MAIL, MAIL_RETRIES + 1)] * 2
    kept, dropped = letters
    assert "'kept@example.com'" in kept.arguments
    assert "'Kept'" in kept.arguments
    assert "'dropped@example.com'" in dropped.arguments
    assert kept.reason.startswith("SMTPConnectError"), kept.reason
    # Every retry is one line; giving up is one error line with the name, arguments and reason.
    assert len(messages(caplog, "kept@example.com', 'Kept'", logging.WARNING)) == MAIL_RETRIES
    gave_up = messages(caplog, "gave up", logging.ERROR)
    assert len(gave_up) == 2, gave_up
    assert f"{SEND_MAIL}('kept@example.com', 'Kept'" in gave_up[0]
    assert f"gave up after {MAIL_RETRIES + 1} tries: {kept.reason}" in gave_up[0]
    assert f"dead letter {kept.id}" in gave_up[0]

    # An operator sees them...
    listed = cli(env, "dead-letters", "list")
    assert listed.returncode == 0, listed.stderr
    for letter in letters:
        assert str(letter.id) in listed.stdout
        assert letter.task in listed.stdout
    assert "kept@example.com" in listed.stdout
    assert "dropped@example.com" in listed.stdout
    assert "SMTPConnectError" in listed.stdout
    assert "2 dead letters" in listed.stdout

    # ...discards the one not wanted any more...
    discarded = cli(env, "dead-letters", "discard", str(dropped.id))
    assert discarded.returncode == 0, discarded.stderr
    assert "Discarded 1 dead letter" in discarded.stdout
    assert [letter.id for letter in jobs.dead_letters()] == [kept.id]

    # ...and, the mail server running again, replays the other: a worker delivers it.
    received = Recorder()
    mail_server = LocalMailServer(received, hostname="127.0.0.1", port=smtp_port)
    mail_server.start()
    worker = None
    try:
        replayed = cli(env, "dead-letters", "replay", str(kept.id))
        assert replayed.returncode == 0, replayed.stderr
        assert jobs.dead_letters() == []
        worker_env = {**env, **{f"VIEWFINDER_{name.upper()}": str(value) for name, value in mail.items()}}
        worker = subprocess.Popen(
            [str(VIEWFINDER), "worker"], env=worker_env, start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        assert wait_until(lambda: bool(received.received), timeout=60)
    finally:
        if worker is not None:
            kill(worker.pid)
            worker.wait(timeout=10)
        mail_server.stop()
    assert [(message.recipients, message.subject) for message in received.received] == [
        (["kept@example.com"], "Kept")
    ]
    assert "No dead letters" in cli(env, "dead-letters", "list").stdout


async def test_an_outage_is_waited_out_without_spending_retries_and_logged_once_each_way(
    alice, bob, settings, db, caplog: pytest.LogCaptureFixture
) -> None:
    bob.post("/users/alice/follow")
    post = make_post(alice, "fanned out after the outage")["id"]
    # The post's fan-out has not happened yet: its job meets the outage.
    await timeline_store_factory(settings)(using_session(db)).remove_post(int(post))
    await db.execute(delete(PostFanOut).where(PostFanOut.post_id == int(post)))
    await db.commit()
    assert post not in await timeline_of(db, bob)

    cap = 8
    down = settings.model_copy(
        update={
            # A database server that is not there: every connection is refused.
            "database_url": f"postgresql+psycopg://viewfinder:none@127.0.0.1:{free_port()}/viewfinder",
            "job_retry_max_delay_seconds": cap,
        }
    )
    huey.flush()
    forget_outages()
    caplog.set_level(logging.INFO, logger="viewfinder.core.jobs")
    job = feed_tasks.fan_out_post.s(int(post))
    default_retries = job.retries
    waits = []
    jobs.configure(down)
    try:
        for _ in range(3 * (default_retries + 1)):  # far more tries than its retries
            before = datetime.now(UTC).replace(tzinfo=None)
            await anyio.to_thread.run_sync(huey.execute, job, FAR_FUTURE)
            [job] = next_tries()  # it waits for another try...
            assert job.retries == default_retries  # ...with none of its retries spent
            waits.append((job.eta - before).total_seconds())
    finally:
        jobs.configure(settings)
    assert jobs.dead_letters() == []
    # The wait doubles up to the cap, and stays there while the outage lasts.
    assert all(0 < wait <= cap + 1 for wait in waits), waits
    assert waits[-1] >= cap - 1, waits
    assert waits == sorted(waits, key=round), waits

    # The database is back: the next try fans the post out.
    await anyio.to_thread.run_sync(huey.execute, job, FAR_FUTURE)
    assert next_tries() == []
    assert post in await timeline_of(db, bob)
    assert post in await timeline_of(db, alice)
    assert jobs.dead_letters() == []

    started = messages(caplog, "is unavailable")
    ended = messages(caplog, "available again")
    assert len(started) == 1, started
    assert started[0].startswith("The database is unavailable (OperationalError"), started
    assert len(ended) == 1, ended
    assert ended[0].startswith("The database is available again after"), ended
    # No traceback, and no line per try, while it lasted.
    job_records = [record for record in caplog.records if record.name == "viewfinder.core.jobs"]
    assert [record for record in job_records if record.exc_info] == []
    assert len(job_records) == 2, [record.getMessage() for record in job_records]

"""Sending email (core.mail) against real SMTP servers: the message's shape, TLS that is asked for is
required, no server means nothing sent (and production warns), a failed delivery is retried later
by the job queue, and the development server keeps every message as a file."""

from __future__ import annotations

import asyncio
import logging
import mailbox
import re
import signal
import socket
import subprocess
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import parseaddr
from pathlib import Path

import aiosmtplib
import pytest

from tests.mailbox import MailServer, Received
from tests.test_cli import start, viewfinder
from viewfinder.core import jobs
from viewfinder.core.mail import (
    MAIL_RETRIES,
    Message,
    SmtpMailer,
    compose,
    deliver,
    mailer,
    send_mail,
    sender_address,
    start_mail_server,
)
from viewfinder.settings import ConfigurationError, Settings

GOOD_KEY = "k" * 40
MESSAGE = Message(
    to="dora@example.com",
    subject="Hello Dora",
    text="A line of text, and a link: https://example.com/x#token=abc",
    html="<p>A line of <b>HTML</b></p>",
)


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def sending_to(tmp_path: Path, server: MailServer, **changes: object) -> Settings:
    """Settings that send to the test server from a sender of this test's own (see `received_by`)."""
    values: dict[str, object] = {
        "env": "test",
        "data_dir": tmp_path,
        "smtp_host": "127.0.0.1",
        "smtp_port": server.port,
        "smtp_security": "none",
        "smtp_from": f"Viewfinder <{tmp_path.name}@testserver.local>",
        "smtp_timeout_seconds": 5.0,
        **changes,
    }
    return Settings.model_validate(values)


def received_by(server: MailServer, settings: Settings) -> list[Received]:
    """What the server received from these settings' sender."""
    return [m for m in server.received() if m.sender == parseaddr(settings.smtp_from or "")[1]]


def test_a_message_is_text_with_an_html_alternative_and_says_it_was_sent_by_a_machine():
    email = compose(MESSAGE, "Viewfinder <no-reply@example.com>")

    assert email["From"] == "Viewfinder <no-reply@example.com>"
    assert email["To"] == "dora@example.com"
    assert email["Subject"] == "Hello Dora"
    assert email["Auto-Submitted"] == "auto-generated"
    assert email["Message-ID"].endswith("@example.com>")
    assert email["Date"]
    assert email.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in email.iter_parts()] == ["text/plain", "text/html"]


def test_a_text_only_message_has_one_part():
    email = compose(Message(to="a@example.com", subject="s", text="only text"), "x@example.com")
    assert email.get_content_type() == "text/plain"


def test_the_sender_defaults_to_no_reply_at_the_public_host(tmp_path):
    settings = Settings(env="test", data_dir=tmp_path, public_url="https://photos.example.org")
    assert sender_address(settings) == "Viewfinder <no-reply@photos.example.org>"
    assert sender_address(settings.model_copy(update={"smtp_from": "Me <me@x.org>"})) == "Me <me@x.org>"


def test_the_smtp_client_delivers_both_parts_to_a_real_server(tmp_path, mail_server):
    settings = sending_to(tmp_path, mail_server)
    asyncio.run(SmtpMailer(settings).send(MESSAGE))

    [received] = received_by(mail_server, settings)
    assert received.recipients == ["dora@example.com"]
    assert received.subject == "Hello Dora"
    assert received.text.strip() == MESSAGE.text
    assert received.html is not None
    assert "<b>HTML</b>" in received.html


def test_starttls_that_the_server_does_not_offer_sends_nothing(tmp_path, mail_server):
    settings = sending_to(tmp_path, mail_server, smtp_security="starttls")

    with pytest.raises(aiosmtplib.SMTPException):
        asyncio.run(mailer(settings).send(MESSAGE))
    assert received_by(mail_server, settings) == []  # never in plain text when TLS was asked for


def test_without_a_server_nothing_is_sent_and_the_log_keeps_no_link(tmp_path, caplog):
    settings = Settings(env="test", data_dir=tmp_path)
    with caplog.at_level(logging.WARNING, logger="viewfinder.mail"):
        asyncio.run(mailer(settings).send(MESSAGE))

    assert "Hello Dora" in caplog.text
    assert "dora@example.com" in caplog.text
    assert "token=abc" not in caplog.text


def test_production_without_a_server_starts_but_warns(tmp_path, caplog):
    settings = Settings(env="production", data_dir=tmp_path, secret_key=GOOD_KEY)
    with caplog.at_level(logging.WARNING, logger="viewfinder.settings"):
        settings.check()
    assert "VIEWFINDER_SMTP_HOST is not set" in caplog.text
    assert Settings(env="development", data_dir=tmp_path).mail_warnings() == []


@pytest.mark.parametrize(
    ("host", "refused"), [("smtp.example.com", True), ("127.0.0.1", False), ("localhost", False)]
)
def test_production_sends_in_plain_text_only_to_this_machine(tmp_path, host, refused):
    settings = Settings(
        env="production", data_dir=tmp_path, secret_key=GOOD_KEY, smtp_host=host, smtp_security="none"
    )
    if refused:
        with pytest.raises(ConfigurationError, match="SMTP_SECURITY"):
            settings.check()
    else:
        settings.check()


def test_a_failed_delivery_is_retried_later_with_a_growing_delay(tmp_path, mail_server, caplog):
    settings = sending_to(tmp_path, mail_server, smtp_port=closed_port(), jobs_immediate=True)
    jobs.configure(settings)
    try:
        with caplog.at_level(logging.ERROR, logger="huey"):
            send_mail(MESSAGE.to, MESSAGE.subject, MESSAGE.text, MESSAGE.html)  # runs inline, fails
        assert received_by(mail_server, settings) == []
        [retry] = jobs.huey.read_schedule(datetime.now(UTC).replace(tzinfo=None) + timedelta(days=1))
        assert retry.name.endswith("send_mail")
        assert retry.retries == MAIL_RETRIES - 1
        assert (
            timedelta(seconds=25)
            < retry.eta - datetime.now(UTC).replace(tzinfo=None)
            <= timedelta(seconds=30)
        )
        assert retry.retry_delay == 60  # the next wait doubles

        settings.smtp_port = mail_server.port  # the server is back, and the time has come
        retry.eta = None
        jobs.huey.execute(retry)

        [received] = received_by(mail_server, settings)
        assert received.subject == "Hello Dora"
    finally:
        jobs.huey.read_schedule(datetime.now(UTC).replace(tzinfo=None) + timedelta(days=365))


def test_deliver_raises_when_the_server_is_away(tmp_path, mail_server):
    with pytest.raises((aiosmtplib.SMTPException, OSError)):
        deliver(MESSAGE, sending_to(tmp_path, mail_server, smtp_port=closed_port()))


# --- the development mail server --------------------------------------------------------------------


def maildir_messages(directory: Path) -> list[EmailMessage]:
    return [
        message_from_bytes(message.as_bytes(), policy=default_policy)
        for message in mailbox.Maildir(directory, create=False)
    ]


def test_the_development_server_keeps_each_message_as_a_file(tmp_path):
    directory = tmp_path / "mail"
    server = start_mail_server(directory, port=0)
    try:
        settings = Settings(
            env="development",
            data_dir=tmp_path,
            smtp_host="127.0.0.1",
            smtp_port=server.port,
            smtp_security="none",
        )
        deliver(MESSAGE, settings)
    finally:
        server.stop()

    [file] = list((directory / "new").iterdir())
    assert b"Hello Dora" in file.read_bytes()
    [message] = maildir_messages(directory)
    assert message["To"] == "dora@example.com"


def test_the_development_server_listens_on_this_machine_only(tmp_path):
    with pytest.raises(ValueError, match="this machine"):
        start_mail_server(tmp_path / "mail", host="0.0.0.0", port=0)  # noqa: S104 (refused, the point)


@pytest.mark.slow
def test_the_mail_server_command_files_what_it_receives_under_the_data_directory(tmp_path):
    data_dir = tmp_path / "var"
    server = start(data_dir, "mail-server", "--port", "0")
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        match = re.search(r"listening on 127\.0\.0\.1:(\d+); messages are written to (\S+)", line)
        assert match, line
        port, where = int(match.group(1)), Path(match.group(2))
        assert where == data_dir / "mail" / "new"
        settings = Settings(
            env="development", data_dir=data_dir, smtp_host="127.0.0.1", smtp_port=port, smtp_security="none"
        )
        deliver(MESSAGE, settings)
        [message] = maildir_messages(data_dir / "mail")
        assert message["Subject"] == "Hello Dora"
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.communicate(timeout=10)  # waits, and closes the pipes
        except subprocess.TimeoutExpired:
            server.kill()
            server.communicate()
            raise
    assert server.returncode == 0


def test_the_mail_server_command_refuses_other_addresses(tmp_path):
    result = viewfinder(tmp_path / "var", "mail-server", "--host", "0.0.0.0")  # noqa: S104 (refused)
    assert result.returncode != 0
    assert "this machine" in result.stderr


def test_check_reports_the_smtp_server(tmp_path, mail_server, migrated_database):
    reached = viewfinder(
        tmp_path / "var",
        "check",
        VIEWFINDER_SMTP_HOST="127.0.0.1",
        VIEWFINDER_SMTP_PORT=str(mail_server.port),
        VIEWFINDER_SMTP_SECURITY="none",
    )
    assert re.search(r"mail \(smtp\)\s+ok\s+127\.0\.0\.1:\d+ \(none\)", reached.stdout), reached.stdout
    away = viewfinder(
        tmp_path / "var",
        "check",
        VIEWFINDER_SMTP_HOST="127.0.0.1",
        VIEWFINDER_SMTP_PORT=str(closed_port()),
        VIEWFINDER_SMTP_SECURITY="none",
    )
    assert re.search(r"mail \(smtp\)\s+FAILED", away.stdout), away.stdout
    assert away.returncode == 1
    unset = viewfinder(tmp_path / "var", "check")
    assert re.search(r"mail\s+warning\s+no SMTP server set", unset.stdout), unset.stdout

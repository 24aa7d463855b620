"""Sending email: one message type, one way to send it, and a local SMTP server for development.

`Message` is what a domain writes (recipient, subject, plain text and a simple HTML alternative);
`mailer(settings).send(message)` delivers it through the SMTP server of the settings
(VIEWFINDER_SMTP_*, with aiosmtplib: STARTTLS, implicit TLS or, to a relay on this machine, plain),
or, when no server is set, logs that nothing was sent. Mail always leaves from a background job
(`send_mail` here, or a domain's own job that first makes a link's token), enqueued after the
transaction that asked for it committed: Huey retries a failed delivery with a growing delay.

Development: `viewfinder mail-server` (and `viewfinder serve` with VIEWFINDER_ENV=development and
no SMTP server set) runs an aiosmtpd server on 127.0.0.1 that keeps every message it receives as a
file in the Maildir data_dir/mail (one file per message under mail/new/). See
docs/decisions/0034-email.md.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

import aiosmtplib
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox

from viewfinder.core.jobs import current_settings, enqueue, huey
from viewfinder.settings import LOOPBACK_HOSTS, Settings

logger = logging.getLogger("viewfinder.mail")

DEVELOPMENT_MAIL_PORT = 8025
MAIL_RETRIES = 8
"""A delivery is tried again this many times, 30 s after the first failure and twice as long after
each next one (about two hours in all) before it is given up and logged."""


@dataclass(frozen=True)
class Message:
    """One email to one person: plain text, and the same in simple HTML for clients that prefer it."""

    to: str
    subject: str
    text: str
    html: str | None = None


class Mailer(Protocol):
    """Delivers a message, or raises (the job that called it is then retried)."""

    async def send(self, message: Message) -> None: ...


def sender_address(settings: Settings) -> str:
    """The From address: the setting, else "Viewfinder <no-reply@host of the public URL>"."""
    if settings.smtp_from:
        return settings.smtp_from
    host = urlsplit(settings.public_url).hostname or "localhost"
    return f"Viewfinder <no-reply@{host}>"


def compose(message: Message, sender: str) -> EmailMessage:
    """The message as MIME: text/plain, with text/html as an alternative when there is one."""
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.to
    email["Subject"] = message.subject
    email["Date"] = formatdate(usegmt=True)
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    email["Message-ID"] = make_msgid(domain=domain)
    # RFC 3834: sent by a machine, so vacation responders and the like do not answer it.
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(message.text)
    if message.html is not None:
        email.add_alternative(message.html, subtype="html")
    return email


class SmtpMailer:
    """Sends through the SMTP server of the settings, one connection per message."""

    def __init__(self, settings: Settings) -> None:
        assert settings.smtp_host, "SmtpMailer needs VIEWFINDER_SMTP_HOST"
        self.settings = settings

    async def send(self, message: Message) -> None:
        settings = self.settings
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        await aiosmtplib.send(
            compose(message, sender_address(settings)),
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username,
            password=password,
            use_tls=settings.smtp_security == "tls",
            start_tls=settings.smtp_security == "starttls",
            timeout=settings.smtp_timeout_seconds,
        )


async def check_connection(settings: Settings) -> str:
    """Connect to the SMTP server of the settings (TLS and log-in included) and leave; returns what
    was reached, or raises why not (for `viewfinder check`)."""
    assert settings.smtp_host, "no SMTP server is set"
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    client = aiosmtplib.SMTP(
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        use_tls=settings.smtp_security == "tls",
        start_tls=settings.smtp_security == "starttls",
        timeout=settings.smtp_timeout_seconds,
    )
    async with client:
        if settings.smtp_username and password is not None:
            await client.login(settings.smtp_username, password)
        await client.noop()
    server = f"{settings.smtp_host}:{settings.smtp_port} ({settings.smtp_security})"
    return f"{server}, from {sender_address(settings)}"


class UnsentMail:
    """No SMTP server is set: say, without the message's text (it may hold a link), what was not sent."""

    async def send(self, message: Message) -> None:
        logger.warning(
            "Email %r to %s was not sent: no SMTP server is set (VIEWFINDER_SMTP_HOST).",
            message.subject,
            message.to,
        )


def mailer(settings: Settings) -> Mailer:
    """The way these settings send mail."""
    return SmtpMailer(settings) if settings.smtp_host else UnsentMail()


def deliver(message: Message, settings: Settings | None = None) -> None:
    """Send a message from a job (a worker thread, with no event loop); raises when it was not sent."""
    asyncio.run(mailer(settings or current_settings()).send(message))


@huey.task(retries=MAIL_RETRIES, retry_delay=30, retry_backoff=2)  # type: ignore[untyped-decorator]  # Huey is untyped
def send_mail(to: str, subject: str, text: str, html: str | None = None) -> None:
    """Deliver a message that holds nothing secret (notices, alerts). Messages with a link that
    acts on the account are sent by the job that makes the link's token, so no token sits in the queue."""
    deliver(Message(to=to, subject=subject, text=text, html=html))


async def enqueue_mail(message: Message) -> None:
    """Queue a message without secrets for `send_mail`; call it after the transaction committed."""
    await enqueue(send_mail, message.to, message.subject, message.text, message.html)


# --- the development mail server -----------------------------------------------------------------


class LocalMailServer(Controller):
    """aiosmtpd's threaded server; port 0 takes any free port (read `port` once started)."""

    def _trigger_server(self) -> None:
        if self.port == 0 and isinstance(self.server, asyncio.Server):
            self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]


def mail_directory(settings: Settings) -> Path:
    return settings.data_dir / "mail"


def start_mail_server(
    directory: Path, *, host: str = "127.0.0.1", port: int = DEVELOPMENT_MAIL_PORT
) -> LocalMailServer:
    """Start, in a thread, an SMTP server on host:port that files every message it receives in the
    Maildir `directory` (mail/new/<one file per message>). Loopback only: it relays nothing and asks
    for no password. Stop it with `.stop()`."""
    if host not in LOOPBACK_HOSTS:
        raise ValueError("the development mail server listens on this machine only (127.0.0.1)")
    for folder in ("tmp", "new", "cur"):  # a Maildir (mailbox.Maildir makes these only in a new folder)
        (directory / folder).mkdir(parents=True, exist_ok=True)
    server = LocalMailServer(Mailbox(directory), hostname=host, port=port)
    server.start()
    return server


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True

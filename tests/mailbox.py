"""A real SMTP server for the tests, and the mailbox one test reads.

`MailServer` is aiosmtpd on a free 127.0.0.1 port, one per test process (the `mail_server` fixture).
A test that asks for the `mailbox` fixture gets settings that send there through the app's own SMTP
client (aiosmtplib), from a sender address of its own, so its `Mailbox` holds exactly what its app
sent: jobs run inline in tests, so a message is in the mailbox when the request that queued it
returns.
"""

from __future__ import annotations

import email
import re
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import parseaddr
from typing import Any, cast
from urllib.parse import urlsplit

from aiosmtpd.smtp import SMTP, Envelope, Session

from viewfinder.core.mail import LocalMailServer
from viewfinder.settings import Settings

LINK = re.compile(r"https?://[^\s<>\"']+")


@dataclass(frozen=True)
class Received:
    """One message as the server received it."""

    sender: str
    recipients: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def to(self) -> str:
        return str(self.message["To"])

    def part(self, subtype: str) -> str | None:
        body = self.message.get_body(preferencelist=(subtype,))
        return None if body is None else cast(EmailMessage, body).get_content()

    @property
    def text(self) -> str:
        text = self.part("plain")
        assert text is not None, "the message has no text/plain part"
        return text

    @property
    def html(self) -> str | None:
        return self.part("html")

    def links(self) -> list[str]:
        return LINK.findall(self.text)

    def link(self, path: str) -> str:
        """The one link of the text to this web-app path."""
        found = {url for url in self.links() if urlsplit(url).path == path}
        assert len(found) == 1, f"expected one link to {path} in:\n{self.text}"
        return found.pop()

    def token(self, path: str) -> str:
        """The token a link to this path carries (in its fragment: #token=...)."""
        fragment = urlsplit(self.link(path)).fragment
        assert fragment.startswith("token="), fragment
        return fragment.removeprefix("token=")


class Recorder:
    """aiosmtpd handler keeping every message in memory."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or envelope.content
        assert isinstance(content, bytes)
        message = email.message_from_bytes(content, policy=default_policy)
        received = Received(str(envelope.mail_from), [str(to) for to in envelope.rcpt_tos], message)
        with self.lock:
            self.received.append(received)
        return "250 Message accepted for delivery"


class MailServer:
    """An SMTP server on a free loopback port that keeps what it receives."""

    def __init__(self) -> None:
        self.recorder = Recorder()
        self.server = LocalMailServer(self.recorder, hostname="127.0.0.1", port=0)

    @classmethod
    @contextmanager
    def running(cls) -> Iterator[MailServer]:
        server = cls()
        server.server.start()
        try:
            yield server
        finally:
            server.server.stop()

    @property
    def port(self) -> int:
        return int(self.server.port)

    def settings_for(self) -> dict[str, Any]:
        """Settings that send here, from a sender address of this test's own."""
        sender = f"test-{uuid.uuid4().hex[:16]}@testserver.local"  # one per test: its mailbox is by sender
        return {
            "smtp_host": "127.0.0.1",
            "smtp_port": self.port,
            "smtp_security": "none",
            "smtp_from": f"Viewfinder <{sender}>",
            "smtp_timeout_seconds": 5.0,
        }

    def received(self) -> list[Received]:
        with self.recorder.lock:
            return list(self.recorder.received)


class Mailbox:
    """The messages one test's app sent (by their envelope sender)."""

    def __init__(self, server: MailServer, settings: Settings) -> None:
        assert settings.smtp_from, "the mailbox fixture's settings name a sender"
        self.server = server
        self.sender = parseaddr(settings.smtp_from)[1]
        self.seen = 0

    def messages(self, to: str | None = None) -> list[Received]:
        """Every message sent, oldest first (to one address, if given)."""
        mine = [m for m in self.server.received() if m.sender == self.sender]
        return [m for m in mine if to is None or to.lower() in (r.lower() for r in m.recipients)]

    def new(self, to: str | None = None) -> list[Received]:
        """The messages sent since the last call to `new` (or `only`)."""
        every = self.messages()
        fresh, self.seen = every[self.seen :], len(every)
        return [m for m in fresh if to is None or to.lower() in (r.lower() for r in m.recipients)]

    def only(self, to: str | None = None, *, timeout: float = 2.0) -> Received:
        """The one new message (to this address): fails when there is none or more than one."""
        deadline = time.monotonic() + timeout
        while not self.messages()[self.seen :] and time.monotonic() < deadline:
            time.sleep(0.02)
        fresh = self.new()
        assert len(fresh) == 1, f"expected one new message, got {[(m.recipients, m.subject) for m in fresh]}"
        if to is not None:
            assert [r.lower() for r in fresh[0].recipients] == [to.lower()], fresh[0].recipients
        return fresh[0]

    def nothing_new(self) -> None:
        fresh = self.new()
        assert not fresh, f"expected no new message, got {[(m.recipients, m.subject) for m in fresh]}"

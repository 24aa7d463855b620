"""A ban closes the account's open real-time streams (a real server, a real SSE stream, the ban made
in another process as a staff request or job would)."""

from __future__ import annotations

import subprocess
import sys
import threading

import httpx
import pytest

from tests.notifications.test_realtime import API, Stream, _read_quietly, running_server  # noqa: F401
from tests.test_cli import environment

BAN_FROM_ANOTHER_PROCESS = """
import sys
from sqlalchemy import select
from viewfinder.accounts.models import User
from viewfinder.core.jobs import run_with_db
from viewfinder.moderation.enforcement import apply_account_action
from viewfinder.settings import get_settings
from viewfinder.wiring import build_backends

build_backends(get_settings()).install()  # as a web or worker process's start-up does

async def work(db):
    user = await db.scalar(select(User).where(User.id == int(sys.argv[1])))
    await apply_account_action(db, user, "ban")
    await db.commit()

run_with_db(work)
"""


@pytest.mark.slow
def test_a_ban_ends_the_accounts_open_stream_and_it_cannot_reconnect(running_server):  # noqa: F811
    base = running_server.base
    (ivy,) = running_server.sign_up("ivy")
    headers = {"authorization": f"Bearer {ivy.token}"}
    stream, opened = Stream(), threading.Event()
    reader = threading.Thread(target=_read_quietly, args=(base, headers, stream, opened), daemon=True)
    reader.start()
    assert opened.wait(10), "the stream did not open"
    assert stream.next_of("unread").data["unread"] == 0

    banned = subprocess.run(
        [sys.executable, "-c", BAN_FROM_ANOTHER_PROCESS, ivy.id],
        env=environment(running_server.data_dir, **running_server.stack),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert banned.returncode == 0, banned.stderr
    assert stream.next_of("signed_out").data == {"type": "signed_out"}
    reader.join(timeout=5)
    assert not reader.is_alive(), "the server kept the stream open"
    with httpx.Client(base_url=base) as client:
        again = client.get(f"{API}/notifications/stream", headers=headers)
    assert again.status_code == 401
    assert again.json()["error"]["code"] == "invalid_token"

"""PostgreSQL restarted under a running app: requests meanwhile get a 503, then the pool reconnects.

The server restarted here is a private one (its own folder and port, started by the same
scripts/services/postgres), so the other test processes sharing the suite's server never see it go.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.faults import PrivateService, started
from tests.helpers import assert_error, dedicated_api, make_post
from tests.stacks import SCALE, postgres
from tests.test_cli import free_port
from viewfinder.core.migrate import upgrade
from viewfinder.settings import Settings

pytestmark = pytest.mark.skipif(
    not (SCALE and postgres.server_url() is not None),
    reason="a fault test of the scale stack: it needs PostgreSQL (scripts/services/postgres)",
)


class PrivateServer(PrivateService):
    """A PostgreSQL server of this test's own."""

    def __init__(self) -> None:
        super().__init__("postgres", VIEWFINDER_POSTGRES_PORT=str(free_port()))
        # Readable by the `postgres` OS user the script runs the server as when the tests run as root.
        os.chmod(self.services_dir, 0o755)  # noqa: S103 (a folder of a test server, nothing secret)

    @property
    def url(self) -> str:
        return self.script("env").strip().removeprefix("export VIEWFINDER_DATABASE_URL=")


@pytest.fixture
def server() -> Iterator[PrivateServer]:
    with started(PrivateServer()) as private:
        yield private


def test_a_restarted_server_loses_nothing_and_the_pool_reconnects(
    server: PrivateServer, settings: Settings
) -> None:
    upgrade(server.url)
    with dedicated_api(settings, database_url=server.url) as alice:
        alice.signup("alice")
        post = make_post(alice, "written before the restart")

        server.script("stop")
        try:
            # Meanwhile: a 503 in the API's error shape, never a 500.
            assert_error(alice.get(f"/posts/{post['id']}"), 503, "unavailable")
            assert_error(alice.patch("/accounts/me", json={"bio": "lost?"}), 503, "unavailable")
        finally:
            server.script("start")

        # The very next requests succeed: pooled connections to the old server are replaced.
        assert alice.get(f"/posts/{post['id']}").json()["caption"] == "written before the restart"
        assert alice.patch("/accounts/me", json={"bio": "after"}).status_code == 200
        make_post(alice, "written after the restart")
        captions = [item["caption"] for item in alice.get("/feed").json()["items"]]
        assert captions == ["written after the restart", "written before the restart"]

"""Session and API-token look-ups are cached for a moment and dropped at once in every web process
(viewfinder/accounts/authcache.py, docs/decisions/0042-auth-cache.md).

Two apps over the same settings stand for two web processes (embedded: `viewfinder serve` runs
one per core; at scale, many hosts). A person's look-up is warmed in process B; a change made
through process A shows on B's very next request.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import BASE_URL, PASSWORD, Api
from viewfinder.accounts import services
from viewfinder.accounts.authcache import AuthCache, Loaded, RedisEpochs
from viewfinder.app import API_PREFIX, create_app
from viewfinder.core.redis_client import async_client
from viewfinder.settings import Settings


class ProcessB:
    """A second web process (its own app, cache and database pool) over the same settings."""

    def __init__(self, app: Litestar, server: TestClient[Litestar]) -> None:
        self.app = app
        self.server = server

    def __call__(self, api: Api) -> Api:
        """This person's client (their cookies, as a browser whose requests a load balancer sends
        to either process) talking to process B."""
        client = TestClient(self.app, base_url=BASE_URL)
        client.blocking_portal = self.server.blocking_portal
        client.cookies.update(api.client.cookies)
        return Api(client, username=api.username, csrf_token=api.csrf_token, me=api.me)


@pytest.fixture
def process_b(settings: Settings, server: TestClient[Litestar]) -> Iterator[ProcessB]:
    app_b = create_app(settings)
    with TestClient(app_b, base_url=BASE_URL) as server_b:
        yield ProcessB(app_b, server_b)


@contextmanager
def statements(app: Litestar) -> Iterator[list[str]]:
    """The SQL statements the app runs inside the block."""
    seen: list[str] = []
    engine = app.state.engine.sync_engine

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _looks_up_session(seen: list[str]) -> bool:
    return any("FROM user_sessions" in statement for statement in seen)


def _looks_up_token(seen: list[str]) -> bool:
    return any("FROM api_tokens" in statement for statement in seen)


def _warm(api_b: Api, app_b: Litestar) -> None:
    """Two reads in B: the first loads the look-up, the second must come from B's cache."""
    assert api_b.get("/feed").status_code == 200
    with statements(app_b) as seen:
        assert api_b.get("/feed").status_code == 200
    assert not _looks_up_session(seen), "the second request should not look the session up"


def test_a_cached_viewer_costs_no_look_up_query(alice, app, count_queries):
    alice.get("/feed")
    with count_queries() as log:
        assert alice.get("/feed").status_code == 200
    assert not _looks_up_session(log.statements)
    assert len(app.state.auth_cache) == 1


def test_a_log_out_in_one_process_refuses_the_session_in_another_at_once(alice, process_b):
    alice_b = process_b(alice)
    _warm(alice_b, process_b.app)

    assert alice.post("/accounts/logout").status_code == 204

    assert alice_b.get("/accounts/me").status_code == 401
    assert alice_b.post("/posts", json={"caption": "still me?"}).status_code == 401


def test_a_session_ended_remotely_is_refused_at_once(alice, make_api, process_b):
    phone = make_api()
    response = phone.post("/accounts/login", json={"login": "alice", "password": PASSWORD})
    assert response.status_code == 200, response.text
    phone.csrf_token = response.json()["csrf_token"]
    phone_b = process_b(phone)
    _warm(phone_b, process_b.app)
    sessions = alice.get("/accounts/sessions").json()
    (lost,) = [session for session in sessions if not session["current"]]

    assert alice.delete(f"/accounts/sessions/{lost['id']}").status_code == 204

    assert phone_b.get("/accounts/me").status_code == 401


def test_a_revoked_api_token_is_refused_at_once(alice, make_api, process_b):
    created = alice.post("/accounts/tokens", json={"name": "script"})
    assert created.status_code == 201, created.text
    bearer = {"authorization": f"Bearer {created.json()['secret']}"}
    script_b = process_b(make_api())
    assert script_b.get("/accounts/me", headers=bearer).status_code == 200
    with statements(process_b.app) as seen:
        assert script_b.get("/accounts/me", headers=bearer).status_code == 200
    assert not _looks_up_token(seen)

    token_id = created.json()["token"]["id"]
    assert alice.delete(f"/accounts/tokens/{token_id}").status_code == 204

    refused = script_b.get("/accounts/me", headers=bearer)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "invalid_token"


def test_a_password_change_refuses_other_sessions_and_tokens_at_once(alice, make_api, process_b):
    created = alice.post("/accounts/tokens", json={"name": "script"})
    bearer = {"authorization": f"Bearer {created.json()['secret']}"}
    laptop = make_api()
    response = laptop.post("/accounts/login", json={"login": "alice", "password": PASSWORD})
    laptop.csrf_token = response.json()["csrf_token"]
    laptop_b = process_b(laptop)
    script_b = process_b(make_api())
    _warm(laptop_b, process_b.app)
    assert script_b.get("/accounts/me", headers=bearer).status_code == 200
    assert script_b.get("/accounts/me", headers=bearer).status_code == 200

    changed = alice.post(
        "/accounts/password", json={"current_password": PASSWORD, "new_password": "another long passphrase"}
    )
    assert changed.status_code == 204, changed.text

    assert laptop_b.get("/accounts/me").status_code == 401
    assert script_b.get("/accounts/me", headers=bearer).status_code == 401
    # The session that changed it stays, in both processes.
    assert process_b(alice).get("/accounts/me").status_code == 200


def test_deactivating_refuses_every_session_at_once(alice, process_b):
    alice_b = process_b(alice)
    _warm(alice_b, process_b.app)

    assert alice.post("/accounts/me/deactivate").status_code == 204

    assert alice_b.get("/accounts/me").status_code == 401
    assert alice_b.get("/feed").status_code == 401


def test_a_new_display_name_shows_in_the_other_process_at_once(alice, process_b):
    alice_b = process_b(alice)
    _warm(alice_b, process_b.app)

    assert alice.patch("/accounts/me", json={"display_name": "Alice Liddell"}).status_code == 200

    with statements(process_b.app) as seen:
        me = alice_b.get("/accounts/me")
    assert me.json()["profile"]["display_name"] == "Alice Liddell"
    assert _looks_up_session(seen), "B's cached look-up should have been dropped"
    # B caches the new row: its next request looks nothing up.
    time.sleep(1.1)  # past the guard against a bump racing a look-up (0.1 s; 1 s with Redis)
    alice_b.get("/feed")
    with statements(process_b.app) as seen:
        assert alice_b.get("/feed").status_code == 200
    assert not _looks_up_session(seen)


@pytest.fixture
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    if request.node.name.startswith("test_sudo_mode"):
        return settings.model_copy(update={"reauthentication_seconds": 3})
    return settings


def test_sudo_mode_entered_in_one_process_holds_in_the_other_at_once(alice, process_b):
    alice_b = process_b(alice)
    _warm(alice_b, process_b.app)
    time.sleep(3.1)  # the sign-up's proof of the password is no longer recent
    refused = alice_b.post("/accounts/tokens", json={"name": "script"})
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "reauthentication_required"

    assert alice.post("/accounts/reauthenticate", json={"password": PASSWORD}).status_code == 200

    assert alice_b.post("/accounts/tokens", json={"name": "script"}).status_code == 201


def test_a_bad_token_or_cookie_is_never_cached(anon, app):
    for _ in range(2):
        response = anon.get("/accounts/me", headers={"authorization": "Bearer vf_not-a-token"})
        assert response.status_code == 401
    anon.client.cookies.set("vf_session", "not-a-session")
    for _ in range(2):
        assert anon.get("/accounts/me").status_code == 401
    assert len(app.state.auth_cache) == 0


def test_an_expired_session_is_not_served_from_the_cache(alice, app):
    """The session's own end is checked on every hit, not only the cache's few seconds."""
    alice.get("/feed")
    (entry,) = app.state.auth_cache._entries.values()
    object.__setattr__(entry, "session_expires_at", entry.session_expires_at.replace(year=2000))
    with statements(app) as seen:
        assert alice.get("/feed").status_code == 200  # the database has the session's real end
    assert _looks_up_session(seen)


def test_writes_with_a_cached_session_still_need_the_csrf_header(alice, process_b):
    alice_b = process_b(alice)
    _warm(alice_b, process_b.app)
    refused = alice_b.client.post(API_PREFIX + "/posts", json={"caption": "forged"})
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "csrf_failed"


async def test_a_redis_outage_makes_every_look_up_a_miss(settings, db):
    """At scale the epochs live in Redis; when it cannot be read, nothing is trusted from the cache
    or kept in it (the database answers every time), and Redis is not asked again at once."""
    user = await services.signup(db, username="alice", email="alice@example.com", password=PASSWORD)
    new = await services.start_session(db, user, max_age_seconds=3600)
    down = settings.model_copy(update={"store_backend": "redis", "redis_url": "redis://127.0.0.1:9/0"})
    client = async_client(down)
    try:
        epochs = RedisEpochs(down, client)
        cache = AuthCache(epochs, seconds=30, guard_seconds=0)
        loads: list[str] = []

        async def load(session: AsyncSession, token: str) -> Loaded | None:
            loads.append(token)
            return await services.resolve_session(session, token)

        for _ in range(2):
            found = await cache.resolve(db, "session:alice", new.token, load)
            assert found is not None
            assert found[1].id == user.id
        assert len(loads) == 2
        assert len(cache) == 0
        assert epochs.outage.down
        assert epochs.outage.skipping()
    finally:
        await client.aclose()

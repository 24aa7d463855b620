"""Limits on log-in attempts (per account and address, per address, and a per-account slow-down that
nobody can turn into a lock-out), counted before the password is hashed so parallel attempts cannot
slip past; sign-ups per address and token creation per account."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from litestar import Litestar

from tests.conftest import PASSWORD, Api
from tests.database import connect
from tests.helpers import assert_error, dedicated_api

WINDOW = 15 * 60
WRONG = "definitely not the password"


def accept_test_peers(app: Litestar) -> None:
    """Let a request name its peer address in an X-Test-Peer header, as if sent from that machine.

    The test client always connects from one address ("testclient"); this stands in for many people
    (or one attacker with many addresses) without touching how the app reads the address.
    """
    inner = app.asgi_handler
    if getattr(inner, "accepts_test_peers", False):
        return

    async def handler(scope: Any, receive: Any, send: Any) -> None:
        for name, value in scope["headers"]:
            if name == b"x-test-peer":
                scope["client"] = (value.decode(), 50000)
        await inner(scope, receive, send)

    handler.accepts_test_peers = True  # type: ignore[attr-defined]
    app.asgi_handler = handler


@pytest.fixture
def peers(app):
    accept_test_peers(app)


def login(api, who: str, password: str, peer: str | None = None):
    headers = {"x-test-peer": peer} if peer else {}
    return api.post("/accounts/login", json={"login": who, "password": password}, headers=headers)


def assert_rate_limited(response, at_most: int = WINDOW) -> int:
    assert_error(response, 429, "rate_limited")
    retry_after = response.headers["retry-after"]
    assert retry_after.isdigit(), retry_after
    assert 0 < int(retry_after) <= at_most, retry_after
    return int(retry_after)


def in_parallel(make_api: Callable[[], Api], count: int, send: Callable[[Api, int], Any]) -> list[int]:
    """Send `count` requests at once, each from its own client (thread); their status codes."""
    clients = [make_api() for _ in range(count)]
    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(lambda index: send(clients[index], index).status_code, range(count)))


def failed_logins_logged(settings, username: str = "alice") -> int:
    with connect(settings) as rows:
        [(count,)] = rows.execute(
            "SELECT count(*) FROM security_events JOIN users ON users.id = security_events.user_id "
            "WHERE users.username_key = ? AND security_events.kind = 'login_failed'",
            username,
        )
    return int(count)


# --- Per account and address: the hard limit ---------------------------------------------------


def test_eleventh_attempt_from_one_address_is_refused_even_with_the_right_password(alice, anon):
    for _ in range(10):
        assert_error(login(anon, "alice", WRONG), 401, "invalid_credentials")
    assert_rate_limited(login(anon, "alice", PASSWORD))
    assert "vf_session" not in anon.client.cookies


def test_the_limit_counts_the_username_and_email_together(alice, anon):
    for attempt in range(10):
        who = "alice" if attempt % 2 else "ALICE@example.com"
        assert_error(login(anon, who, WRONG), 401, "invalid_credentials")
    assert_rate_limited(login(anon, "alice@example.com", PASSWORD))
    assert_rate_limited(login(anon, "Alice", PASSWORD))


def test_forty_parallel_wrong_passwords_let_at_most_the_limit_through(alice, make_api, settings):
    """The counter used to be read, the password hashed, then the counter written: 34 of 40 got
    through. Now each attempt is counted atomically before hashing."""
    statuses = in_parallel(make_api, 40, lambda api, _: login(api, "alice", WRONG))

    assert statuses.count(401) == settings.login_failure_limit, statuses
    assert statuses.count(429) == 40 - settings.login_failure_limit, statuses
    assert failed_logins_logged(settings) == settings.login_failure_limit


def test_forty_parallel_wrong_passwords_from_forty_addresses_are_slowed_to_a_trickle(
    alice, make_api, settings, peers
):
    statuses = in_parallel(make_api, 40, lambda api, i: login(api, "alice", WRONG, peer=f"192.0.2.{i}"))

    # The free attempts, then one per delay: the rest wait.
    # (Two per burst at most: one more if the burst outlasts the first delay on a busy machine.)
    assert 1 <= statuses.count(401) <= settings.login_account_free_failures + 2, statuses
    assert statuses.count(401) + statuses.count(429) == 40, statuses


def test_a_success_clears_the_pair_counter(alice, anon):
    for _ in range(9):
        assert_error(login(anon, "alice", WRONG), 401, "invalid_credentials")
    assert login(anon, "alice", PASSWORD).status_code == 200
    # Without the reset the tenth failure would be the last allowed and the next log-in refused.
    for _ in range(9):
        assert_error(login(anon, "alice", WRONG), 401, "invalid_credentials")
    assert login(anon, "alice", PASSWORD).status_code == 200


# --- Per account: a slow-down, never a lock-out -------------------------------------------------


def test_failures_from_many_addresses_do_not_lock_the_owner_out(alice, bob, anon, peers):
    """Anyone could lock a chosen account for 15 minutes by failing 10 times from 10 addresses."""
    for attempt in range(10):
        response = login(anon, "alice", WRONG, peer=f"198.51.100.{attempt}")
        assert response.status_code in (401, 429), response.text
    # The owner, from the address they signed up from, logs in at once.
    assert login(anon, "alice", PASSWORD).status_code == 200
    # Other accounts, from a fresh address, are unaffected.
    assert login(anon, "bob", PASSWORD, peer="198.51.100.200").status_code == 200


def test_after_many_failures_a_new_address_waits_a_few_seconds_not_a_window(settings):
    with dedicated_api(settings, login_account_delay_max_seconds=2) as owner:
        accept_test_peers(owner.client.app)
        owner.signup("alice")
        owner.client.cookies.clear()
        attacker = Api(owner.client)
        for attempt in range(10):
            response = login(attacker, "alice", WRONG, peer=f"198.51.100.{attempt}")
            assert response.status_code in (401, 429), response.text
        # The attacker keeps going, and has just been let through to try one more password.
        while login(attacker, "alice", WRONG, peer="198.51.100.99").status_code != 401:
            time.sleep(0.2)

        # The owner on a new network is at most asked to wait a moment, never 15 minutes...
        response = login(owner, "alice", PASSWORD, peer="203.0.113.77")
        if response.status_code == 429:  # (unless hashing took longer than the delay)
            wait = assert_rate_limited(response, at_most=2)
            assert f"Wait {wait} seconds" in response.json()["error"]["message"]
            time.sleep(wait)
            response = login(owner, "alice", PASSWORD, peer="203.0.113.77")
        # ...and then in.
        assert response.status_code == 200, response.text


def test_past_the_free_failures_unknown_addresses_get_one_attempt_per_delay(
    alice, make_api, anon, settings, peers
):
    free = settings.login_account_free_failures
    for index in range(free):
        assert_error(login(anon, "alice", WRONG, peer=f"192.0.2.{index}"), 401, "invalid_credentials")

    refused: list[str] = []

    def attempt(api: Api, index: int) -> Any:
        response = login(api, "alice", WRONG, peer=f"192.0.2.{100 + index}")
        if response.status_code == 429:
            refused.append(response.headers["retry-after"])
        return response

    statuses = in_parallel(make_api, 10, attempt)
    assert statuses.count(401) in (1, 2), statuses  # one per delay (two if the burst outlasts one)
    assert statuses.count(429) == 10 - statuses.count(401), statuses
    assert all(1 <= int(seconds) <= settings.login_account_delay_max_seconds for seconds in refused), refused
    assert failed_logins_logged(settings) == free + statuses.count(401)


# --- Per address, across accounts ---------------------------------------------------------------


def test_failures_over_many_accounts_from_one_address_hit_the_address_limit(settings):
    with dedicated_api(settings, login_address_failure_limit=8) as api:
        accept_test_peers(api.client.app)
        for name in ("alice", "bob", "carol"):
            api.client.cookies.clear()
            api.signup(name)
        api.client.cookies.clear()
        names = ["alice", "bob", "nobody", "ghost@example.com"]
        for attempt in range(8):
            response = login(api, names[attempt % 4], WRONG, peer="203.0.113.9")
            assert_error(response, 401, "invalid_credentials")
        # carol never failed, yet this address is refused...
        assert_rate_limited(login(api, "carol", PASSWORD, peer="203.0.113.9"))
        # ...while carol, and alice with two failures, log in from elsewhere.
        assert login(api, "carol", PASSWORD, peer="203.0.113.10").status_code == 200
        assert login(api, "alice", PASSWORD, peer="203.0.113.11").status_code == 200


def test_a_success_gives_back_its_count_but_failures_stay(settings):
    with dedicated_api(settings, login_address_failure_limit=10) as api:
        api.signup("bob")
        api.client.cookies.clear()
        api.signup("alice")
        api.client.cookies.clear()
        for _ in range(9):
            assert_error(login(api, "bob", WRONG), 401, "invalid_credentials")
        assert login(api, "alice", PASSWORD).status_code == 200
        assert_error(login(api, "bob", WRONG), 401, "invalid_credentials")
        assert_rate_limited(login(api, "alice", PASSWORD))


# --- Sign-ups and tokens --------------------------------------------------------------------------


def test_signups_from_one_address_are_limited(settings):
    with dedicated_api(settings, signup_limit_per_ip=3) as api:
        for name in ("one", "two", "three"):
            body = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
            assert api.post("/accounts/signup", json=body).status_code == 201
        body = {"username": "four", "email": "four@example.com", "password": PASSWORD}
        response = api.post("/accounts/signup", json=body)
        assert_error(response, 429, "rate_limited")
        assert int(response.headers["retry-after"]) > 0
        assert_error(api.get("/users/four"), 404, "not_found")


def test_token_creation_is_limited_per_account(settings):
    with dedicated_api(settings, token_creation_limit=2) as alice:
        alice.signup("alice")
        assert alice.post("/accounts/tokens", json={"name": "one"}).status_code == 201
        assert alice.post("/accounts/tokens", json={"name": "two"}).status_code == 201
        response = alice.post("/accounts/tokens", json={"name": "three"})
        assert_error(response, 429, "rate_limited")
        assert int(response.headers["retry-after"]) > 0
        assert [t["name"] for t in alice.get("/accounts/tokens").json()] == ["two", "one"]

        alice.client.cookies.clear()  # the same browser, now used by bob
        bob = Api(alice.client).signup("bob")
        assert bob.post("/accounts/tokens", json={"name": "mine"}).status_code == 201


def test_a_file_store_limits_log_ins_too(settings):
    """The file store is the one several processes share; its counters are atomic across them."""
    with dedicated_api(settings, store_backend="file") as api:
        api.signup("alice")
        api.client.cookies.clear()
        for _ in range(10):
            assert_error(login(api, "alice", WRONG), 401, "invalid_credentials")
        assert_rate_limited(login(api, "alice", PASSWORD))

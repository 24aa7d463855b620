"""Rate limits on log-in failures (per account and per IP), sign-ups per IP and token creation."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD, Api
from tests.helpers import assert_error, dedicated_api

WINDOW = 15 * 60
WRONG = "definitely not the password"


@pytest.fixture
def peers(app):
    """Let a request name its peer address in an X-Test-Peer header, as if sent from that machine.

    The test client always connects from one address; this stands in for many people (or one
    attacker with many addresses) without touching how the app reads the address.
    """
    inner = app.asgi_handler

    async def handler(scope, receive, send):
        for name, value in scope["headers"]:
            if name == b"x-test-peer":
                scope["client"] = (value.decode(), 50000)
        await inner(scope, receive, send)

    app.asgi_handler = handler


def login(api, who: str, password: str, peer: str | None = None):
    headers = {"x-test-peer": peer} if peer else {}
    return api.post("/accounts/login", json={"login": who, "password": password}, headers=headers)


def assert_rate_limited(response) -> int:
    assert_error(response, 429, "rate_limited")
    retry_after = response.headers["retry-after"]
    assert retry_after.isdigit(), retry_after
    assert 0 < int(retry_after) <= WINDOW
    return int(retry_after)


def test_eleventh_login_for_an_account_is_refused_even_with_the_right_password(alice, anon):
    for _ in range(10):
        assert_error(login(anon, "alice", WRONG), 401, "invalid_credentials")
    assert_rate_limited(login(anon, "alice", PASSWORD))
    assert "vf_session" not in anon.client.cookies


def test_account_limit_counts_the_username_and_email_together(alice, anon, peers):
    for attempt in range(10):
        who = "alice" if attempt % 2 else "ALICE@example.com"
        assert_error(login(anon, who, WRONG, peer=f"10.0.0.{attempt}"), 401, "invalid_credentials")
    assert_rate_limited(login(anon, "alice@example.com", PASSWORD, peer="10.0.1.1"))
    assert_rate_limited(login(anon, "Alice", PASSWORD, peer="10.0.1.2"))


def test_account_limit_holds_across_many_addresses(alice, bob, anon, peers):
    for attempt in range(10):
        login(anon, "alice", WRONG, peer=f"192.0.2.{attempt}")
    assert_rate_limited(login(anon, "alice", PASSWORD, peer="198.51.100.7"))
    # Other accounts, from a fresh address, are unaffected.
    assert login(anon, "bob", PASSWORD, peer="198.51.100.8").status_code == 200


def test_failures_over_many_accounts_from_one_address_hit_the_ip_limit(alice, bob, carol, anon, peers):
    names = ["alice", "bob", "nobody", "ghost@example.com", "alice@example.com"]
    for attempt in range(10):
        assert_error(login(anon, names[attempt % 5], WRONG, peer="203.0.113.9"), 401, "invalid_credentials")
    # carol never failed, yet this address is locked out...
    assert_rate_limited(login(anon, "carol", PASSWORD, peer="203.0.113.9"))
    # ...while carol, and even alice with three failures, can log in from elsewhere.
    assert login(anon, "carol", PASSWORD, peer="203.0.113.10").status_code == 200
    assert login(anon, "alice", PASSWORD, peer="203.0.113.11").status_code == 200


def test_successful_login_resets_the_account_counter(alice, anon, peers):
    for _ in range(9):
        login(anon, "alice", WRONG, peer="10.1.0.1")
    assert login(anon, "alice", PASSWORD, peer="10.1.0.1").status_code == 200
    # Without the reset the account would be locked after one more failure.
    for _ in range(9):
        assert_error(login(anon, "alice", WRONG, peer="10.2.0.1"), 401, "invalid_credentials")
    assert login(anon, "alice", PASSWORD, peer="10.2.0.1").status_code == 200


def test_successful_login_does_not_reset_the_ip_counter(alice, bob, anon):
    for _ in range(9):
        login(anon, "bob", WRONG)
    assert login(anon, "alice", PASSWORD).status_code == 200
    assert_error(login(anon, "bob", WRONG), 401, "invalid_credentials")
    assert_rate_limited(login(anon, "alice", PASSWORD))


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

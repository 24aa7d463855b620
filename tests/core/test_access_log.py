"""The operators' access log: one line per request on `viewfinder.access` with method, path, status,
duration, client address and user, and never a cookie, a token or a media URL's signature."""

from __future__ import annotations

import logging

import pytest

from tests.conftest import PASSWORD
from tests.helpers import dedicated_api

ACCESS = "viewfinder.access"


@pytest.fixture
def access_log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO, logger=ACCESS)
    caplog.clear()
    return caplog


def lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == ACCESS]


def test_each_request_is_one_line_with_who_asked_and_how_it_went(alice, access_log):
    alice.get("/accounts/me")
    alice.get("/posts/123")

    me, missing = lines(access_log)
    user_id = int(alice.me["profile"]["id"])
    assert me.getMessage().startswith(
        "method=GET path=/api/viewfinder/v1/accounts/me status=200 duration_ms="
    )
    assert f"client=testclient user={user_id}" in me.getMessage()
    assert (me.method, me.path, me.status, me.client, me.user_id) == (  # type: ignore[attr-defined]
        "GET",
        "/api/viewfinder/v1/accounts/me",
        200,
        "testclient",
        user_id,
    )
    assert 0 <= me.duration_ms < 10_000  # type: ignore[attr-defined]
    assert missing.status == 404  # type: ignore[attr-defined]
    assert missing.levelno == logging.INFO


def test_anonymous_requests_and_those_the_router_refuses_are_logged(anon, access_log):
    anon.get("/users/nobody")
    anon.client.post("/")  # no route takes it: Litestar's router answers 405 before any middleware

    found = [(r.method, r.path, r.status, r.user_id) for r in lines(access_log)]  # type: ignore[attr-defined]
    assert found == [("GET", "/api/viewfinder/v1/users/nobody", 404, None), ("POST", "/", 405, None)]
    assert lines(access_log)[0].getMessage().endswith("user=-")


def test_no_secret_reaches_the_log(make_api, access_log):
    api = make_api().signup("dana")
    session = api.client.cookies["vf_session"]
    token = api.post("/accounts/tokens", json={"name": "script"})
    secret = token.json()["secret"] if token.status_code == 201 else "vf_not-issued"
    api.client.get("/api/viewfinder/v1/accounts/me", headers={"authorization": f"Bearer {secret}"})
    api.client.get("/media/photos/1/abc.jpg?oe=6a1b2c3d&oh=signature-value&w=640")
    api.client.get("/api/viewfinder/v1/users/dana?token=query-token-value&limit=5")

    text = "\n".join(record.getMessage() for record in lines(access_log))
    secrets = (PASSWORD, session, api.csrf_token, secret, "6a1b2c3d", "signature-value", "query-token-value")
    assert all(secrets)
    for secret_value in secrets:
        assert secret_value not in text
    assert 'path="/media/photos/1/abc.jpg?oe=[redacted]&oh=[redacted]&w=640"' in text
    assert 'path="/api/viewfinder/v1/users/dana?token=[redacted]&limit=5"' in text


def test_it_can_be_turned_off(settings, caplog):
    caplog.set_level(logging.INFO, logger=ACCESS)
    with dedicated_api(settings, access_log=False) as api:
        api.client.get("/healthz")

    assert not lines(caplog)

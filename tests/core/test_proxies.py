"""Forwarded headers are believed from our own proxies only, so rate limits see real client addresses."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from tests.accounts.test_rate_limits import accept_test_peers
from tests.helpers import dedicated_api
from viewfinder.core.proxies import ForwardedHeadersMiddleware
from viewfinder.settings import Settings


async def seen_scope(
    middleware: ForwardedHeadersMiddleware, peer: str, headers: list[tuple[bytes, bytes]]
) -> Any:
    seen: dict[str, Any] = {}

    async def next_app(scope: Any, receive: Any, send: Any) -> None:
        seen.update(scope)

    scope = {"type": "http", "client": (peer, 5000), "scheme": "http", "headers": headers}
    await middleware.handle(scope, None, None, next_app)  # type: ignore[arg-type]
    return seen


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        ("127.0.0.1", "203.0.113.7", "203.0.113.7"),  # nginx in front: the client it saw
        ("127.0.0.1", "198.51.100.1, 10.0.0.5, 203.0.113.7", "203.0.113.7"),  # the nearest untrusted hop
        ("10.0.0.9", "203.0.113.7, 10.0.0.5", "203.0.113.7"),  # past our own load balancer
        ("192.0.2.50", "203.0.113.7", "192.0.2.50"),  # not our proxy: the header is a forgery
        ("127.0.0.1", "not-an-address", "127.0.0.1"),  # malformed: keep the peer
    ],
)
async def test_the_client_address_comes_from_trusted_proxies_only(
    peer: str, forwarded: str, client: str
) -> None:
    middleware = ForwardedHeadersMiddleware(["127.0.0.1", "10.0.0.0/8"])
    scope = await seen_scope(middleware, peer, [(b"x-forwarded-for", forwarded.encode())])
    assert scope["client"][0] == client


async def test_the_scheme_follows_a_trusted_proxy() -> None:
    middleware = ForwardedHeadersMiddleware(["127.0.0.1"])
    trusted = await seen_scope(middleware, "127.0.0.1", [(b"x-forwarded-proto", b"https")])
    untrusted = await seen_scope(middleware, "192.0.2.50", [(b"x-forwarded-proto", b"https")])
    assert trusted["scheme"] == "https"
    assert untrusted["scheme"] == "http"


def test_trusted_proxies_are_comma_separated_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIEWFINDER_TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8")
    assert Settings().trusted_proxies == ["127.0.0.1", "10.0.0.0/8"]


class Collected(logging.Handler):
    """The records of one logger (the app's logging set-up replaces pytest's root handlers)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def proxy_warnings() -> Iterator[Collected]:
    collected = Collected()
    logger = logging.getLogger("viewfinder.proxies")
    logger.addHandler(collected)
    try:
        yield collected
    finally:
        logger.removeHandler(collected)


def test_a_proxy_that_is_not_trusted_is_named_in_one_warning(settings):
    """Behind nginx without VIEWFINDER_TRUSTED_PROXIES, every client shares nginx's address (and
    its log-in and sign-up limits): the first forwarded request from a private peer says so."""
    with dedicated_api(settings) as api, proxy_warnings() as warnings:
        accept_test_peers(api.client.app)
        forwarded = {"x-forwarded-for": "203.0.113.7"}
        api.client.get("/healthz", headers={"x-test-peer": "93.184.216.34", **forwarded})  # a public peer
        api.client.get("/healthz", headers={"x-test-peer": "127.0.0.1"})  # no proxy header
        assert warnings.messages == []
        for _ in range(3):
            api.client.get("/healthz", headers={"x-test-peer": "127.0.0.1", **forwarded})
        api.client.get("/healthz", headers={"x-test-peer": "10.1.2.3", **forwarded})
    assert len(warnings.messages) == 1, warnings.messages
    assert "VIEWFINDER_TRUSTED_PROXIES" in warnings.messages[0]
    assert "127.0.0.1" in warnings.messages[0]


def test_no_warning_when_the_proxy_is_trusted(settings):
    with dedicated_api(settings, trusted_proxies=["127.0.0.1"]) as api, proxy_warnings() as warnings:
        accept_test_peers(api.client.app)
        api.client.get("/healthz", headers={"x-test-peer": "127.0.0.1", "x-forwarded-for": "203.0.113.7"})
    assert warnings.messages == []

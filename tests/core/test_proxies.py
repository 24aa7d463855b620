"""Forwarded headers are believed from our own proxies only, so rate limits see real client addresses."""

from __future__ import annotations

from typing import Any

import pytest

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

"""Every response tells the browser how to protect its user: a Content Security Policy (the web
app's for pages, a closed one for everything else), no framing, no sniffing, a strict referrer,
no camera, microphone or location, its own browsing context group, HSTS when the instance is on
HTTPS; and API responses, which carry sessions, tokens and private data, are never stored."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import Api
from tests.helpers import dedicated_api, make_post
from viewfinder.core.security import origin_of, web_app_policy
from viewfinder.settings import Settings

INDEX = b"<!doctype html><html><head><script type=module src=/assets/app-1.js></script></head></html>"
COMMON = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
    "cross-origin-opener-policy": "same-origin",
}


def directives(response: httpx.Response) -> dict[str, list[str]]:
    """The response's Content-Security-Policy as {directive: [sources]}."""
    policy = response.headers["content-security-policy"]
    parsed = {}
    for part in policy.split(";"):
        name, *sources = part.split()
        parsed[name] = sources
    return parsed


def assert_common_headers(response: httpx.Response) -> None:
    for name, value in COMMON.items():
        assert response.headers.get(name) == value, (response.url, name, response.headers)
    permissions = response.headers["permissions-policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()"):
        assert feature in permissions
    assert "content-security-policy" in response.headers, response.url


def first_media_url(value: Any) -> str:
    """The first media URL anywhere in a JSON document."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "url" and isinstance(item, str) and "/media/" in item:
                return item
            if found := first_media_url(item):
                return found
    if isinstance(value, list):
        for item in value:
            if found := first_media_url(item):
                return found
    return ""


@pytest.fixture
def site(settings: Settings, tmp_path: Path) -> Iterator[Api]:
    """The app with a small built web app, media served from a CDN on another host."""
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_bytes(INDEX)
    (dist / "assets" / "app-1.js").write_bytes(b"console.log(1)")
    with dedicated_api(settings, web_dir=dist, media_base_url="https://cdn.example.net/media") as api:
        yield api


def test_the_web_app_page_gets_a_policy_that_allows_only_its_own_scripts(site):
    for path in ("/", "/alice", "/p/123"):
        page = site.client.get(path)
        assert page.status_code == 200
        assert_common_headers(page)
        policy = directives(page)
        assert policy["default-src"] == ["'self'"]
        assert policy["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval', no CDN
        assert policy["style-src"] == ["'self'"]
        assert policy["connect-src"] == ["'self'"]
        assert policy["font-src"] == ["'self'"]
        assert policy["object-src"] == ["'none'"]
        assert policy["base-uri"] == ["'self'"]
        assert policy["form-action"] == ["'self'"]
        assert policy["frame-ancestors"] == ["'none'"]
        # Photos and videos come from the CDN; previews of files being uploaded are blob: URLs.
        assert set(policy["img-src"]) == {"'self'", "https://cdn.example.net", "data:", "blob:"}
        assert set(policy["media-src"]) == {"'self'", "https://cdn.example.net", "blob:"}


def test_media_on_the_app_itself_adds_no_other_origin():
    policy = web_app_policy("https://photos.example.org", "https://photos.example.org/media")

    assert "img-src 'self' data: blob:" in policy
    assert "media-src 'self' blob:" in policy


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://Photos.Example.org/media", "https://photos.example.org"),
        ("https://photos.example.org:443/x", "https://photos.example.org"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("http://[::1]:8000/media", "http://[::1]:8000"),
        ("/media", None),
        ("ftp://example.org", None),
        ("null", None),
        ("https://example.org:99999", None),
    ],
)
def test_origins_are_compared_in_one_spelling(url, origin):
    assert origin_of(url) == origin


def test_api_responses_get_a_closed_policy_and_are_never_stored(site):
    responses = [
        site.client.get("/api/viewfinder/v1/users/nobody"),  # an error
        site.post(
            "/accounts/signup",
            json={"username": "dana", "email": "dana@example.com", "password": "a long and unusual password"},
        ),
        site.get("/accounts/me"),
        site.post("/accounts/tokens", json={"name": "script"}),
        site.post("/accounts/login", json={"login": "dana", "password": "a long and unusual password"}),
        site.client.get("/api/viewfinder/v1/openapi.json"),
    ]

    for response in responses:
        assert response.status_code < 500, response.text
        assert_common_headers(response)
        assert directives(response)["default-src"] == ["'none'"], response.url
        assert directives(response)["frame-ancestors"] == ["'none'"]
        assert response.headers["cache-control"] == "no-store", response.url


def test_the_web_apps_files_keep_their_own_caching(site):
    assets = site.client.get("/assets/app-1.js")
    assert assets.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert_common_headers(assets)
    assert site.client.get("/").headers["cache-control"] == "no-cache"
    assert site.client.get("/healthz").headers["x-frame-options"] == "DENY"


def test_media_keep_their_caching_and_get_the_headers(alice):
    post = make_post(alice, "headers")
    url = first_media_url(post)
    assert url, post

    photo = alice.client.get(url.removeprefix("https://testserver.local"))

    assert photo.status_code == 200
    assert photo.headers["content-type"].startswith("image/")
    assert "immutable" in photo.headers["cache-control"]
    assert_common_headers(photo)
    assert directives(photo)["default-src"] == ["'none'"]


def test_requests_the_router_refuses_get_the_headers_too(site):
    refused = site.client.post("/")  # no route takes a POST here: Litestar's router answers 405

    assert refused.status_code == 405
    assert_common_headers(refused)


def test_hsts_is_sent_when_the_instance_is_on_https(settings):
    with dedicated_api(settings, public_url="https://photos.example.org") as api:
        assert api.client.get("/healthz").headers["strict-transport-security"] == "max-age=31536000"
        assert api.get("/users/nobody").headers["strict-transport-security"] == "max-age=31536000"
    with dedicated_api(settings, public_url="http://127.0.0.1:8000") as api:
        assert "strict-transport-security" not in api.client.get("/healthz").headers

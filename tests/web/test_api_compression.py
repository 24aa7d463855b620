"""API answers are gzipped for clients that accept it (issue 17, phone speed; docs/decisions/0078):
a feed page shrinks to a fraction on the wire and decodes to the same JSON; clients that do not ask
get it plain; small answers, the web app's files and media are left alone; level 0 turns it off."""

from __future__ import annotations

import gzip
import json
import re

from tests.conftest import Api
from tests.helpers import dedicated_api, make_post
from viewfinder.app import api_compression
from viewfinder.settings import Settings


def raw(api: Api, path: str, accept: str) -> tuple[dict[str, str], bytes]:
    """The headers and the bytes as sent, before the client decodes them."""
    with api.client.stream("GET", path, headers={"Accept-Encoding": accept}) as response:
        assert response.status_code == 200, path
        return dict(response.headers), b"".join(response.iter_raw())


def test_a_feed_page_is_gzipped_for_clients_that_accept_it(alice: Api) -> None:
    for number in range(12):
        make_post(alice, f"Post number {number} with a caption long enough to matter #compression")
    headers, body = raw(alice, f"/api/viewfinder/v1/users/{alice.username}/posts", "gzip, deflate, br")
    plain_headers, plain = raw(alice, f"/api/viewfinder/v1/users/{alice.username}/posts", "identity")

    assert headers["content-encoding"] == "gzip"
    assert "accept-encoding" in headers["vary"].lower()
    assert json.loads(gzip.decompress(body)) == json.loads(plain)
    assert len(body) < len(plain) / 3, (len(body), len(plain))
    assert "content-encoding" not in plain_headers


def test_small_answers_the_app_and_media_are_sent_as_they_are(alice: Api) -> None:
    post = make_post(alice, "one")
    headers, _ = raw(alice, "/api/viewfinder/v1/notifications/unread-count", "gzip")
    assert "content-encoding" not in headers
    url = post["items"][0]["media"]["renditions"][0]["url"]
    media_headers, _ = raw(alice, url.removeprefix("http://testserver"), "gzip")
    assert "content-encoding" not in media_headers


def test_the_real_time_stream_and_non_api_paths_are_never_compressed(settings: Settings) -> None:
    config = api_compression(settings)
    assert config is not None

    excluded = re.compile("|".join(config.exclude or []))
    assert excluded.search("/api/viewfinder/v1/notifications/stream")
    assert excluded.search("/api/viewfinder/v1/accounts/data-exports/12/download")
    assert excluded.search("/media/photos/1/a.webp")
    assert excluded.search("/assets/index-abc.js")
    assert not excluded.search("/")  # the app's HTML, shell of every page, is worth compressing
    assert not excluded.search("/api/viewfinder/v1/feed")


def test_level_zero_leaves_compression_to_a_proxy(settings: Settings) -> None:
    with (
        dedicated_api(settings, api_gzip_level=0) as api,
        api.client.stream(
            "GET", "/api/viewfinder/v1/openapi.json", headers={"Accept-Encoding": "gzip"}
        ) as response,
    ):
        assert response.status_code == 200
        assert "content-encoding" not in response.headers

"""A private account's media is served only through signed, expiring URLs; video gets byte ranges."""

from __future__ import annotations

import io
import math
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

from PIL import Image

from tests.helpers import assert_error
from viewfinder.mediakit import signing


def photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (200, 200), "teal").save(out, "JPEG")
    return out.getvalue()


def post_photo(api) -> dict[str, Any]:
    media_id = api.post("/media", files={"file": ("p.jpg", photo(), "image/jpeg")}).json()["id"]
    response = api.post("/posts", json={"items": [{"media_id": media_id}]})
    assert response.status_code == 201, response.text
    post: dict[str, Any] = response.json()
    return post


def path_and_query(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def test_public_media_needs_no_signature_and_is_cached_for_good(alice, anon):
    url = post_photo(alice)["items"][0]["media"]["renditions"][0]["url"]

    assert "oh=" not in url
    response = anon.client.get(path_and_query(url))
    assert response.status_code == 200
    assert "immutable" in response.headers["cache-control"]


def test_private_media_is_served_only_through_a_valid_signed_url(alice, bob, anon, settings):
    alice.patch("/accounts/me", json={"is_private": True})
    bob.post("/users/alice/follow")
    alice.post("/accounts/follow-requests/bob/approve")
    post = post_photo(alice)
    url = bob.get(f"/posts/{post['id']}").json()["items"][0]["media"]["renditions"][0]["url"]
    parts = urlsplit(url)
    query = parse_qs(parts.query)

    assert set(query) == {"oe", "oh"}
    before = time.time()
    signed = anon.client.get(path_and_query(url))
    assert signed.status_code == 200
    assert "immutable" not in signed.headers["cache-control"]
    # A cache keeping whole seconds (nginx) may serve through the last second its max-age names:
    # the max-age ends at least one whole second before the link expires.
    max_age = int(signed.headers["cache-control"].rsplit("max-age=", 1)[1])
    assert math.ceil(before) + max_age + 1 <= int(query["oe"][0], 16)
    assert_error(anon.client.get(parts.path), 403, "invalid_signature")
    tampered = f"{parts.path}?oe={query['oe'][0]}&oh={'0' * 32}"
    assert_error(anon.client.get(tampered), 403, "invalid_signature")
    later = f"{parts.path}?oe={int(query['oe'][0], 16) + 3600:x}&oh={query['oh'][0]}"
    assert_error(anon.client.get(later), 403, "invalid_signature")
    past = 1_000_000
    expired = f"{parts.path}?oe={past:x}&oh={signing.signature(settings.secret, parts.path, past)}"
    assert_error(anon.client.get(expired), 403, "url_expired")


def test_byte_ranges_are_served_for_seeking(alice, anon):
    url = path_and_query(post_photo(alice)["items"][0]["media"]["renditions"][0]["url"])
    whole = anon.client.get(url).content

    part = anon.client.get(url, headers={"Range": "bytes=10-19"})
    assert part.status_code == 206
    assert part.content == whole[10:20]
    assert part.headers["content-range"] == f"bytes 10-19/{len(whole)}"
    tail = anon.client.get(url, headers={"Range": "bytes=-5"})
    assert tail.content == whole[-5:]
    assert_error(
        anon.client.get(url, headers={"Range": f"bytes={len(whole) + 10}-"}), 416, "range_not_satisfiable"
    )


def test_a_private_owner_gets_working_signed_links_to_their_own_uploads(alice, anon):
    alice.patch("/accounts/me", json={"is_private": True})
    item = alice.post("/media", files={"file": ("p.jpg", photo(), "image/jpeg")}).json()

    url = item["renditions"][0]["url"]
    assert "oh=" in url
    assert anon.client.get(path_and_query(url)).status_code == 200
    again = alice.get(f"/media/{item['id']}").json()["renditions"][0]["url"]
    assert anon.client.get(path_and_query(again)).status_code == 200

"""GET and HEAD /media/: renditions and avatars only, never a raw upload or any other stored file,
whoever asks and however the URL is signed; HEAD answers with GET's headers and no body."""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import Api
from tests.helpers import assert_error, small_photo
from viewfinder.accounts.models import User
from viewfinder.media import services
from viewfinder.mediakit import signing
from viewfinder.mediakit.storage import storage_from_settings
from viewfinder.settings import Settings

# Headers a cache or a player reads from HEAD, to be the same as GET's.
COMPARED = ("content-length", "content-type", "cache-control", "etag", "accept-ranges", "content-range")


def signed(settings: Settings, path: str) -> str:
    """The path with a valid, unexpired signature, as a private account's links carry."""
    return signing.sign_url(path, settings.secret, signing.expiry(3600))


def path_and_query(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


async def owner(db: AsyncSession, username: str) -> User:
    user = await db.scalar(select(User).where(User.username == username))
    assert user is not None
    return user


async def test_a_raw_upload_is_never_served_before_or_after_processing(alice, bob, anon, settings, db):
    alice.patch("/accounts/me", json={"is_private": True})
    bob.post("/users/alice/follow")
    alice.post("/accounts/follow-requests/bob/approve")
    storage = storage_from_settings(settings)
    # An upload whose processing has not run yet: the raw file, EXIF and all, is in storage.
    waiting = await services.record_upload(
        db, storage, await owner(db, "alice"), small_photo(), filter_name="normal", crop=None,
        max_bytes=10**8, max_pixels=10**8,
    )  # fmt: skip
    raw_path = f"/media/uploads/{waiting.owner_id}/{waiting.id}"
    assert storage.exists(raw_path.removeprefix("/media/"))

    for api in (alice, bob, anon):
        assert_error(api.client.get(raw_path), 404, "not_found")
        assert_error(api.client.get(signed(settings, raw_path)), 404, "not_found")
        assert api.client.head(raw_path).status_code == 404
        assert api.client.get(raw_path, headers={"Range": "bytes=0-99"}).status_code == 404

    # Processed: the raw file is gone, and were it left behind (a failed clean-up), still unserved.
    item = await services.process_media_item(db, storage, waiting.id)
    assert item is not None
    assert item.state == "ready"
    storage.put(raw_path.removeprefix("/media/"), small_photo(), "application/octet-stream")
    for api in (alice, bob, anon):
        assert_error(api.client.get(raw_path), 404, "not_found")
        assert_error(api.client.get(signed(settings, raw_path)), 404, "not_found")
    # Its renditions are served, through signed links.
    rendition = item.renditions[0]["key"]
    assert anon.client.get(signed(settings, f"/media/{rendition}")).status_code == 200


@pytest.mark.parametrize(
    "key",
    [
        "uploads/1/2",
        "uploads/1/2.jpg",
        "healthcheck/probe.txt",
        "incoming/upload-abc",
        "photos/1/abc.txt",
        "photos/1/abc.mp4",
        "photos/1/sub/abc.jpg",
        "photos/x/abc.jpg",
        "videos/1/abc.jpg",
        "avatars/1/abc.png",
        "avatars/1/abc",
        "avatars/abc.jpg",
        "other/1/abc.jpg",
    ],
)
def test_no_other_stored_file_is_served(server, settings, key):
    storage_from_settings(settings).put(key, b"\xff\xd8 private bytes", "image/jpeg")

    response = server.get(f"/media/{key}")

    assert_error(response, 404, "not_found")
    assert b"private bytes" not in response.content
    assert server.head(f"/media/{key}").status_code == 404


def _max_age_within_a_second(head: str | None, got: str | None) -> bool:
    if head is None or got is None or head == got:
        return head == got
    pattern = re.compile(r"max-age=(\d+)")
    head_age, got_age = pattern.search(head), pattern.search(got)
    if head_age is None or got_age is None:
        return False
    same_otherwise = pattern.sub("", head) == pattern.sub("", got)
    return same_otherwise and 0 <= int(got_age[1]) - int(head_age[1]) <= 1


def assert_head_matches_get(client: Any, url: str, **headers: str) -> None:
    got = client.get(url, headers=headers)
    head = client.head(url, headers=headers)
    assert head.status_code == got.status_code
    assert head.content == b""
    for name in COMPARED:
        if name == "cache-control":  # a signed URL's max-age counts down to its expiry: a second may pass
            assert _max_age_within_a_second(head.headers.get(name), got.headers.get(name)), name
            continue
        assert head.headers.get(name) == got.headers.get(name), name
    if got.status_code in (200, 206):
        assert head.headers["content-length"] == str(len(got.content))


def test_head_answers_with_the_headers_of_get_and_no_body(alice, anon, settings):
    item = alice.post("/media", files={"file": ("p.jpg", small_photo(), "image/jpeg")}).json()
    url = path_and_query(item["renditions"][0]["url"])
    storage_from_settings(settings).put("videos/1/0123abcd.mp4", bytes(range(256)) * 12 * 1024, "video/mp4")

    head = anon.client.head(url)
    assert head.status_code == 200
    assert head.headers["content-type"] == "image/jpeg"
    assert "immutable" in head.headers["cache-control"]
    assert_head_matches_get(anon.client, url)
    # Above a megabyte GET streams; HEAD still tells the length. Byte ranges, and revalidation.
    assert_head_matches_get(anon.client, "/media/videos/1/0123abcd.mp4")
    assert_head_matches_get(anon.client, "/media/videos/1/0123abcd.mp4", Range="bytes=1000-1999")
    assert (
        anon.client.head("/media/videos/1/0123abcd.mp4", headers={"Range": "bytes=1000-1999"}).headers[
            "content-length"
        ]
        == "1000"
    )
    etag = head.headers["etag"]
    assert anon.client.head(url, headers={"If-None-Match": etag}).status_code == 304
    assert anon.client.head("/media/photos/1/missing.jpg").status_code == 404


def test_head_on_private_media_follows_the_signed_url_rules(alice, anon, settings):
    alice.patch("/accounts/me", json={"is_private": True})
    item = alice.post("/media", files={"file": ("p.jpg", small_photo(), "image/jpeg")}).json()
    url = item["renditions"][0]["url"]
    parts = urlsplit(url)

    assert_head_matches_get(anon.client, path_and_query(url))
    ok = anon.client.head(path_and_query(url))
    assert ok.status_code == 200
    assert "immutable" not in ok.headers["cache-control"]
    assert anon.client.head(parts.path).status_code == 403
    tampered = f"{parts.path}?{parts.query[:-4]}0000"
    assert anon.client.head(tampered).status_code == 403
    past = int(time.time()) - 10
    expired = f"{parts.path}?oe={past:x}&oh={signing.signature(settings.secret, parts.path, past)}"
    assert anon.client.head(expired).status_code == 403


def test_avatars_are_served_with_get_and_head(alice: Api, anon: Api):
    response = alice.put("/accounts/me/avatar", files={"data": ("me.jpg", small_photo(), "image/jpeg")})
    assert response.status_code == 200, response.text
    url = path_and_query(response.json()["profile"]["avatar_url"])

    assert anon.client.get(url).status_code == 200
    assert_head_matches_get(anon.client, url)

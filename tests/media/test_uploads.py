"""Uploading photos through the API: checked by content, processed by a job, nothing left behind."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import av
import pytest
from PIL import Image
from sqlalchemy import func, select

from tests.helpers import assert_error
from tests.media.conftest import encode, left_red_right_blue
from viewfinder.accounts.models import User
from viewfinder.core.db import utcnow
from viewfinder.core.jobs import enqueue
from viewfinder.media import services
from viewfinder.media.models import MediaItem, MediaState
from viewfinder.media.tasks import process_media, recover_abandoned_media
from viewfinder.mediakit.storage import MediaStorage, storage_from_settings


def upload(api, data: bytes, name: str = "photo.jpg", **fields: str):
    return api.post("/media", files={"file": (name, data, "image/jpeg")}, data=fields)


def fetch(api, url: str) -> bytes:
    response = api.client.get(url.removeprefix("https://testserver.local"))
    assert response.status_code == 200
    return bytes(response.content)


def stored_files(settings) -> list[str]:
    """Every key in the test's media storage (a directory or a bucket), sorted."""
    return storage_from_settings(settings).list_keys()


def test_a_camera_photo_becomes_ready_renditions_without_any_metadata(alice, camera_jpeg, settings):
    response = upload(alice, camera_jpeg, filter="clarendon")

    assert response.status_code == 202, response.text
    item = response.json()
    assert item["state"] == "ready"
    assert item["filter"] == "clarendon"
    # Stored sideways with orientation 6: upright it is portrait, 4:5 after the aspect clamp.
    assert (item["width"], item["height"]) == (900, 1125)
    assert item["blurhash"]
    assert item["dominant_color"].startswith("#")
    assert {(r["name"], r["format"]) for r in item["renditions"]} == {
        (name, kind) for name in ("1080", "750", "640", "320", "thumb") for kind in ("jpeg", "webp")
    }
    for rendition in item["renditions"]:
        assert rendition["url"].startswith(settings.resolved_media_base_url)
        data = fetch(alice, rendition["url"])
        assert b"Exif" not in data
        assert b"GPS" not in data
        assert b"ns.adobe.com/xap" not in data
        image = Image.open(io.BytesIO(data))
        assert (image.width, image.height) == (rendition["width"], rendition["height"])
        assert not image.getexif()
    # The raw upload, GPS and all, left storage once the renditions were made.
    assert not [path for path in stored_files(settings) if path.startswith("uploads/")]
    assert alice.get(f"/media/{item['id']}").json()["state"] == "ready"


def test_heic_from_an_iphone_is_accepted(alice, heic_photo):
    response = upload(alice, heic_photo, name="IMG_0001.HEIC")
    assert response.status_code == 202, response.text
    assert response.json()["state"] == "ready"


@pytest.mark.parametrize(
    ("sample", "status", "code"),
    [
        ("svg_bytes", 415, "unsupported_media_type"),
        ("text_bytes", 415, "unsupported_media_type"),
        ("pdf_bytes", 415, "unsupported_media_type"),
        ("png_bomb", 400, "too_many_pixels"),
    ],
)
def test_refused_uploads_store_nothing(alice, request, settings, sample, status, code):
    response = upload(alice, request.getfixturevalue(sample))

    assert_error(response, status, code)
    assert stored_files(settings) == []


def test_empty_files_bad_filters_and_bad_crops_are_refused(alice, settings, small_jpeg):
    assert_error(upload(alice, b""), 400, "corrupt_media")
    assert_error(upload(alice, small_jpeg, filter="sepia-ish"), 400, "validation_error", ["filter"])
    for crop in ("0,0,2,1", "a,b,c,d", "0.5,0.5,0.6,0.1", "0,0,0,1", "1,2,3"):
        assert_error(upload(alice, small_jpeg, crop=crop), 400, "validation_error", ["crop"])
    assert stored_files(settings) == []


async def test_refused_uploads_leave_no_rows(alice, db, svg_bytes):
    upload(alice, svg_bytes)
    assert await db.scalar(select(func.count()).select_from(MediaItem)) == 0


def test_a_photo_that_cannot_be_decoded_fails_with_its_reason(alice, truncated_jpeg, settings):
    item = upload(alice, truncated_jpeg).json()

    assert item["state"] == "failed"
    assert item["failure"]["code"] == "corrupt_media"
    assert item["renditions"] == []
    assert stored_files(settings) == []


def test_media_items_are_private_to_their_owner(alice, bob, anon, small_jpeg):
    item = upload(alice, small_jpeg).json()

    assert_error(bob.get(f"/media/{item['id']}"), 404, "not_found")
    assert_error(anon.get(f"/media/{item['id']}"), 401, "not_authenticated")
    assert_error(alice.get("/media/not-a-number"), 404, "not_found")
    assert_error(upload(anon, small_jpeg), 401, "not_authenticated")


async def test_processing_again_changes_nothing(app, alice, db, settings, small_jpeg):
    item_id = int(upload(alice, small_jpeg).json()["id"])
    storage = storage_from_settings(settings)
    before = await db.get(MediaItem, item_id)
    assert before is not None
    renditions = list(before.renditions)

    again = await services.process_media_item(db, storage, item_id)

    assert again is not None
    assert again.state == MediaState.READY
    assert again.renditions == renditions
    assert again.attempts == 1


async def test_an_item_a_killed_worker_left_processing_is_finished_later(
    app, alice, db, settings, small_jpeg
):
    storage = storage_from_settings(settings)
    user_id = int(alice.me["profile"]["id"])
    user = await db.get(User, user_id)
    assert user is not None
    # Uploaded, then a worker took the job and died mid-way: no job is left in the queue.
    item = await services.record_upload(
        db, storage, user, small_jpeg, filter_name="juno", crop=None, max_bytes=10**8, max_pixels=10**8
    )
    item.state = MediaState.PROCESSING
    item.processing_started_at = utcnow() - timedelta(hours=1)
    await db.commit()
    item_id = item.id

    await enqueue(recover_abandoned_media)  # the periodic sweep, run inline in tests

    db.expire_all()
    finished = await db.get(MediaItem, item_id)
    assert finished is not None
    assert finished.state == MediaState.READY
    assert finished.original_key is None
    assert len(finished.renditions) == 10  # five sizes, JPEG and WebP
    # A fresh item is not taken for abandoned.
    user = await db.get(User, user_id)
    assert user is not None
    fresh = await services.record_upload(
        db, storage, user, small_jpeg, filter_name="normal", crop=None, max_bytes=10**8, max_pixels=10**8
    )
    fresh_id = fresh.id
    lease = settings.media_processing_lease_seconds
    assert await db.run_sync(lambda session: services.abandoned_media_ids(session.connection(), lease)) == []
    await enqueue(process_media, fresh_id)
    db.expire_all()
    processed = await db.get(MediaItem, fresh_id)
    assert processed is not None
    assert processed.state == MediaState.READY


def test_an_animated_gif_becomes_a_silent_looping_video(alice, animated_gif):
    item = upload(alice, animated_gif, name="party.gif")

    assert item.status_code == 202, item.text
    body = item.json()
    assert body["state"] == "ready"
    assert (body["kind"], body["looping"]) == ("video", True)
    clip = next(r for r in body["renditions"] if r["format"] == "mp4")
    with av.open(io.BytesIO(fetch(alice, clip["url"])), mode="r") as container:
        assert container.streams.video[0].codec_context.name == "h264"
        assert not container.streams.audio
    assert any(r["name"].startswith("poster-") for r in body["renditions"])
    assert_error(upload(alice, animated_gif, filter="moon"), 400, "validation_error", ["filter"])


def rendition_digests(item: dict[str, Any]) -> set[tuple[str, str, str]]:
    """(name, format, content digest) of each rendition: its key ends in the digest of its bytes."""
    return {(r["name"], r["format"], r["url"].rsplit("/", 1)[-1].split("?")[0]) for r in item["renditions"]}


def test_a_turned_photo_is_cropped_in_fractions_of_the_turned_photo(alice, settings):
    landscape = encode(left_red_right_blue((300, 200)), "PNG")

    turned = upload(alice, landscape, name="photo.png", rotate="90")
    cropped = upload(alice, landscape, name="photo.png", rotate="90", crop="0,0.5,1,0.5")

    assert turned.status_code == 202, turned.text
    body = turned.json()
    assert (body["state"], body["rotation"], body["adjustments"]) == ("ready", 90, {})
    assert (body["width"], body["height"]) == (200, 250)  # portrait now (200x300, clamped to 4:5)
    top = Image.open(
        io.BytesIO(fetch(alice, next(r["url"] for r in body["renditions"] if r["name"] == "320")))
    )
    assert top.convert("RGB").getpixel((100, 10)) == pytest.approx(
        (254, 0, 0), abs=30
    )  # the left half, on top
    assert cropped.status_code == 202, cropped.text
    body = cropped.json()
    assert (body["width"], body["height"]) == (200, 150)  # the bottom half of the portrait photo: blue
    for rendition in body["renditions"]:
        image = Image.open(io.BytesIO(fetch(alice, rendition["url"]))).convert("RGB")
        assert image.getpixel((image.width // 2, image.height // 2)) == pytest.approx((0, 0, 254), abs=30)
    assert alice.get(f"/media/{body['id']}").json()["rotation"] == 90


def test_adjustments_are_baked_in_and_echoed(alice, small_jpeg):
    plain = upload(alice, small_jpeg).json()
    adjusted = upload(alice, small_jpeg, adjust="brightness=40, vignette=30,fade=0").json()
    zero = upload(alice, small_jpeg, rotate="0", adjust="brightness=0,vignette=0").json()

    assert adjusted["state"] == "ready"
    assert adjusted["adjustments"] == {"brightness": 40, "vignette": 30}
    assert (plain["adjustments"], plain["rotation"]) == ({}, 0)
    assert (zero["adjustments"], zero["rotation"]) == ({}, 0)
    # The same bytes as no adjustments at all (renditions are named by their content's digest).
    assert rendition_digests(zero) == rendition_digests(plain)
    assert not rendition_digests(adjusted) & rendition_digests(plain)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"rotate": "45"}, "rotate"),
        ({"rotate": "-90"}, "rotate"),
        ({"rotate": "360"}, "rotate"),
        ({"rotate": "90.0"}, "rotate"),
        ({"rotate": "ninety"}, "rotate"),
        ({"adjust": "sharpness=10"}, "adjust"),
        ({"adjust": "brightness=10,brightness=20"}, "adjust"),
        ({"adjust": "brightness=ten"}, "adjust"),
        ({"adjust": "brightness=1.5"}, "adjust"),
        ({"adjust": "brightness=1_0"}, "adjust"),
        ({"adjust": "brightness=101"}, "adjust"),
        ({"adjust": "contrast=-101"}, "adjust"),
        ({"adjust": "fade=-1"}, "adjust"),
        ({"adjust": "vignette=101"}, "adjust"),
        ({"adjust": "brightness"}, "adjust"),
        ({"adjust": "brightness=10,"}, "adjust"),
        ({"adjust": "=10"}, "adjust"),
    ],
)
async def test_bad_turns_and_adjustments_are_refused_and_store_nothing(
    alice, db, settings, small_jpeg, fields, field
):
    error = assert_error(upload(alice, small_jpeg, **fields), 400, "validation_error", [field])

    if field == "adjust":
        assert "brightness -100 to 100" in error["message"]
        assert "vignette 0 to 100" in error["message"]
    assert stored_files(settings) == []
    assert await db.scalar(select(func.count()).select_from(MediaItem)) == 0
    assert [p.name for p in (settings.data_dir / "incoming").glob("*")] == []


def test_an_animated_gif_takes_no_turn_or_adjustment(alice, settings, animated_gif):
    assert_error(
        upload(alice, animated_gif, name="party.gif", rotate="90"), 400, "validation_error", ["rotate"]
    )
    assert_error(
        upload(alice, animated_gif, name="party.gif", adjust="fade=10"), 400, "validation_error", ["adjust"]
    )
    assert stored_files(settings) == []


class FailingStorage:
    """Storage that is down: every read fails, as a lost disk or an S3 outage would."""

    def __init__(self, storage: MediaStorage) -> None:
        self.storage = storage

    def get(self, key: str) -> bytes | None:
        raise OSError("storage unavailable")

    def get_file(self, key: str, path: Path) -> bool:
        raise OSError("storage unavailable")

    def __getattr__(self, name: str) -> Any:
        return getattr(self.storage, name)


async def test_a_storage_outage_raises_for_a_retry_instead_of_failing_the_item(
    app, alice, db, settings, small_jpeg
):
    storage = storage_from_settings(settings)
    user = await db.get(User, int(alice.me["profile"]["id"]))
    assert user is not None
    item = await services.record_upload(
        db, storage, user, small_jpeg, filter_name="normal", crop=None, max_bytes=10**8, max_pixels=10**8
    )
    item_id = item.id

    with pytest.raises(OSError, match="storage unavailable"):
        await services.process_media_item(db, FailingStorage(storage), item_id)

    db.expire_all()
    waiting = await db.get(MediaItem, item_id)
    assert waiting is not None
    assert waiting.state == MediaState.PROCESSING  # not failed: the queue retries, or the sweep does
    assert (await services.process_media_item(db, storage, item_id)).state == MediaState.READY  # type: ignore[union-attr]

"""Deleting an upload no post uses (the composer's "Remove"): the row and every file go, nobody
else's item can be touched, and an item in a post stays."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import Api
from tests.database import query
from tests.helpers import assert_error, small_photo
from tests.media.test_videos import make_video
from viewfinder.accounts.models import User
from viewfinder.core.jobs import enqueue
from viewfinder.media import services
from viewfinder.media.models import MediaItem
from viewfinder.media.tasks import process_media
from viewfinder.mediakit.photos import process_photo
from viewfinder.mediakit.storage import MediaStorage, storage_from_settings
from viewfinder.mediakit.videos import transcode_video
from viewfinder.settings import Settings


def upload(api: Api, data: bytes) -> dict[str, Any]:
    response = api.post("/media", files={"file": ("photo.jpg", data, "image/jpeg")})
    assert response.status_code == 202, response.text
    item: dict[str, Any] = response.json()
    return item


def stored_files(settings: Settings) -> list[str]:
    """Every key in the test's media storage (a directory or a bucket), sorted."""
    return storage_from_settings(settings).list_keys()


def item_files(settings: Settings, item_id: str) -> list[str]:
    """The stored files that belong to one media item (its renditions and its raw upload)."""
    return [name for name in stored_files(settings) if item_id in name]


def rendition_files(item: dict[str, Any]) -> list[str]:
    """The storage keys of an item's renditions (a small photo's sizes can share one file)."""
    return sorted({r["url"].split("/media/", 1)[1] for r in item["renditions"]})


async def row_exists(db: AsyncSession, item_id: str) -> bool:
    return await db.scalar(select(MediaItem.id).where(MediaItem.id == int(item_id))) is not None


async def test_an_unposted_photo_is_deleted_with_every_rendition(alice, settings, db):
    item = upload(alice, small_photo())
    kept = upload(alice, small_photo("blue"))
    assert item["state"] == "ready"
    assert item_files(settings, item["id"]) == rendition_files(item)

    response = alice.delete(f"/media/{item['id']}")

    assert response.status_code == 204, response.text
    assert not await row_exists(db, item["id"])
    assert item_files(settings, item["id"]) == []
    assert_error(alice.get(f"/media/{item['id']}"), 404, "not_found")
    for rendition in item["renditions"]:
        assert alice.client.get(rendition["url"].removeprefix("https://testserver.local")).status_code == 404
    # Other items keep theirs.
    assert item_files(settings, kept["id"]) == rendition_files(kept)
    assert alice.get(f"/media/{kept['id']}").json()["state"] == "ready"


async def test_a_failed_upload_can_be_removed(alice, truncated_jpeg, settings, db):
    item = upload(alice, truncated_jpeg)
    assert item["state"] == "failed"

    assert alice.delete(f"/media/{item['id']}").status_code == 204
    assert not await row_exists(db, item["id"])
    assert stored_files(settings) == []


async def test_an_upload_not_yet_processed_loses_its_raw_file(alice, settings, db):
    owner = await db.scalar(select(User).where(User.username == "alice"))
    assert owner is not None
    # An upload whose processing job has not run yet: only the raw upload is stored.
    waiting = await services.record_upload(
        db, storage_from_settings(settings), owner, small_photo(), filter_name="normal", crop=None,
        max_bytes=10**8, max_pixels=10**8,
    )  # fmt: skip
    assert stored_files(settings) == [f"uploads/{owner.id}/{waiting.id}"]

    assert alice.delete(f"/media/{waiting.id}").status_code == 204
    assert stored_files(settings) == []
    assert not await row_exists(db, str(waiting.id))


async def test_an_item_in_a_post_is_in_use(alice, settings, db):
    item = upload(alice, small_photo())
    post = alice.post("/posts", json={"items": [{"media_id": item["id"]}]}).json()

    assert_error(alice.delete(f"/media/{item['id']}"), 409, "media_in_use")
    assert await row_exists(db, item["id"])
    assert item_files(settings, item["id"]) == rendition_files(item)
    assert alice.get(f"/posts/{post['id']}").json()["items"][0]["media"]["id"] == item["id"]


async def test_nobody_else_can_delete_an_item(alice, bob, anon, settings, db):
    item = upload(alice, small_photo())

    assert_error(bob.delete(f"/media/{item['id']}"), 404, "not_found")
    assert_error(anon.delete(f"/media/{item['id']}"), 401, "not_authenticated")
    assert_error(alice.client.delete(f"/api/viewfinder/v1/media/{item['id']}"), 403, "csrf_failed")
    for unknown in ("999999", "not-a-number", "1" * 30):
        assert_error(alice.delete(f"/media/{unknown}"), 404, "not_found")
    assert await row_exists(db, item["id"])
    assert item_files(settings, item["id"]) == rendition_files(item)


def test_a_deleted_item_cannot_be_posted(alice):
    item = upload(alice, small_photo())
    alice.delete(f"/media/{item['id']}")

    created = alice.post("/posts", json={"items": [{"media_id": item["id"]}]})

    assert_error(created, 400, "invalid_media", ["items"])


async def test_an_item_deleted_while_processing_leaves_no_files(
    alice, settings, db, monkeypatch: pytest.MonkeyPatch
):
    owner = await db.scalar(select(User).where(User.username == "alice"))
    assert owner is not None
    storage = storage_from_settings(settings)
    waiting = await services.record_upload(
        db, storage, owner, small_photo(), filter_name="normal", crop=None, max_bytes=10**8, max_pixels=10**8
    )
    media_id = waiting.id
    real_process_photo = process_photo

    def owner_deletes_meanwhile(*args: Any, **kwargs: Any) -> Any:
        photo = real_process_photo(*args, **kwargs)
        assert alice.delete(f"/media/{media_id}").status_code == 204
        return photo

    monkeypatch.setattr(services, "process_photo", owner_deletes_meanwhile)

    assert await services.process_media_item(db, storage, media_id) is None
    assert stored_files(settings) == []
    assert query(settings, "SELECT count(*) FROM media_items") == [(0,)]
    # The queue's retry finds nothing to do.
    assert await services.process_media_item(db, storage, media_id) is None


# Deleted while its job runs: the job ends quietly, and nothing it made is left behind.


async def waiting_upload(db: AsyncSession, settings: Settings, data: bytes) -> MediaItem:
    """An upload whose processing job has not run yet."""
    owner = await db.scalar(select(User).where(User.username == "alice"))
    assert owner is not None
    return await services.record_upload(
        db, storage_from_settings(settings), owner, data, filter_name="normal", crop=None,
        max_bytes=10**8, max_pixels=10**8,
    )  # fmt: skip


def assert_nothing_left(settings: Settings) -> None:
    assert stored_files(settings) == []
    assert query(settings, "SELECT count(*) FROM media_items") == [(0,)]
    assert list((settings.data_dir / "incoming").glob("*")) == []


async def test_an_item_deleted_as_its_job_starts_ends_the_job(alice, settings, db):
    waiting = await waiting_upload(db, settings, small_photo())
    media_id = waiting.id

    def owner_deletes_first(*_: Any) -> None:
        assert alice.delete(f"/media/{media_id}").status_code == 204

    # The owner's delete lands between the job reading the row and marking it "processing".
    event.listen(db.sync_session, "before_flush", owner_deletes_first, once=True)

    assert await services.process_media_item(db, storage_from_settings(settings), media_id) is None
    assert_nothing_left(settings)


class DeletedOnRead:
    """The test's storage, but the owner deletes the item just as the job fetches the upload."""

    def __init__(self, storage: MediaStorage, delete: Callable[[], None]) -> None:
        self.storage, self.delete_item = storage, delete

    def get_file(self, key: str, path: Path) -> bool:
        self.delete_item()
        return self.storage.get_file(key, path)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.storage, name)


async def test_an_item_whose_upload_vanished_with_it_ends_the_job(alice, settings, db):
    waiting = await waiting_upload(db, settings, small_photo())
    media_id = waiting.id
    storage = DeletedOnRead(
        storage_from_settings(settings), lambda: alice.delete(f"/media/{media_id}").raise_for_status()
    )

    assert await services.process_media_item(db, storage, media_id) is None
    assert_nothing_left(settings)


async def test_a_broken_photo_deleted_while_it_is_decoded_ends_the_job(
    alice, settings, db, truncated_jpeg, monkeypatch: pytest.MonkeyPatch
):
    waiting = await waiting_upload(db, settings, truncated_jpeg)
    media_id = waiting.id
    real_process_photo = process_photo

    def owner_deletes_meanwhile(*args: Any, **kwargs: Any) -> Any:
        assert alice.delete(f"/media/{media_id}").status_code == 204
        return real_process_photo(*args, **kwargs)  # fails: the photo is cut short

    monkeypatch.setattr(services, "process_photo", owner_deletes_meanwhile)

    assert await services.process_media_item(db, storage_from_settings(settings), media_id) is None
    assert_nothing_left(settings)


async def test_a_video_whose_post_is_deleted_while_it_is_encoded_leaves_no_files(
    alice, settings, db, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
):
    waiting = await waiting_upload(
        db, settings, make_video("mov", "libx264", (320, 240), seconds=0.5, rotation=90)
    )
    media_id = waiting.id
    post = alice.post("/posts", json={"items": [{"media_id": str(media_id)}]})
    assert post.status_code == 201, post.text
    real_transcode = transcode_video

    def author_deletes_the_post_meanwhile(*args: Any, **kwargs: Any) -> Any:
        video = real_transcode(*args, **kwargs)
        assert alice.delete(f"/posts/{post.json()['id']}").status_code == 204
        return video

    monkeypatch.setattr(services, "transcode_video", author_deletes_the_post_meanwhile)

    await enqueue(process_media, media_id)  # the job itself, inline: it must not fail

    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert_nothing_left(settings)
    assert query(settings, "SELECT count(*) FROM posts") == [(0,)]

"""Known-bad media through the app: staff list hashes (a CSV import, one click on a removed post),
uploads matching them are refused with 451 and their uploader gets a case, nothing is kept."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from tests.helpers import assert_error
from tests.moderation.staff import make_staff
from viewfinder.core import ids
from viewfinder.core.db import make_async_engine, make_sessionmaker
from viewfinder.detection import pdq
from viewfinder.detection.cli import ml
from viewfinder.detection.models import KnownBadHash
from viewfinder.detection.pdq_eval import _image, _jpeg, draw, transform
from viewfinder.media.models import MediaItem
from viewfinder.mediakit.storage import storage_from_settings
from viewfinder.moderation.models import AuditEntry, ModerationCase

LIST = "/staff/known-bad-hashes"


def upload(api: Any, data: bytes, name: str = "photo.jpg") -> Any:
    return api.post("/media", files={"file": (name, data, "application/octet-stream")})


def photo(seed: int) -> bytes:
    return _jpeg(_image(draw(seed)))


def csv_line(found: pdq.PdqHash, quality: int | None = None, label: str = "test") -> str:
    return f"{found.hex},{found.quality if quality is None else quality},{label}\n"


def clip(seed: int, seconds: float = 2.0) -> bytes:
    """A short H.264 MP4 of one drawn picture, slowly brightening."""
    picture = draw(seed, 320, 240).astype(np.int16)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "clip.mp4"
        with av.open(str(path), "w", format="mp4") as output:
            stream: Any = output.add_stream("libx264", rate=10)
            stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
            for number in range(int(seconds * 10)):
                frame = np.clip(picture + number, 0, 255).astype(np.uint8)
                for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                    output.mux(packet)
            for packet in stream.encode():
                output.mux(packet)
        return path.read_bytes()


@pytest.fixture
async def owner(make_api, db):
    return await make_staff(make_api, db, "olga", "owner")


async def user_id(db, api) -> int:
    from viewfinder.accounts.models import User

    found = await db.scalar(select(User.id).where(User.username == api.username))
    assert found is not None
    return int(found)


async def user_case(db, uploader_id: int) -> ModerationCase | None:
    found: ModerationCase | None = await db.scalar(
        select(ModerationCase).where(
            ModerationCase.target_kind == "user", ModerationCase.target_id == uploader_id
        )
    )
    return found


def import_list(owner: Any, text: str, source: str = "test-list") -> Any:
    return owner.post(f"{LIST}/import", json={"source": source, "csv": text})


async def test_a_copy_of_a_listed_photo_is_refused_with_451_a_case_opens_and_nothing_is_kept(
    owner, make_api, db, settings
):
    original = photo(11)
    listed = pdq.photo_hash(original, max_pixels=10**8)
    imported = import_list(owner, "hash,quality,label\n" + csv_line(listed, label="known bad"))
    assert imported.status_code == 201, imported.text
    assert imported.json() == {"added": 1, "already_listed": 0, "below_quality": 0}
    uploader = make_api().signup("uploader")
    files_before = storage_from_settings(settings).list_keys()

    for name in ("resize_half", "jpeg_q50", "pipeline_640"):
        refused = upload(uploader, transform(original, name, 3))
        assert_error(refused, 451, "known_bad_media", ["file"])

    uploader_id = await user_id(db, uploader)
    assert await db.scalar(select(func.count(MediaItem.id)).where(MediaItem.owner_id == uploader_id)) == 0
    assert storage_from_settings(settings).list_keys() == files_before
    incoming = settings.data_dir / "incoming"
    assert not incoming.exists() or list(incoming.iterdir()) == []
    case = await user_case(db, uploader_id)
    assert case is not None
    assert case.status == "open"
    assert case.automated_score == 1.0
    flagged = await db.scalar(
        select(AuditEntry).where(AuditEntry.action == "case.flagged", AuditEntry.target_id == case.id)
    )
    assert flagged is not None
    assert "test-list" in flagged.reason
    assert "known bad" in flagged.reason


async def test_a_cropped_or_turned_copy_of_a_photo_on_an_imported_list_is_refused(owner, make_api, db):
    # An imported list holds the photo's one hash; the copies' own hashes are far from it, so only
    # the upload's query variants (pdq.query_hashes) can refuse them.
    original = photo(16)
    listed = pdq.photo_hash(original, max_pixels=10**8)
    assert import_list(owner, csv_line(listed, label="imported")).status_code == 201
    uploader = make_api().signup("uploader")
    for name, seed in (("crop_5pct", 3), ("rotate_up_to_3deg", 4)):
        copy = transform(original, name, seed)
        assert pdq.hamming(pdq.photo_hash(copy, max_pixels=10**8).hex, listed.hex) > pdq.MAX_DISTANCE
        assert_error(upload(uploader, copy), 451, "known_bad_media", ["file"])
    assert await user_case(db, await user_id(db, uploader)) is not None
    assert upload(uploader, photo(17)).status_code == 202


async def test_an_unrelated_photo_passes_and_a_low_quality_hash_never_matches(owner, make_api, db):
    original = photo(12)
    listed = pdq.photo_hash(original, max_pixels=10**8)
    imported = import_list(owner, csv_line(listed, quality=40))
    assert imported.json() == {"added": 1, "already_listed": 0, "below_quality": 1}
    uploader = make_api().signup("uploader")

    unrelated = upload(uploader, photo(13))
    assert unrelated.status_code == 202, unrelated.text
    assert unrelated.json()["state"] == "ready"
    # Its only listed hash is below quality 50: kept in the list, never matched.
    same = upload(uploader, original)
    assert same.status_code == 202, same.text
    assert await user_case(db, await user_id(db, uploader)) is None
    listed_now = owner.get(LIST).json()
    assert (listed_now["total"], listed_now["matchable"]) == (1, 0)


async def test_a_bad_line_refuses_the_whole_import_naming_the_line(owner):
    good = pdq.PdqHash("a" * 64, 90)
    refused = import_list(owner, csv_line(good) + csv_line(good, label="twice") + "zz,90,bad\n")
    error = assert_error(refused, 422, "bad_hash_list", ["file"])
    assert error["message"].startswith("Line 3")
    assert owner.get(LIST).json()["total"] == 0
    assert owner.post(f"{LIST}/import", json={"source": "", "csv": csv_line(good)}).status_code == 400
    assert owner.post(f"{LIST}/import", json={"source": "x"}).status_code == 400

    twice = import_list(owner, csv_line(good) + csv_line(good, label="twice"))
    assert twice.json() == {"added": 1, "already_listed": 1, "below_quality": 0}
    again = import_list(owner, csv_line(good), source="another list")
    assert again.json() == {"added": 0, "already_listed": 1, "below_quality": 0}


async def test_a_deleted_hash_stops_matching_at_once(owner, make_api):
    original = photo(14)
    import_list(owner, csv_line(pdq.photo_hash(original, max_pixels=10**8)))
    uploader = make_api().signup("uploader")
    assert upload(uploader, original).status_code == 451
    hash_id = owner.get(LIST).json()["items"][0]["id"]

    assert owner.delete(f"{LIST}/{hash_id}").status_code == 204
    assert upload(uploader, original).status_code == 202
    assert_error(owner.delete(f"{LIST}/{hash_id}"), 404, "not_found")
    assert_error(owner.delete(f"{LIST}/nonsense"), 404, "not_found")


async def test_one_click_lists_a_removed_posts_photo_and_its_cropped_copies_are_refused(
    owner, make_api, db, settings
):
    author = make_api().signup("author")
    original = photo(15)
    uploaded = upload(author, original)
    assert uploaded.status_code == 202, uploaded.text
    created = author.post("/posts", json={"items": [{"media_id": uploaded.json()["id"]}], "caption": "x"})
    assert created.status_code == 201, created.text
    post_id = created.json()["id"]
    assert_error(owner.post(f"/staff/posts/{post_id}/known-bad-hashes"), 409, "not_removed")

    reporter = make_api().signup("reporter")
    reported = reporter.post("/reports", json={"target": "post", "target_id": post_id, "reason": "spam"})
    assert reported.status_code == 201, reported.text
    cases = owner.get("/staff/cases", params={"limit": "100"}).json()["items"]
    case_id = next(c["id"] for c in cases if c["target_id"] == post_id)
    removed = owner.post(f"/staff/cases/{case_id}/actions", json={"action": "remove_content", "reason": "x"})
    assert removed.status_code == 201, removed.text

    listed = owner.post(f"/staff/posts/{post_id}/known-bad-hashes")
    assert listed.status_code == 201, listed.text
    assert listed.json()["added"] >= 20
    assert listed.json()["added"] == len(listed.json()["hashes"])
    rows = (await db.scalars(select(KnownBadHash).where(KnownBadHash.source == f"post {post_id}"))).all()
    assert len(rows) == listed.json()["added"]
    assert {row.added_by_id for row in rows} == {await user_id(db, owner)}
    again = owner.post(f"/staff/posts/{post_id}/known-bad-hashes")
    assert again.json()["added"] == 0

    copier = make_api().signup("copier")
    for name in ("crop_5pct", "rotate_up_to_3deg", "pipeline_640"):
        assert_error(upload(copier, transform(original, name, 4)), 451, "known_bad_media")
    assert await user_case(db, await user_id(db, copier)) is not None
    assert_error(owner.post("/staff/posts/123/known-bad-hashes"), 404, "not_found")
    assert_error(owner.post("/staff/posts/x/known-bad-hashes"), 404, "not_found")


async def test_a_video_with_a_listed_keyframe_fails_in_processing_and_opens_a_case(owner, make_api, db):
    video = clip(16)
    keyframes = pdq.video_hashes(video)
    assert keyframes
    import_list(owner, csv_line(keyframes[0]))
    uploader = make_api().signup("uploader")

    response = upload(uploader, video, "clip.mp4")
    assert response.status_code == 202, response.text
    item = response.json()
    assert item["state"] == "failed"
    assert item["failure"]["code"] == "known_bad_media"
    stored = await db.get(MediaItem, int(item["id"]))
    assert stored is not None
    assert stored.failure_code == "known_bad_media"
    assert stored.original_key is None
    assert await user_case(db, await user_id(db, uploader)) is not None

    other = upload(uploader, clip(17), "other.mp4")
    assert other.json()["state"] == "ready", other.text


def test_the_command_line_imports_a_list(settings, tmp_path, monkeypatch):
    monkeypatch.setattr("viewfinder.settings.get_settings", lambda: settings)
    listed = tmp_path / "list.csv"
    listed.write_text("hash,quality,label\n" + f"{'b' * 64},80,x\n{'c' * 64},20,y\n")
    try:
        result = CliRunner().invoke(ml, ["import-hashes", str(listed), "--source", "te-2026"])
    finally:
        ids.release_shard()  # the command claimed an ID shard under this test's data directory
    assert result.exit_code == 0, result.output
    assert "Imported 2 hashes from te-2026" in result.output

    async def stored() -> tuple[int, list[int | None]]:
        engine = make_async_engine(settings.resolved_database_url)
        try:
            async with make_sessionmaker(engine)() as db:
                count = await db.scalar(
                    select(func.count(KnownBadHash.id)).where(KnownBadHash.source == "te-2026")
                )
                actors = await db.scalars(
                    select(AuditEntry.actor_id).where(AuditEntry.action == "hashes.imported")
                )
                return int(count or 0), list(actors)
        finally:
            await engine.dispose()

    assert asyncio.run(stored()) == (2, [None])

    listed.write_text("nope\n")
    try:
        failed = CliRunner().invoke(ml, ["import-hashes", str(listed)])
    finally:
        ids.release_shard()
    assert failed.exit_code != 0
    assert "Line 1" in failed.output


async def test_erasing_a_staff_member_keeps_their_hashes_and_unlinks_them(owner, make_api, db):
    original = photo(15)
    assert import_list(owner, csv_line(pdq.photo_hash(original, max_pixels=10**8))).status_code == 201
    staff_id = await user_id(db, owner)

    await pdq.delete_account_data(db, staff_id)

    listed = (await db.scalars(select(KnownBadHash))).all()
    assert [row.added_by_id for row in listed] == [None]
    assert upload(make_api().signup("uploader"), original).status_code == 451

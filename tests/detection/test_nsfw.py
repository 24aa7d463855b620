"""The nudity detector (open_nsfw) in the media job: every processed photo and video gets a score
before it is ready; by the settings' thresholds a high score marks the post carrying it sensitive or
holds it for review with a moderation case, whether the post was made before or after the item was
processed. Ordinary photos score low, so each test lowers a threshold below them."""

from __future__ import annotations

import asyncio
import json
import tempfile
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import Api
from tests.database import is_postgresql
from tests.helpers import make_post, small_photo
from tests.moderation.staff import make_staff
from viewfinder.accounts.models import User
from viewfinder.core.db import make_async_engine, make_sessionmaker
from viewfinder.detection import nsfw
from viewfinder.media import nsfw_posts
from viewfinder.media import services as media
from viewfinder.media.models import MediaItem, MediaState
from viewfinder.mediakit.storage import MediaStorage, storage_from_settings
from viewfinder.moderation.models import AuditEntry, ModerationCase
from viewfinder.posts import services as posts
from viewfinder.posts.models import Post
from viewfinder.settings import Settings


def grey_steps_video(steps: int = 20, fps: int = 10, size: tuple[int, int] = (160, 120)) -> bytes:
    """An MP4 whose frames brighten over time: frame i is grey level 10 + 12 * (i // fps)."""
    width, height = size
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "clip.mp4"
        with av.open(str(path), "w", format="mp4") as output:
            stream: Any = output.add_stream("libx264", rate=fps, options={"g": str(fps)})
            stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
            for index in range(steps * fps // 10 * 10):
                level = 10 + 12 * (index // fps)
                pixels = np.full((height, width, 3), level, dtype=np.uint8)
                frame = av.VideoFrame.from_ndarray(pixels, format="rgb24").reformat(format="yuv420p")
                frame.pts = index
                output.mux(stream.encode(frame))
            output.mux(stream.encode(None))
        return path.read_bytes()


def test_a_photo_scores_low_and_the_session_is_built_once():
    first = nsfw.score_photo(small_photo("white", (320, 320)))
    session = nsfw.session()
    assert 0.0 <= first < 0.5
    assert nsfw.score_photo(small_photo("white", (320, 320))) == pytest.approx(first)
    assert nsfw.session() is session
    options = session.get_session_options()
    assert options.intra_op_num_threads == 1  # leaves the other cores to the web processes


def test_video_keyframes_are_the_first_the_middle_and_a_few_more(tmp_path):
    path = tmp_path / "steps.mp4"
    path.write_bytes(grey_steps_video())  # 20 s, one grey level per second
    inputs = list(nsfw.video_inputs(path))
    assert len(inputs) == len(nsfw.KEYFRAME_FRACTIONS) == 5
    # model_input subtracts the mean colour: add it back to read the grey level of each keyframe.
    levels = [round(float((frame + nsfw.MEAN_BGR).mean())) for frame in inputs]
    seconds = [round((level - 10) / 12) for level in levels]
    assert seconds == [0, 5, 10, 15, 19]
    assert nsfw.score_video(path) == pytest.approx(max(nsfw.score_inputs(inputs)))


def test_the_evaluation_reports_rates_and_latency_next_to_its_baseline():
    result = nsfw.evaluate(demo_photos=2, sensitive_threshold=0.8, hold_threshold=0.95)
    assert result["photos"] >= 2
    assert result["by_source"]["demo"]["photos"] == 2
    assert (result["held_rate"], result["sensitive_rate"]) == (0.0, 0.0)  # landscapes
    assert result["latency_ms"]["p50"] > 0
    assert set(result["baseline"]) >= {"name", "held_rate", "sensitive_rate", "latency_ms"}
    assert 0 < result["held_rate_upper_95"] <= 1
    assert json.loads(json.dumps(result)) == result


async def test_a_processed_photo_and_video_store_their_score(
    db: AsyncSession, storage: MediaStorage, settings: Settings, alice: Api
):
    owner = await _author(db, alice)
    photo = await media.record_upload(db, storage, owner, small_photo("white", (400, 400)), **_limits())
    video = await media.record_upload(db, storage, owner, grey_steps_video(steps=3), **_limits())
    assert photo.nsfw_score is None
    done_photo = await media.process_media_item(db, storage, photo.id)
    done_video = await media.process_media_item(db, storage, video.id)
    assert done_photo is not None
    assert done_video is not None
    assert done_photo.state == done_video.state == MediaState.READY
    assert done_photo.nsfw_score is not None
    assert 0.0 <= done_photo.nsfw_score < settings.nsfw_sensitive_threshold
    assert done_video.kind == "video"
    assert done_video.nsfw_score is not None
    assert 0.0 <= done_video.nsfw_score < settings.nsfw_sensitive_threshold


async def test_with_scanning_off_nothing_is_scored(
    db: AsyncSession, storage: MediaStorage, settings: Settings, monkeypatch: pytest.MonkeyPatch, alice: Api
):
    monkeypatch.setattr(settings, "nsfw_scan", False)
    assert (await _processed_photo(db, storage, alice)).nsfw_score is None


async def test_a_model_failure_leaves_the_item_unscored_but_ready(
    db: AsyncSession, storage: MediaStorage, monkeypatch: pytest.MonkeyPatch, alice: Api
):
    def broken(data: bytes) -> float:
        raise RuntimeError("the model file is damaged")

    monkeypatch.setattr(nsfw, "score_photo", broken)
    assert (await _processed_photo(db, storage, alice)).nsfw_score is None


async def test_above_the_hold_threshold_a_post_is_held_with_a_case_and_its_score(
    alice: Api, bob: Api, settings: Settings, monkeypatch: pytest.MonkeyPatch, db: AsyncSession
):
    monkeypatch.setattr(settings, "nsfw_hold_threshold", 0.0)  # below any photo's score
    bob.post("/users/alice/follow")
    post = make_post(alice, "at the beach")  # processed (inline) before the post is made
    assert (post["moderation"], post["sensitive"]) == ("held", True)
    assert bob.get(f"/posts/{post['id']}").status_code == 404
    assert post["id"] not in [p["id"] for p in bob.get("/feed").json()["items"]]
    assert (await _author(db, alice)).posts_count == 0  # others do not see it

    case, flags = await _case_and_flags(db, int(post["id"]))
    item = await db.get(MediaItem, int(post["items"][0]["media"]["id"]))
    assert item is not None
    assert item.nsfw_score is not None
    assert case is not None
    assert (case.target_kind, case.status) == ("post", "open")
    assert case.automated_score == pytest.approx(item.nsfw_score, abs=1e-3)
    assert len(flags) == 1
    assert flags[0].reason is not None
    assert flags[0].reason.startswith(f"open_nsfw: media item {item.id} scored")


async def test_above_the_sensitive_threshold_others_see_the_warning_flag(
    alice: Api, bob: Api, anon: Api, settings: Settings, monkeypatch: pytest.MonkeyPatch, db: AsyncSession
):
    monkeypatch.setattr(settings, "nsfw_sensitive_threshold", 0.0)
    post = make_post(alice, "sunset")
    assert (post["moderation"], post["sensitive"]) == ("visible", True)
    for viewer in (bob, anon):
        body = viewer.get(f"/posts/{post['id']}").json()
        assert (body["sensitive"], body["moderation"]) == (True, "visible")
    assert alice.get("/users/alice/posts").json()["items"][0]["sensitive"] is True
    assert (await _case_and_flags(db, int(post["id"])))[0] is None  # marking sensitive opens no case
    # The author cannot take off the detector's mark.
    edited = alice.patch(f"/posts/{post['id']}", json={"sensitive": False})
    assert edited.status_code == 200
    assert edited.json()["sensitive"] is True


def test_ordinary_photos_at_the_default_thresholds_are_left_alone(alice: Api, bob: Api):
    post = make_post(alice, "plain")
    assert (post["moderation"], post["sensitive"]) == ("visible", False)
    assert bob.get(f"/posts/{post['id']}").json()["sensitive"] is False


async def test_an_item_processed_after_its_post_exists_holds_the_post_in_the_job(
    db: AsyncSession, storage: MediaStorage, settings: Settings, monkeypatch: pytest.MonkeyPatch, alice: Api
):
    monkeypatch.setattr(settings, "nsfw_hold_threshold", 0.0)
    owner = await _author(db, alice)
    item = await media.record_upload(db, storage, owner, small_photo(), **_limits())
    post = await posts.create_post(db, owner, [posts.NewItem(item.id)], caption="soon", settings=settings)
    post_id = post.id
    assert (post.moderation, post.sensitive) == ("visible", False)  # not scored yet
    assert (await _author(db, alice)).posts_count == 1

    done = await media.process_media_item(db, storage, item.id)
    assert done is not None
    assert done.state == MediaState.READY
    assert done.nsfw_score is not None
    score = done.nsfw_score
    db.expire_all()
    held = await db.get(Post, post_id)
    assert held is not None
    assert (held.moderation, held.sensitive, held.author_sensitive) == (
        "held",
        True,
        False,
    )
    assert (await _author(db, alice)).posts_count == 0
    case = await db.scalar(select(ModerationCase).where(ModerationCase.target_id == post_id))
    assert case is not None
    assert case.target_kind == "post"
    assert case.automated_score is not None
    assert case.automated_score == pytest.approx(score, abs=1e-3)


async def test_a_post_made_while_its_item_is_being_scored_still_gets_the_score(
    db: AsyncSession, storage: MediaStorage, settings: Settings, alice: Api
):
    """PostgreSQL runs the job and the post's creation at once: whichever locks the item first, the
    other waits for its commit, so the score reaches the post (SQLite has one writer at a time)."""
    if not is_postgresql(settings):
        pytest.skip("concurrent writers: PostgreSQL only (the scale stack)")
    owner = await _author(db, alice)
    item = await media.record_upload(db, storage, owner, small_photo(), **_limits())
    engine = make_async_engine(settings.resolved_database_url)
    try:
        async with make_sessionmaker(engine)() as job, make_sessionmaker(engine)() as poster:
            # The job, just before the item is ready: a score high enough to hold, no post yet.
            scored = await job.get(MediaItem, item.id)
            assert scored is not None
            scored.nsfw_score = 0.99
            with job.no_autoflush:
                assert (await nsfw_posts.apply_to_post_of(job, scored, settings)).hold
            author = await poster.get(User, owner.id)
            assert author is not None
            making = asyncio.create_task(
                posts.create_post(poster, author, [posts.NewItem(item.id)], caption="now", settings=settings)
            )
            await asyncio.sleep(0.5)
            assert not making.done()  # waiting for the job's lock on the item
            await job.commit()
            post = await asyncio.wait_for(making, 10)
            assert (post.moderation, post.sensitive) == ("held", True)
    finally:
        await engine.dispose()


async def test_a_staff_decision_is_never_undone_and_nothing_is_deleted(
    db: AsyncSession, storage: MediaStorage, settings: Settings, monkeypatch: pytest.MonkeyPatch, alice: Api
):
    monkeypatch.setattr(settings, "nsfw_hold_threshold", 0.0)
    owner = await _author(db, alice)
    first = await media.record_upload(db, storage, owner, small_photo("blue"), **_limits())
    second = await media.record_upload(db, storage, owner, small_photo("green"), **_limits())
    post = await posts.create_post(
        db, owner, [posts.NewItem(first.id), posts.NewItem(second.id)], settings=settings
    )
    post_id, second_id, owner_id = post.id, second.id, owner.id
    await media.process_media_item(db, storage, first.id)
    db.expire_all()
    stored = await db.get(Post, post_id)
    assert stored is not None
    assert stored.moderation == "held"
    stored.moderation = "removed"  # staff removed it meanwhile
    await db.commit()
    await media.process_media_item(db, storage, second_id)  # its other item scores high too
    db.expire_all()
    again = await db.get(Post, post_id)
    assert again is not None
    assert again.moderation == "removed"
    assert again.sensitive
    assert len(list(await db.scalars(select(MediaItem).where(MediaItem.owner_id == owner_id)))) == 2


async def test_a_held_video_post(
    db: AsyncSession, storage: MediaStorage, settings: Settings, monkeypatch: pytest.MonkeyPatch, alice: Api
):
    monkeypatch.setattr(settings, "nsfw_hold_threshold", 0.0)
    owner = await _author(db, alice)
    item = await media.record_upload(db, storage, owner, grey_steps_video(steps=3), **_limits())
    post = await posts.create_post(db, owner, [posts.NewItem(item.id)], settings=settings)
    post_id = post.id
    await media.process_media_item(db, storage, item.id)
    db.expire_all()
    held = await db.get(Post, post_id)
    assert held is not None
    assert held.moderation == "held"


# --- the author's own mark ------------------------------------------------------------------------


def test_an_author_marks_their_post_sensitive_on_creation_and_later_and_can_unmark_their_own(
    alice: Api, bob: Api
):
    post = make_post(alice, "a scar", sensitive=True)
    assert post["sensitive"] is True
    assert bob.get(f"/posts/{post['id']}").json()["sensitive"] is True
    assert alice.patch(f"/posts/{post['id']}", json={"sensitive": False}).json()["sensitive"] is False
    assert bob.get(f"/posts/{post['id']}").json()["sensitive"] is False

    other = make_post(alice, "later")
    assert other["sensitive"] is False
    assert alice.patch(f"/posts/{other['id']}", json={"sensitive": True}).json()["sensitive"] is True
    assert bob.get(f"/posts/{other['id']}").json()["sensitive"] is True


def test_only_the_author_sets_the_mark_and_it_must_be_a_boolean(alice: Api, bob: Api):
    post = make_post(alice, "mine")
    assert bob.patch(f"/posts/{post['id']}", json={"sensitive": True}).status_code == 404
    bad = alice.patch(f"/posts/{post['id']}", json={"sensitive": "yes"})
    assert bad.status_code == 400
    assert bad.json()["error"]["code"]
    assert alice.get(f"/posts/{post['id']}").json()["sensitive"] is False


async def test_an_author_cannot_unmark_what_staff_marked(make_api, db: AsyncSession, alice: Api, carol: Api):
    from tests.moderation.acting import act, reported_case

    mia = await make_staff(make_api, db, "mia", "moderator")
    post = make_post(alice, "blood", sensitive=True)
    case = reported_case(carol, mia, "post", post["id"])
    act(mia, case, "mark_sensitive")
    unmarked = alice.patch(f"/posts/{post['id']}", json={"sensitive": False})
    assert unmarked.status_code == 200
    assert unmarked.json()["sensitive"] is True
    assert carol.get(f"/posts/{post['id']}").json()["sensitive"] is True


# --- helpers ---------------------------------------------------------------------------------------


def _limits() -> dict[str, Any]:
    return {"filter_name": "normal", "crop": None, "max_bytes": 10**8, "max_pixels": 10**8}


@pytest.fixture
def storage(settings: Settings) -> MediaStorage:
    return storage_from_settings(settings)


async def _author(db: AsyncSession, api: Api) -> User:
    user = await db.get(User, int(api.me["profile"]["id"]))
    assert user is not None
    return user


async def _processed_photo(db: AsyncSession, storage: MediaStorage, api: Api) -> MediaItem:
    """A small photo of `api`'s account uploaded and processed (ready)."""
    item = await media.record_upload(db, storage, await _author(db, api), small_photo(), **_limits())
    done = await media.process_media_item(db, storage, item.id)
    assert done is not None
    assert done.state == MediaState.READY
    return done


async def _case_and_flags(db: AsyncSession, post_id: int) -> tuple[ModerationCase | None, list[AuditEntry]]:
    """The post's moderation case (or None) and its case.flagged audit entries, read afresh."""
    db.expire_all()
    case = await db.scalar(
        select(ModerationCase).where(
            ModerationCase.target_kind == "post", ModerationCase.target_id == post_id
        )
    )
    if case is None:
        return None, []
    flags = await db.scalars(
        select(AuditEntry).where(AuditEntry.action == "case.flagged", AuditEntry.target_id == case.id)
    )
    return case, list(flags)

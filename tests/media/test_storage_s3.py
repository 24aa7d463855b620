"""Media on an S3-compatible server: what the bucket holds beyond the shared interface (headers, server-side
copies, a bucket made on first write), settings, and an S3 server that is unreachable or goes away.

The interface itself runs on every backend in tests/core/test_storage.py; the whole suite runs on S3 with
`make test-scale`.
"""

from __future__ import annotations

import logging
import os
import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import Api
from tests.helpers import assert_error, dedicated_api, small_photo
from tests.stacks import SCALE, worker_id
from tests.stacks import s3 as s3_stack
from tests.test_cli import free_port, viewfinder
from viewfinder.media.models import MediaItem
from viewfinder.mediakit.storage import (
    IMMUTABLE_CACHE_CONTROL,
    S3MediaStorage,
    StorageUnavailable,
    discard,
    put_in_thread,
    storage_from_settings,
)
from viewfinder.settings import ConfigurationError, Settings

REPO = Path(__file__).resolve().parents[2]
S3_SERVER = pytest.mark.skipif(
    not s3_stack.ACTIVE,
    reason="needs the scale stack's S3 server: "
    'scripts/services/s3 start && eval "$(scripts/services/s3 env)" (make test-scale does both)',
)


def s3_settings(tmp_path: Path, **overrides: Any) -> Settings:
    return Settings(
        env="test",
        data_dir=tmp_path,
        public_url="https://testserver.local",
        **{"media_backend": "s3", **s3_stack.connection(), **overrides},
    )


@pytest.fixture
def bucket_settings(tmp_path: Path) -> Any:
    with s3_stack.temporary_bucket(worker_id()) as overrides:
        yield s3_settings(tmp_path, **overrides)


async def media_item_count(db: AsyncSession) -> int:
    return int(await db.scalar(select(func.count()).select_from(MediaItem)) or 0)


def s3_of(settings: Settings) -> S3MediaStorage:
    storage = storage_from_settings(settings)
    assert isinstance(storage, S3MediaStorage)
    return storage


# Settings


def test_the_s3_backend_is_chosen_by_settings_with_path_style_addressing_for_other_endpoints(tmp_path):
    storage = s3_of(s3_settings(tmp_path, s3_bucket="media", s3_endpoint_url="http://127.0.0.1:9"))
    assert storage.bucket == "media"
    assert storage.client.meta.config.s3["addressing_style"] == "path"
    assert storage.client.meta.endpoint_url == "http://127.0.0.1:9"
    assert storage.url("photos/1/ab.jpg") == "https://testserver.local/media/photos/1/ab.jpg"
    # Media URLs follow media_base_url (a CDN host), whatever holds the bytes.
    cdn = s3_of(s3_settings(tmp_path, s3_bucket="media", media_base_url="https://cdn.example/m"))
    assert cdn.url("photos/1/ab.jpg") == "https://cdn.example/m/photos/1/ab.jpg"

    aws = s3_of(s3_settings(tmp_path, s3_bucket="media", s3_endpoint_url=None, s3_region="eu-west-1"))
    assert aws.client.meta.region_name == "eu-west-1"
    assert aws.client.meta.config.s3["addressing_style"] == "auto"


def test_the_s3_backend_without_a_bucket_is_a_configuration_error(tmp_path):
    with pytest.raises(ConfigurationError, match="VIEWFINDER_S3_BUCKET"):
        storage_from_settings(s3_settings(tmp_path, s3_bucket=None))


# An S3 server that does not answer


def test_an_unreachable_s3_server_is_a_503_for_every_operation(tmp_path):
    down = s3_of(s3_settings(tmp_path, s3_bucket="media", s3_endpoint_url=f"http://127.0.0.1:{free_port()}"))
    operations: list[Callable[[], object]] = [
        lambda: down.put("photos/1/ab.jpg", b"x", "image/jpeg"),
        lambda: down.get("photos/1/ab.jpg"),
        lambda: down.exists("photos/1/ab.jpg"),
        lambda: down.size("photos/1/ab.jpg"),
        lambda: down.read("photos/1/ab.jpg", 0, 1),
        lambda: down.delete("photos/1/ab.jpg"),
        lambda: down.copy("photos/1/ab.jpg", "photos/2/ab.jpg"),
        lambda: down.list_keys(),
    ]
    for operation in operations:
        with pytest.raises(StorageUnavailable) as raised:
            operation()
        assert raised.value.status_code == 503
        assert raised.value.code == "storage_unavailable"
        assert raised.value.headers == {"Retry-After": "5"}


async def test_files_discarded_after_a_commit_are_left_behind_not_failed_while_s3_is_unreachable(
    tmp_path, caplog
):
    down = s3_of(s3_settings(tmp_path, s3_bucket="media", s3_endpoint_url=f"http://127.0.0.1:{free_port()}"))
    with caplog.at_level(logging.WARNING, logger="viewfinder.mediakit.storage"):
        await discard(down, ["photos/1/ab.jpg", "uploads/1/2"])
    left = [r.getMessage() for r in caplog.records if "left behind" in r.getMessage()]
    assert len(left) == 2
    assert left[0].startswith("media file photos/1/ab.jpg left behind")
    with pytest.raises(StorageUnavailable):
        await put_in_thread(down, "photos/1/ab.jpg", b"x", "image/jpeg")


async def test_uploads_and_media_answer_503_in_the_error_shape_while_s3_is_unreachable(settings, db):
    changes = {
        "media_backend": "s3",
        "s3_bucket": "media",
        "s3_endpoint_url": f"http://127.0.0.1:{free_port()}",
    }
    with dedicated_api(settings, **changes) as api:
        api.signup("dora")
        assert_error(
            api.post("/media", files={"file": ("p.jpg", small_photo(), "image/jpeg")}),
            503,
            "storage_unavailable",
        )
        assert await media_item_count(db) == 0
        avatar = api.put("/accounts/me/avatar", files={"data": ("me.jpg", small_photo(), "image/jpeg")})
        assert_error(avatar, 503, "storage_unavailable")
        assert api.get("/accounts/me").json()["profile"]["avatar_url"] is None
        assert_error(api.client.get("/media/avatars/1/abcdef.jpg"), 503, "storage_unavailable")


# On the S3 server


@S3_SERVER
def test_objects_carry_their_content_type_and_an_immutable_cache_control(bucket_settings):
    storage = s3_of(bucket_settings)
    storage.put("photos/1/abc.webp", b"RIFF....WEBP", "image/webp")
    storage.copy("photos/1/abc.webp", "photos/2/abc.webp")
    for key in ("photos/1/abc.webp", "photos/2/abc.webp"):  # a server-side copy keeps them
        head = storage.client.head_object(Bucket=storage.bucket, Key=key)
        assert head["ContentType"] == "image/webp"
        assert head["CacheControl"] == IMMUTABLE_CACHE_CONTROL
        assert head["ContentLength"] == len(b"RIFF....WEBP")


@S3_SERVER
def test_a_missing_bucket_reads_as_empty_and_is_created_by_the_first_write(tmp_path):
    bucket = f"vf-test-lazy-{uuid.uuid4().hex[:12]}"
    settings = s3_settings(tmp_path, s3_bucket=bucket)
    storage = s3_of(settings)
    try:
        assert storage.get("avatars/1/a.jpg") is None
        assert not storage.exists("avatars/1/a.jpg")
        assert storage.list_keys() == []
        storage.delete("avatars/1/a.jpg")
        with pytest.raises(FileNotFoundError):
            storage.copy("avatars/1/a.jpg", "avatars/2/a.jpg")

        storage.put("avatars/1/a.jpg", b"\xff\xd8", "image/jpeg")
        assert storage.get("avatars/1/a.jpg") == b"\xff\xd8"
        storage.create_bucket()  # idempotent: the bucket and what it holds stay
        assert storage.list_keys() == ["avatars/1/a.jpg"]
    finally:
        s3_stack.remove_bucket(bucket, s3_stack.connection())


@S3_SERVER
def test_viewfinder_check_writes_and_removes_its_probe_in_the_bucket(bucket_settings, tmp_path):
    extra = {
        "VIEWFINDER_MEDIA_BACKEND": "s3",
        "VIEWFINDER_S3_BUCKET": str(bucket_settings.s3_bucket),
        "VIEWFINDER_S3_ENDPOINT_URL": str(bucket_settings.s3_endpoint_url),
        "VIEWFINDER_S3_REGION": bucket_settings.s3_region,
        "VIEWFINDER_S3_ACCESS_KEY_ID": str(bucket_settings.s3_access_key_id),
        "VIEWFINDER_S3_SECRET_ACCESS_KEY": "test",
    }
    result = viewfinder(tmp_path / "cli", "check", **extra)
    line = next(line for line in result.stdout.splitlines() if line.startswith("media storage"))
    assert " ok " in line, result.stdout + result.stderr
    assert storage_from_settings(bucket_settings).list_keys() == []


# The S3 server going away and coming back


def s3_service(action: str, services_dir: Path, port: int) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "VIEWFINDER_SERVICES_DIR": str(services_dir), "VIEWFINDER_S3_PORT": str(port)}
    return subprocess.run(
        [str(REPO / "scripts/services/s3"), action], env=env, capture_output=True, text=True, timeout=120
    )


def upload_photo(api: Api, colour: str) -> Any:
    return api.post("/media", files={"file": ("p.jpg", small_photo(colour), "image/jpeg")})


@pytest.mark.skipif(
    not (SCALE and s3_stack.ACTIVE), reason="a fault test: it stops and starts an S3 server (make test-scale)"
)
async def test_media_answers_503_while_the_s3_server_is_down_and_recovers_when_it_returns(
    settings, tmp_path, db
):
    """A server of its own (the shared one serves other test processes), stopped and started through the
    service script. moto keeps objects in memory, so it comes back empty: the bucket is made again by
    the first write, and what was stored before is gone (a real S3 service keeps it)."""
    services, port = tmp_path / "services", free_port()
    started = s3_service("start", services, port)
    assert started.returncode == 0, started.stderr
    try:
        changes = {"media_backend": "s3", "s3_bucket": "fault", "s3_endpoint_url": f"http://127.0.0.1:{port}"}
        with dedicated_api(settings, **changes) as api:
            api.signup("erin")
            before = upload_photo(api, "red")
            assert before.status_code == 202, before.text
            thumb = next(r["url"] for r in api.get(f"/media/{before.json()['id']}").json()["renditions"])
            assert api.client.get(thumb).status_code == 200

            assert s3_service("stop", services, port).returncode == 0
            assert s3_service("status", services, port).returncode != 0
            assert_error(upload_photo(api, "green"), 503, "storage_unavailable")
            assert_error(api.client.get(thumb), 503, "storage_unavailable")
            assert await media_item_count(db) == 1  # the refused upload left no item behind

            assert s3_service("start", services, port).returncode == 0
            after = upload_photo(api, "blue")
            assert after.status_code == 202, after.text
            assert api.get(f"/media/{after.json()['id']}").json()["state"] == "ready"
    finally:
        s3_service("stop", services, port)

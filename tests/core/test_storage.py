"""Media storage: the backend interface, run on every backend (a local directory, an S3 bucket), refusal
of escaping keys, the local directory's atomic writes and links, and GET /media on the test's stack."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.stacks import s3 as s3_stack
from tests.stacks import worker_id
from viewfinder.mediakit.storage import (
    InvalidKey,
    LocalMediaStorage,
    MediaBackend,
    MediaStorage,
    storage_from_settings,
)
from viewfinder.settings import Settings

BAD_KEYS = [
    "",
    "../escape.jpg",
    "avatars/../../escape.jpg",
    "avatars/..",
    "/etc/passwd",
    "avatars//x.jpg",
    "avatars/x.jpg/",
    "./x.jpg",
    "avatars/./x.jpg",
]
BASE_URL = "https://cdn.example/media/"
S3_SERVER = pytest.mark.skipif(
    not s3_stack.ACTIVE,
    reason="the S3 variant needs the scale stack's S3 server: "
    'scripts/services/s3 start && eval "$(scripts/services/s3 env)" (make test-scale does both)',
)


@pytest.fixture(params=["local", pytest.param("s3", marks=S3_SERVER)])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MediaBackend]:
    """Each backend, empty: a directory under tmp_path, or a bucket of its own on the S3 server."""
    if request.param == "local":
        yield LocalMediaStorage(tmp_path / "media", BASE_URL)
        return
    with s3_stack.temporary_bucket(worker_id()) as overrides:
        yield storage_from_settings(
            Settings(env="test", data_dir=tmp_path, media_base_url=BASE_URL, **overrides)
        )


@pytest.fixture
def local(tmp_path: Path) -> LocalMediaStorage:
    return LocalMediaStorage(tmp_path / "media", BASE_URL)


def files_under(root) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


# The interface, on every backend


def test_every_backend_offers_the_media_storage_interface(storage):
    assert isinstance(storage, MediaStorage)
    assert isinstance(storage, MediaBackend)


def test_put_get_exists_url_delete(storage):
    key = "avatars/ab/abcdef.jpg"
    assert not storage.exists(key)
    assert storage.get(key) is None

    storage.put(key, b"\xff\xd8jpeg bytes", "image/jpeg")
    assert storage.exists(key)
    assert storage.get(key) == b"\xff\xd8jpeg bytes"
    assert storage.url(key) == "https://cdn.example/media/avatars/ab/abcdef.jpg"

    storage.delete(key)
    assert not storage.exists(key)
    assert storage.get(key) is None
    storage.delete(key)  # deleting what is gone is not an error


def test_a_directory_is_not_a_stored_file(storage):
    storage.put("avatars/ab/abcdef.jpg", b"x", "image/jpeg")
    assert not storage.exists("avatars/ab")
    assert storage.get("avatars/ab") is None
    assert storage.size("avatars/ab") is None


@pytest.mark.parametrize("key", BAD_KEYS)
def test_keys_that_could_escape_the_root_are_refused(storage, tmp_path, key):
    with pytest.raises(InvalidKey):
        storage.put(key, b"x", "image/jpeg")
    with pytest.raises(InvalidKey):
        storage.delete(key)
    with pytest.raises(InvalidKey):
        storage.url(key)
    with pytest.raises(InvalidKey):
        storage.read(key, 0, 0)
    assert storage.get(key) is None
    assert not storage.exists(key)
    assert storage.size(key) is None
    assert files_under(tmp_path) == []
    assert storage.list_keys() == []


def test_size_and_byte_ranges(storage):
    data = bytes(range(256)) * 2000  # 512,000 bytes: more than one chunk
    storage.put("videos/1/abc.mp4", data, "video/mp4")
    assert storage.size("videos/1/abc.mp4") == len(data)
    assert b"".join(storage.read("videos/1/abc.mp4", 0, len(data) - 1)) == data
    assert b"".join(storage.read("videos/1/abc.mp4", 10, 19)) == data[10:20]
    assert b"".join(storage.read("videos/1/abc.mp4", len(data) - 5, len(data) - 1)) == data[-5:]
    storage.put("avatars/empty.jpg", b"", "image/jpeg")
    assert storage.size("avatars/empty.jpg") == 0
    assert b"".join(storage.read("avatars/empty.jpg", 0, -1)) == b""


def test_a_missing_key_has_no_size_and_cannot_be_read(storage):
    assert storage.size("videos/1/missing.mp4") is None
    with pytest.raises(FileNotFoundError):
        storage.read("videos/1/missing.mp4", 0, 10)


def test_keys_lists_what_is_stored_sorted_and_by_prefix(storage):
    assert storage.list_keys() == []
    for key in ("photos/2/b.jpg", "avatars/1/a.jpg", "photos/1/c.webp", "uploads/1/9"):
        storage.put(key, b"x", "image/jpeg")
    assert storage.list_keys() == ["avatars/1/a.jpg", "photos/1/c.webp", "photos/2/b.jpg", "uploads/1/9"]
    assert storage.list_keys("photos/") == ["photos/1/c.webp", "photos/2/b.jpg"]
    assert storage.list_keys("nothing/") == []


def test_copy_stores_the_bytes_under_a_second_key(storage):
    storage.put("photos/1/abc.jpg", b"\xff\xd8photo", "image/jpeg")
    storage.copy("photos/1/abc.jpg", "photos/2/abc.jpg")
    assert storage.get("photos/2/abc.jpg") == b"\xff\xd8photo"

    # Deleting either name leaves the other; copying onto an existing key replaces it.
    storage.delete("photos/1/abc.jpg")
    assert storage.get("photos/2/abc.jpg") == b"\xff\xd8photo"
    storage.put("photos/3/new.jpg", b"new", "image/jpeg")
    storage.copy("photos/3/new.jpg", "photos/2/abc.jpg")
    assert storage.get("photos/2/abc.jpg") == b"new"
    assert storage.list_keys() == ["photos/2/abc.jpg", "photos/3/new.jpg"]


def test_copy_of_a_missing_key_or_to_an_escaping_key_is_refused(storage, tmp_path):
    with pytest.raises(FileNotFoundError):
        storage.copy("photos/1/missing.jpg", "photos/2/missing.jpg")
    storage.put("photos/1/abc.jpg", b"x", "image/jpeg")
    with pytest.raises(InvalidKey):
        storage.copy("photos/1/abc.jpg", "../escape.jpg")
    with pytest.raises(InvalidKey):
        storage.copy("../escape.jpg", "photos/1/abc.jpg")
    assert storage.list_keys() == ["photos/1/abc.jpg"]
    assert set(files_under(tmp_path)) <= {"media/photos/1/abc.jpg"}


def test_put_file_takes_a_file_in_and_get_file_writes_one_out(storage, tmp_path):
    data = bytes(range(256)) * 2500  # 640,000 bytes: more than one chunk
    source = tmp_path / "upload.bin"
    source.write_bytes(data)

    storage.put_file("videos/1/abc.mp4", source, "video/mp4")
    assert not source.exists()  # taken: the storage has it now
    assert storage.get("videos/1/abc.mp4") == data
    assert storage.size("videos/1/abc.mp4") == len(data)
    target = tmp_path / "download.bin"
    target.write_bytes(b"old contents, longer than nothing")
    assert storage.get_file("videos/1/abc.mp4", target)
    assert target.read_bytes() == data
    target.write_bytes(b"changed")  # a copy: the stored bytes stay as they were
    assert storage.get("videos/1/abc.mp4") == data

    source.write_bytes(b"replaced")
    storage.put_file("videos/1/abc.mp4", source, "video/mp4")
    assert storage.get("videos/1/abc.mp4") == b"replaced"
    assert storage.list_keys() == ["videos/1/abc.mp4"]
    assert sorted(path.name for path in tmp_path.iterdir() if path.is_file()) == ["download.bin"]


def test_get_file_of_a_missing_or_bad_key_is_false_and_writes_nothing(storage, tmp_path):
    target = tmp_path / "download.bin"
    assert storage.get_file("uploads/1/missing", target) is False
    assert storage.get_file("../escape", target) is False
    assert not target.exists()
    source = tmp_path / "upload.bin"
    source.write_bytes(b"x")
    with pytest.raises(InvalidKey):
        storage.put_file("../escape.mp4", source, "video/mp4")
    assert storage.list_keys() == []


# The local directory


def test_a_local_put_file_moves_the_file_in_or_copies_it_and_leaves_no_temporary_files(
    local, tmp_path, monkeypatch
):
    source = tmp_path / "upload.bin"
    source.write_bytes(b"uploaded bytes")
    inode = source.stat().st_ino
    local.put_file("uploads/1/2", source, "application/octet-stream")
    assert (tmp_path / "media/uploads/1/2").stat().st_ino == inode  # same file system: renamed, not copied
    assert local.get("uploads/1/2") == b"uploaded bytes"

    real_replace = os.replace

    def across_devices(src: object, dst: object) -> None:
        if Path(str(src)) == source:  # the upload is on another file system than the media
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        real_replace(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr("os.replace", across_devices)
    source.write_bytes(b"other bytes")
    local.put_file("uploads/1/3", source, "application/octet-stream")
    assert local.get("uploads/1/3") == b"other bytes"
    assert not source.exists()
    assert files_under(tmp_path / "media") == ["uploads/1/2", "uploads/1/3"]


def test_get_never_reads_outside_the_root(local, tmp_path):
    (tmp_path / "secret.txt").write_bytes(b"do not serve")
    local.put("avatars/x.jpg", b"x", "image/jpeg")
    assert local.get("../secret.txt") is None
    assert local.get("avatars/../../secret.txt") is None
    assert local.get(str(tmp_path / "secret.txt")) is None


def test_put_leaves_no_temporary_files(local, tmp_path):
    local.put("avatars/ab/one.jpg", b"1" * 100_000, "image/jpeg")
    local.put("avatars/ab/two.webp", b"2", "image/webp")
    assert files_under(tmp_path / "media") == ["avatars/ab/one.jpg", "avatars/ab/two.webp"]


def test_a_failed_put_leaves_no_temporary_files(local, tmp_path):
    (tmp_path / "media" / "avatars" / "taken.jpg").mkdir(parents=True)  # a directory where the file goes
    with pytest.raises(IsADirectoryError):
        local.put("avatars/taken.jpg", b"x", "image/jpeg")
    assert files_under(tmp_path / "media") == []


def test_a_local_copy_is_a_hard_link_that_uses_no_more_disk(local, tmp_path):
    local.put("photos/1/abc.jpg", b"\xff\xd8photo", "image/jpeg")
    local.copy("photos/1/abc.jpg", "photos/2/abc.jpg")
    assert (tmp_path / "media/photos/2/abc.jpg").samefile(tmp_path / "media/photos/1/abc.jpg")
    local.put("photos/3/new.jpg", b"new", "image/jpeg")
    local.copy("photos/3/new.jpg", "photos/2/abc.jpg")  # replaced atomically, never missing meanwhile
    assert (tmp_path / "media/photos/2/abc.jpg").samefile(tmp_path / "media/photos/3/new.jpg")
    assert files_under(tmp_path / "media") == ["photos/1/abc.jpg", "photos/2/abc.jpg", "photos/3/new.jpg"]


def test_copy_falls_back_to_a_byte_copy_where_links_are_impossible(local, tmp_path, monkeypatch):
    local.put("photos/1/abc.jpg", b"bytes", "image/jpeg")

    def no_links(*_: object) -> None:
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr("os.link", no_links)
    local.copy("photos/1/abc.jpg", "photos/2/abc.jpg")
    assert local.get("photos/2/abc.jpg") == b"bytes"
    assert not (tmp_path / "media/photos/2/abc.jpg").samefile(tmp_path / "media/photos/1/abc.jpg")
    assert files_under(tmp_path / "media") == ["photos/1/abc.jpg", "photos/2/abc.jpg"]


# Through the app


def assert_not_found(response) -> None:
    assert response.status_code == 404, response.text
    body = response.json()
    assert body["error"]["code"] == "not_found"
    assert set(body["error"]) == {"code", "message", "fields"}


@pytest.mark.parametrize(
    "path",
    [
        "/media/%2E%2E/%2E%2E/etc/passwd",
        "/media/..%2F..%2Fetc%2Fpasswd",
        "/media/%2E%2E/secret.txt",
        "/media/avatars/%2E%2E/%2E%2E/secret.txt",
        "/media//etc/passwd",
        "/media/avatars/nope/missing.jpg",
    ],
)
def test_media_paths_outside_the_store_or_unknown_are_not_found(server, settings, path):
    (settings.data_dir / "secret.txt").write_bytes(b"do not serve")
    storage_from_settings(settings).put("avatars/x.jpg", b"x", "image/jpeg")
    response = server.get(path)
    assert_not_found(response)
    assert b"do not serve" not in response.content


def test_dot_segments_the_client_resolves_never_reach_a_file(server, settings):
    """HTTP clients resolve /media/../../etc/passwd to /etc/passwd, a web-app route: the app's page (or
    its not-built notice) answers, never the file."""
    response = server.get("/media/../../etc/passwd")
    assert response.headers["content-type"].startswith("text/html")
    assert b"root:" not in response.content


def test_stored_media_is_served_with_immutable_caching(server, settings):
    storage_from_settings(settings).put("avatars/ab/abcdef123.jpg", b"\xff\xd8fake jpeg", "image/jpeg")

    response = server.get("/media/avatars/ab/abcdef123.jpg")
    assert response.status_code == 200
    assert response.content == b"\xff\xd8fake jpeg"
    assert response.headers["content-type"] == "image/jpeg"
    cache_control = response.headers["cache-control"]
    assert "immutable" in cache_control
    assert "max-age=31536000" in cache_control
    assert "public" in cache_control
    assert response.headers["x-content-type-options"] == "nosniff"
    etag = response.headers["etag"]
    assert etag.startswith('"')
    assert etag.endswith('"')

    again = server.get("/media/avatars/ab/abcdef123.jpg", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag

    other = server.get("/media/avatars/ab/abcdef123.jpg", headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200
    assert other.content == b"\xff\xd8fake jpeg"


def test_a_matching_etag_for_deleted_media_is_not_found(server, settings):
    storage = storage_from_settings(settings)
    storage.put("avatars/ab/gone.jpg", b"x", "image/jpeg")
    etag = server.get("/media/avatars/ab/gone.jpg").headers["etag"]
    storage.delete("avatars/ab/gone.jpg")
    assert_not_found(server.get("/media/avatars/ab/gone.jpg", headers={"If-None-Match": etag}))


def test_stored_media_urls_point_at_the_media_route(server, settings):
    storage = storage_from_settings(settings)
    storage.put("avatars/cd/cdef.webp", b"webp", "image/webp")
    url = storage.url("avatars/cd/cdef.webp")
    assert url == "https://testserver.local/media/avatars/cd/cdef.webp"
    response = server.get(url)
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/webp"


def test_a_large_video_is_streamed_whole_or_in_ranges_with_its_length(server, settings):
    """Above a megabyte the bytes are streamed from storage, not held in memory: the answer still says
    its length, and a range reads only that part."""
    data = bytes(range(256)) * (12 * 1024)  # 3 MiB
    storage_from_settings(settings).put("videos/1/0123abcd.mp4", data, "video/mp4")

    whole = server.get("/media/videos/1/0123abcd.mp4")
    assert whole.status_code == 200
    assert whole.headers["content-type"] == "video/mp4"
    assert whole.headers["content-length"] == str(len(data))
    assert whole.headers["accept-ranges"] == "bytes"
    assert "immutable" in whole.headers["cache-control"]
    assert whole.content == data

    opened = server.get("/media/videos/1/0123abcd.mp4", headers={"Range": "bytes=1000000-"})
    assert opened.status_code == 206
    assert opened.headers["content-range"] == f"bytes 1000000-{len(data) - 1}/{len(data)}"
    assert opened.headers["content-length"] == str(len(data) - 1000000)
    assert opened.content == data[1000000:]

    part = server.get("/media/videos/1/0123abcd.mp4", headers={"Range": "bytes=2000000-2000099"})
    assert part.status_code == 206
    assert part.content == data[2000000:2000100]
    assert part.headers["content-length"] == "100"


def test_an_empty_file_is_served_empty(server, settings):
    storage_from_settings(settings).put("avatars/ab/empty.jpg", b"", "image/jpeg")
    response = server.get("/media/avatars/ab/empty.jpg")
    assert response.status_code == 200
    assert response.content == b""

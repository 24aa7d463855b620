"""Local media storage: the backend interface, refusal of escaping keys, atomic writes, and GET /media."""

from __future__ import annotations

import pytest

from viewfinder.media.storage import InvalidKey, LocalMediaStorage, MediaStorage, storage_from_settings

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


@pytest.fixture
def storage(tmp_path) -> LocalMediaStorage:
    return LocalMediaStorage(tmp_path / "media", "https://cdn.example/media/")


def files_under(root) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


def test_local_storage_offers_the_media_storage_interface(storage):
    assert isinstance(storage, MediaStorage)


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


@pytest.mark.parametrize("key", BAD_KEYS)
def test_keys_that_could_escape_the_root_are_refused(storage, tmp_path, key):
    with pytest.raises(InvalidKey):
        storage.put(key, b"x", "image/jpeg")
    with pytest.raises(InvalidKey):
        storage.delete(key)
    with pytest.raises(InvalidKey):
        storage.url(key)
    assert storage.get(key) is None
    assert not storage.exists(key)
    assert files_under(tmp_path) == []


def test_get_never_reads_outside_the_root(storage, tmp_path):
    (tmp_path / "secret.txt").write_bytes(b"do not serve")
    storage.put("avatars/x.jpg", b"x", "image/jpeg")
    assert storage.get("../secret.txt") is None
    assert storage.get("avatars/../../secret.txt") is None
    assert storage.get(str(tmp_path / "secret.txt")) is None


def test_put_leaves_no_temporary_files(storage, tmp_path):
    storage.put("avatars/ab/one.jpg", b"1" * 100_000, "image/jpeg")
    storage.put("avatars/ab/two.webp", b"2", "image/webp")
    assert files_under(tmp_path / "media") == ["avatars/ab/one.jpg", "avatars/ab/two.webp"]


def test_a_failed_put_leaves_no_temporary_files(storage, tmp_path):
    (tmp_path / "media" / "avatars" / "taken.jpg").mkdir(parents=True)  # a directory where the file goes
    with pytest.raises(IsADirectoryError):
        storage.put("avatars/taken.jpg", b"x", "image/jpeg")
    assert files_under(tmp_path / "media") == []


def test_copy_shares_the_bytes_under_a_second_key_without_using_more_disk(storage, tmp_path):
    storage.put("photos/1/abc.jpg", b"\xff\xd8photo", "image/jpeg")
    storage.copy("photos/1/abc.jpg", "photos/2/abc.jpg")
    assert storage.get("photos/2/abc.jpg") == b"\xff\xd8photo"
    assert (tmp_path / "media/photos/2/abc.jpg").samefile(tmp_path / "media/photos/1/abc.jpg")  # a hard link

    # Deleting either name leaves the other; copying onto an existing key replaces it.
    storage.delete("photos/1/abc.jpg")
    assert storage.get("photos/2/abc.jpg") == b"\xff\xd8photo"
    storage.put("photos/3/new.jpg", b"new", "image/jpeg")
    storage.copy("photos/3/new.jpg", "photos/2/abc.jpg")
    assert storage.get("photos/2/abc.jpg") == b"new"
    assert files_under(tmp_path / "media") == ["photos/2/abc.jpg", "photos/3/new.jpg"]


def test_copy_of_a_missing_key_or_to_an_escaping_key_is_refused(storage, tmp_path):
    with pytest.raises(FileNotFoundError):
        storage.copy("photos/1/missing.jpg", "photos/2/missing.jpg")
    storage.put("photos/1/abc.jpg", b"x", "image/jpeg")
    with pytest.raises(InvalidKey):
        storage.copy("photos/1/abc.jpg", "../escape.jpg")
    assert files_under(tmp_path) == ["media/photos/1/abc.jpg"]


def test_copy_falls_back_to_a_byte_copy_where_links_are_impossible(storage, tmp_path, monkeypatch):
    storage.put("photos/1/abc.jpg", b"bytes", "image/jpeg")

    def no_links(*_: object) -> None:
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr("os.link", no_links)
    storage.copy("photos/1/abc.jpg", "photos/2/abc.jpg")
    assert storage.get("photos/2/abc.jpg") == b"bytes"
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

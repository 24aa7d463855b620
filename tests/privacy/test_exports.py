"""Download your data: a ZIP of the account's JSON and its photos' real bytes, to its owner only, in
sudo mode, built by a job, once a day, gone after four days."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select, update

from tests.accounts.test_api import bearer
from tests.accounts.test_security import age_sessions, kinds, make_token
from tests.conftest import PASSWORD
from tests.helpers import assert_error, make_post, small_photo
from viewfinder.app import API_PREFIX
from viewfinder.core.db import utcnow
from viewfinder.mediakit.storage import storage_from_settings
from viewfinder.privacy import services
from viewfinder.privacy.models import DataExport, ExportState


def request_export(api) -> dict[str, Any]:
    response = api.post("/accounts/data-exports")
    assert response.status_code == 202, response.text
    export: dict[str, Any] = response.json()
    return export


def download(api, export: dict[str, Any]) -> zipfile.ZipFile:
    response = api.client.get(export["download_path"])
    assert response.status_code == 200, response.text
    return zipfile.ZipFile(io.BytesIO(response.content))


def json_of(archive: zipfile.ZipFile, name: str) -> Any:
    return json.loads(archive.read(name))


def largest_jpeg(item: dict[str, Any]) -> str:
    renditions = [
        r for r in item["media"]["renditions"] if r["url"].endswith(".jpg") and "thumb" not in r["name"]
    ]
    url: str = max(renditions, key=lambda r: r["width"])["url"]
    return url


def test_the_archive_holds_the_accounts_posts_and_the_real_bytes_of_their_photos(alice, bob, carol):
    uploaded = alice.post(
        "/media", files={"file": ("photo", small_photo("green", (1400, 1000)), "application/octet-stream")}
    )
    post = alice.post(
        "/posts",
        json={
            "items": [{"media_id": uploaded.json()["id"], "alt_text": "A green field at dawn"}],
            "caption": "First light #sunrise",
            "location_name": "Lake Bled",
        },
    ).json()
    # Bob is private; Alice follows him, so she may see his post and Carol's comment on it.
    bob.patch("/accounts/me", json={"is_private": True})
    alice.post("/users/bob/follow")
    bob.post("/accounts/follow-requests/alice/approve")
    carol.post("/users/bob/follow")
    bob.post("/accounts/follow-requests/carol/approve")
    bobs = make_post(bob, "Bob's private caption, only for followers")
    carol.post(f"/posts/{bobs['id']}/comments", json={"text": "Carol's words under Bob's post"})
    alice.post(f"/posts/{bobs['id']}/like")
    alice.post(f"/posts/{bobs['id']}/comments", json={"text": "Alice says hello"})
    alice.post(f"/posts/{bobs['id']}/save")

    export = request_export(alice)
    assert export["state"] == "ready"  # jobs run inline in tests
    listed = alice.get("/accounts/data-exports").json()
    assert [item["id"] for item in listed["items"]] == [export["id"]]
    assert (
        listed["items"][0]["download_path"] == f"{API_PREFIX}/accounts/data-exports/{export['id']}/download"
    )

    response = alice.client.get(export["download_path"])
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["content-disposition"].startswith('attachment; filename="viewfinder-alice-')
    assert "no-store" in response.headers["cache-control"]
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert archive.testzip() is None

    posts = json_of(archive, "content/posts_1.json")
    assert len(posts) == 1
    (entry,) = posts
    assert entry["title"] == "First light #sunrise"
    assert entry["location"] == "Lake Bled"
    assert entry["viewfinder"]["id"] == post["id"]
    (media,) = entry["media"]
    assert media["alt_text"] == "A green field at dawn"
    assert media["uri"].startswith("media/posts/")
    assert media["uri"].endswith(".jpg")
    # The photo's best copy: the largest rendition, byte for byte what /media serves.
    served = alice.client.get(urlsplit(largest_jpeg(post["items"][0])).path)
    assert served.status_code == 200
    assert archive.read(media["uri"]) == served.content
    assert (media["width"], media["height"]) == (1080, 771)

    personal = json_of(archive, "personal_information/personal_information.json")
    assert personal["profile_user"][0]["string_map_data"]["Username"]["value"] == "alice"
    assert personal["profile_user"][0]["string_map_data"]["Email"]["value"] == "alice@example.com"
    (comment,) = json_of(archive, "comments/post_comments.json")
    assert comment["string_map_data"]["Comment"]["value"] == "Alice says hello"
    assert comment["string_map_data"]["Media Owner"]["value"] == "bob"
    liked = json_of(archive, "likes/liked_posts.json")["likes_media_likes"]
    assert [like["title"] for like in liked] == ["bob"]
    following = json_of(archive, "followers_and_following/following.json")["relationships_following"]
    assert [f["string_list_data"][0]["value"] for f in following] == ["bob"]
    saved = json_of(archive, "saved/saved_posts.json")["saved_saved_media"]
    assert saved[0]["string_map_data"]["Saved on"]["href"].endswith(f"/p/{bobs['id']}")
    events = [event["kind"] for event in json_of(archive, "security/security_events.json")]
    assert events[:2] == ["account_created", "data_export_requested"]
    # What the recommender learned from her, newest first (tests/recommend has the log itself).
    activity = json_of(archive, "your_activity/interactions.json")
    assert [a["kind"] for a in activity] == ["save", "comment", "like", "follow"]
    assert all(a["post"].endswith(f"/p/{bobs['id']}") for a in activity[:3])
    assert activity[-1]["account_id"] == bob.me["profile"]["id"]

    # Of others, only what Alice did: never their captions or comments, private or not.
    everything = b"".join(archive.read(name) for name in archive.namelist())
    assert b"Bob's private caption" not in everything
    assert b"Carol's words" not in everything
    assert "carol" not in json.dumps(json_of(archive, "followers_and_following/followers_1.json"))


def test_every_step_is_in_the_security_log(alice):
    export = request_export(alice)
    download(alice, export)

    assert kinds(alice)[:3] == ["data_export_downloaded", "data_export_ready", "data_export_requested"]
    ready = alice.get("/accounts/security-events").json()["items"][1]
    assert ready["detail"]["export_id"] == export["id"]  # what the e-mail alert links to


async def test_asking_and_downloading_need_sudo_mode_and_a_browser_session(alice, make_api, db):
    export = request_export(alice)
    secret = make_token(alice)["secret"]
    assert_error(bearer(make_api, secret, "POST", "/accounts/data-exports"), 403, "session_required")
    path = export["download_path"].removeprefix(API_PREFIX)
    assert_error(bearer(make_api, secret, "GET", path), 403, "session_required")

    await age_sessions(db, "alice", minutes=11)
    assert alice.get("/accounts/data-exports").json()["reauthenticated_until"] is None
    assert_error(alice.client.get(export["download_path"]), 403, "reauthentication_required")
    assert_error(alice.post("/accounts/data-exports"), 403, "reauthentication_required")

    confirmed = alice.post("/accounts/reauthenticate", json={"password": PASSWORD})
    assert confirmed.status_code == 200
    assert alice.get("/accounts/data-exports").json()["reauthenticated_until"] is not None
    download(alice, export)


def test_only_the_owner_can_download_it(alice, bob, anon):
    export = request_export(alice)

    assert_error(bob.client.get(export["download_path"]), 404, "not_found")
    assert_error(anon.client.get(export["download_path"]), 401, "not_authenticated")
    assert bob.get("/accounts/data-exports").json()["items"] == []


def test_export_files_are_never_served_as_media(alice, settings):
    request_export(alice)
    (key,) = storage_from_settings(settings).list_keys("exports/")

    assert alice.client.get(f"/media/{key}").status_code == 404


def test_one_a_day(alice):
    request_export(alice)

    refused = alice.post("/accounts/data-exports")

    assert_error(refused, 429, "rate_limited")
    assert 22 * 3600 < int(refused.headers["retry-after"]) <= 24 * 3600


async def test_one_at_a_time(alice, db):
    user_id = int(alice.me["profile"]["id"])
    db.add(DataExport(id=1, user_id=user_id, state=ExportState.BUILDING, attempts=1, created_at=utcnow()))
    await db.commit()

    assert_error(alice.post("/accounts/data-exports"), 409, "export_in_progress")


async def test_an_export_expires_after_four_days_and_its_file_is_deleted(alice, db, settings):
    export = request_export(alice)
    storage = storage_from_settings(settings)
    assert len(storage.list_keys("exports/")) == 1
    expires = await db.scalar(select(DataExport.expires_at))
    assert timedelta(hours=95) < expires - utcnow() <= timedelta(hours=96)

    assert await services.purge_expired_exports(db, storage, now=utcnow() + timedelta(days=3)) == 0
    assert await services.purge_expired_exports(db, storage, now=expires) == 1

    assert storage.list_keys("exports/") == []
    assert await db.scalar(select(DataExport.id)) is None
    assert alice.get("/accounts/data-exports").json()["items"] == []
    assert_error(alice.client.get(export["download_path"]), 404, "not_found")


async def test_a_build_cut_off_by_a_dead_worker_is_built_again(alice, db, settings):
    export = request_export(alice)
    storage = storage_from_settings(settings)
    for key in storage.list_keys("exports/"):
        storage.delete(key)
    await db.execute(
        update(DataExport).values(
            state=ExportState.BUILDING, file_key=None, started_at=utcnow() - timedelta(hours=1)
        )
    )
    await db.commit()

    assert await services.abandoned_export_ids(db) == [int(export["id"])]
    rebuilt = await services.build_export(db, storage, settings, int(export["id"]))

    assert rebuilt is not None
    assert rebuilt.state == "ready"
    assert rebuilt.attempts == 2
    assert download(alice, export).namelist()

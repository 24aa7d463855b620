"""Engaging with a post one cannot see is a 404, whatever the reason; cursors stay on their list."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from tests.helpers import assert_error, make_post, small_photo
from viewfinder.accounts.models import User
from viewfinder.media import services as media
from viewfinder.mediakit.storage import storage_from_settings


def engagements(api, post_id: str, collection_id: str) -> list[Any]:
    """Every write and read about one post, as `api`."""
    return [
        api.post(f"/posts/{post_id}/like"),
        api.delete(f"/posts/{post_id}/like"),
        api.get(f"/posts/{post_id}/likes"),
        api.post(f"/posts/{post_id}/comments", json={"text": "hello"}),
        api.get(f"/posts/{post_id}/comments"),
        api.post(f"/posts/{post_id}/save"),
        api.delete(f"/posts/{post_id}/save"),
        api.put(f"/collections/{collection_id}/posts/{post_id}"),
    ]


def assert_all_not_found(api, post_id: str) -> None:
    collection = api.post("/collections", json={"name": f"for {post_id}"}).json()
    for response in engagements(api, post_id, collection["id"]):
        assert_error(response, 404, "not_found")
    assert api.get(f"/collections/{collection['id']}").json()["post_count"] == 0
    assert api.get("/saved").json()["items"] == []


def test_a_private_accounts_post_is_not_found_by_those_not_approved(alice, bob, carol):
    post = make_post(alice)
    alice.patch("/accounts/me", json={"is_private": True})
    bob.post("/users/alice/follow")  # a request, not yet approved

    assert_all_not_found(bob, post["id"])
    assert alice.get(f"/posts/{post['id']}").json()["like_count"] == 0
    assert alice.get(f"/posts/{post['id']}").json()["comment_count"] == 0

    alice.post("/accounts/follow-requests/bob/approve")
    assert bob.post(f"/posts/{post['id']}/like").json() == {"liked": True, "like_count": 1}


def test_anonymous_readers_cannot_read_a_private_post_s_engagement(alice, anon):
    post = make_post(alice)
    alice.patch("/accounts/me", json={"is_private": True})

    assert_error(anon.get(f"/posts/{post['id']}/likes"), 404, "not_found")
    assert_error(anon.get(f"/posts/{post['id']}/comments"), 404, "not_found")


def test_a_blocked_accounts_post_is_not_found_both_ways(alice, bob):
    by_alice = make_post(alice)
    by_bob = make_post(bob)
    top = bob.post(f"/posts/{by_bob['id']}/comments", json={"text": "mine"}).json()
    alice.post("/users/bob/block")

    assert_all_not_found(bob, by_alice["id"])
    assert_all_not_found(alice, by_bob["id"])
    assert_error(alice.get(f"/comments/{top['id']}/replies"), 404, "not_found")
    assert_error(alice.post(f"/comments/{top['id']}/like"), 404, "not_found")
    assert_error(alice.delete(f"/comments/{top['id']}"), 404, "not_found")


def test_unknown_and_malformed_post_ids_are_not_found(alice):
    for post_id in ("999999", "not-a-number", "1" * 30):
        assert_all_not_found(alice, post_id)


async def test_a_post_still_processing_is_not_found_by_others(alice, bob, db, settings):
    user = await db.scalar(select(User).where(User.username == "alice"))
    assert user is not None
    # An upload whose processing job has not run yet.
    waiting = await media.record_upload(
        db, storage_from_settings(settings), user, small_photo(), filter_name="normal", crop=None,
        max_bytes=10**8, max_pixels=10**8,
    )  # fmt: skip
    post = alice.post("/posts", json={"items": [{"media_id": str(waiting.id)}]}).json()
    assert post["state"] == "processing"

    assert_all_not_found(bob, post["id"])


def test_forged_and_other_list_cursors_are_refused(alice, bob, anon):
    post = make_post(alice)
    other = make_post(alice)
    for api in (alice, bob):
        api.post(f"/posts/{post['id']}/like")
        api.post(f"/posts/{post['id']}/comments", json={"text": "hi"})
        api.post(f"/posts/{other['id']}/like")
        api.post(f"/posts/{other['id']}/comments", json={"text": "hi"})
        api.post(f"/posts/{post['id']}/save")
        api.post(f"/posts/{other['id']}/save")
    top = anon.get(f"/posts/{post['id']}/comments").json()["items"][0]
    alice.post(f"/posts/{post['id']}/comments", json={"text": "r1", "reply_to": top["id"]})
    alice.post(f"/posts/{post['id']}/comments", json={"text": "r2", "reply_to": top["id"]})
    for name in ("a", "b"):
        alice.post("/collections", json={"name": name})

    likers_cursor = anon.get(f"/posts/{post['id']}/likes?limit=1").json()["next_cursor"]
    comments_cursor = anon.get(f"/posts/{post['id']}/comments?limit=1").json()["next_cursor"]
    replies_cursor = anon.get(f"/comments/{top['id']}/replies?limit=1").json()["next_cursor"]
    saved_cursor = alice.get("/saved?limit=1").json()["next_cursor"]
    collections_cursor = alice.get("/collections?limit=1").json()["next_cursor"]
    assert all([likers_cursor, comments_cursor, replies_cursor, saved_cursor, collections_cursor])

    refused = [
        anon.get(f"/posts/{post['id']}/likes?cursor=forged"),
        anon.get(f"/posts/{post['id']}/likes?cursor={likers_cursor}x"),
        # A cursor of the same kind of list, but another post's or another person's.
        anon.get(f"/posts/{other['id']}/likes?cursor={likers_cursor}"),
        anon.get(f"/posts/{other['id']}/comments?cursor={comments_cursor}"),
        bob.get(f"/saved?cursor={saved_cursor}"),
        # A cursor of another list altogether.
        anon.get(f"/posts/{post['id']}/comments?cursor={likers_cursor}"),
        anon.get(f"/comments/{top['id']}/replies?cursor={comments_cursor}"),
        alice.get(f"/collections?cursor={saved_cursor}"),
        alice.get(f"/saved?cursor={collections_cursor}"),
    ]
    for response in refused:
        assert_error(response, 400, "invalid_cursor", ["cursor"])

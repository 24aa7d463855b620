"""Posts through the API: carousels, captions, visibility rules, editing, deleting, the profile grid."""

from __future__ import annotations

import io

import pyvips
from PIL import Image
from sqlalchemy import select

from tests.helpers import assert_error, cache_session, forget_cards
from viewfinder.accounts.models import User
from viewfinder.media import services as media
from viewfinder.mediakit.storage import storage_from_settings
from viewfinder.posts.models import Hashtag, PostMention


def photo(colour: str = "red", size: tuple[int, int] = (240, 240), fmt: str = "JPEG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, fmt)
    return out.getvalue()


def upload(api, data: bytes, **fields: str) -> str:
    response = api.post("/media", files={"file": ("photo", data, "application/octet-stream")}, data=fields)
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


def create(api, media_ids: list[str], **fields):
    items = [{"media_id": media_id, "alt_text": f"item {index}"} for index, media_id in enumerate(media_ids)]
    return api.post("/posts", json={"items": items, **fields})


def stored_files(settings) -> set[str]:
    """Every key in the test's media storage (a directory or a bucket)."""
    return set(storage_from_settings(settings).list_keys())


def test_a_carousel_with_alt_text_and_a_filter_shows_on_the_profile_grid(alice, bob, anon):
    png = bytes(pyvips.Image.black(300, 200).bandjoin([100, 200]).cast("uchar").pngsave_buffer())
    media_ids = [
        upload(alice, photo("red"), filter="clarendon"),
        upload(alice, png),
        upload(alice, photo("blue")),
    ]

    response = create(
        alice, media_ids, caption="Sunset at the #Beach with @bob #sunset", location_name="Lisbon"
    )

    assert response.status_code == 201, response.text
    post = response.json()
    assert post["state"] == "ready"
    assert [item["media"]["id"] for item in post["items"]] == media_ids
    assert [item["alt_text"] for item in post["items"]] == ["item 0", "item 1", "item 2"]
    assert post["items"][0]["media"]["filter"] == "clarendon"
    assert post["location_name"] == "Lisbon"
    grid = anon.get("/users/alice/posts").json()
    assert [p["id"] for p in grid["items"]] == [post["id"]]
    first = grid["items"][0]["items"][0]["media"]
    assert first["blurhash"]
    assert len(first["renditions"]) == 10  # five sizes, JPEG and WebP
    assert anon.get("/users/alice").json()["posts_count"] == 1
    assert bob.get(f"/posts/{post['id']}").status_code == 200


async def test_hashtags_are_counted_once_per_post(alice, db):
    create(alice, [upload(alice, photo())], caption="#Cats and #cats and #dogs")
    create(alice, [upload(alice, photo())], caption="#cats again")

    counts = dict((await db.execute(select(Hashtag.name, Hashtag.post_count))).tuples().all())
    assert counts == {"cats": 2, "dogs": 1}


def test_bad_posts_are_refused_and_write_nothing(alice, bob, anon):
    mine = upload(alice, photo())
    theirs = upload(bob, photo())

    assert_error(alice.post("/posts", json={"items": []}), 400, "validation_error")
    assert_error(create(alice, [mine] * 21), 400, "validation_error")
    assert_error(create(alice, [mine, mine]), 400, "validation_error", ["items"])
    assert_error(create(alice, [theirs]), 400, "invalid_media")
    assert_error(create(alice, ["999999"]), 400, "invalid_media")
    assert_error(create(alice, ["not-an-id"]), 400, "invalid_media")
    assert_error(create(alice, [mine], caption="x" * 2201), 400, "validation_error")
    assert_error(
        create(alice, [mine], caption=" ".join(f"#t{i}" for i in range(31))), 400, "validation_error"
    )
    long_alt = {"items": [{"media_id": mine, "alt_text": "a" * 1001}]}
    assert_error(alice.post("/posts", json=long_alt), 400, "validation_error")
    assert_error(create(anon, [mine]), 401, "not_authenticated")
    assert anon.get("/users/alice/posts").json()["items"] == []
    # The item is still free to post after all those refusals, and only once.
    assert create(alice, [mine]).status_code == 201
    assert_error(create(alice, [mine]), 400, "invalid_media")


async def test_a_post_waits_until_every_item_is_ready(alice, bob, db, settings):
    ready = upload(alice, photo())
    user = await db.get(User, int(alice.me["profile"]["id"]))
    assert user is not None
    # An upload whose processing job has not run yet.
    waiting = await media.record_upload(
        db, storage_from_settings(settings), user, photo(), filter_name="normal", crop=None,
        max_bytes=10**8, max_pixels=10**8,
    )  # fmt: skip

    post = create(alice, [ready, str(waiting.id)]).json()

    assert post["state"] == "processing"
    assert_error(bob.get(f"/posts/{post['id']}"), 404, "not_found")
    assert bob.get("/users/alice/posts").json()["items"] == []
    assert [p["state"] for p in alice.get("/users/alice/posts").json()["items"]] == ["processing"]


def test_a_failed_item_shows_its_reason_to_the_author_only(alice, bob):
    whole = photo(size=(600, 600))
    broken = whole[: len(whole) // 2]  # the header reads, the pixels do not
    post = create(alice, [upload(alice, photo()), upload(alice, broken)])
    # A failed item cannot be posted; the author sees why on the item itself.
    assert_error(post, 400, "invalid_media")
    item_id = upload(alice, broken)
    assert alice.get(f"/media/{item_id}").json()["failure"]["code"] == "corrupt_media"


def test_private_accounts_show_posts_to_approved_followers_only(alice, bob, carol, anon):
    post_id = create(alice, [upload(alice, photo())]).json()["id"]
    alice.patch("/accounts/me", json={"is_private": True})
    bob.post("/users/alice/follow")
    alice.post("/accounts/follow-requests/bob/approve")

    for outsider in (carol, anon):
        assert_error(outsider.get("/users/alice/posts"), 403, "private_account")
        assert_error(outsider.get(f"/posts/{post_id}"), 404, "not_found")
    assert [p["id"] for p in bob.get("/users/alice/posts").json()["items"]] == [post_id]
    assert bob.get(f"/posts/{post_id}").status_code == 200


def test_blocked_accounts_see_no_posts(alice, bob):
    post_id = create(alice, [upload(alice, photo())]).json()["id"]
    alice.post("/users/bob/block")

    assert_error(bob.get(f"/posts/{post_id}"), 404, "not_found")
    assert_error(bob.get("/users/alice/posts"), 404, "not_found")


def test_the_author_edits_caption_alt_text_and_switches(alice, bob):
    media_id = upload(alice, photo())
    post_id = create(alice, [media_id], caption="#old").json()["id"]

    edited = alice.patch(
        f"/posts/{post_id}",
        json={"caption": "new #words", "alt_texts": {media_id: "a red square"}, "comments_enabled": False,
              "hide_like_count": True},
    )  # fmt: skip

    assert edited.status_code == 200, edited.text
    body = edited.json()
    assert body["caption"] == "new #words"
    assert body["items"][0]["alt_text"] == "a red square"
    assert (body["comments_enabled"], body["hide_like_count"]) == (False, True)
    assert_error(bob.patch(f"/posts/{post_id}", json={"caption": "mine now"}), 404, "not_found")
    assert_error(alice.patch(f"/posts/{post_id}", json={"alt_texts": {"123": "x"}}), 400, "validation_error")


def test_deleting_a_post_removes_its_files_and_count(alice, bob, settings):
    before = stored_files(settings)
    post_id = create(alice, [upload(alice, photo("red")), upload(alice, photo("green"))]).json()["id"]
    # Per item: one size (a 240 px photo is not upscaled) and the thumbnail, each in JPEG and WebP.
    assert len(stored_files(settings) - before) == 8

    assert_error(bob.delete(f"/posts/{post_id}"), 404, "not_found")
    assert alice.delete(f"/posts/{post_id}").status_code == 204

    assert stored_files(settings) == before
    assert_error(alice.get(f"/posts/{post_id}"), 404, "not_found")
    assert alice.get("/users/alice").json()["posts_count"] == 0


def test_the_grid_pages_newest_first_in_a_fixed_number_of_queries(alice, bob, anon, count_queries, settings):
    posted = [create(alice, [upload(alice, photo())]).json()["id"] for _ in range(5)]
    for post_id in posted:  # so that every page needs its comment previews
        assert alice.post(f"/posts/{post_id}/comments", json={"text": "first"}).status_code == 201
    assert bob.post(f"/posts/{posted[0]}/like").status_code == 200
    assert bob.post(f"/posts/{posted[1]}/save").status_code == 200

    forget_cards(settings)
    with count_queries() as small:
        first = anon.get("/users/alice/posts?limit=2").json()
    with count_queries() as large:
        everything = anon.get("/users/alice/posts?limit=5").json()
    second = anon.get(f"/users/alice/posts?limit=2&cursor={first['next_cursor']}").json()

    assert [p["id"] for p in everything["items"]] == posted[::-1]
    assert [p["id"] for p in first["items"] + second["items"]] == posted[::-1][:4]
    # The account, the page of post refs, their cards (posts, authors, media items) and comment
    # previews: whatever the page size.
    assert small.count == large.count == 4

    # A logged-in viewer's page of refs carries their likes and saves (no statement of their own
    # for them); the cards are cached by now. Likewise on the author's own grid.
    for viewer in (bob, alice):
        cache_session(viewer, count_queries)
        with count_queries() as small:
            viewer.get("/users/alice/posts?limit=2")
        with count_queries() as large:
            page = viewer.get("/users/alice/posts?limit=5").json()["items"]
        assert [p["id"] for p in page] == posted[::-1]
        assert small.count == large.count == 3, large.statements
        liked = [p["liked_by_viewer"] for p in page][::-1]
        saved = [p["saved_by_viewer"] for p in page][::-1]
        mine = viewer is bob
        assert (liked, saved) == ([mine, False, False, False, False], [False, mine, False, False, False])


def test_deleting_a_post_leaves_the_same_photo_in_another_post_intact(alice):
    same = photo("purple")
    kept = create(alice, [upload(alice, same)]).json()
    gone = create(alice, [upload(alice, same)]).json()

    assert alice.delete(f"/posts/{gone['id']}").status_code == 204

    for rendition in kept["items"][0]["media"]["renditions"]:
        assert alice.client.get(rendition["url"].removeprefix("https://testserver.local")).status_code == 200


async def test_more_than_twenty_mentions_are_refused_and_only_real_accounts_are_linked(alice, bob, db):
    media_id = upload(alice, photo())
    crowd = " ".join(f"@someone{i}" for i in range(21))
    assert_error(create(alice, [media_id], caption=crowd), 400, "validation_error", ["caption"])

    post_id = int(create(alice, [media_id], caption="with @bob and @nobody_here").json()["id"])
    linked = await db.scalars(select(PostMention.user_id).where(PostMention.post_id == post_id))
    assert list(linked) == [int(bob.me["profile"]["id"])]

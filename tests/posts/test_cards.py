"""Cached post cards never show a stale post: every change shows on the very next read of the
home feed, the profile grid and the post page (docs/decisions/0039-post-cards.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import select

from tests.conftest import Api
from tests.helpers import make_post, small_photo
from viewfinder.accounts.models import User
from viewfinder.accounts.schemas import UserSummary
from viewfinder.core.cache import LruCache, RedisCache, TieredCache, make_cache
from viewfinder.core.redis_client import async_client
from viewfinder.mediakit import signing
from viewfinder.posts.cards import REF_COLUMNS, PostCard, card_key, refs_of, refs_of_entities
from viewfinder.posts.models import Post


def _reads(reader: Api, author: str, post_id: str) -> list[dict[str, Any]]:
    """The post as the reader sees it on the feed, the author's grid and the post page (each read
    twice first, so its card is cached before the change)."""
    feed = reader.get("/feed").json()["items"]
    grid = reader.get(f"/users/{author}/posts").json()["items"]
    page = reader.get(f"/posts/{post_id}")
    assert page.status_code == 200, page.text
    found = [next(p for p in feed if p["id"] == post_id), next(p for p in grid if p["id"] == post_id)]
    return [*found, page.json()]


def _warm(reader: Api, author: str, post_id: str) -> None:
    _reads(reader, author, post_id)
    _reads(reader, author, post_id)


def _following(alice: Api, bob: Api) -> str:
    """bob follows alice; alice has posted; bob's caches hold the post."""
    assert bob.post("/users/alice/follow").status_code in (200, 201)
    post_id: str = make_post(alice, "before")["id"]
    _warm(bob, "alice", post_id)
    return post_id


def test_an_edited_caption_shows_at_once(alice, bob):
    post_id = _following(alice, bob)
    assert alice.patch(f"/posts/{post_id}", json={"caption": "after"}).status_code == 200
    assert [p["caption"] for p in _reads(bob, "alice", post_id)] == ["after"] * 3


def test_an_edited_alt_text_shows_at_once(alice, bob):
    post_id = _following(alice, bob)
    media_id = bob.get(f"/posts/{post_id}").json()["items"][0]["media"]["id"]
    edited = alice.patch(f"/posts/{post_id}", json={"alt_texts": {media_id: "a red square"}})
    assert edited.status_code == 200, edited.text
    assert [p["items"][0]["alt_text"] for p in _reads(bob, "alice", post_id)] == ["a red square"] * 3


def test_a_deleted_post_is_gone_at_once(alice, bob):
    post_id = _following(alice, bob)
    assert alice.delete(f"/posts/{post_id}").status_code == 204
    assert [p["id"] for p in bob.get("/feed").json()["items"]] == []
    assert bob.get("/users/alice/posts").json()["items"] == []
    assert bob.get(f"/posts/{post_id}").status_code == 404


def test_a_new_like_and_comment_count_at_once(alice, bob, carol):
    post_id = _following(alice, bob)
    assert carol.post(f"/posts/{post_id}/like").status_code in (200, 201)
    assert carol.post(f"/posts/{post_id}/comments", json={"text": "nice"}).status_code == 201
    for seen in _reads(bob, "alice", post_id):
        assert (seen["like_count"], seen["comment_count"], seen["liked_by_viewer"]) == (1, 1, False)
        assert [c["text"] for c in seen["comment_previews"]] == ["nice"]
    assert bob.post(f"/posts/{post_id}/like").status_code in (200, 201)
    assert {(p["like_count"], p["liked_by_viewer"]) for p in _reads(bob, "alice", post_id)} == {(2, True)}


def test_a_changed_display_name_and_avatar_show_at_once(alice, bob):
    post_id = _following(alice, bob)
    assert {p["author"]["avatar_url"] for p in _reads(bob, "alice", post_id)} == {None}
    assert alice.patch("/accounts/me", json={"display_name": "Alice Liddell"}).status_code == 200
    assert {p["author"]["display_name"] for p in _reads(bob, "alice", post_id)} == {"Alice Liddell"}

    photo = small_photo("blue", (200, 200))
    avatar = alice.put("/accounts/me/avatar", files={"data": ("me.png", photo, "image/png")})
    assert avatar.status_code == 200, avatar.text
    url = avatar.json()["profile"]["avatar_url"]
    assert url
    assert {p["author"]["avatar_url"] for p in _reads(bob, "alice", post_id)} == {url}


def _signed(url: str, secret: str) -> bool:
    query = parse_qs(urlparse(url).query)
    if "oe" not in query:
        return False
    return signing.check(secret, urlparse(url).path, query["oe"][0], query["oh"][0]) is None


def test_an_account_going_private_signs_its_urls_at_once_and_hides_its_posts(alice, bob, carol, settings):
    post_id = _following(alice, bob)
    for _ in range(2):  # carol, not a follower, sees it while alice is public
        assert carol.get("/users/alice/posts").status_code == 200
        assert carol.get(f"/posts/{post_id}").status_code == 200
    urls = [r["url"] for r in bob.get(f"/posts/{post_id}").json()["items"][0]["media"]["renditions"]]
    assert urls
    assert not any("?" in url for url in urls)

    assert alice.patch("/accounts/me", json={"is_private": True}).status_code == 200

    for seen in _reads(bob, "alice", post_id):  # bob follows: he sees it, with signed URLs
        assert seen["author"]["is_private"] is True
        renditions = seen["items"][0]["media"]["renditions"]
        assert renditions
        assert all(_signed(r["url"], settings.secret) for r in renditions)
        assert [r["url"].split("?")[0] for r in renditions] == urls
    assert post_id not in [p["id"] for p in carol.get("/explore").json()["items"]]
    assert carol.get("/users/alice/posts").status_code == 403
    assert carol.get(f"/posts/{post_id}").status_code == 404

    assert alice.patch("/accounts/me", json={"is_private": False}).status_code == 200
    assert not any(
        "?" in r["url"] for r in carol.get(f"/posts/{post_id}").json()["items"][0]["media"]["renditions"]
    )


def test_a_block_hides_posts_and_comments_at_once(alice, bob, carol):
    post_id = _following(alice, bob)
    carol.post("/users/alice/follow")
    assert carol.post(f"/posts/{post_id}/comments", json={"text": "from carol"}).status_code == 201
    assert [c["text"] for c in _reads(bob, "alice", post_id)[2]["comment_previews"]] == ["from carol"]

    assert bob.post("/users/carol/block").status_code in (200, 201, 204)
    for seen in _reads(bob, "alice", post_id):  # carol's comment is gone for bob
        assert seen["comment_previews"] == []
    assert alice.post("/users/bob/block").status_code in (200, 201, 204)
    assert bob.get("/feed").json()["items"] == []
    assert bob.get(f"/posts/{post_id}").status_code == 404


def test_a_card_is_built_once_and_then_read_from_the_cache(alice, bob, count_queries):
    post_id = _following(alice, bob)
    # A new display name moves the author's version and renders no card, so the next read builds one.
    assert alice.patch("/accounts/me", json={"display_name": "Alice Again"}).status_code == 200
    with count_queries() as cold:
        assert bob.get(f"/posts/{post_id}").status_code == 200
    with count_queries() as warm:
        assert bob.get(f"/posts/{post_id}").json()["author"]["display_name"] == "Alice Again"
    assert cold.count == warm.count + 1  # the card's one query


def test_likes_comments_and_follows_keep_the_cached_card(alice, bob, carol, count_queries):
    """Counts are read with the page, so a like, a comment or a follow must not make a new card
    version: a popular post's card would be built again on nearly every read, and the cache would
    fill with dead versions."""
    post_id = _following(alice, bob)
    assert carol.post(f"/posts/{post_id}/comments", json={"text": "first"}).status_code == 201
    bob.get(f"/posts/{post_id}")
    with count_queries() as before:
        assert bob.get(f"/posts/{post_id}").status_code == 200
    assert carol.post(f"/posts/{post_id}/like").status_code in (200, 201)
    assert carol.post(f"/posts/{post_id}/comments", json={"text": "second"}).status_code == 201
    assert carol.post("/users/alice/follow").status_code in (200, 201)
    assert alice.post("/users/carol/follow").status_code in (200, 201)
    with count_queries() as after:
        seen = bob.get(f"/posts/{post_id}").json()
    assert (seen["like_count"], seen["comment_count"]) == (1, 2)
    assert after.count == before.count  # no card was built again


async def test_entities_and_page_queries_name_a_card_alike(alice, bob, db):
    """The feed reads versions straight from its page query, the post page and the grid from
    entities: both must name a card with the same key, or each list would build its own."""
    assert bob.post("/users/alice/follow").status_code in (200, 201)
    make_post(alice, "shared")
    assert alice.patch("/accounts/me", json={"display_name": "Alice Again"}).status_code == 200
    from_page = refs_of(
        (await db.execute(select(*REF_COLUMNS).join(User, User.id == Post.author_id))).tuples()
    )
    from_entities = refs_of_entities(
        (await db.execute(select(Post, User).join(User, User.id == Post.author_id))).tuples()
    )
    assert from_page
    assert [card_key(r) for r in from_page] == [card_key(r) for r in from_entities]


def test_an_edit_answers_with_the_new_card_and_leaves_it_cached(alice, bob, count_queries):
    post_id = _following(alice, bob)
    edited = alice.patch(f"/posts/{post_id}", json={"caption": "again"})
    assert edited.status_code == 200
    assert edited.json()["caption"] == "again"
    with count_queries() as after_edit:
        assert bob.get(f"/posts/{post_id}").json()["caption"] == "again"
    with count_queries() as warm:
        assert bob.get(f"/posts/{post_id}").json()["caption"] == "again"
    assert after_edit.count == warm.count  # the edit's answer built and cached the new card


async def test_the_lru_cache_keeps_the_most_recently_used_entries():
    cache: LruCache[str] = LruCache(2)
    await cache.set_many({"a": "1", "b": "2"})
    assert await cache.get_many(["a"]) == {"a": "1"}  # a is now the most recent
    await cache.set_many({"c": "3"})
    assert await cache.get_many(["a", "b", "c"]) == {"a": "1", "c": "3"}
    assert len(cache) == 2


async def test_a_redis_outage_never_fails_a_read_of_the_card_cache(settings):
    """Cards at scale live in Redis; with Redis unreachable the cache finds and stores nothing
    (the page then builds its cards), and it does not wait on Redis again at once."""
    down = settings.model_copy(update={"store_backend": "redis", "redis_url": "redis://127.0.0.1:9/0"})
    client = async_client(down)
    try:
        cache = make_cache(down, "cards", PostCard, 10, client)
        assert isinstance(cache, TieredCache)
        assert isinstance(cache.shared, RedisCache)
        assert await cache.get_many(["1:2:3"]) == {}
        card = _a_card()
        await cache.set_many({"1:2:3": card})
        assert cache.shared.outage.down
        assert cache.shared.outage.skipping()
        assert await cache.get_many(["1:2:3"]) == {"1:2:3": card}  # this process's own copy
    finally:
        await client.aclose()


def _a_card() -> PostCard:
    author = UserSummary("1", "alice", "", None, is_private=False, relationship=None)
    return PostCard(1, author, "ready", "", "", True, False, [], datetime.now(UTC))


async def test_the_redis_card_cache_round_trips_cards(settings):
    if settings.store_backend != "redis":
        pytest.skip("needs Redis: the scale stack (make test-scale)")
    client = async_client(settings)
    try:
        cache = make_cache(settings, "cards-test", PostCard, 10, client)
        card = _a_card()
        await cache.set_many({"1:2:3": card})
        assert await cache.get_many(["1:2:3", "4:5:6"]) == {"1:2:3": card}
        # Another web process (its own near copy, empty) finds the card in Redis, and keeps it.
        other = make_cache(settings, "cards-test", PostCard, 10, client)
        assert isinstance(other, TieredCache)
        assert await other.get_many(["1:2:3"]) == {"1:2:3": card}
        assert other.near.get_many_now(["1:2:3"]) == {"1:2:3": card}
    finally:
        await client.aclose()

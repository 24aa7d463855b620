"""Hashtag pages: the tag itself, its recent and top posts, as each viewer may see them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from tests.discovery import approve, follow, ids, make_private, set_engagement
from tests.helpers import assert_error, cache_session, forget_cards, make_post
from viewfinder.posts.models import Post


def test_a_hashtag_is_found_in_any_case_with_or_without_its_hash(alice, anon):
    make_post(alice, "Golden hour #SunSet")
    make_post(alice, "again #sunset #beach")

    for tag in ("sunset", "SUNSET", "SunSet", "%23sunset"):
        response = anon.get(f"/hashtags/{tag}")
        assert response.status_code == 200, (tag, response.text)
        assert response.json() == {"name": "sunset", "post_count": 2}
    assert anon.get("/hashtags/beach").json() == {"name": "beach", "post_count": 1}
    assert_error(anon.get("/hashtags/nothing_here"), 404, "not_found")
    assert_error(anon.get("/hashtags/nothing_here/posts"), 404, "not_found")


def test_recent_posts_page_newest_first_in_a_fixed_number_of_queries(
    alice, bob, anon, count_queries, settings
):
    posted = [make_post(alice, f"number {i} #city")["id"] for i in range(5)]
    make_post(alice, "not tagged")
    for post_id in posted:  # so that every page needs its comment previews
        assert alice.post(f"/posts/{post_id}/comments", json={"text": "mine"}).status_code == 201

    cache_session(bob, count_queries)
    forget_cards(settings)
    for viewer, expected in ((anon, 4), (bob, 3)):
        with count_queries() as small:
            first = viewer.get("/hashtags/city/posts", params={"limit": 2}).json()
        with count_queries() as large:
            everything = viewer.get("/hashtags/City/posts", params={"limit": 20}).json()
        # The tag, the page of post refs, the cards of posts not yet cached (for anon; bob's reads
        # find all five cached), comment previews: the same whatever the page size. Bob's page reads
        # his likes and saves with the refs (one statement fewer than its own query for them did).
        # Bob's session comes from the auth cache.
        assert small.count == large.count == expected, large.statements

        assert ids(everything) == posted[::-1]
        assert everything["next_cursor"] is None
        second = viewer.get(
            "/hashtags/city/posts", params={"limit": 2, "cursor": first["next_cursor"]}
        ).json()
        third = viewer.get(
            "/hashtags/city/posts", params={"limit": 2, "cursor": second["next_cursor"]}
        ).json()
        assert ids(first) + ids(second) + ids(third) == posted[::-1]
        assert third["next_cursor"] is None


async def test_top_posts_rank_by_likes_and_twice_the_comments(alice, bob, anon, db, count_queries):
    quiet, commented, liked, also_quiet = (make_post(alice, f"{i} #food") for i in range(4))
    await set_engagement(db, quiet, likes=1)
    await set_engagement(db, commented, comments=2)  # worth 4
    await set_engagement(db, liked, likes=10)

    everything = anon.get("/hashtags/food/posts", params={"order": "top"}).json()
    # Ties (the two quiet ones... here 1 against 0) fall back to newest first.
    assert ids(everything) == [liked["id"], commented["id"], quiet["id"], also_quiet["id"]]
    assert everything["items"][0]["like_count"] == 10

    cache_session(bob, count_queries)
    with count_queries() as small:
        first = bob.get("/hashtags/food/posts", params={"order": "top", "limit": 2}).json()
    with count_queries() as large:
        bob.get("/hashtags/food/posts", params={"order": "top", "limit": 20})
    # The tag, the page of refs with bob's likes and saves (no statement of their own), comment
    # previews (a post counts comments); the cards were all cached by anon's read above.
    assert small.count == large.count == 3, large.statements
    second = bob.get(
        "/hashtags/food/posts", params={"order": "top", "limit": 2, "cursor": first["next_cursor"]}
    ).json()
    assert ids(first) + ids(second) == ids(everything)
    assert second["next_cursor"] is None


async def test_top_posts_come_from_the_last_thirty_days_only(alice, anon, db):
    old = make_post(alice, "a classic #food")
    recent = make_post(alice, "today #food")
    await set_engagement(db, old, likes=500)
    await db.execute(
        update(Post)
        .where(Post.id == int(old["id"]))
        .values(created_at=datetime.now(UTC) - timedelta(days=40))
    )
    await db.commit()

    assert ids(anon.get("/hashtags/food/posts", params={"order": "top"}).json()) == [recent["id"]]
    assert ids(anon.get("/hashtags/food/posts").json()) == [recent["id"], old["id"]]


def test_a_private_accounts_tagged_posts_show_only_to_approved_followers(alice, bob, carol, anon):
    make_private(bob)
    hidden = make_post(bob, "only for friends #party")
    public = make_post(carol, "open to all #party")
    follow(alice, bob)  # a request, until bob approves it

    for outsider in (anon, carol, alice):
        assert ids(outsider.get("/hashtags/party/posts").json()) == [public["id"]]
        assert ids(outsider.get("/hashtags/party/posts?order=top").json()) == [public["id"]]

    approve(bob, alice)
    assert ids(alice.get("/hashtags/party/posts").json()) == [public["id"], hidden["id"]]
    assert ids(bob.get("/hashtags/party/posts").json()) == [public["id"], hidden["id"]]
    assert ids(carol.get("/hashtags/party/posts").json()) == [public["id"]]


def test_blocked_accounts_posts_are_absent_from_hashtag_pages_both_ways(alice, bob, carol):
    from_alice = make_post(alice, "#market")
    from_bob = make_post(bob, "#market")
    from_carol = make_post(carol, "#market")
    assert alice.post("/users/bob/block").status_code == 204

    for order in ("recent", "top"):
        assert ids(alice.get(f"/hashtags/market/posts?order={order}").json()) == [
            from_carol["id"],
            from_alice["id"],
        ]
        assert ids(bob.get(f"/hashtags/market/posts?order={order}").json()) == [
            from_carol["id"],
            from_bob["id"],
        ]
    assert len(carol.get("/hashtags/market/posts").json()["items"]) == 3


def test_muted_accounts_are_left_out_of_hashtag_pages(alice, bob, carol):
    make_post(bob, "#dogs")
    from_carol = make_post(carol, "#dogs")
    assert alice.post("/users/bob/mute").status_code == 204

    assert ids(alice.get("/hashtags/dogs/posts").json()) == [from_carol["id"]]
    assert ids(alice.get("/hashtags/dogs/posts?order=top").json()) == [from_carol["id"]]
    assert len(carol.get("/hashtags/dogs/posts").json()["items"]) == 2


def test_forged_or_foreign_cursors_are_refused(alice, bob, anon):
    for i in range(3):
        make_post(alice, f"{i} #one #two")
    recent = anon.get("/hashtags/one/posts?limit=1").json()["next_cursor"]
    top = anon.get("/hashtags/one/posts?order=top&limit=1").json()["next_cursor"]
    assert recent
    assert top

    refused = [
        ("/hashtags/two/posts", recent),  # another tag's list
        ("/hashtags/one/posts?order=top", recent),  # the same tag, the other order
        ("/hashtags/one/posts", top),
        ("/hashtags/one/posts", recent[:-2] + ("AA" if not recent.endswith("AA") else "BB")),
        ("/hashtags/one/posts", "not-a-cursor"),
        ("/explore", recent),
    ]
    for path, cursor in refused:
        separator = "&" if "?" in path else "?"
        assert_error(bob.get(f"{path}{separator}cursor={cursor}"), 400, "invalid_cursor", ["cursor"])
    assert bob.get(f"/hashtags/one/posts?cursor={recent}").status_code == 200


def test_bad_parameters_are_a_clear_400(alice, anon):
    make_post(alice, "#ok")
    assert_error(anon.get("/hashtags/ok/posts?order=best"), 400, "validation_error", ["order"])
    assert_error(anon.get("/hashtags/ok/posts?limit=0"), 400, "validation_error", ["limit"])
    assert_error(anon.get("/hashtags/ok/posts?limit=many"), 400, "validation_error", ["limit"])

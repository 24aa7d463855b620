"""Saves (private to the saver) and named collections of saved posts."""

from __future__ import annotations

from typing import Any

from tests.helpers import assert_error, cache_session, forget_cards, make_post


def ids(page: dict[str, Any]) -> list[str]:
    return [p["id"] for p in page["items"]]


def test_saves_are_listed_newest_first_and_private_to_the_saver(alice, bob, carol):
    first = make_post(alice, "first")
    second = make_post(alice, "second")

    assert bob.post(f"/posts/{first['id']}/save").json() == {"saved": True}
    assert bob.post(f"/posts/{second['id']}/save").json() == {"saved": True}
    assert bob.post(f"/posts/{first['id']}/save").json() == {"saved": True}

    saved = bob.get("/saved").json()
    assert ids(saved) == [second["id"], first["id"]]
    assert all(p["saved_by_viewer"] for p in saved["items"])
    assert saved["items"][0]["items"][0]["media"]["renditions"]
    assert bob.get(f"/posts/{first['id']}").json()["saved_by_viewer"] is True
    # Nobody else learns who saved what: not the author, not anyone else.
    assert alice.get(f"/posts/{first['id']}").json()["saved_by_viewer"] is False
    assert carol.get(f"/posts/{first['id']}").json()["saved_by_viewer"] is False
    assert alice.get("/saved").json()["items"] == []
    assert carol.get("/saved").json()["items"] == []

    assert bob.delete(f"/posts/{first['id']}/save").json() == {"saved": False}
    assert bob.delete(f"/posts/{first['id']}/save").json() == {"saved": False}
    assert ids(bob.get("/saved").json()) == [second["id"]]


def test_saved_needs_an_account(anon):
    assert_error(anon.get("/saved"), 401, "not_authenticated")
    assert_error(anon.get("/collections"), 401, "not_authenticated")


def test_saved_posts_no_longer_visible_are_left_out(alice, bob, carol):
    by_alice = make_post(alice)
    by_carol = make_post(carol)
    bob.post(f"/posts/{by_alice['id']}/save")
    bob.post(f"/posts/{by_carol['id']}/save")

    alice.patch("/accounts/me", json={"is_private": True})
    assert ids(bob.get("/saved").json()) == [by_carol["id"]]
    carol.post("/users/bob/block")
    assert ids(bob.get("/saved").json()) == []

    alice.patch("/accounts/me", json={"is_private": False})
    assert ids(bob.get("/saved").json()) == [by_alice["id"]]


def test_saved_pages_in_a_fixed_number_of_queries(alice, bob, count_queries, settings):
    posts = [make_post(alice, f"post {i}") for i in range(5)]
    for post in posts:
        bob.post(f"/posts/{post['id']}/save")
    bob.post(f"/posts/{posts[0]['id']}/like")

    cache_session(bob, count_queries)
    forget_cards(settings)
    with count_queries() as small:
        first = bob.get("/saved?limit=2").json()
    with count_queries() as large:
        everything = bob.get("/saved?limit=5").json()
    second = bob.get(f"/saved?limit=2&cursor={first['next_cursor']}").json()

    newest_first = [p["id"] for p in reversed(posts)]
    assert ids(everything) == newest_first
    assert ids(first) + ids(second) == newest_first[:4]
    # The page of refs, which carries bob's likes and saves (no statement of their own for them),
    # and the cards not yet cached; no post has comments, so no previews.
    assert small.count == large.count == 2, large.statements
    assert [p["liked_by_viewer"] for p in everything["items"]] == [False] * 4 + [True]
    assert all(p["saved_by_viewer"] for p in everything["items"])


def test_collections_hold_saved_posts(alice, bob):
    first = make_post(alice, "first")
    second = make_post(alice, "second")

    created = bob.post("/collections", json={"name": "  Trips "})
    assert created.status_code == 201, created.text
    trips = created.json()
    assert trips["name"] == "Trips"
    assert trips["post_count"] == 0
    assert trips["cover"] is None

    put = bob.put(f"/collections/{trips['id']}/posts/{first['id']}")
    assert put.status_code == 200, put.text
    assert put.json()["post_count"] == 1
    assert put.json()["cover"].startswith("https://testserver.local/")
    bob.put(f"/collections/{trips['id']}/posts/{second['id']}")
    again = bob.put(f"/collections/{trips['id']}/posts/{second['id']}").json()
    assert again["post_count"] == 2

    # Putting a post in a collection saves it.
    assert ids(bob.get("/saved").json()) == [second["id"], first["id"]]
    assert ids(bob.get(f"/collections/{trips['id']}/posts").json()) == [second["id"], first["id"]]
    assert bob.get(f"/collections/{trips['id']}").json()["post_count"] == 2

    # Taking it out of the collection keeps it saved; unsaving takes it out of every collection.
    out = bob.delete(f"/collections/{trips['id']}/posts/{second['id']}")
    assert out.status_code == 200
    assert out.json()["post_count"] == 1
    assert ids(bob.get("/saved").json()) == [second["id"], first["id"]]
    bob.delete(f"/posts/{first['id']}/save")
    assert ids(bob.get(f"/collections/{trips['id']}/posts").json()) == []
    assert bob.get(f"/collections/{trips['id']}").json()["post_count"] == 0


def test_collection_names_are_unique_per_owner_ignoring_case(alice, bob):
    assert bob.post("/collections", json={"name": "Food"}).status_code == 201
    assert_error(bob.post("/collections", json={"name": "food"}), 409, "collection_exists", ["name"])
    # Another account may use the same name.
    assert alice.post("/collections", json={"name": "FOOD"}).status_code == 201
    other = bob.post("/collections", json={"name": "Drinks"}).json()
    assert_error(bob.patch(f"/collections/{other['id']}", json={"name": "FOOD"}), 409, "collection_exists")
    renamed = bob.patch(f"/collections/{other['id']}", json={"name": "drinks"})
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "drinks"
    assert_error(bob.post("/collections", json={"name": "   "}), 400, "validation_error", ["name"])
    assert_error(bob.post("/collections", json={"name": ""}), 400, "validation_error", ["name"])
    assert_error(bob.post("/collections", json={"name": "x" * 101}), 400, "validation_error", ["name"])
    assert_error(bob.post("/collections", json={"name": "x", "owner": "alice"}), 400, "validation_error")

    names = [c["name"] for c in bob.get("/collections").json()["items"]]
    assert names == ["drinks", "Food"]


def test_only_the_owner_can_see_or_change_a_collection(alice, bob):
    post = make_post(bob)
    mine = alice.post("/collections", json={"name": "Mine"}).json()
    path = f"/collections/{mine['id']}"
    alice.put(f"{path}/posts/{post['id']}")

    assert_error(bob.get(path), 404, "not_found")
    assert_error(bob.get(f"{path}/posts"), 404, "not_found")
    assert_error(bob.patch(path, json={"name": "Ours"}), 404, "not_found")
    assert_error(bob.delete(path), 404, "not_found")
    assert_error(bob.put(f"{path}/posts/{post['id']}"), 404, "not_found")
    assert_error(bob.delete(f"{path}/posts/{post['id']}"), 404, "not_found")
    assert bob.get("/collections").json()["items"] == []
    assert alice.get(path).json()["name"] == "Mine"
    assert alice.get(path).json()["post_count"] == 1

    assert alice.delete(path).status_code == 204
    assert_error(alice.get(path), 404, "not_found")
    # Deleting a collection leaves its posts saved.
    assert ids(alice.get("/saved").json()) == [post["id"]]


def test_collections_page_in_a_fixed_number_of_queries(alice, bob, count_queries, settings):
    posts = [make_post(alice) for _ in range(3)]
    for index in range(5):
        collection = bob.post("/collections", json={"name": f"c{index}"}).json()
        for post in posts[: index % 3 + 1]:
            bob.put(f"/collections/{collection['id']}/posts/{post['id']}")

    with count_queries() as small:
        first = bob.get("/collections?limit=2").json()
    with count_queries() as large:
        everything = bob.get("/collections?limit=5").json()
    second = bob.get(f"/collections?limit=2&cursor={first['next_cursor']}").json()
    newest = everything["items"][0]["id"]
    cache_session(bob, count_queries)
    forget_cards(settings)
    with count_queries() as posts_small:
        posts_page_small = bob.get(f"/collections/{newest}/posts?limit=1").json()
    with count_queries() as posts_large:
        posts_page_large = bob.get(f"/collections/{newest}/posts?limit=5").json()

    assert [c["name"] for c in everything["items"]] == ["c4", "c3", "c2", "c1", "c0"]
    assert [c["post_count"] for c in everything["items"]] == [2, 1, 3, 2, 1]
    assert [c["name"] for c in first["items"] + second["items"]] == ["c4", "c3", "c2", "c1"]
    assert small.count == large.count
    assert len(posts_page_small["items"]) == 1
    assert posts_page_small["next_cursor"] is not None
    assert ids(posts_page_large) == [posts[1]["id"], posts[0]["id"]]
    assert all(p["saved_by_viewer"] for p in posts_page_large["items"])
    # The collection, the page of refs with bob's likes and saves, the cards not yet cached.
    assert posts_small.count == posts_large.count == 3, posts_large.statements


def test_a_collection_leaves_out_posts_no_longer_visible(alice, bob, carol):
    by_alice = make_post(alice)
    by_carol = make_post(carol)
    trips = bob.post("/collections", json={"name": "Trips"}).json()
    bob.put(f"/collections/{trips['id']}/posts/{by_alice['id']}")
    bob.put(f"/collections/{trips['id']}/posts/{by_carol['id']}")

    carol.post("/users/bob/block")

    assert ids(bob.get(f"/collections/{trips['id']}/posts").json()) == [by_alice["id"]]
    assert bob.get(f"/collections/{trips['id']}").json()["post_count"] == 1

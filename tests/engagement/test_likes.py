"""Likes on posts: idempotent, counted exactly, shown to the viewer, listed with their likers."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from tests.helpers import assert_error, make_post
from viewfinder.accounts.models import User
from viewfinder.engagement import services
from viewfinder.engagement.models import PostLike
from viewfinder.posts.models import Post


def test_liking_twice_keeps_one_like_and_the_count_right(alice, bob, carol):
    post = make_post(alice, "hello")
    path = f"/posts/{post['id']}/like"

    first = bob.post(path)
    again = bob.post(path)
    carol.post(path)

    assert first.status_code == 200, first.text
    assert first.json() == {"liked": True, "like_count": 1}
    assert again.json() == {"liked": True, "like_count": 1}
    assert alice.get(f"/posts/{post['id']}").json()["like_count"] == 2
    assert bob.delete(path).json() == {"liked": False, "like_count": 1}
    assert bob.delete(path).json() == {"liked": False, "like_count": 1}
    assert bob.post(path).json() == {"liked": True, "like_count": 2}


def test_liked_by_viewer_shows_in_the_post_and_the_profile_grid(alice, bob, carol, anon):
    post = make_post(alice)
    bob.post(f"/posts/{post['id']}/like")

    for_bob = bob.get(f"/posts/{post['id']}").json()
    for_carol = carol.get(f"/posts/{post['id']}").json()
    bob_grid = bob.get("/users/alice/posts").json()["items"][0]
    anon_grid = anon.get("/users/alice/posts").json()["items"][0]

    assert for_bob["liked_by_viewer"] is True
    assert for_bob["like_count"] == 1
    assert for_carol["liked_by_viewer"] is False
    assert for_carol["like_count"] == 1
    assert bob_grid["liked_by_viewer"] is True
    assert anon_grid["liked_by_viewer"] is False
    assert anon_grid["like_count"] == 1


def test_likes_need_an_account(alice, anon):
    post = make_post(alice)
    assert_error(anon.post(f"/posts/{post['id']}/like"), 401, "not_authenticated")
    assert anon.get(f"/posts/{post['id']}").json()["like_count"] == 0


async def test_a_like_insert_that_loses_to_an_existing_like_counts_once(alice, bob, db):
    post = make_post(alice)
    post_id = int(post["id"])
    bob_user = await db.scalar(select(User).where(User.username == "bob"))
    assert bob_user is not None

    # No read-then-write: every like is an insert, and the primary key turns a repeated or
    # concurrent one into "liked already" without moving the count.
    states = []
    for _ in range(2):
        states.append(await services.like_post(db, bob_user, post_id))
        bob_user = await db.scalar(select(User).where(User.username == "bob"))
        assert bob_user is not None

    assert [s.liked for s in states] == [True, True]
    assert [s.like_count for s in states] == [1, 1]
    likes = await db.scalar(select(func.count()).select_from(PostLike).where(PostLike.post_id == post_id))
    assert likes == 1
    assert await db.scalar(select(Post.like_count).where(Post.id == post_id)) == 1


def test_a_hidden_like_count_is_shown_to_the_author_only(alice, bob):
    post = make_post(alice, hide_like_count=True)
    path = f"/posts/{post['id']}"

    assert bob.post(f"{path}/like").json() == {"liked": True, "like_count": None}
    assert bob.get(path).json()["like_count"] is None
    assert bob.get(path).json()["liked_by_viewer"] is True
    assert alice.get(path).json()["like_count"] == 1
    assert alice.post(f"{path}/like").json() == {"liked": True, "like_count": 2}
    assert_error(bob.get(f"{path}/likes"), 403, "likes_hidden")
    assert [u["username"] for u in alice.get(f"{path}/likes").json()["items"]] == ["alice", "bob"]


def test_likers_page_newest_first_in_a_fixed_number_of_queries(alice, anon, make_api, count_queries):
    post = make_post(alice)
    people = [make_api().signup(f"fan{i}") for i in range(5)]
    for person in people:
        assert person.post(f"/posts/{post['id']}/like").status_code == 200
    path = f"/posts/{post['id']}/likes"

    with count_queries() as small:
        first = anon.get(f"{path}?limit=2").json()
    with count_queries() as large:
        everything = anon.get(f"{path}?limit=5").json()
    with count_queries() as logged_in_small:
        alice.get(f"{path}?limit=2")
    with count_queries() as logged_in_large:
        mine = alice.get(f"{path}?limit=5").json()
    second = anon.get(f"{path}?limit=2&cursor={first['next_cursor']}").json()
    third = anon.get(f"{path}?limit=2&cursor={second['next_cursor']}").json()

    newest_first = [f"fan{i}" for i in range(4, -1, -1)]
    assert [u["username"] for u in everything["items"]] == newest_first
    assert everything["next_cursor"] is None
    assert [u["username"] for u in first["items"] + second["items"] + third["items"]] == newest_first
    assert third["next_cursor"] is None
    assert all(u["relationship"] is None for u in everything["items"])
    assert all(u["relationship"]["following"] is False for u in mine["items"])
    # The post, its readiness, the page: whatever the page size (plus the session and relationships).
    assert small.count == large.count == 3
    assert logged_in_small.count == logged_in_large.count


def test_blocked_accounts_are_left_out_of_the_likers_both_ways(alice, bob, carol):
    post = make_post(alice)
    bob.post(f"/posts/{post['id']}/like")
    carol.post(f"/posts/{post['id']}/like")

    assert carol.post("/users/bob/block").status_code == 204

    def likers(api) -> Any:
        return [u["username"] for u in api.get(f"/posts/{post['id']}/likes").json()["items"]]

    assert likers(carol) == ["carol"]
    assert likers(bob) == ["bob"]
    assert likers(alice) == ["carol", "bob"]
    # The like is kept, and still counted.
    assert alice.get(f"/posts/{post['id']}").json()["like_count"] == 2

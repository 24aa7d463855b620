"""Restricting an account (Instagram's Restrict): its new comments are held, seen by itself alone
until the post's author (or staff who act on content) approves them; then they are counted and their
notifications go out (docs/decisions/0052)."""

from __future__ import annotations

from typing import Any

from tests.helpers import assert_error, make_post
from tests.moderation.enforce import act, undo
from tests.moderation.staff import make_staff


def comment_texts(api, post_id: str) -> list[str]:
    response = api.get(f"/posts/{post_id}/comments")
    assert response.status_code == 200, response.text
    return [comment["text"] for comment in response.json()["items"]]


def comment_count(api, post_id: str) -> int:
    count: int = api.get(f"/posts/{post_id}").json()["comment_count"]
    return count


def lines_from(api, username: str) -> list[dict[str, Any]]:
    lines = api.get("/notifications").json()["items"]
    return [line for line in lines if any(actor["username"] == username for actor in line["actors"])]


def held_texts(api, post_id: str) -> list[str]:
    response = api.get(f"/posts/{post_id}/comments/held")
    assert response.status_code == 200, response.text
    return [comment["text"] for comment in response.json()["items"]]


async def test_a_restricted_accounts_comment_is_seen_by_itself_alone_until_the_post_author_approves_it(
    alice, bob, carol, anon, db
):
    post = make_post(bob, "My boat")
    await act(db, "carol", "restrict")

    written = carol.post(f"/posts/{post['id']}/comments", json={"text": "Nice boat @alice"})

    assert written.status_code == 201, written.text
    assert written.json()["held"] is True
    assert [c["held"] for c in carol.get(f"/posts/{post['id']}/comments").json()["items"]] == [True]
    assert comment_texts(carol, post["id"]) == ["Nice boat @alice"]
    for other in (bob, alice, anon):
        assert comment_texts(other, post["id"]) == []
        assert comment_count(other, post["id"]) == 0
    assert lines_from(bob, "carol") == []
    assert lines_from(alice, "carol") == []  # the mention waits too
    assert held_texts(bob, post["id"]) == ["Nice boat @alice"]

    approved = bob.post(f"/comments/{written.json()['id']}/approve")

    assert approved.status_code == 204, approved.text
    assert [c["held"] for c in carol.get(f"/posts/{post['id']}/comments").json()["items"]] == [False]
    for other in (bob, alice, anon, carol):
        assert comment_texts(other, post["id"]) == ["Nice boat @alice"]
        assert comment_count(other, post["id"]) == 1
    assert [line["kind"] for line in lines_from(bob, "carol")] == ["comment"]
    assert [line["kind"] for line in lines_from(alice, "carol")] == ["mention"]
    assert held_texts(bob, post["id"]) == []
    assert_error(bob.post(f"/comments/{written.json()['id']}/approve"), 404, "not_found")


async def test_only_the_post_author_or_staff_who_act_on_content_review_held_comments(
    alice, bob, carol, anon, make_api, db
):
    post = make_post(bob, "My boat")
    await act(db, "carol", "restrict")
    held = carol.post(f"/posts/{post['id']}/comments", json={"text": "held"}).json()["id"]
    analyst = await make_staff(make_api, db, "ana", "analyst")
    moderator = await make_staff(make_api, db, "mo", "moderator")

    for outsider in (alice, carol, analyst):
        assert_error(outsider.get(f"/posts/{post['id']}/comments/held"), 403, "forbidden")
        assert_error(outsider.post(f"/comments/{held}/approve"), 403, "forbidden")
    assert_error(anon.get(f"/posts/{post['id']}/comments/held"), 401, "not_authenticated")
    assert_error(anon.post(f"/comments/{held}/approve"), 401, "not_authenticated")
    assert_error(bob.post("/comments/not-an-id/approve"), 404, "not_found")
    assert_error(bob.get("/posts/not-an-id/comments/held"), 404, "not_found")
    assert comment_texts(alice, post["id"]) == []

    assert held_texts(moderator, post["id"]) == ["held"]
    assert moderator.post(f"/comments/{held}/approve").status_code == 204
    assert comment_texts(alice, post["id"]) == ["held"]


async def test_a_held_reply_leaves_the_thread_uncounted_until_approved_and_deleting_one_counts_nothing(
    alice, bob, carol, db
):
    post = make_post(bob, "My boat")
    top = alice.post(f"/posts/{post['id']}/comments", json={"text": "first"}).json()["id"]
    await act(db, "carol", "restrict")

    reply = carol.post(f"/posts/{post['id']}/comments", json={"text": "held reply", "reply_to": top}).json()
    doomed = carol.post(f"/posts/{post['id']}/comments", json={"text": "never shown"}).json()

    assert bob.get(f"/comments/{top}/replies").json()["items"] == []
    assert alice.get(f"/posts/{post['id']}/comments").json()["items"][0]["reply_count"] == 0
    assert carol.delete(f"/comments/{doomed['id']}").status_code == 204
    assert comment_count(alice, post["id"]) == 1  # the held comment was never counted

    assert bob.post(f"/comments/{reply['id']}/approve").status_code == 204

    assert [c["text"] for c in alice.get(f"/comments/{top}/replies").json()["items"]] == ["held reply"]
    assert alice.get(f"/posts/{post['id']}/comments").json()["items"][0]["reply_count"] == 1
    assert comment_count(alice, post["id"]) == 2
    assert [line["kind"] for line in lines_from(alice, "carol")] == ["reply"]


async def test_lifting_a_restriction_publishes_what_it_held_and_new_comments_are_shown_at_once(
    alice, bob, carol, db
):
    post = make_post(bob, "My boat")
    await act(db, "carol", "restrict")
    carol.post(f"/posts/{post['id']}/comments", json={"text": "held"})
    assert comment_texts(alice, post["id"]) == []

    await undo(db, "carol", "restrict")

    carol.post(f"/posts/{post['id']}/comments", json={"text": "free"})
    assert comment_texts(alice, post["id"]) == ["held", "free"]
    assert comment_count(alice, post["id"]) == 2
    assert [line["kind"] for line in lines_from(bob, "carol")] == ["comment", "comment"]


async def test_a_comment_a_rule_holds_is_for_staff_to_approve_not_the_post_author(alice, bob, make_api, db):
    owner = await make_staff(make_api, db, "olga", "owner")
    rule = owner.post("/staff/rules", json={"kind": "keyword", "pattern": "spoiler", "action": "hold"})
    assert rule.status_code == 201, rule.text
    post = make_post(bob, "Film night")

    held = alice.post(f"/posts/{post['id']}/comments", json={"text": "big spoiler"}).json()["id"]

    assert comment_texts(bob, post["id"]) == []
    assert held_texts(bob, post["id"]) == []  # an open case is about it: staff decide
    assert_error(bob.post(f"/comments/{held}/approve"), 404, "not_found")
    assert held_texts(owner, post["id"]) == ["big spoiler"]
    assert owner.post(f"/comments/{held}/approve").status_code == 204
    assert comment_texts(bob, post["id"]) == ["big spoiler"]


async def test_a_held_comment_is_not_published_once_its_author_and_the_posts_author_block_each_other(
    make_api, alice, bob, carol, anon, db
):
    """Approving is publishing now, and a comment could not be written now across a block: it stays
    held (404 for the post's author, whose held list leaves it out; 409 `authors_blocked` for staff),
    lifting the restriction leaves it held, and an unblock lets the post's author approve it."""
    mia = await make_staff(make_api, db, "mia", "moderator")
    post, other = make_post(bob, "My boat"), make_post(bob, "My car", colour="blue")
    await act(db, "carol", "restrict")
    written = carol.post(f"/posts/{post['id']}/comments", json={"text": "Nice boat @alice"})
    assert written.status_code == 201, written.text
    assert carol.post(f"/posts/{other['id']}/comments", json={"text": "Nice car"}).status_code == 201
    comment_id = written.json()["id"]

    for blocker, blocked in ((bob, "carol"), (carol, "bob")):
        assert blocker.post(f"/users/{blocked}/block").status_code == 204
        assert held_texts(bob, post["id"]) == []
        assert_error(bob.post(f"/comments/{comment_id}/approve"), 404, "not_found")
        assert_error(mia.post(f"/comments/{comment_id}/approve"), 409, "authors_blocked")
        for viewer in (bob, alice, anon):
            assert comment_texts(viewer, post["id"]) == []
            assert comment_count(viewer, post["id"]) == 0
        assert lines_from(alice, "carol") == []
        assert blocker.delete(f"/users/{blocked}/block").status_code == 204

    assert bob.post("/users/carol/block").status_code == 204
    await undo(db, "carol", "restrict")  # releases her held comments, but not across the block
    assert comment_texts(alice, post["id"]) == []
    assert comment_texts(alice, other["id"]) == []
    assert bob.delete("/users/carol/block").status_code == 204
    assert held_texts(bob, post["id"]) == ["Nice boat @alice"]
    assert bob.post(f"/comments/{comment_id}/approve").status_code == 204
    assert comment_texts(alice, post["id"]) == ["Nice boat @alice"]
    assert comment_count(alice, post["id"]) == 1
    assert [line["kind"] for line in lines_from(alice, "carol")] == ["mention"]

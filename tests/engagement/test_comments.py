"""Comments: limits, one level of replies, switching them off, deleting, likes and mentions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from tests.helpers import assert_error, make_post
from viewfinder.accounts.models import User
from viewfinder.engagement.models import CommentMention
from viewfinder.feeds.models import Affinity


def comment(api, post_id: str, text: str, reply_to: str | None = None):
    body: dict[str, str] = {"text": text}
    if reply_to is not None:
        body["reply_to"] = reply_to
    return api.post(f"/posts/{post_id}/comments", json=body)


def made(api, post_id: str, text: str, reply_to: str | None = None) -> Any:
    response = comment(api, post_id, text, reply_to)
    assert response.status_code == 201, response.text
    return response.json()


def texts(page: dict[str, Any]) -> list[str]:
    return [c["text"] for c in page["items"]]


def test_a_comment_of_2200_characters_is_taken_and_2201_refused(alice, bob):
    post = make_post(alice)

    taken = comment(bob, post["id"], "x" * 2200)
    refused = comment(bob, post["id"], "x" * 2201)

    assert taken.status_code == 201, taken.text
    assert len(taken.json()["text"]) == 2200
    assert taken.json()["author"]["username"] == "bob"
    assert taken.json()["parent_id"] is None
    assert_error(refused, 400, "validation_error", ["text"])
    assert alice.get(f"/posts/{post['id']}").json()["comment_count"] == 1


def test_blank_and_malformed_comments_are_refused(alice, bob):
    post = make_post(alice)

    assert_error(comment(bob, post["id"], "   \n "), 400, "validation_error", ["text"])
    assert_error(comment(bob, post["id"], ""), 400, "validation_error", ["text"])
    assert_error(bob.post(f"/posts/{post['id']}/comments", json={"text": 5}), 400, "validation_error")
    assert_error(
        bob.post(f"/posts/{post['id']}/comments", json={"text": "hi", "extra": 1}), 400, "validation_error"
    )
    json_type = {"content-type": "application/json"}
    assert_error(
        bob.post(f"/posts/{post['id']}/comments", content=b"{nope", headers=json_type), 400, "bad_request"
    )
    assert_error(comment(bob, post["id"], "hi", reply_to="not-an-id"), 400, "validation_error", ["reply_to"])
    assert_error(comment(bob, post["id"], "hi", reply_to="12345"), 400, "validation_error", ["reply_to"])
    assert alice.get(f"/posts/{post['id']}").json()["comment_count"] == 0


def test_surrounding_spaces_are_trimmed(alice, bob):
    post = make_post(alice)
    assert made(bob, post["id"], "  nice shot \n")["text"] == "nice shot"


def test_replies_are_one_level_deep(alice, bob, carol, anon):
    post = make_post(alice)
    top = made(bob, post["id"], "first")
    reply = made(carol, post["id"], "a reply", reply_to=top["id"])
    reply_to_reply = made(alice, post["id"], "@carol a reply to the reply", reply_to=reply["id"])
    other = made(carol, post["id"], "second")

    # A reply to a reply joins the top-level comment's thread, as on Instagram.
    assert reply["parent_id"] == top["id"]
    assert reply_to_reply["parent_id"] == top["id"]
    top_level = anon.get(f"/posts/{post['id']}/comments").json()
    assert texts(top_level) == ["first", "second"]
    assert [c["reply_count"] for c in top_level["items"]] == [2, 0]
    replies = anon.get(f"/comments/{top['id']}/replies").json()
    assert texts(replies) == ["a reply", "@carol a reply to the reply"]
    assert anon.get(f"/comments/{reply['id']}/replies").json()["items"] == []
    assert anon.get(f"/comments/{other['id']}/replies").json()["items"] == []
    # Every comment counts on the post, replies included.
    assert anon.get(f"/posts/{post['id']}").json()["comment_count"] == 4


def test_a_reply_must_answer_a_comment_on_the_same_post(alice, bob):
    first = make_post(alice)
    second = make_post(alice)
    top = made(bob, first["id"], "on the first post")

    assert_error(comment(bob, second["id"], "hi", reply_to=top["id"]), 400, "validation_error", ["reply_to"])


def test_no_one_can_comment_when_comments_are_off_the_author_included(alice, bob):
    post = make_post(alice, comments_enabled=False)

    assert_error(comment(bob, post["id"], "hello"), 403, "comments_disabled")
    assert_error(comment(alice, post["id"], "hello"), 403, "comments_disabled")

    alice.patch(f"/posts/{post['id']}", json={"comments_enabled": True})
    top = made(bob, post["id"], "hello")
    alice.patch(f"/posts/{post['id']}", json={"comments_enabled": False})
    assert_error(comment(alice, post["id"], "reply", reply_to=top["id"]), 403, "comments_disabled")
    # The comments made before stay readable.
    assert texts(bob.get(f"/posts/{post['id']}/comments").json()) == ["hello"]


def test_the_comment_author_and_the_post_owner_may_delete_others_may_not(alice, bob, carol):
    post = make_post(alice)
    by_bob = made(bob, post["id"], "by bob")
    by_carol = made(carol, post["id"], "by carol")
    another = made(carol, post["id"], "another by carol")

    assert_error(bob.delete(f"/comments/{by_carol['id']}"), 403, "forbidden")
    assert_error(carol.delete(f"/comments/{by_bob['id']}"), 403, "forbidden")
    assert bob.delete(f"/comments/{by_bob['id']}").status_code == 204
    assert alice.delete(f"/comments/{by_carol['id']}").status_code == 204
    assert_error(alice.delete(f"/comments/{by_carol['id']}"), 404, "not_found")
    assert_error(alice.delete("/comments/123"), 404, "not_found")
    assert_error(alice.delete("/comments/abc"), 404, "not_found")

    assert texts(bob.get(f"/posts/{post['id']}/comments").json()) == ["another by carol"]
    assert alice.get(f"/posts/{post['id']}").json()["comment_count"] == 1
    assert another["id"]


def test_someone_who_cannot_see_a_comment_gets_404_when_deleting_it(alice, bob, carol):
    post = make_post(alice)
    by_bob = made(bob, post["id"], "by bob")
    carol.post("/users/bob/block")

    assert_error(carol.delete(f"/comments/{by_bob['id']}"), 404, "not_found")
    # The post's owner may still remove it, and its author too.
    assert bob.delete(f"/comments/{by_bob['id']}").status_code == 204


def test_counts_stay_exact_through_deletes(alice, bob, carol):
    post = make_post(alice)
    top = made(bob, post["id"], "top")
    made(carol, post["id"], "reply one", reply_to=top["id"])
    reply_two = made(alice, post["id"], "reply two", reply_to=top["id"])
    kept = made(carol, post["id"], "kept")
    made(bob, post["id"], "reply to kept", reply_to=kept["id"])

    def post_count() -> int:
        return int(alice.get(f"/posts/{post['id']}").json()["comment_count"])

    def replies_of(comment_id: str) -> list[int]:
        page = alice.get(f"/posts/{post['id']}/comments").json()
        return [c["reply_count"] for c in page["items"] if c["id"] == comment_id]

    assert post_count() == 5
    assert alice.delete(f"/comments/{reply_two['id']}").status_code == 204
    assert post_count() == 4
    assert replies_of(top["id"]) == [1]
    # A top-level comment goes with its replies.
    assert bob.delete(f"/comments/{top['id']}").status_code == 204
    assert post_count() == 2
    assert texts(alice.get(f"/posts/{post['id']}/comments").json()) == ["kept"]
    assert_error(alice.get(f"/comments/{top['id']}/replies"), 404, "not_found")
    assert replies_of(kept["id"]) == [1]


def test_comment_likes_are_idempotent_and_shown_to_the_viewer(alice, bob, carol, anon):
    post = make_post(alice)
    top = made(bob, post["id"], "like me")
    path = f"/comments/{top['id']}/like"

    assert alice.post(path).json() == {"liked": True, "like_count": 1}
    assert alice.post(path).json() == {"liked": True, "like_count": 1}
    assert carol.post(path).json() == {"liked": True, "like_count": 2}

    def seen_by(api) -> Any:
        return api.get(f"/posts/{post['id']}/comments").json()["items"][0]

    assert seen_by(alice)["liked_by_viewer"] is True
    assert seen_by(bob)["liked_by_viewer"] is False
    assert seen_by(anon)["like_count"] == 2
    assert alice.get(f"/posts/{post['id']}").json()["comment_previews"][0]["liked_by_viewer"] is True
    assert carol.delete(path).json() == {"liked": False, "like_count": 1}
    assert carol.delete(path).json() == {"liked": False, "like_count": 1}
    assert_error(anon.post(path), 401, "not_authenticated")
    assert_error(alice.post("/comments/999/like"), 404, "not_found")


async def test_mentions_link_accounts_that_exist_and_can_see_the_post(alice, bob, carol, make_api, db):
    make_api().signup("dave")
    erin = make_api().signup("erin")
    bob.post("/users/dave/block")
    post = make_post(bob)
    erin.post("/users/bob/follow")
    bob.patch("/accounts/me", json={"is_private": True})

    # carol asked to follow but is not approved: she cannot see the private post.
    carol.post("/users/bob/follow")
    alice.post("/users/bob/follow")
    bob.post("/accounts/follow-requests/alice/approve")
    made_comment = made(alice, post["id"], "@erin @Carol @dave @nobody and @bob @erin look")

    linked = set(
        await db.scalars(
            select(User.username)
            .join(CommentMention, CommentMention.user_id == User.id)
            .where(CommentMention.comment_id == int(made_comment["id"]))
        )
    )
    assert linked == {"erin", "bob"}


async def test_a_blocked_account_is_not_linked_by_a_mention(alice, bob, carol, db):
    post = make_post(alice)
    carol.post("/users/bob/block")
    made_comment = made(bob, post["id"], "hey @carol and @alice")

    linked = set(
        await db.scalars(
            select(User.username)
            .join(CommentMention, CommentMention.user_id == User.id)
            .where(CommentMention.comment_id == int(made_comment["id"]))
        )
    )
    assert linked == {"alice"}


def test_a_blocked_accounts_comments_are_hidden_both_ways_but_kept(alice, bob, carol):
    post = make_post(alice)
    by_bob = made(bob, post["id"], "by bob")
    by_carol = made(carol, post["id"], "by carol")
    in_bobs_thread = made(carol, post["id"], "carol replies to bob", reply_to=by_bob["id"])
    made(bob, post["id"], "bob replies to carol", reply_to=by_carol["id"])

    assert carol.post("/users/bob/block").status_code == 204

    assert texts(carol.get(f"/posts/{post['id']}/comments").json()) == ["by carol"]
    assert texts(bob.get(f"/posts/{post['id']}/comments").json()) == ["by bob"]
    assert texts(carol.get(f"/comments/{by_carol['id']}/replies").json()) == []
    assert texts(bob.get(f"/comments/{by_bob['id']}/replies").json()) == []
    assert [c["text"] for c in carol.get(f"/posts/{post['id']}").json()["comment_previews"]] == ["by carol"]
    assert_error(carol.get(f"/comments/{by_bob['id']}/replies"), 404, "not_found")
    assert_error(carol.post(f"/comments/{by_bob['id']}/like"), 404, "not_found")
    # A reply in a hidden thread is hidden too, even one's own (which its author may still delete).
    assert_error(carol.post(f"/comments/{in_bobs_thread['id']}/like"), 404, "not_found")
    assert_error(
        comment(carol, post["id"], "hi", reply_to=by_bob["id"]), 400, "validation_error", ["reply_to"]
    )
    # Nothing was deleted: the post's owner still sees it all.
    assert texts(alice.get(f"/posts/{post['id']}/comments").json()) == ["by bob", "by carol"]
    assert alice.get(f"/posts/{post['id']}").json()["comment_count"] == 4


def test_comments_page_oldest_first_in_a_fixed_number_of_queries(alice, bob, anon, count_queries):
    post = make_post(alice)
    for index in range(5):
        made(bob, post["id"], f"comment {index}")
    top = anon.get(f"/posts/{post['id']}/comments").json()["items"][0]
    for index in range(5):
        made(alice, post["id"], f"reply {index}", reply_to=top["id"])
    path = f"/posts/{post['id']}/comments"
    replies = f"/comments/{top['id']}/replies"

    with count_queries() as small:
        first = anon.get(f"{path}?limit=2").json()
    with count_queries() as large:
        everything = anon.get(f"{path}?limit=5").json()
    with count_queries() as logged_in_small:
        bob.get(f"{path}?limit=2")
    with count_queries() as logged_in_large:
        bob.get(f"{path}?limit=5")
    with count_queries() as replies_small:
        first_replies = bob.get(f"{replies}?limit=2").json()
    with count_queries() as replies_large:
        all_replies = bob.get(f"{replies}?limit=5").json()
    second = anon.get(f"{path}?limit=2&cursor={first['next_cursor']}").json()
    second_replies = bob.get(f"{replies}?limit=2&cursor={first_replies['next_cursor']}").json()

    in_order = [f"comment {i}" for i in range(5)]
    assert texts(everything) == in_order
    assert everything["next_cursor"] is None
    assert texts(first) + texts(second) == in_order[:4]
    assert texts(all_replies) == [f"reply {i}" for i in range(5)]
    assert texts(first_replies) + texts(second_replies) == [f"reply {i}" for i in range(4)]
    # The post, its readiness, the page of comments with authors and like state.
    assert small.count == large.count == 3
    assert logged_in_small.count == logged_in_large.count
    assert replies_small.count == replies_large.count


async def test_likes_and_comments_move_the_viewers_affinity_with_the_author(alice, bob, db):
    post = make_post(alice)
    bob.post(f"/posts/{post['id']}/like")
    bob.post(f"/posts/{post['id']}/like")
    top = made(bob, post["id"], "nice")

    def affinity_query() -> Any:
        return select(Affinity.likes, Affinity.comments).where(
            Affinity.viewer_id == int(bob.me["profile"]["id"]),
            Affinity.author_id == int(alice.me["profile"]["id"]),
        )

    assert (await db.execute(affinity_query())).tuples().one() == (1, 1)
    bob.delete(f"/posts/{post['id']}/like")
    alice.delete(f"/comments/{top['id']}")
    await db.rollback()  # a fresh read
    assert (await db.execute(affinity_query())).tuples().one() == (0, 0)

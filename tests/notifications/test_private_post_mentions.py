"""Activity on a private account's post reaches only accounts that may see the post: a mention in
its caption or in a comment, a reply, a like on one's comment (docs/decisions/0031)."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api
from tests.helpers import make_post


def lines(api: Api) -> list[tuple[str, str]]:
    """(kind, first actor) of each line of the inbox about posts, newest first (follow lines left out)."""
    response = api.get("/notifications")
    assert response.status_code == 200, response.text
    return [
        (item["kind"], item["actors"][0]["username"])
        for item in response.json()["items"]
        if not item["kind"].startswith("follow")
    ]


def comment(api: Api, post: dict[str, Any], text: str, reply_to: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"text": text}
    if reply_to is not None:
        body["reply_to"] = reply_to
    response = api.post(f"/posts/{post['id']}/comments", json=body)
    assert response.status_code == 201, response.text
    made: dict[str, Any] = response.json()
    return made


def make_private(api: Api) -> None:
    assert api.patch("/accounts/me", json={"is_private": True}).status_code == 200


def follow(follower: Api, followee: Api) -> None:
    assert follower.post(f"/users/{followee.username}/follow").status_code == 200


def approve(owner: Api, requester: Api) -> None:
    assert owner.post(f"/accounts/follow-requests/{requester.username}/approve").status_code == 204


def test_a_caption_mention_on_a_private_post_tells_followers_only(alice, bob, carol, make_api):
    dave = make_api().signup("dave")
    make_private(bob)
    follow(alice, bob)
    approve(bob, alice)
    follow(dave, bob)  # pending: not a follower yet

    post = make_post(bob, "with @alice @carol and @dave")

    assert lines(alice) == [("mention", "bob")]
    assert ("mention", "bob") not in lines(carol)
    assert ("mention", "bob") not in lines(dave)

    # Once carol may see the post, an edit that still mentions her tells her (once).
    follow(carol, bob)
    approve(bob, carol)
    edited = bob.patch(f"/posts/{post['id']}", json={"caption": "with @alice @carol and @dave!"})
    assert edited.status_code == 200, edited.text
    assert lines(carol).count(("mention", "bob")) == 1
    assert lines(alice).count(("mention", "bob")) == 1
    assert ("mention", "bob") not in lines(dave)


def test_a_public_post_mention_tells_anyone_not_blocked(alice, bob, carol):
    make_post(bob, "hello @alice @carol")
    assert lines(alice) == [("mention", "bob")]
    assert lines(carol) == [("mention", "bob")]


def test_a_comment_mention_on_a_private_post_tells_followers_only(alice, bob, carol, make_api):
    dave = make_api().signup("dave")
    erin = make_api().signup("erin")
    make_private(bob)
    for person in (alice, erin):
        follow(person, bob)
        approve(bob, person)
    follow(dave, bob)  # pending
    post = make_post(bob, "friends only")

    comment(alice, post, "look @carol @dave @erin")

    assert ("mention", "alice") in lines(erin)
    assert lines(carol) == []
    assert lines(dave) == []
    assert ("comment", "alice") in lines(bob)


def test_replies_and_comment_likes_skip_a_commenter_who_lost_sight_of_the_post(alice, bob, carol):
    make_private(bob)
    for person in (alice, carol):
        follow(person, bob)
        approve(bob, person)
    post = make_post(bob, "friends only")
    by_alice = comment(alice, post, "nice")

    # While alice follows, she is told of replies and likes on her comment.
    comment(carol, post, "agreed", reply_to=by_alice["id"])
    assert bob.post(f"/comments/{by_alice['id']}/like").status_code == 200
    assert lines(alice) == [("comment_like", "bob"), ("reply", "carol")]

    # Once she unfollows, new activity on her comment is not announced to her.
    assert alice.delete("/users/bob/follow").status_code == 200
    comment(carol, post, "still agreed", reply_to=by_alice["id"])
    comment(bob, post, "thanks @alice", reply_to=by_alice["id"])
    assert carol.post(f"/comments/{by_alice['id']}/like").status_code == 200
    assert lines(alice) == [("comment_like", "bob"), ("reply", "carol")]
    # The post's owner still hears of every comment on it.
    assert lines(bob).count(("comment", "carol")) == 2


def test_a_commenter_blocked_by_a_public_author_is_not_told_of_replies(alice, bob, carol):
    post = make_post(alice, "open to all")
    by_carol = comment(carol, post, "first")
    assert alice.post("/users/carol/block").status_code == 204

    comment(bob, post, "replying to carol @carol", reply_to=by_carol["id"])
    assert bob.post(f"/comments/{by_carol['id']}/like").status_code == 200
    assert lines(carol) == []

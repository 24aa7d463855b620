"""The notification inbox through the API: grouping, unread count, read state, privacy, pages."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import Api
from tests.helpers import assert_error, make_post
from viewfinder.notifications.models import InboxChange, NotificationGroup
from viewfinder.notifications.services import Kind, notify


def inbox(api: Api, **params: Any) -> list[dict[str, Any]]:
    response = api.get("/notifications", params=params)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def unread(api: Api) -> int:
    response = api.get("/notifications/unread-count")
    assert response.status_code == 200, response.text
    count: int = response.json()["unread"]
    return count


def like(api: Api, post: dict[str, Any]) -> None:
    response = api.post(f"/posts/{post['id']}/like")
    assert response.status_code == 200, response.text


def names(line: dict[str, Any]) -> list[str]:
    return [actor["username"] for actor in line["actors"]]


def test_likes_on_one_post_gather_in_one_line_newest_actors_first(alice, bob, carol, make_api):
    dave = make_api().signup("dave")
    eve = make_api().signup("eve")
    post = make_post(alice, "sunset")
    for liker in (bob, carol, dave, eve):
        like(liker, post)

    lines = inbox(alice)
    assert len(lines) == 1
    line = lines[0]
    assert line["kind"] == "like"
    assert line["actor_count"] == 4
    assert names(line) == ["eve", "dave", "carol"]  # the newest three, newest first
    assert line["read"] is False
    assert line["post"]["id"] == post["id"]
    assert line["post"]["thumbnail_url"].startswith("https://testserver.local/")
    assert unread(alice) == 1


def test_liking_again_does_not_count_twice_and_unliking_takes_it_back(alice, bob, carol):
    post = make_post(alice)
    like(bob, post)
    like(bob, post)
    like(carol, post)
    assert inbox(alice)[0]["actor_count"] == 2

    assert bob.delete(f"/posts/{post['id']}/like").status_code == 200
    [line] = inbox(alice)
    assert (line["actor_count"], names(line)) == (1, ["carol"])

    assert carol.delete(f"/posts/{post['id']}/like").status_code == 200
    assert inbox(alice) == []
    assert unread(alice) == 0


def test_after_reading_a_line_the_next_like_starts_a_new_one(alice, bob, carol):
    post = make_post(alice)
    like(bob, post)
    assert alice.post("/notifications/read").json() == {"unread": 0}

    like(carol, post)
    lines = inbox(alice)
    assert [(line["read"], names(line)) for line in lines] == [(False, ["carol"]), (True, ["bob"])]
    assert unread(alice) == 1

    # Unliking after the line was read leaves the read line as it was (it is history).
    assert bob.delete(f"/posts/{post['id']}/like").status_code == 200
    assert [names(line) for line in inbox(alice)] == [["carol"], ["bob"]]


def test_unliking_a_read_like_and_liking_again_makes_no_second_line(alice, bob, carol):
    post = make_post(alice)
    like(bob, post)
    assert alice.post("/notifications/read").json() == {"unread": 0}

    assert bob.delete(f"/posts/{post['id']}/like").status_code == 200
    like(bob, post)
    assert [(line["read"], names(line)) for line in inbox(alice)] == [(True, ["bob"])]
    assert unread(alice) == 0

    # Someone else's like still starts a new line, and bob's next round adds nothing to it.
    like(carol, post)
    assert bob.delete(f"/posts/{post['id']}/like").status_code == 200
    like(bob, post)
    lines = inbox(alice)
    assert [(line["read"], names(line)) for line in lines] == [(False, ["carol"]), (True, ["bob"])]
    assert unread(alice) == 1


def test_active_lines_rise_to_the_top(alice, bob, carol):
    first = make_post(alice, colour="red")
    second = make_post(alice, colour="blue")
    like(bob, first)
    like(bob, second)
    assert [line["post"]["id"] for line in inbox(alice)] == [second["id"], first["id"]]

    like(carol, first)
    assert [line["post"]["id"] for line in inbox(alice)] == [first["id"], second["id"]]


def test_mark_read_by_ids_ignores_other_peoples_lines(alice, bob, carol):
    first = make_post(alice, colour="red")
    second = make_post(alice, colour="blue")
    like(bob, first)
    like(bob, second)
    carol.post("/users/bob/follow")
    alices = inbox(alice)
    [bobs] = inbox(bob)
    assert unread(alice) == 2

    # Alice names one of her lines, one of Bob's, and ids that name nothing.
    named = [alices[0]["id"], bobs["id"], "nope", "1", "9" * 19, "-5"]
    response = alice.post("/notifications/read", json={"ids": named})
    assert response.status_code == 200
    assert response.json() == {"unread": 1}
    assert [line["read"] for line in inbox(alice)] == [True, False]
    assert unread(bob) == 1
    assert inbox(bob)[0]["read"] is False

    assert alice.post("/notifications/read", json={}).json() == {"unread": 0}
    assert unread(alice) == 0


def test_mark_read_refuses_bad_bodies_and_anonymous_callers(alice, anon):
    assert_error(alice.post("/notifications/read", json={"ids": "all"}), 400, "validation_error")
    assert_error(alice.post("/notifications/read", json={"idz": []}), 400, "validation_error")
    assert_error(alice.post("/notifications/read", json={"ids": ["1"] * 101}), 400, "validation_error")
    broken = alice.post(
        "/notifications/read", content=b"{broken", headers={"content-type": "application/json"}
    )
    assert broken.status_code == 400
    assert_error(anon.get("/notifications"), 401, "not_authenticated")
    assert_error(anon.get("/notifications/unread-count"), 401, "not_authenticated")
    assert_error(anon.get("/notifications/stream"), 401, "not_authenticated")


async def test_acting_on_your_own_things_makes_nothing(alice, db: AsyncSession):
    post = make_post(alice)
    like(alice, post)
    alice_id = int(alice.me["profile"]["id"])
    await notify(db, recipient_id=alice_id, actor_id=alice_id, kind=Kind.FOLLOW)
    await db.commit()
    assert inbox(alice) == []
    assert unread(alice) == 0


def test_new_followers_gather_and_unfollowing_takes_it_back(alice, bob, carol):
    bob.post("/users/alice/follow")
    carol.post("/users/alice/follow")
    [line] = inbox(alice)
    assert (line["kind"], line["actor_count"], names(line)) == ("follow", 2, ["carol", "bob"])
    assert line["post"] is None
    # Each actor carries the viewer's relationship, for a "follow back" button.
    assert line["actors"][0]["relationship"]["followed_by"] is True
    assert line["actors"][0]["relationship"]["following"] is False

    bob.delete("/users/alice/follow")
    assert names(inbox(alice)[0]) == ["carol"]


def test_follow_requests_and_their_acceptance(alice, bob, carol):
    assert alice.patch("/accounts/me", json={"is_private": True}).status_code == 200
    bob.post("/users/alice/follow")
    carol.post("/users/alice/follow")
    lines = inbox(alice)
    # One line per request, each with its own actor.
    assert [(line["kind"], names(line)) for line in lines] == [
        ("follow_request", ["carol"]),
        ("follow_request", ["bob"]),
    ]

    assert alice.post("/accounts/follow-requests/bob/approve").status_code == 204
    # The request line gives way to a new follower line; Bob hears he was accepted.
    assert [(line["kind"], names(line)) for line in inbox(alice)] == [
        ("follow", ["bob"]),
        ("follow_request", ["carol"]),
    ]
    [accepted] = inbox(bob)
    assert (accepted["kind"], names(accepted)) == ("follow_accepted", ["alice"])

    assert alice.post("/accounts/follow-requests/carol/decline").status_code == 204
    assert [line["kind"] for line in inbox(alice)] == ["follow"]
    assert inbox(carol) == []


def test_a_cancelled_request_leaves_the_inbox_even_when_read(alice, bob):
    alice.patch("/accounts/me", json={"is_private": True})
    bob.post("/users/alice/follow")
    alice.post("/notifications/read")
    bob.delete("/users/alice/follow")
    assert inbox(alice) == []


def test_going_public_accepts_every_pending_request(alice, bob, carol):
    alice.patch("/accounts/me", json={"is_private": True})
    bob.post("/users/alice/follow")
    carol.post("/users/alice/follow")

    assert alice.patch("/accounts/me", json={"is_private": False}).status_code == 200
    [line] = inbox(alice)
    assert (line["kind"], line["actor_count"]) == ("follow", 2)
    assert [line["kind"] for line in inbox(bob)] == ["follow_accepted"]
    assert [line["kind"] for line in inbox(carol)] == ["follow_accepted"]


def test_a_blocked_account_vanishes_from_the_inbox_and_the_count(alice, bob, carol):
    post = make_post(alice)
    like(bob, post)
    bob.post("/users/alice/follow")
    carol.post("/users/alice/follow")
    assert unread(alice) == 2

    assert alice.post("/users/bob/block").status_code == 204
    # Bob's only line (his like) is gone; the follower line shows Carol alone.
    [line] = inbox(alice)
    assert (line["kind"], line["actor_count"], names(line)) == ("follow", 1, ["carol"])
    assert unread(alice) == 1

    # Unblocked, the like is back (the block hid it, the unblock did not invent anything).
    assert alice.delete("/users/bob/block").status_code == 204
    assert {line["kind"] for line in inbox(alice)} == {"like", "follow"}


def test_a_request_ended_by_a_block_does_not_come_back_with_the_unblock(alice, bob):
    alice.patch("/accounts/me", json={"is_private": True})
    bob.post("/users/alice/follow")
    assert alice.post("/users/bob/block").status_code == 204
    assert alice.delete("/users/bob/block").status_code == 204
    assert inbox(alice) == []
    assert alice.get("/accounts/follow-requests").json()["items"] == []


def test_being_blocked_hides_the_blocker_too(alice, bob):
    post = make_post(alice)
    like(bob, post)
    assert bob.post("/users/alice/block").status_code == 204
    assert inbox(alice) == []
    assert unread(alice) == 0


async def test_a_blocked_account_cannot_notify_at_all(alice, bob, db: AsyncSession):
    post = make_post(alice)
    assert alice.post("/users/bob/block").status_code == 204
    await notify(
        db,
        recipient_id=int(alice.me["profile"]["id"]),
        actor_id=int(bob.me["profile"]["id"]),
        kind=Kind.COMMENT,
        post_id=int(post["id"]),
        text="let me in",
    )
    await db.commit()
    # Nothing stored, nor on its way to Cassandra.
    assert await db.scalar(select(NotificationGroup.id)) is None
    assert await db.scalar(select(InboxChange.id).where(InboxChange.change == "notify")) is None
    assert alice.delete("/users/bob/block").status_code == 204
    assert inbox(alice) == []


def test_comments_replies_and_mentions_are_one_line_each(alice, bob, carol):
    post = make_post(alice)
    first = bob.post(f"/posts/{post['id']}/comments", json={"text": "lovely @carol"})
    assert first.status_code == 201, first.text
    second = bob.post(f"/posts/{post['id']}/comments", json={"text": "really lovely"})
    assert second.status_code == 201
    reply = alice.post(
        f"/posts/{post['id']}/comments", json={"text": "thanks!", "reply_to": first.json()["id"]}
    )
    assert reply.status_code == 201

    lines = inbox(alice)
    assert [(line["kind"], line["text"], names(line)) for line in lines] == [
        ("comment", "really lovely", ["bob"]),
        ("comment", "lovely @carol", ["bob"]),
    ]
    assert lines[0]["comment_id"] == second.json()["id"]
    assert lines[0]["post"]["id"] == post["id"]
    assert [(line["kind"], line["text"]) for line in inbox(bob)] == [("reply", "thanks!")]
    assert [(line["kind"], names(line)) for line in inbox(carol)] == [("mention", ["bob"])]
    assert inbox(carol)[0]["comment_id"] == first.json()["id"]
    assert inbox(carol)[0]["text"] == "lovely @carol"


def test_a_caption_mention_quotes_the_caption_and_names_no_comment(alice, bob):
    caption = (
        "Golden hour on the harbour wall with @bob, watching the fishing boats come home while the"
        " gulls argued over the last of the light"
    )
    post = make_post(alice, caption)

    [line] = inbox(bob)
    assert (line["kind"], names(line)) == ("mention", ["alice"])
    assert line["post"]["id"] == post["id"]
    assert line["comment_id"] is None  # what tells it from a mention in a comment
    assert line["text"] == caption[:100]


def test_pages_follow_the_cursor_and_refuse_forged_ones(alice, bob, make_api):
    posts = [make_post(alice, colour=colour) for colour in ("red", "green", "blue")]
    for post in posts:
        like(bob, post)

    first = alice.get("/notifications", params={"limit": 2}).json()
    second = alice.get("/notifications", params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [line["post"]["id"] for line in first["items"] + second["items"]] == [p["id"] for p in posts[::-1]]
    assert second["next_cursor"] is None

    assert_error(alice.get("/notifications", params={"cursor": "forged"}), 400, "invalid_cursor", ["cursor"])
    # A cursor from Alice's inbox means nothing in Bob's.
    assert_error(bob.get("/notifications", params={"cursor": first["next_cursor"]}), 400, "invalid_cursor")
    assert_error(alice.get("/notifications", params={"limit": 0}), 400, "validation_error")


def test_the_inbox_takes_a_fixed_number_of_queries(alice, bob, carol, count_queries, settings):
    posts = [make_post(alice, colour=f"#{i:02x}{i:02x}80") for i in range(20)]
    for post in posts:
        like(bob, post)
        like(carol, post)
    carol.post("/users/alice/follow")
    alice.get("/notifications/unread-count")  # on Cassandra: the changes are applied by now

    with count_queries() as small:
        assert len(inbox(alice, limit=2)) == 2
    with count_queries() as large:
        assert len(inbox(alice, limit=21)) == 21
    # The lines, their actors, relationships and post thumbnails: whatever the page size (alice's
    # session comes from the auth cache, docs/decisions/0042). On Cassandra the lines and actors come
    # from there, and SQL has: the claim of any pending change and the look for more, which actors
    # are visible, relationships and thumbnails.
    expected = 6 if settings.inbox_backend == "cassandra" else 4
    assert small.count == large.count == expected, large.statements

"""Removed, held and sensitive content, through the API: a removed post leaves every surface at
once and comes back when an appeal reverses the removal; a held comment is its author's alone."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import Api
from tests.helpers import assert_error, make_post
from tests.moderation.acting import act, ids, notifications, reported_case
from tests.moderation.staff import make_staff
from viewfinder.engagement.models import Comment
from viewfinder.posts.models import Post


def surfaces(viewer: Api, post_id: str) -> dict[str, bool]:
    """Where the viewer finds the post now."""
    explore = viewer.get("/explore", params={"limit": "50"}).json()
    return {
        "feed": post_id in ids(viewer.get("/feed", params={"mode": "following"}).json()),
        "grid": post_id in ids(viewer.get("/users/alice/posts").json()),
        "hashtag": viewer.get("/hashtags/sunset/posts").status_code == 200
        and post_id in ids(viewer.get("/hashtags/sunset/posts").json()),
        "saved": post_id in ids(viewer.get("/saved").json()),
        "post": viewer.get(f"/posts/{post_id}").status_code == 200,
        "explore": post_id in ids(explore),
    }


async def test_a_removed_post_leaves_every_surface_and_an_appeal_brings_it_back(
    make_api, db: AsyncSession, alice, bob, carol
):
    mia = await make_staff(make_api, db, "mia", "moderator")
    adam = await make_staff(make_api, db, "adam", "admin")
    bob.post("/users/alice/follow")
    post = make_post(alice, "golden #sunset")
    bob.post(f"/posts/{post['id']}/save")
    everywhere = {"feed": True, "grid": True, "hashtag": True, "saved": True, "post": True, "explore": False}
    assert surfaces(bob, post["id"]) == everywhere
    assert post["id"] in ids(carol.get("/explore").json())  # carol does not follow alice

    case = reported_case(carol, mia, "post", post["id"])
    result = act(mia, case, "remove_content", policy="Spam", strike=True)
    assert result["case"]["status"] == "actioned"
    assert (result["action"]["kind"], result["action"]["strike"]) == ("remove_content", True)

    nowhere = dict.fromkeys(everywhere, False)
    assert surfaces(bob, post["id"]) == nowhere
    assert post["id"] not in ids(carol.get("/explore").json())
    assert_error(bob.get(f"/posts/{post['id']}"), 404, "not_found")
    assert_error(alice.get(f"/posts/{post['id']}"), 404, "not_found")  # its author too
    assert post["id"] not in ids(alice.get("/users/alice/posts").json())

    # Staff still see it in the case, with media URLs only staff can open.
    detail = mia.get(f"/staff/cases/{case}").json()
    assert detail["target"]["post"]["id"] == post["id"]
    assert [a["kind"] for a in detail["actions"]] == ["remove_content"]

    # The author is told, sees the strike, and appeals; another moderator reverses it.
    told = notifications(alice, "moderation_action")
    assert len(told) == 1
    assert "removed" in told[0]["text"]
    assert "Breaks the rules." in told[0]["text"]
    strikes = alice.get("/accounts/me/strikes").json()["items"]
    assert [(s["kind"], s["strike"], s["appealable"]) for s in strikes] == [("remove_content", True, True)]
    appeal = alice.post(f"/accounts/me/strikes/{strikes[0]['id']}/appeal", json={"text": "It is my photo."})
    assert appeal.status_code == 201, appeal.text
    appeal_case = next(c for c in adam.get("/staff/cases").json()["items"] if c["target"] == "appeal")
    decided = adam.post(
        f"/staff/cases/{appeal_case['id']}/appeal", json={"decision": "reverse", "reason": "Not spam."}
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["appeal"]["status"] == "reversed"
    assert decided.json()["appeal"]["action"]["reversed_at"] is not None

    assert surfaces(bob, post["id"]) == everywhere
    assert post["id"] in ids(carol.get("/explore").json())
    assert alice.get(f"/posts/{post['id']}").status_code == 200
    assert [n["text"] for n in notifications(alice, "appeal_decided")] == [
        "Your appeal was accepted: the action was reversed."
    ]


async def test_a_removed_posts_media_open_only_to_the_staff_signed_url(
    make_api, db: AsyncSession, alice, bob, anon
):
    mia = await make_staff(make_api, db, "mia", "moderator")
    post = make_post(alice, "look")
    url = post["items"][0]["media"]["renditions"][0]["url"]
    assert anon.client.get(url).status_code == 200, url
    case = reported_case(bob, mia, "post", post["id"])
    act(mia, case, "remove_content")
    assert anon.client.get(url).status_code in (403, 404)
    staff_url = mia.get(f"/staff/cases/{case}").json()["target"]["post"]["items"][0]["media"]["renditions"][
        0
    ]["url"]
    assert "oh=" in staff_url
    assert anon.client.get(staff_url).status_code == 200


async def test_a_removed_comment_is_gone_for_everyone_and_uncounted(
    make_api, db: AsyncSession, alice, bob, carol
):
    mia = await make_staff(make_api, db, "mia", "moderator")
    post = make_post(alice, "hi")
    rude = bob.post(f"/posts/{post['id']}/comments", json={"text": "rude words"}).json()
    kind = carol.post(f"/posts/{post['id']}/comments", json={"text": "nice"}).json()
    assert alice.get(f"/posts/{post['id']}").json()["comment_count"] == 2

    case = reported_case(alice, mia, "comment", rude["id"])
    act(mia, case, "remove_content")

    for viewer in (alice, bob, carol):
        listed = [c["id"] for c in viewer.get(f"/posts/{post['id']}/comments").json()["items"]]
        assert listed == [kind["id"]]
        shown = viewer.get(f"/posts/{post['id']}").json()
        assert [c["id"] for c in shown["comment_previews"]] == [kind["id"]]
        assert shown["comment_count"] == 1
    assert notifications(bob, "moderation_action")[0]["text"].startswith("Your comment was removed")
    assert bob.delete(f"/comments/{rude['id']}").status_code == 204  # its author may still delete it
    assert alice.get(f"/posts/{post['id']}").json()["comment_count"] == 1  # not taken off twice


async def test_a_held_comment_is_seen_by_its_author_only(db: AsyncSession, alice, bob, carol, anon):
    post = make_post(alice, "hi")
    held = bob.post(f"/posts/{post['id']}/comments", json={"text": "waiting"}).json()
    await db.execute(update(Comment).where(Comment.id == int(held["id"])).values(moderation="held"))
    await db.commit()

    def seen_by(viewer: Api) -> bool:
        listed = [c["id"] for c in viewer.get(f"/posts/{post['id']}/comments").json()["items"]]
        previews = [c["id"] for c in viewer.get(f"/posts/{post['id']}").json()["comment_previews"]]
        single = viewer.get(f"/comments/{held['id']}/replies").status_code == 200
        assert (held["id"] in listed) == (held["id"] in previews) == single
        return held["id"] in listed

    assert seen_by(bob)
    assert not seen_by(alice)
    assert not seen_by(carol)
    assert not seen_by(anon)


async def test_a_sensitive_post_says_so_in_its_json_everywhere(make_api, db: AsyncSession, alice, bob, carol):
    mia = await make_staff(make_api, db, "mia", "moderator")
    bob.post("/users/alice/follow")
    post = make_post(alice, "gore")
    assert alice.get(f"/posts/{post['id']}").json()["sensitive"] is False
    assert bob.get("/feed").json()["items"][0]["sensitive"] is False  # the card is cached now
    case = reported_case(carol, mia, "post", post["id"])
    act(mia, case, "mark_sensitive")
    assert bob.get(f"/posts/{post['id']}").json()["sensitive"] is True
    assert bob.get("/feed").json()["items"][0]["sensitive"] is True  # a new card, not the cached one
    assert alice.get("/users/alice/posts").json()["items"][0]["sensitive"] is True
    assert bob.get(f"/posts/{post['id']}").json()["moderation"] == "visible"


async def test_a_held_post_is_seen_by_its_author_only(db: AsyncSession, alice, bob, anon):
    bob.post("/users/alice/follow")
    post = make_post(alice, "pending #sunset")
    await db.execute(update(Post).where(Post.id == int(post["id"])).values(moderation="held"))
    await db.commit()

    mine = alice.get(f"/posts/{post['id']}")
    assert mine.status_code == 200
    assert mine.json()["moderation"] == "held"
    assert post["id"] in ids(alice.get("/users/alice/posts").json())
    for viewer in (bob, anon):
        assert_error(viewer.get(f"/posts/{post['id']}"), 404, "not_found")
        assert post["id"] not in ids(viewer.get("/users/alice/posts").json())
    assert post["id"] not in ids(bob.get("/feed").json())
    assert bob.get("/hashtags/sunset").status_code == 404


async def test_dismissing_the_case_of_held_content_shows_it(make_api, db: AsyncSession, alice, bob, carol):
    adam = await make_staff(make_api, db, "adam", "admin")
    rule = adam.post("/staff/rules", json={"kind": "keyword", "pattern": "shady", "action": "hold"})
    assert rule.status_code == 201, rule.text
    post = make_post(alice, "hello")
    comment = bob.post(f"/posts/{post['id']}/comments", json={"text": "a shady offer"}).json()
    held_post = make_post(bob, "shady deal")
    assert carol.get(f"/posts/{held_post['id']}").status_code == 404
    assert [c["id"] for c in carol.get(f"/posts/{post['id']}/comments").json()["items"]] == []

    queue = adam.get("/staff/cases").json()["items"]
    for target, target_id in (("comment", comment["id"]), ("post", held_post["id"])):
        case = next(c["id"] for c in queue if (c["target"], c["target_id"]) == (target, target_id))
        assert act(adam, case, "dismiss")["case"]["status"] == "dismissed"

    assert carol.get(f"/posts/{held_post['id']}").json()["moderation"] == "visible"
    assert [c["id"] for c in carol.get(f"/posts/{post['id']}/comments").json()["items"]] == [comment["id"]]
    assert carol.get(f"/posts/{post['id']}").json()["comment_count"] == 1
    assert [n["kind"] for n in notifications(alice, "comment")] == ["comment"]  # told on approval

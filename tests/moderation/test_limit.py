"""Limiting an account: it is left out of Explore, search (accounts and hashtags), hashtag pages and
suggestions, while its profile, its posts and its followers' home feeds still show it
(docs/decisions/0052)."""

from __future__ import annotations

from typing import Any

from tests.helpers import make_post
from tests.moderation.enforce import act, undo


def where_carol_shows(alice, bob, anon, post: dict[str, Any]) -> dict[str, bool]:
    """Whether each place shows Carol's post or account: Bob follows her, Alice and anon do not."""

    def has_post(response) -> bool:
        return response.status_code == 200 and any(
            item["id"] == post["id"] for item in response.json()["items"]
        )

    tag = anon.get("/hashtags/lighthouse")
    return {
        "explore": has_post(anon.get("/explore")) or has_post(alice.get("/explore")),
        "search": any(user["username"] == "carol" for user in anon.get("/search/accounts?q=car").json())
        or any(user["username"] == "carol" for user in alice.get("/search/accounts?q=car").json()),
        "hashtag search": any(
            tag["name"] == "lighthouse" for tag in anon.get("/search/hashtags?q=light").json()
        ),
        "hashtag": tag.status_code == 200 and tag.json()["post_count"] == 1,
        "hashtag page": has_post(anon.get("/hashtags/lighthouse/posts"))
        or has_post(alice.get("/hashtags/lighthouse/posts?order=top")),
        "suggested": any(s["user"]["username"] == "carol" for s in alice.get("/suggestions/accounts").json()),
        "followers' feed": has_post(bob.get("/feed")),
        "profile": anon.get("/users/carol").status_code == 200,
        "grid": has_post(anon.get("/users/carol/posts")),
        "post page": anon.get(f"/posts/{post['id']}").status_code == 200,
    }


EVERYWHERE = {
    "explore": True,
    "search": True,
    "hashtag search": True,
    "hashtag": True,
    "hashtag page": True,
    "suggested": True,
    "followers' feed": True,
    "profile": True,
    "grid": True,
    "post page": True,
}
LIMITED = {
    **EVERYWHERE,
    "explore": False,
    "search": False,
    "hashtag search": False,
    "hashtag": False,
    "hashtag page": False,
    "suggested": False,
}


async def test_a_limited_account_leaves_discovery_but_keeps_its_profile_and_followers(
    alice, bob, carol, anon, db
):
    bob.post("/users/carol/follow")
    post = make_post(carol, "At the #lighthouse")
    assert where_carol_shows(alice, bob, anon, post) == EVERYWHERE

    await act(db, "carol", "limit")

    assert where_carol_shows(alice, bob, anon, post) == LIMITED
    # The account itself still finds its own tag and name (nothing tells it apart from a quiet day).
    assert any(user["username"] == "carol" for user in carol.get("/search/accounts?q=car").json())
    assert carol.get("/hashtags/lighthouse").status_code == 200

    await undo(db, "carol", "limit")

    assert where_carol_shows(alice, bob, anon, post) == EVERYWHERE

"""Suggested accounts: friends of friends by mutual count, then accounts followed by authors the viewer
likes, else the most-followed public accounts."""

from __future__ import annotations

from sqlalchemy import update

from tests.discovery import follow, make_private
from tests.graph import get_user, make_users
from tests.helpers import assert_error, cache_session, make_post
from viewfinder.accounts.models import User
from viewfinder.graph import services as graph


def _suggested(api, limit: int = 10) -> list[tuple[str, int]]:
    response = api.get("/suggestions/accounts", params={"limit": limit})
    assert response.status_code == 200, response.text
    return [(s["user"]["username"], s["mutual_count"]) for s in response.json()]


async def _follows(db, edges: list[tuple[User, User]]) -> None:
    for follower, followee in edges:
        await graph.follow(db, follower, followee)


async def test_friends_of_friends_rank_by_how_many_you_follow_follow_them(alice, db):
    viewer = await get_user(db, "alice")
    bob, carol, dave, erin, fred = await make_users(db, ["bob", "carol", "dave", "erin", "fred"])
    await _follows(
        db, [(viewer, bob), (viewer, carol), (bob, dave), (carol, dave), (bob, erin), (fred, erin)]
    )

    assert _suggested(alice) == [("dave", 2), ("erin", 1), ("fred", 0)]
    response = alice.get("/suggestions/accounts").json()
    assert response[0]["user"]["relationship"]["following"] is False
    assert _suggested(alice, limit=1) == [("dave", 2)]


async def test_ties_in_mutual_count_go_to_the_more_followed_account(alice, db):
    viewer = await get_user(db, "alice")
    bob, quiet, loud = await make_users(db, ["bob", "quiet", "loud"])
    await _follows(db, [(viewer, bob), (bob, quiet), (bob, loud)])
    await db.execute(update(User).where(User.id == loud.id).values(followers_count=500))
    await db.commit()

    assert _suggested(alice)[:2] == [("loud", 1), ("quiet", 1)]


async def test_followed_requested_muted_blocked_and_self_are_never_suggested(alice, db):
    viewer = await get_user(db, "alice")
    bob, requested, muted, blocked, blocker, welcome = await make_users(
        db, ["bob", "requested", "muted", "blocked", "blocker", "welcome"]
    )
    await db.execute(update(User).where(User.id == requested.id).values(is_private=True))
    await db.commit()
    requested.is_private = True
    everyone = [requested, muted, blocked, blocker, welcome, viewer]
    await _follows(db, [(viewer, bob)] + [(bob, user) for user in everyone])
    await graph.follow(db, viewer, requested)  # a pending request
    await graph.mute(db, viewer, muted)
    await graph.block(db, viewer, blocked)
    await graph.block(db, blocker, viewer)

    assert _suggested(alice) == [("welcome", 1)]


async def test_someone_who_follows_nobody_gets_the_most_followed_public_accounts(alice, db):
    popular, private, modest, blocker = await make_users(db, ["popular", "private", "modest", "blocker"])
    await db.execute(update(User).where(User.id == popular.id).values(followers_count=90))
    await db.execute(update(User).where(User.id == private.id).values(followers_count=95, is_private=True))
    await db.execute(update(User).where(User.id == modest.id).values(followers_count=3))
    await db.execute(update(User).where(User.id == blocker.id).values(followers_count=99))
    await db.commit()
    await graph.block(db, blocker, await get_user(db, "alice"))

    assert _suggested(alice) == [("popular", 0), ("modest", 0)]


def test_suggestions_need_a_login_and_a_sensible_limit(anon, alice):
    assert_error(anon.get("/suggestions/accounts"), 401, "not_authenticated")
    for limit in ("0", "51", "ten"):
        assert_error(alice.get(f"/suggestions/accounts?limit={limit}"), 400, "validation_error", ["limit"])


async def test_suggestions_run_a_fixed_number_of_queries(alice, db, count_queries):
    viewer = await get_user(db, "alice")
    friend, *others = await make_users(db, ["friend"] + [f"other{i}" for i in range(12)])
    await _follows(db, [(viewer, friend)] + [(friend, other) for other in others])

    cache_session(alice, count_queries)
    with count_queries() as small:
        few = _suggested(alice, limit=2)
    with count_queries() as large:
        many = _suggested(alice, limit=20)
    # The suggestions with their mutual counts, the relationships (the session comes from the cache).
    assert small.count == large.count == 2, large.statements
    assert len(few) == 2
    assert sorted(many) == sorted((other.username, 1) for other in others)


def _reasons(api) -> dict[str, str | None]:
    response = api.get("/suggestions/accounts", params={"limit": 20})
    assert response.status_code == 200, response.text
    return {s["user"]["username"]: s["reason"] for s in response.json()}


def test_accounts_followed_by_authors_you_like_are_suggested_with_who_follows_them(make_api, alice):
    """Liking someone's posts without following them makes the accounts they follow suggestions,
    ahead of the most-followed filler, led by the author liked most."""
    anna, ben, carl, dave, erin, popular = (
        make_api().signup(name) for name in ("anna", "ben", "carl", "dave", "erin", "popular")
    )
    for post in (make_post(anna, "one"), make_post(anna, "two"), make_post(ben, "three")):
        assert alice.post(f"/posts/{post['id']}/like").status_code == 200
    follow(anna, carl)
    follow(anna, dave)
    follow(ben, dave)
    follow(ben, erin)
    for fan in (carl, dave, erin):
        follow(fan, popular)  # the most followed: filler after what the likes found

    suggested = [name for name, _ in _suggested(alice, limit=20)]
    # dave: followed by both liked authors (2 + 1 likes); carl: by anna (2); erin: by ben (1).
    assert suggested[:3] == ["dave", "carl", "erin"]
    reasons = _reasons(alice)
    assert reasons["dave"] == "Followed by @anna"
    assert reasons["carl"] == "Followed by @anna"
    assert reasons["erin"] == "Followed by @ben"
    assert reasons["popular"] is None  # found as filler, and not through anyone alice likes


def test_likes_lead_to_no_private_blocked_or_already_followed_account(make_api, alice):
    anna, hidden, blocked, followed, shown = (
        make_api().signup(name) for name in ("anna", "hidden", "blocked", "followed", "shown")
    )
    assert alice.post(f"/posts/{make_post(anna, 'liked')['id']}/like").status_code == 200
    for account in (hidden, blocked, followed, shown):
        follow(anna, account)
    make_private(hidden)
    assert alice.post("/users/blocked/block").status_code == 204
    follow(alice, followed)

    reasons = _reasons(alice)
    assert reasons.get("shown") == "Followed by @anna"
    assert {"hidden", "blocked", "followed", "alice"}.isdisjoint(reasons)


def test_an_author_you_follow_or_have_blocked_leads_to_no_suggestion_of_its_own(make_api, alice):
    """A followed author's follows are friends of friends already (with a mutual count); a blocked
    author's follows are not looked at."""
    anna, ben, carl, dave = (make_api().signup(name) for name in ("anna", "ben", "carl", "dave"))
    for author in (anna, ben):
        assert alice.post(f"/posts/{make_post(author, 'liked')['id']}/like").status_code == 200
    follow(anna, carl)
    follow(ben, dave)
    follow(alice, anna)
    assert alice.post("/users/ben/block").status_code == 204

    assert _reasons(alice)["carl"] is None  # found through anna, whom alice follows: 1 mutual
    assert ("carl", 1) in _suggested(alice)
    assert _reasons(alice).get("dave") is None

"""Search for accounts and hashtags: prefix matches, ranking, blocks, and literal wildcards."""

from __future__ import annotations

from sqlalchemy import update

from tests.discovery import names
from tests.graph import get_user, make_users
from tests.helpers import assert_error, cache_session, make_post
from viewfinder.accounts.models import User
from viewfinder.graph import services as graph


async def _set_followers(db, counts: dict[str, int]) -> None:
    for username, count in counts.items():
        await db.execute(update(User).where(User.username_key == username).values(followers_count=count))
    await db.commit()


async def test_accounts_match_a_username_or_display_name_word_prefix_in_any_case(alice, anon, db):
    await make_users(db, ["Marco_Polo", "marcella", "polo.club", "amarcord"])
    await db.execute(
        update(User).where(User.username_key == "amarcord").values(display_name="Film Marco Fan")
    )
    await db.commit()

    assert set(names(anon.get("/search/accounts?q=MARC").json())) == {"amarcord", "marcella", "Marco_Polo"}
    assert set(names(anon.get("/search/accounts?q=%40marco").json())) == {"amarcord", "Marco_Polo"}
    # A prefix, not a substring: "polo" inside "Marco_Polo" is no match, the start of polo.club is.
    assert names(anon.get("/search/accounts?q=polo").json()) == ["polo.club"]
    assert names(alice.get("/search/accounts?q=alic").json()) == ["alice"]


async def test_accounts_you_follow_come_first_then_your_followers_then_the_most_followed(alice, db):
    viewer = await get_user(db, "alice")
    _, _, followed, follower = await make_users(
        db, ["sam_famous", "sam_known", "sam_followed", "sam_follower"]
    )
    await graph.follow(db, viewer, followed)
    await graph.follow(db, follower, viewer)
    await _set_followers(db, {"sam_famous": 900, "sam_known": 50, "sam_followed": 1, "sam_follower": 0})

    found = alice.get("/search/accounts?q=sam").json()
    assert names(found) == ["sam_followed", "sam_follower", "sam_famous", "sam_known"]
    assert found[0]["relationship"]["following"] is True
    assert found[1]["relationship"]["followed_by"] is True
    assert names(alice.get("/search/accounts?q=sam&limit=2").json()) == ["sam_followed", "sam_follower"]


async def test_like_wildcards_in_the_search_text_match_only_themselves(anon, db):
    await make_users(db, ["a_b", "axb", "a.b"])
    await db.execute(update(User).where(User.username_key == "axb").values(display_name="100% real"))
    await db.execute(update(User).where(User.username_key == "a.b").values(display_name="1000 ways"))
    await db.commit()

    assert names(anon.get("/search/accounts", params={"q": "a_"}).json()) == ["a_b"]
    assert names(anon.get("/search/accounts", params={"q": "100%"}).json()) == ["axb"]
    assert anon.get("/search/accounts", params={"q": "%"}).json() == []
    assert anon.get("/search/accounts", params={"q": "_"}).json() == []
    assert anon.get("/search/accounts", params={"q": "\\"}).json() == []


async def test_blocked_accounts_never_appear_in_search_either_way(alice, bob, carol, db):
    await make_users(db, ["bobby"])
    assert alice.post("/users/bob/block").status_code == 204

    assert names(alice.get("/search/accounts?q=bo").json()) == ["bobby"]
    assert names(bob.get("/search/accounts?q=ali").json()) == []
    assert sorted(names(carol.get("/search/accounts?q=bo").json())) == ["bob", "bobby"]


async def test_deactivated_accounts_are_not_found_and_muted_ones_are(alice, bob, carol, db):
    assert alice.post("/users/bob/mute").status_code == 204
    await db.execute(update(User).where(User.username_key == "carol").values(is_active=False))
    await db.commit()

    assert names(alice.get("/search/accounts?q=bob").json()) == ["bob"]
    assert alice.get("/search/accounts?q=carol").json() == []


def test_blank_or_oversized_searches_are_a_clear_400(anon):
    for path in ("/search/accounts", "/search/hashtags"):
        for q in ("", "   ", "@", "#"):
            if (path, q) in (("/search/accounts", "#"), ("/search/hashtags", "@")):
                continue
            assert_error(anon.get(path, params={"q": q}), 400, "validation_error", ["q"])
        assert_error(anon.get(path), 400, "validation_error", ["q"])
        assert_error(anon.get(path, params={"q": "x" * 201}), 400, "validation_error", ["q"])
        assert_error(anon.get(path, params={"q": "x" * 65}), 400, "validation_error", ["q"])
        assert_error(anon.get(path, params={"q": "x", "limit": 51}), 400, "validation_error", ["limit"])


def test_hashtags_match_a_prefix_and_rank_by_post_count(alice, bob, anon):
    for caption in ("#travel #trains", "#travel #trains", "#travel #tram", "#TRAVEL"):
        make_post(alice, caption)

    found = anon.get("/search/hashtags", params={"q": "#TRA"}).json()
    assert found == [
        {"name": "travel", "post_count": 4},
        {"name": "trains", "post_count": 2},
        {"name": "tram", "post_count": 1},
    ]
    assert anon.get("/search/hashtags", params={"q": "tra", "limit": 1}).json() == found[:1]
    assert anon.get("/search/hashtags", params={"q": "rain"}).json() == []


def test_hashtags_no_longer_in_use_are_left_out_and_wildcards_are_literal(alice, anon):
    make_post(alice, "#snow_day #snowxday")
    gone = make_post(alice, "#snowfall")
    assert alice.delete(f"/posts/{gone['id']}").status_code == 204

    assert [t["name"] for t in anon.get("/search/hashtags", params={"q": "snow"}).json()] == [
        "snow_day",
        "snowxday",
    ]
    assert [t["name"] for t in anon.get("/search/hashtags", params={"q": "snow_"}).json()] == ["snow_day"]
    assert anon.get("/search/hashtags", params={"q": "%"}).json() == []


async def test_account_search_runs_a_fixed_number_of_queries(alice, db, count_queries):
    viewer = await get_user(db, "alice")
    people = await make_users(db, [f"pat{i}" for i in range(12)])
    for person in people[::3]:
        await graph.follow(db, viewer, person)

    cache_session(alice, count_queries)
    with count_queries() as small:
        few = alice.get("/search/accounts", params={"q": "pat", "limit": 2}).json()
    with count_queries() as large:
        many = alice.get("/search/accounts", params={"q": "pat", "limit": 20}).json()
    # The matching accounts, the viewer's relationships to them (the session comes from the cache).
    assert small.count == large.count == 2, large.statements
    assert len(few) == 2
    assert len(many) == 12
    assert sum(user["relationship"]["following"] for user in many) == 4

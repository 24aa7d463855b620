"""Explore: recent public posts from accounts the viewer does not follow, ranked by engagement."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import update

from tests.discovery import follow, ids, make_private, set_engagement
from tests.helpers import assert_error, cache_session, forget_cards, make_post
from viewfinder.core.pagination import Snapshot, encode_cursor
from viewfinder.discovery.services import Candidate, explore_score, spread_authors
from viewfinder.posts.models import Post


def _walk(api, limit: int) -> list[list[str]]:
    """Every page of the viewer's Explore, following next_cursor to the end."""
    pages: list[list[str]] = []
    cursor = None
    while True:
        params: dict[str, str | int] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        page = api.get("/explore", params=params).json()
        pages.append(ids(page))
        cursor = page["next_cursor"]
        if cursor is None:
            return pages


def test_explore_leaves_out_own_followed_muted_private_and_blocked_accounts(make_api, alice):
    bob, carol, dave, erin, frank, grace = (
        make_api().signup(name) for name in ("bob", "carol", "dave", "erin", "frank", "grace")
    )
    make_private(erin)
    make_post(alice, "mine")
    make_post(bob, "followed")
    make_post(carol, "muted")
    make_post(dave, "blocked by alice")
    make_post(erin, "private")
    blocks_alice = make_post(frank, "blocks alice")
    stranger = make_post(grace, "a stranger")
    follow(alice, bob)
    follow(alice, erin)  # only a request: erin is private
    assert alice.post("/users/carol/mute").status_code == 204
    assert alice.post("/users/dave/block").status_code == 204
    assert frank.post("/users/alice/block").status_code == 204

    assert ids(alice.get("/explore").json()) == [stranger["id"]]
    # Frank blocked alice, so her post is not in his Explore either.
    assert make_post(alice, "hello")["id"] not in ids(frank.get("/explore").json())
    assert stranger["id"] in ids(frank.get("/explore").json())
    assert blocks_alice["id"] in ids(grace.get("/explore").json())


def test_anonymous_visitors_see_recent_public_posts(alice, bob, carol, anon):
    make_private(carol)
    public = [make_post(alice, "one"), make_post(bob, "two")]
    make_post(carol, "private")

    assert sorted(ids(anon.get("/explore").json())) == sorted(p["id"] for p in public)


def test_a_much_liked_post_ranks_above_an_unliked_one_of_similar_age(make_api, alice, bob, carol):
    dave, erin = make_api().signup("dave"), make_api().signup("erin")
    liked = make_post(alice, "everyone loves this")
    newer = make_post(bob, "nobody noticed")
    for fan in (carol, dave):
        assert fan.post(f"/posts/{liked['id']}/like").status_code == 200
    assert carol.post(f"/posts/{liked['id']}/comments", json={"text": "wonderful"}).status_code == 201

    page = erin.get("/explore").json()
    assert ids(page) == [liked["id"], newer["id"]]
    assert page["items"][0]["like_count"] == 2
    assert [c["text"] for c in page["items"][0]["comment_previews"]] == ["wonderful"]


async def test_engagement_fades_with_age(alice, bob, carol, db):
    old = make_post(alice, "popular six days ago")
    fresh = make_post(bob, "fresh")
    await set_engagement(db, old, likes=10)  # 11 x 0.5^(144/48) ≈ 1.4, below a fresh 2
    await set_engagement(db, fresh, likes=1)
    await db.execute(
        update(Post).where(Post.id == int(old["id"])).values(created_at=datetime.now(UTC) - timedelta(days=6))
    )
    await db.commit()

    assert ids(carol.get("/explore").json()) == [fresh["id"], old["id"]]


async def test_at_most_two_posts_by_one_author_on_a_page(make_api, alice, bob, carol, db):
    dave = make_api().signup("dave")
    prolific = [make_post(bob, f"bob {i}") for i in range(5)]
    others = [make_post(carol, "carol"), make_post(dave, "dave")]
    for rank, post in enumerate(prolific):
        await set_engagement(db, post, likes=100 - rank)  # bob's posts are all the best ranked

    pages = _walk(alice, 3)
    by_bob = {p["id"] for p in prolific}
    for page in pages:
        assert sum(post_id in by_bob for post_id in page) <= 2, pages
    served = [post_id for page in pages for post_id in page]
    assert sorted(served) == sorted(p["id"] for p in prolific + others)  # each exactly once
    # The first page: bob's two best, then the best of the rest; his third leads the next page.
    assert pages[0] == [prolific[0]["id"], prolific[1]["id"], others[1]["id"]]
    assert pages[1][0] == prolific[2]["id"]


def test_explore_pages_in_a_fixed_number_of_queries(make_api, alice, anon, count_queries, settings):
    authors = [make_api().signup(f"author{i}") for i in range(4)]
    for author in authors:
        for caption in ("one", "two"):
            post = make_post(author, caption)
            # Commented, so that every page needs its comment previews.
            assert author.post(f"/posts/{post['id']}/comments", json={"text": "mine"}).status_code == 201

    cache_session(alice, count_queries)
    forget_cards(settings)
    seen_query = 1 if settings.interaction_backend == "sql" else 0  # else the log is in Cassandra
    for viewer, expected in ((anon, 3), (alice, 5 + seen_query)):
        with count_queries() as small:
            first = viewer.get("/explore", params={"limit": 2}).json()
        with count_queries() as large:
            everything = viewer.get("/explore", params={"limit": 20}).json()
        # The ranked candidates (their refs: the page's posts are no longer read again), (those of
        # the hashtags the viewer likes, its taste in captions: it liked none,) the cards of posts
        # not yet cached (anon's reads cache all eight for alice's), (the viewer's likes and saves,
        # the posts already shown to it,) comment previews. Alice's session comes from the auth cache.
        assert small.count == large.count == expected, large.statements
        assert len(first["items"]) == 2
        assert len(everything["items"]) == 8
        second = viewer.get("/explore", params={"limit": 2, "cursor": first["next_cursor"]}).json()
        assert ids(first) + ids(second) == ids(everything)[:4]


def test_later_pages_rank_as_of_the_first_so_new_posts_do_not_shift_them(alice, bob, carol):
    posted = [make_post(bob, "a"), make_post(carol, "b"), make_post(bob, "c"), make_post(carol, "d")]
    first = alice.get("/explore", params={"limit": 2}).json()
    make_post(bob, "arrives while alice scrolls")
    second = alice.get("/explore", params={"limit": 2, "cursor": first["next_cursor"]}).json()

    assert ids(first) + ids(second) == [p["id"] for p in posted[::-1]]
    assert second["next_cursor"] is None


def _report_shown(api, page: dict[str, Any], surface: str = "explore") -> None:
    """What the web app does as a page's posts scroll into view."""
    events = [
        {"kind": "impression", "post_id": post_id, "surface": surface, "position": position}
        for position, post_id in enumerate(ids(page))
    ]
    assert api.post("/interactions", json={"events": events}).status_code in (200, 201, 202, 204)


def test_posts_already_shown_come_after_those_not_yet_seen(alice, bob, carol):
    d, c, b, a = [
        make_post(author, text)["id"] for author, text in ((bob, "a"), (carol, "b"), (bob, "c"), (carol, "d"))
    ][::-1]
    first = alice.get("/explore", params={"limit": 2}).json()
    assert ids(first) == [d, c]
    _report_shown(alice, first)
    # Later pages of the same visit rank as of its start: its own impressions move nothing.
    second = alice.get("/explore", params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert ids(second) == [b, a]
    # The next visit: what was not shown yet first, then the rest, still best first within each.
    assert ids(alice.get("/explore", params={"limit": 4}).json()) == [b, a, d, c]
    _report_shown(alice, second, surface="for_you")
    assert ids(alice.get("/explore", params={"limit": 4}).json()) == [d, c, b, a]  # all seen: as ranked
    # Only the viewer's own impressions count, and only those on Explore and For you.
    _report_shown(bob, first)
    _report_shown(carol, first, surface="profile")  # c among them: it would go last
    assert ids(carol.get("/explore", params={"limit": 4}).json()) == [c, a]


def test_forged_foreign_and_stale_cursors_are_refused(alice, bob, carol, anon, settings):
    for i in range(3):
        make_post(carol, f"{i}")
    alices = alice.get("/explore", params={"limit": 1}).json()["next_cursor"]
    anonymous = anon.get("/explore", params={"limit": 1}).json()["next_cursor"]
    assert alices
    assert anonymous
    scope = f"explore:{alice.me['profile']['id']}"
    stale = encode_cursor(settings.secret, scope, Snapshot(datetime.now(UTC) - timedelta(hours=3), 1).key())
    forged = encode_cursor("not the secret key", scope, Snapshot(datetime.now(UTC), 1).key())

    for api, cursor in ((bob, alices), (alice, anonymous), (anon, alices), (alice, forged), (alice, "x")):
        assert_error(api.get("/explore", params={"cursor": cursor}), 400, "invalid_cursor", ["cursor"])
    error = assert_error(alice.get("/explore", params={"cursor": stale}), 400, "invalid_cursor", ["cursor"])
    assert "start" in error["message"]
    assert alice.get("/explore", params={"cursor": alices}).status_code == 200


def test_the_score_halves_every_48_hours():
    fresh = explore_score(likes=3, comments=1, age=timedelta(0))
    assert fresh == 6
    assert explore_score(3, 1, timedelta(hours=48)) == fresh / 2
    assert explore_score(3, 1, timedelta(hours=96)) == fresh / 4
    assert explore_score(0, 0, timedelta(hours=-1)) == 1  # clocks apart: never above fresh


def test_spreading_authors_holds_back_a_third_post_to_the_next_page():
    ranked = [Candidate(post_id, author, 0.0) for post_id, author in enumerate([1, 1, 1, 2, 1, 3])]
    spread = spread_authors(ranked, page_size=3, stop_after=100)
    assert [c.post_id for c in spread] == [0, 1, 3, 2, 4, 5]
    assert len(spread_authors(ranked, page_size=3, stop_after=2)) == 3  # stops after a whole page


def test_posts_of_the_hashtags_you_like_join_explore_and_say_so(make_api, alice, anon):
    bob, carol, dave, erin = (make_api().signup(name) for name in ("bob", "carol", "dave", "erin"))
    liked = make_post(bob, "a day out #travel")
    assert alice.post(f"/posts/{liked['id']}/like").status_code == 200
    tagged = make_post(carol, "on the road #Travel")
    make_private(dave)
    hidden = make_post(dave, "private #travel")
    plain = make_post(erin, "nothing tagged")  # newer than carol's, as popular (no likes)

    page = alice.get("/explore").json()
    shown = ids(page)
    assert shown.index(tagged["id"]) < shown.index(plain["id"])
    assert hidden["id"] not in shown
    by_id = {item["id"]: item for item in page["items"]}
    assert by_id[tagged["id"]]["recommended"] == {"reason": "Popular in #travel", "model": None}
    assert by_id[plain["id"]]["recommended"] is None
    # Someone who liked nothing, and visitors, get the popular order: the newer first on a tie.
    for viewer in (make_api().signup("newcomer"), anon):
        order = ids(viewer.get("/explore").json())
        assert order.index(plain["id"]) < order.index(tagged["id"])

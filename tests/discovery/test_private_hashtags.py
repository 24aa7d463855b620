"""Hashtags used on private posts: a tag and its count exist for a viewer only through the posts that
viewer may see (docs/decisions/0031-private-hashtags-and-mentions.md)."""

from __future__ import annotations

from sqlalchemy import select, update

from tests.conftest import Api
from tests.discovery import approve, follow, ids, make_private
from tests.helpers import assert_error, make_post
from viewfinder.accounts.models import User
from viewfinder.media.models import MediaItem, MediaState
from viewfinder.posts.models import PostMedia


def tag_names(api: Api, q: str) -> list[str]:
    response = api.get("/search/hashtags", params={"q": q})
    assert response.status_code == 200, response.text
    return [tag["name"] for tag in response.json()]


def search_counts(api: Api, q: str) -> dict[str, int]:
    response = api.get("/search/hashtags", params={"q": q})
    assert response.status_code == 200, response.text
    return {tag["name"]: tag["post_count"] for tag in response.json()}


def test_a_tag_only_a_private_account_uses_is_unknown_to_strangers_and_anonymous(alice, bob, carol, make_api):
    dave = make_api().signup("dave")
    anon = make_api()
    make_private(bob)
    secret = make_post(bob, "off the record #SecretWord")
    follow(alice, bob)
    approve(bob, alice)
    follow(dave, bob)  # a pending request only

    never_used = anon.get("/hashtags/neverused").json()
    for outsider in (anon, carol, dave):
        # The same answers as for a tag nobody ever used: nothing tells it exists.
        assert_error(outsider.get("/hashtags/secretword"), 404, "not_found")
        assert outsider.get("/hashtags/secretword").json() == never_used
        assert_error(outsider.get("/hashtags/secretword/posts"), 404, "not_found")
        assert_error(outsider.get("/hashtags/secretword/posts?order=top"), 404, "not_found")
        assert tag_names(outsider, "secret") == []
        assert tag_names(outsider, "#secretword") == []
        assert secret["id"] not in ids(outsider.get("/explore").json())

    # The approved follower and the owner see the tag, its post, and a count of one.
    for insider in (alice, bob):
        assert insider.get("/hashtags/secretword").json() == {"name": "secretword", "post_count": 1}
        assert ids(insider.get("/hashtags/secretword/posts").json()) == [secret["id"]]
        assert ids(insider.get("/hashtags/secretword/posts?order=top").json()) == [secret["id"]]
        assert search_counts(insider, "secr") == {"secretword": 1}

    # Going public opens the tag to everyone, going private again closes it.
    assert bob.patch("/accounts/me", json={"is_private": False}).status_code == 200
    assert anon.get("/hashtags/secretword").json() == {"name": "secretword", "post_count": 1}
    make_private(bob)
    assert_error(anon.get("/hashtags/secretword"), 404, "not_found")
    # dave's request was approved when bob went public: he follows now.
    assert dave.get("/hashtags/secretword").json()["post_count"] == 1


def test_counts_shown_to_strangers_leave_out_private_posts(alice, bob, carol, make_api):
    dave = make_api().signup("dave")
    anon = make_api()
    make_private(bob)
    for _ in range(3):
        make_post(bob, "#picnic #pier")
    for _ in range(2):
        make_post(carol, "#picnic")
    follow(alice, bob)
    approve(bob, alice)
    follow(dave, bob)  # pending

    for outsider, name in ((anon, "anonymous"), (carol, "carol"), (dave, "dave")):
        assert outsider.get("/hashtags/picnic").json() == {"name": "picnic", "post_count": 2}, name
        assert search_counts(outsider, "pi") == {"picnic": 2}, name
    for insider in (alice, bob):
        assert insider.get("/hashtags/picnic").json() == {"name": "picnic", "post_count": 5}
        assert insider.get("/hashtags/pier").json() == {"name": "pier", "post_count": 3}
        # Most used first, as the viewer counts them.
        found = insider.get("/search/hashtags", params={"q": "pi"}).json()
        assert found == [{"name": "picnic", "post_count": 5}, {"name": "pier", "post_count": 3}]
    assert alice.get("/search/hashtags", params={"q": "pi", "limit": 1}).json() == [
        {"name": "picnic", "post_count": 5}
    ]


async def test_blocked_deactivated_and_unfinished_posts_neither_count_nor_reveal_a_tag(
    alice, bob, carol, anon, db
):
    make_post(alice, "#harbour")
    make_post(bob, "#harbour #lighthouse")
    assert alice.post("/users/carol/block").status_code == 204
    # carol can see bob's post only.
    assert carol.get("/hashtags/harbour").json() == {"name": "harbour", "post_count": 1}
    assert bob.get("/hashtags/harbour").json() == {"name": "harbour", "post_count": 2}

    await db.execute(update(User).where(User.username_key == "bob").values(is_active=False))
    await db.commit()
    assert_error(anon.get("/hashtags/lighthouse"), 404, "not_found")
    assert_error(carol.get("/hashtags/harbour"), 404, "not_found")  # only alice's, who blocked her
    assert anon.get("/hashtags/harbour").json() == {"name": "harbour", "post_count": 1}

    # A post whose media is still processing is shown to no one, so it counts for no one.
    processing = make_post(alice, "#unfinished")
    items = select(PostMedia.media_id).where(PostMedia.post_id == int(processing["id"]))
    await db.execute(update(MediaItem).where(MediaItem.id.in_(items)).values(state=MediaState.PROCESSING))
    await db.commit()
    for viewer in (anon, alice):
        assert_error(viewer.get("/hashtags/unfinished"), 404, "not_found")
        assert tag_names(viewer, "unfin") == []


def test_muting_does_not_change_a_count(alice, bob, carol):
    make_post(bob, "#dogs")
    make_post(carol, "#dogs")
    assert alice.post("/users/bob/mute").status_code == 204
    # The muted account's posts leave the page but stay counted: a mute is not a privacy rule.
    assert alice.get("/hashtags/dogs").json() == {"name": "dogs", "post_count": 2}
    assert len(alice.get("/hashtags/dogs/posts").json()["items"]) == 1


def test_tag_and_tag_search_take_a_fixed_number_of_queries(alice, bob, count_queries):
    make_private(bob)
    follow(alice, bob)
    approve(bob, alice)
    for i in range(4):
        make_post(bob, f"#tide{i} #tidal")
        make_post(alice, f"#tide{i}")

    with count_queries() as tag:
        assert alice.get("/hashtags/tidal").json()["post_count"] == 4
    with count_queries() as few:
        assert len(alice.get("/search/hashtags", params={"q": "tid", "limit": 2}).json()) == 2
    with count_queries() as many:
        assert len(alice.get("/search/hashtags", params={"q": "tid", "limit": 20}).json()) == 5
    # The tag (or tags) with their counts; alice's session look-up is cached (decision 0042).
    assert tag.count == few.count == many.count == 1, many.statements

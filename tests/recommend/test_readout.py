"""The online read-out: each recommender version's results with the people its posts were shown to."""

from __future__ import annotations

from datetime import timedelta

from tests.helpers import make_post
from tests.moderation.staff import make_staff
from viewfinder.core.db import utcnow
from viewfinder.recommend.readout import POPULARITY, read_out


def shown(api, post_id: str, surface: str, model: str | None) -> None:
    event = {"kind": "impression", "post_id": post_id, "surface": surface, "model": model}
    assert api.post("/interactions", json={"events": [event]}).status_code == 202


async def test_each_version_gets_what_was_done_to_the_posts_it_chose(alice, bob, carol, db):
    posts = [make_post(alice, f"post {n}")["id"] for n in range(4)]
    shown(bob, posts[0], "explore", "r1")
    shown(bob, posts[1], "for_you", "r1")
    shown(bob, posts[2], "explore", None)
    shown(carol, posts[3], "for_you", "r2")
    shown(carol, posts[0], "home_following", "r2")  # not a recommendation surface: not counted
    bob.post("/interactions", json={"events": [{"kind": "open", "post_id": posts[0]}]})
    bob.post(f"/posts/{posts[0]}/like")
    bob.post(f"/posts/{posts[1]}/save")
    bob.post("/users/alice/follow")  # the author of posts r1 showed: a follow from a suggestion
    bob.post(f"/posts/{posts[2]}/like")
    carol.post("/interactions", json={"events": [{"kind": "not_interested", "post_id": posts[3]}]})
    carol.post(f"/posts/{posts[0]}/like")  # never shown to her on a recommendation surface

    everyone = {int(api.me["profile"]["id"]) for api in (alice, bob, carol)}
    # This test's people only: on Cassandra the test process's earlier tests share the log.
    figures = await read_out(db, utcnow() - timedelta(hours=1), viewers=everyone)

    assert set(figures) == {"r1", "r2", POPULARITY}
    assert figures["r1"]["impressions"] == 2
    assert figures["r1"]["click_through"] == 0.5
    assert figures["r1"]["likes_per_impression"] == 0.5
    assert figures["r1"]["saves_per_impression"] == 0.5
    assert figures["r1"]["follows_per_impression"] == 0.5
    assert figures[POPULARITY]["likes_per_impression"] == 1.0
    assert figures[POPULARITY]["follows_per_impression"] == 0.0  # the first impression of alice was r1's
    assert figures["r2"] == {
        "impressions": 1,
        "viewers": 1,
        "click_through": 0.0,
        "likes_per_impression": 0.0,
        "saves_per_impression": 0.0,
        "follows_per_impression": 0.0,
        "not_interested_rate": 1.0,
    }


async def test_an_analyst_reads_the_read_out_on_the_staff_api_and_a_member_may_not(make_api, alice, bob, db):
    analyst = await make_staff(make_api, db, "ana", "analyst")
    post = make_post(alice, "chosen")["id"]
    shown(bob, post, "explore", "r-staff-readout")
    bob.post(f"/posts/{post}/like")

    response = analyst.get("/staff/recommendations", params={"days": 1})

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["days"] == 1
    assert body["serving"] is None  # nothing trained on this instance
    assert body["ranker_weights"] is None
    mine = next(row for row in body["versions"] if row["version"] == "r-staff-readout")
    assert mine["impressions"] == 1
    assert mine["likes_per_impression"] == 1.0
    assert bob.get("/staff/recommendations").status_code == 403
    assert analyst.get("/staff/recommendations", params={"days": 0}).status_code == 400

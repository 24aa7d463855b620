"""A held post's mentions are told when staff release it, not before (issue 14: nobody is told of a
post they cannot see, and nobody it links is left untold once they can)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import Api
from tests.helpers import make_post
from tests.moderation.acting import act, case_of
from tests.moderation.staff import make_staff


def mentions(api: Api) -> list[dict[str, Any]]:
    response = api.get("/notifications")
    assert response.status_code == 200, response.text
    return [line for line in response.json()["items"] if line["kind"] == "mention"]


async def test_a_held_posts_mentions_are_told_on_release_and_not_before(
    make_api, db: AsyncSession, alice, bob, carol
):
    ada = await make_staff(make_api, db, "ada", "admin")
    rule = ada.post("/staff/rules", json={"kind": "keyword", "pattern": "shady", "action": "hold"})
    assert rule.status_code == 201, rule.text
    held = make_post(alice, "a shady deal with @bob")
    assert mentions(bob) == []
    # An edit of the held post that links one more account tells nobody yet either.
    edited = alice.patch(f"/posts/{held['id']}", json={"caption": "a fine deal with @bob and @carol"})
    assert edited.status_code == 200, edited.text
    assert (mentions(bob), mentions(carol)) == ([], [])

    act(ada, case_of(ada, "post", held["id"]), "dismiss")  # staff found nothing wrong: released

    for api in (bob, carol):
        (line,) = mentions(api)
        assert line["post"]["id"] == held["id"]
        assert [actor["username"] for actor in line["actors"]] == ["alice"]


async def test_a_removed_post_restored_on_appeal_does_not_tell_its_mentions_again(
    make_api, db: AsyncSession, alice, bob, carol
):
    mia, max_ = (
        await make_staff(make_api, db, "mia", "moderator"),
        await make_staff(make_api, db, "max", "moderator"),
    )
    post = make_post(alice, "hello @bob")
    assert len(mentions(bob)) == 1
    assert (
        carol.post("/reports", json={"target": "post", "target_id": post["id"], "reason": "spam"}).status_code
        == 201
    )
    act(mia, case_of(mia, "post", post["id"]), "remove_content")
    (strike,) = alice.get("/accounts/me/strikes").json()["items"]
    assert alice.post(f"/accounts/me/strikes/{strike['id']}/appeal", json={"text": "fine"}).status_code == 201
    case = next(c["id"] for c in max_.get("/staff/cases").json()["items"] if c["target"] == "appeal")
    assert (
        max_.post(f"/staff/cases/{case}/appeal", json={"decision": "reverse", "reason": "ok"}).status_code
        == 200
    )
    (line,) = mentions(bob)
    assert line["post"]["id"] == post["id"]

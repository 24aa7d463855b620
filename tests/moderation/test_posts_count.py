"""An account's posts_count counts the posts others see: a post staff removed, or one held for review,
is not counted, and it is counted again when an appeal reverses the removal or staff release it."""

from __future__ import annotations

import importlib

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import Api
from tests.database import connect
from tests.helpers import make_post
from tests.moderation.acting import act, case_of, report
from tests.moderation.staff import make_staff
from viewfinder.posts.models import Post

MIGRATION = importlib.import_module("viewfinder.migrations.versions.0018_reporter_trust_index")


def posts_count(viewer: Api, username: str = "alice") -> int:
    response = viewer.get(f"/users/{username}")
    assert response.status_code == 200, response.text
    count: int = response.json()["posts_count"]
    return count


async def test_a_removed_post_is_not_counted_until_an_appeal_reverses_it(
    make_api, db: AsyncSession, alice, bob
):
    mia = await make_staff(make_api, db, "mia", "moderator")
    removed, kept = make_post(alice, "a"), make_post(alice, "b", colour="blue")
    assert posts_count(bob) == 2
    report(bob, "post", removed["id"])
    act(mia, case_of(mia, "post", removed["id"]), "remove_content")
    assert (posts_count(bob), posts_count(alice)) == (1, 1)

    (strike,) = alice.get("/accounts/me/strikes").json()["items"]
    assert alice.post(f"/accounts/me/strikes/{strike['id']}/appeal", json={"text": "fine"}).status_code == 201
    max_ = await make_staff(make_api, db, "max", "moderator")
    case = next(c["id"] for c in max_.get("/staff/cases").json()["items"] if c["target"] == "appeal")
    decided = max_.post(f"/staff/cases/{case}/appeal", json={"decision": "reverse", "reason": "ok"})
    assert decided.status_code == 200, decided.text
    assert posts_count(bob) == 2

    # Removed again, then deleted by its author: the count does not go below the posts others see.
    report(bob, "post", removed["id"])
    act(mia, case_of(mia, "post", removed["id"]), "remove_content")
    assert posts_count(bob) == 1
    assert alice.delete(f"/posts/{removed['id']}").status_code == 204
    assert posts_count(bob) == 1
    assert alice.delete(f"/posts/{kept['id']}").status_code == 204
    assert posts_count(bob) == 0


async def test_a_held_post_is_counted_once_released(make_api, db: AsyncSession, alice, bob):
    ada = await make_staff(make_api, db, "ada", "admin")
    rule = ada.post("/staff/rules", json={"kind": "keyword", "pattern": "shady", "action": "hold"})
    assert rule.status_code == 201, rule.text
    held = make_post(alice, "a shady deal")
    shown = make_post(alice, "sunset", colour="blue")
    assert (posts_count(bob), posts_count(alice)) == (1, 1)

    # An edit that holds a published post takes it out of the count.
    edited = alice.patch(f"/posts/{shown['id']}", json={"caption": "shady sunset"})
    assert edited.status_code == 200, edited.text
    assert posts_count(bob) == 0
    # Editing a held post again changes nothing; deleting it neither.
    assert alice.patch(f"/posts/{shown['id']}", json={"caption": "shady, still"}).status_code == 200
    assert posts_count(bob) == 0

    act(ada, case_of(ada, "post", held["id"]), "dismiss")  # staff found nothing wrong: released
    assert posts_count(bob) == 1
    assert alice.delete(f"/posts/{shown['id']}").status_code == 204
    assert posts_count(bob) == 1


async def test_migration_0018_recounts_the_accounts_with_hidden_posts(db: AsyncSession, alice, bob, settings):
    for n in range(3):
        make_post(alice, str(n))
    make_post(bob, "b")
    first = make_post(alice, "x")
    await db.execute(update(Post).where(Post.id == int(first["id"])).values(moderation="removed"))
    await db.commit()
    with connect(settings) as rows:
        rows.execute("UPDATE users SET posts_count = 99 WHERE username = 'bob'")  # no hidden post: untouched
        rows.execute(MIGRATION.RECOUNT)
        counts = dict(rows.execute("SELECT username, posts_count FROM users ORDER BY username"))
    assert counts == {"alice": 3, "bob": 99}

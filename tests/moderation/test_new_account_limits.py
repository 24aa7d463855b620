"""New accounts (younger than new_account_days) may write only so many links and mentions and
follow only so many accounts an hour: past that, 429 `new_account_limit` with Retry-After, and
nothing written; older accounts are not limited."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from tests.conftest import PASSWORD, Api
from tests.database import connect
from tests.helpers import assert_error, dedicated_api, make_post, small_photo
from viewfinder.core.db import utcnow
from viewfinder.settings import Settings


def age(settings: Settings, username: str, days: float) -> None:
    """Make the account `days` old (behind the API's back, as if time had passed)."""
    with connect(settings) as rows:
        rows.execute(
            "UPDATE users SET created_at = ? WHERE username = ?", utcnow() - timedelta(days=days), username
        )


def logged_in_again(make_api: Callable[[], Api], username: str) -> Api:
    """A fresh log-in, so the account's row is read anew (not a cached look-up of the old one)."""
    api = make_api()
    response = api.post("/accounts/login", json={"login": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    api.username = username
    api.csrf_token = response.json()["csrf_token"]
    api.me = response.json()["me"]
    return api


def links(count: int, start: int = 0) -> str:
    return " ".join(f"https://site{index}.example/page" for index in range(start, start + count))


def comment(api: Api, post_id: str, text: str):
    return api.post(f"/posts/{post_id}/comments", json={"text": text})


def comment_count(settings: Settings, username: str) -> int:
    with connect(settings) as rows:
        sql = "SELECT count(*) FROM comments JOIN users ON users.id = comments.author_id WHERE username = ?"
        return int(rows.execute(sql, username)[0][0])


def test_a_day_old_account_over_its_link_limit_is_refused(make_api, settings, alice, bob):
    post = make_post(alice, "hello")
    age(settings, "bob", 1)
    bob = logged_in_again(make_api, "bob")

    assert comment(bob, post["id"], links(3)).status_code == 201
    refused = comment(bob, post["id"], links(3, start=3))
    assert_error(refused, 429, "new_account_limit")
    assert 1 <= int(refused.headers["retry-after"]) <= 3600
    assert comment_count(settings, "bob") == 1
    # The refused comment's links were given back: two more fit in the hour's five.
    assert comment(bob, post["id"], links(2, start=6)).status_code == 201
    assert_error(comment(bob, post["id"], links(1, start=8)), 429, "new_account_limit")
    # Bare names ("node.js") are not counted as links; text without links is never limited.
    assert comment(bob, post["id"], "I like node.js and e.g. vue.js").status_code == 201

    # The bio and website count against the same hourly limit.
    assert_error(bob.patch("/accounts/me", json={"bio": links(1)}), 429, "new_account_limit")
    assert_error(bob.patch("/accounts/me", json={"website": "https://bob.example"}), 429, "new_account_limit")


def test_an_old_account_is_not_limited(make_api, settings, alice, bob):
    post = make_post(alice, "hello")
    age(settings, "bob", 4)
    bob = logged_in_again(make_api, "bob")
    for start in range(0, 12, 4):
        assert comment(bob, post["id"], links(4, start=start)).status_code == 201
    assert bob.patch("/accounts/me", json={"bio": links(2)}).status_code == 200
    assert comment_count(settings, "bob") == 3


def test_mentions_and_captions_of_a_new_account_are_limited(make_api, settings, alice, bob):
    post = make_post(alice, "hello")
    names = " ".join(f"@someone{index}" for index in range(15))
    assert comment(bob, post["id"], names).status_code == 201
    refused = comment(bob, post["id"], " ".join(f"@other{index}" for index in range(6)))
    assert_error(refused, 429, "new_account_limit")
    assert "retry-after" in refused.headers
    assert comment(bob, post["id"], "@other1 @other2 @other3 @other4 @other5").status_code == 201

    # A caption's links count too: the sixth link of the hour is refused and the post not made.
    make_post(bob, links(5))
    with connect(settings) as rows:
        before = rows.execute("SELECT count(*) FROM posts")[0][0]
    uploaded = bob.post("/media", files={"file": ("photo", small_photo("blue"), "application/octet-stream")})
    over = bob.post(
        "/posts",
        json={"items": [{"media_id": uploaded.json()["id"]}], "caption": "https://one.more.example/"},
    )
    assert_error(over, 429, "new_account_limit")
    with connect(settings) as rows:
        assert rows.execute("SELECT count(*) FROM posts")[0][0] == before


def test_follows_of_a_new_account_are_limited(settings):
    with dedicated_api(settings, new_account_follows_per_hour=2) as anon:
        client = anon.client
        for name in ("ann", "ben", "cat"):
            Api(client).signup(name)
        newcomer = Api(client).signup("newcomer")
        assert newcomer.post("/users/ann/follow").status_code == 200
        assert newcomer.post("/users/ann/follow").status_code == 200  # a repeat counts nothing
        assert newcomer.post("/users/ben/follow").status_code == 200
        refused = newcomer.post("/users/cat/follow")
        assert_error(refused, 429, "new_account_limit")
        assert "retry-after" in refused.headers
        with connect(settings) as rows:
            sql = (
                "SELECT count(*) FROM follows JOIN users ON users.id = follows.follower_id WHERE username = ?"
            )
            assert rows.execute(sql, "newcomer") == [(2,)]

    with dedicated_api(settings, new_account_days=0) as anon:
        veteran = Api(anon.client).signup("veteran")
        for name in ("ann", "ben", "cat"):
            assert veteran.post(f"/users/{name}/follow").status_code == 200

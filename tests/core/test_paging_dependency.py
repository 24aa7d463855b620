"""Every list endpoint pages through the one paging dependency (`paging: PagingDep`): each list's
next cursor works on that list and is refused (400 invalid_cursor) by every other list."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import Api
from tests.helpers import assert_error, make_post
from viewfinder.core.errors import ApiError
from viewfinder.core.pagination import Paging, Snapshot

SECRET = "a-test-secret-that-is-long-enough-0123456789"


def test_a_ranked_page_cursor_holds_its_snapshot_and_only_for_its_list():
    now = datetime(2026, 12, 5, 6, 0, tzinfo=UTC)
    first = Paging(SECRET, None, 20)
    snapshot = first.snapshot("explore:7", now)
    assert (snapshot.at, snapshot.offset) == (now, 0)

    page = first.ranked_page("explore:7", ["a", "b"], snapshot.after(20))
    assert page.items == ["a", "b"]
    assert page.next_cursor is not None
    later = Paging(SECRET, page.next_cursor, 20)
    assert later.snapshot("explore:7", now + timedelta(minutes=5)) == Snapshot(now, 20)
    with pytest.raises(ApiError) as caught:
        later.snapshot("explore:8", now)
    assert caught.value.code == "invalid_cursor"
    with pytest.raises(ApiError) as stale:
        later.snapshot("explore:7", now + timedelta(hours=3))
    assert stale.value.fields == {"cursor": "stale"}

    assert first.ranked_page("explore:7", ["a"], None).next_cursor is None


def test_every_list_pages_with_its_own_cursor_and_refuses_the_others(alice, bob, carol):
    posts = [make_post(alice, f"#dusk number {n}", colour=colour) for n, colour in ((1, "red"), (2, "blue"))]
    post = posts[0]
    assert bob.post("/users/alice/follow").status_code == 200
    comments = [bob.post(f"/posts/{post['id']}/comments", json={"text": f"c{n}"}).json() for n in (1, 2)]
    for n in (1, 2):
        reply = carol.post(
            f"/posts/{post['id']}/comments", json={"text": f"r{n}", "reply_to": comments[0]["id"]}
        )
        assert reply.status_code == 201, reply.text
    for liker in (bob, carol):
        assert liker.post(f"/posts/{post['id']}/like").status_code == 200
    for each in posts:
        assert bob.post(f"/posts/{each['id']}/save").status_code == 200
    collections = [bob.post("/collections", json={"name": name}).json() for name in ("one", "two")]
    for each in posts:
        assert bob.put(f"/collections/{collections[0]['id']}/posts/{each['id']}").status_code == 200

    lists: dict[str, tuple[Api, str, dict[str, str]]] = {
        "feed": (bob, "/feed", {}),
        "ranked feed": (bob, "/feed", {"mode": "ranked"}),
        "profile grid": (bob, "/users/alice/posts", {}),
        "likers": (bob, f"/posts/{post['id']}/likes", {}),
        "comments": (bob, f"/posts/{post['id']}/comments", {}),
        "replies": (bob, f"/comments/{comments[0]['id']}/replies", {}),
        "saved": (bob, "/saved", {}),
        "collections": (bob, "/collections", {}),
        "collection posts": (bob, f"/collections/{collections[0]['id']}/posts", {}),
        "hashtag recent": (bob, "/hashtags/dusk/posts", {}),
        "hashtag top": (bob, "/hashtags/dusk/posts", {"order": "top"}),
        "explore": (carol, "/explore", {}),
    }
    cursors: dict[str, str] = {}
    for name, (api, path, params) in lists.items():
        first = api.get(path, params={**params, "limit": 1})
        assert first.status_code == 200, (name, first.text)
        assert len(first.json()["items"]) == 1, name
        cursor = first.json()["next_cursor"]
        assert isinstance(cursor, str), name
        second = api.get(path, params={**params, "limit": 1, "cursor": cursor})
        assert second.status_code == 200, (name, second.text)
        assert len(second.json()["items"]) == 1, name
        assert second.json()["items"] != first.json()["items"], name
        cursors[name] = cursor

    for name, (api, path, params) in lists.items():
        for other, cursor in cursors.items():
            if other != name:
                refused = api.get(path, params={**params, "cursor": cursor})
                assert_error(refused, 400, "invalid_cursor")

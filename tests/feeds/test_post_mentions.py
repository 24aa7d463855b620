"""Mentions in captions notify the accounts mentioned (posts/services.py, next to fan-out)."""

from __future__ import annotations

from tests.helpers import make_post


def mentions(api) -> list[str]:
    items = api.get("/notifications").json()["items"]
    return [item["post"]["id"] for item in items if item["kind"] == "mention" and item["post"]]


def test_new_mentions_notify_once_on_post_and_on_caption_edit(alice, bob, carol):
    post_id = make_post(alice, "hello @bob and @alice")["id"]

    assert mentions(bob) == [post_id]
    assert mentions(alice) == []  # mentioning yourself tells no one

    edited = alice.patch(f"/posts/{post_id}", json={"caption": "hello @bob and @carol"})
    assert edited.status_code == 200, edited.text

    assert mentions(bob) == [post_id]  # already told
    assert mentions(carol) == [post_id]

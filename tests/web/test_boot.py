"""The home page's HTML carries its first screen (issue 17, speed): signed in, who you are and the
first page of your feed, exactly as the API would answer them, and a preload of the first picture;
the page is then yours alone (never cached, never shown to anyone else), no other page carries it,
and nothing in a caption can break out of the data block."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar

from tests.conftest import Api
from tests.helpers import make_post
from tests.web.shell import app_serving
from viewfinder.accounts.auth import SESSION_COOKIE
from viewfinder.settings import Settings

SHELL = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8" />\n'
    "    <title>Viewfinder</title>\n"
    '  </head><body><div id="root"></div><script src="/assets/app-abc.js"></script></body></html>'
)
BLOCK = re.compile(r'<script type="application/json" id="vf-boot">(.*?)</script>', re.S)
PRELOAD = re.compile(
    r'<link rel="preload" as="image" type="image/webp" imagesrcset="([^"]*)" imagesizes="([^"]*)"'
)


@pytest.fixture
def app(settings: Settings, tmp_path: Path) -> Iterator[Litestar]:
    yield from app_serving(SHELL, settings, tmp_path)


def boot_of(response: httpx.Response) -> dict[str, Any] | None:
    assert response.status_code == 200, response.text
    blocks = BLOCK.findall(response.text)
    assert len(blocks) <= 1
    return json.loads(blocks[0]) if blocks else None


def webp_srcset(post: dict[str, Any]) -> str:
    renditions = post["items"][0]["media"]["renditions"]
    stills = [r for r in renditions if r["format"] == "webp" and r["name"] in ("1080", "750", "640", "320")]
    return ", ".join(f"{r['url']} {r['width']}w" for r in stills)


def test_the_signed_in_home_page_carries_the_viewer_and_the_first_feed_page(alice: Api, bob: Api):
    assert bob.post("/users/alice/follow").status_code in (200, 201)
    posts = [make_post(alice, f"post {n}") for n in range(10)]

    response = bob.client.get("/")

    boot = boot_of(response)
    assert boot is not None
    assert boot["me"] == bob.get("/accounts/me").json()
    assert boot["feed"]["mode"] == "following"
    page = boot["feed"]["page"]
    assert page["items"] == bob.get("/feed", params={"limit": 8}).json()["items"]
    assert [item["id"] for item in page["items"]] == [post["id"] for post in reversed(posts)][:8]
    # Its cursor is a real one: the app's next page follows on from it.
    more = bob.get("/feed", params={"cursor": page["next_cursor"]}).json()["items"]
    assert [item["id"] for item in more] == [posts[1]["id"], posts[0]["id"]]
    # The newest post's picture is already on its way, chosen as the feed's <img> will choose it.
    srcset, sizes = PRELOAD.search(response.text).groups()  # type: ignore[union-attr]
    assert unescape(srcset) == webp_srcset(posts[-1])
    assert sizes == "(max-width: 640px) 100vw, 630px"
    # The viewer's own page: no cache keeps it, and it differs by cookie.
    assert response.headers["cache-control"] == "no-store"
    assert "cookie" in response.headers["vary"].lower()


def test_the_for_you_tab_is_carried_when_the_link_asks_for_it(alice: Api):
    make_post(alice, "mine")
    boot = boot_of(alice.client.get("/?feed=for-you"))
    assert boot is not None
    assert boot["feed"]["mode"] == "for_you"
    assert [item["id"] for item in boot["feed"]["page"]["items"]] == [
        item["id"] for item in alice.get("/feed", params={"mode": "for_you", "limit": 8}).json()["items"]
    ]


def test_a_visitor_gets_the_shared_page_and_a_logged_out_cookie_says_signed_out(alice: Api, anon: Api):
    make_post(alice, "hello")
    response = anon.client.get("/")
    assert boot_of(response) is None  # no cookie: no database work, the page anyone gets
    assert response.headers["cache-control"] == "no-cache"

    cookie = alice.client.cookies[SESSION_COOKIE]
    assert alice.post("/accounts/logout").status_code == 204
    anon.client.cookies.set(SESSION_COOKIE, cookie)  # the ended session's cookie, still sent
    assert boot_of(anon.client.get("/")) == {"me": None}


def test_no_other_page_carries_the_viewer(alice: Api):
    post = make_post(alice, "hello")
    for path in ("/explore", f"/p/{post['id']}", "/alice", "/settings"):
        response = alice.client.get(path)
        assert boot_of(response) is None, path
        assert "preload" not in response.text


def test_one_viewers_feed_never_reaches_another(alice: Api, bob: Api, carol: Api):
    assert alice.patch("/accounts/me", json={"is_private": True}).status_code == 200
    assert bob.post("/users/alice/follow").status_code in (200, 201)
    assert alice.post("/accounts/follow-requests/bob/approve").status_code == 204
    secret = make_post(alice, "for followers only")

    bob_boot, carol_boot = boot_of(bob.client.get("/")), boot_of(carol.client.get("/"))

    assert bob_boot is not None
    assert carol_boot is not None
    assert [item["id"] for item in bob_boot["feed"]["page"]["items"]] == [secret["id"]]
    assert carol_boot["me"]["profile"]["username"] == "carol"
    assert carol_boot["feed"]["page"]["items"] == []
    assert "for followers only" not in carol.client.get("/").text


def test_a_caption_cannot_break_out_of_the_data_block(alice: Api):
    caption = "</script><script>alert(1)</script><!-- & done"
    make_post(alice, caption)

    response = alice.client.get("/")

    assert "<script>alert(1)" not in response.text
    assert response.text.count("</script>") == 2  # the data block's and the app's
    boot = boot_of(response)
    assert boot is not None
    assert boot["feed"]["page"]["items"][0]["caption"] == caption


def test_no_preload_for_a_picture_the_feed_does_not_show_at_once(alice: Api):
    make_post(alice, "careful", sensitive=True)  # shown behind a cover until tapped
    response = alice.client.get("/")
    assert boot_of(response) is not None
    assert PRELOAD.search(response.text) is None

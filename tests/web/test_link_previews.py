"""Shared links and search engines (issue 17): a public profile's or post's page carries its title,
description and Open Graph / Twitter card tags in the HTML itself; a private account's posts, a
sensitive post's image and anything a signed-out visitor may not see never reach those tags, whoever
asks; robots.txt keeps crawlers to public pages and names a sitemap of public accounts only, and an
instance can turn both off."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path

import httpx
import pytest
from litestar import Litestar

from tests import database
from tests.conftest import Api
from tests.helpers import dedicated_api, make_post
from tests.web.shell import app_serving
from viewfinder.settings import Settings

SHELL = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8" />\n'
    '    <meta name="description" content="The instance." />\n'
    "    <title>Viewfinder</title>\n"
    '  </head><body><div id="root"></div><script src="/assets/app-abc.js"></script></body></html>'
)


@pytest.fixture
def app(settings: Settings, tmp_path: Path) -> Iterator[Litestar]:
    yield from app_serving(SHELL, settings, tmp_path)


def head_of(response: httpx.Response) -> dict[str, str]:
    """The page's title and every meta/link tag's value, by name or property."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    found = {"title": unescape(re.search(r"<title>([^<]*)</title>", html).group(1))}  # type: ignore[union-attr]
    for key, value in re.findall(r'<meta (?:name|property)="([^"]+)" content="([^"]*)"', html):
        found[key] = unescape(value)
    for value in re.findall(r'<link rel="canonical" href="([^"]*)"', html):
        found["canonical"] = unescape(value)
    assert html.count("<title>") == 1, html
    assert html.count('name="description"') == 1, html
    return found


def page(api: Api, path: str) -> httpx.Response:
    return api.client.get(path)


def test_a_public_post_link_shows_its_author_caption_and_photo(alice: Api, anon: Api, settings: Settings):
    alice.patch("/accounts/me", json={"display_name": "Alice Liddell"})
    post = make_post(alice, 'Down the <rabbit> hole & "beyond" #wonderland')

    head = head_of(page(anon, f"/p/{post['id']}"))

    assert head["title"] == 'Alice Liddell on Viewfinder: “Down the <rabbit> hole & "beyond" #wonderland”'
    assert head["og:title"] == head["title"]
    assert head["description"] == head["og:description"] == 'Down the <rabbit> hole & "beyond" #wonderland'
    assert head["og:type"] == "article"
    assert head["og:url"] == head["canonical"] == f"https://testserver.local/p/{post['id']}"
    jpegs = [r for r in post["items"][0]["media"]["renditions"] if r["format"] == "jpeg"]
    assert head["og:image"] == max(jpegs, key=lambda r: r["width"])["url"]
    assert head["og:image"].startswith("https://testserver.local/media/")
    assert head["twitter:card"] == "summary_large_image"
    assert "<rabbit>" not in page(anon, f"/p/{post['id']}").text  # escaped, never markup
    # Signed in or not, the same preview: the page is what a signed-out visitor may see.
    assert head_of(page(alice, f"/p/{post['id']}")) == head


def test_a_long_caption_is_shortened_at_a_word(alice: Api, anon: Api):
    post = make_post(alice, "word " * 100)

    head = head_of(page(anon, f"/p/{post['id']}"))

    assert head["title"] == f"alice on Viewfinder: “{('word ' * 12)[:60]}…”"
    assert len(head["description"]) <= 200
    assert head["description"].endswith("word…")


def test_a_public_profile_link_shows_name_counts_bio_and_avatar(alice: Api, bob: Api, anon: Api):
    alice.patch("/accounts/me", json={"display_name": "Alice Liddell", "bio": "Curiouser and curiouser."})
    make_post(alice, "one")
    assert bob.post("/users/alice/follow").status_code in (200, 201)

    head = head_of(page(anon, "/alice"))

    assert head["title"] == "Alice Liddell (@alice) • Viewfinder"
    assert head["description"] == (
        "1 followers, 0 following, 1 posts: photos and videos from Alice Liddell (@alice) on Viewfinder. "
        "Curiouser and curiouser."
    )
    assert head["og:type"] == "profile"
    assert head["og:url"] == "https://testserver.local/alice"
    assert head_of(page(anon, "/ALICE"))["og:url"] == "https://testserver.local/alice"


def test_a_private_accounts_posts_give_no_preview_and_its_profile_only_what_anyone_sees(
    alice: Api, bob: Api, anon: Api
):
    post = make_post(alice, "only for my followers")
    assert alice.patch("/accounts/me", json={"is_private": True}).status_code == 200
    assert bob.post("/users/alice/follow").status_code in (200, 201)
    assert alice.post("/accounts/follow-requests/bob/approve").status_code == 204

    for viewer in (anon, bob, alice):  # a follower's or the author's request is no different
        response = page(viewer, f"/p/{post['id']}")
        assert "only for my followers" not in response.text
        assert "og:image" not in response.text
        assert "/media/" not in response.text
        head = head_of(response)
        assert head["title"] == "Viewfinder"
        assert head["description"] == "The instance."

    profile = head_of(page(anon, "/alice"))
    assert profile["title"] == "alice (@alice) • Viewfinder"
    assert "only for my followers" not in page(anon, "/alice").text


def test_a_sensitive_post_shows_no_image(alice: Api, anon: Api):
    post = make_post(alice, "look closely", sensitive=True)

    head = head_of(page(anon, f"/p/{post['id']}"))

    assert head["og:description"] == "look closely"
    assert head_of(page(anon, f"/p/{make_post(alice)['id']}"))["title"] == "Post by alice • Viewfinder"
    assert "og:image" not in head
    assert "twitter:image" not in head
    assert head["twitter:card"] == "summary"


def test_pages_with_nothing_to_preview_are_the_app_unchanged(alice: Api, anon: Api, settings: Settings):
    post = make_post(alice, "soon gone")
    database.query(settings, "UPDATE users SET is_active = ? WHERE username = ?", False, "alice")

    for path in ("/", "/explore", "/nobody", "/p/999999", "/p/abc", f"/p/{post['id']}", "/alice", "/a/b"):
        response = page(anon, path)
        assert response.status_code == 200, path
        assert response.text == SHELL, path


def test_robots_txt_keeps_crawlers_to_public_pages_and_names_the_sitemap(anon: Api):
    response = page(anon, "/robots.txt")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    lines = response.text.splitlines()
    assert lines[:2] == ["User-agent: *", "Allow: /"]
    for private in ("/api/", "/accounts/", "/staff", "/saved", "/settings", "/notifications"):
        assert f"Disallow: {private}" in lines
    assert "Sitemap: https://testserver.local/sitemap.xml" in lines


def test_the_sitemap_lists_public_accounts_only(make_api, anon: Api, settings: Settings):
    for name in ("alice", "bob", "carol", "dave", "erin"):
        make_api().signup(name)
    make_api().signup("frank").patch("/accounts/me", json={"is_private": True})
    database.query(settings, "UPDATE users SET limited = ? WHERE username = ?", True, "carol")
    database.query(settings, "UPDATE users SET is_active = ? WHERE username = ?", False, "dave")

    index = page(anon, "/sitemap.xml")
    assert index.status_code == 200
    assert index.headers["content-type"].startswith("application/xml")
    assert re.findall(r"<loc>([^<]+)</loc>", index.text) == ["https://testserver.local/sitemaps/profiles/1"]
    listed = page(anon, "/sitemaps/profiles/1")
    assert listed.status_code == 200
    assert re.findall(r"<loc>([^<]+)</loc>", listed.text) == [
        "https://testserver.local/alice",
        "https://testserver.local/bob",
        "https://testserver.local/erin",
    ]
    for beyond in ("/sitemaps/profiles/2", "/sitemaps/profiles/0", "/sitemaps/profiles/99999999999"):
        assert page(anon, beyond).status_code == 404, beyond
    assert page(anon, "/sitemaps/profiles/x").status_code in (400, 404)


def test_an_instance_can_ask_search_engines_to_stay_away(settings: Settings, tmp_path: Path):
    dist = tmp_path / "closed"
    dist.mkdir()
    (dist / "index.html").write_text(SHELL)

    with dedicated_api(settings, web_dir=dist, search_engine_indexing=False) as closed:
        assert closed.client.get("/robots.txt").text == "User-agent: *\nDisallow: /\n"
        assert closed.client.get("/sitemap.xml").status_code == 404
        assert closed.client.get("/sitemaps/profiles/1").status_code == 404


def test_the_apps_own_pages_cost_no_lookup(anon: Api, count_queries):
    page(anon, "/robots.txt")  # the app's first request opens its connections
    for path in ("/explore", "/login", "/Search", "/", "/assets/app-abc.js"):
        with count_queries() as log:
            page(anon, path)
        assert log.count == 0, (path, log.statements)
    with count_queries() as log:
        page(anon, "/someone")
    assert log.count >= 1  # a name that may be an account's is looked up

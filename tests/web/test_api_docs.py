"""The API reference page loads nothing from another origin and runs no inline script: Swagger UI
comes from the built web app (/api-docs/, pinned in frontend/package.json) and its start-up script
from the app, and every URL the page names answers."""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.conftest import Api
from tests.helpers import dedicated_api
from viewfinder.settings import Settings

DOCS = "/api/viewfinder/v1/docs"


class Page(HTMLParser):
    """The URLs a page loads (src, href), its inline scripts and styles."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]
        if tag == "style" or "style" in values or any(name.startswith("on") for name in values):
            self.inline.append(tag)
        self._in_script = tag == "script" and not values.get("src")

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline.append(data)

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False


@pytest.fixture
def docs(settings: Settings, tmp_path: Path) -> Iterator[Api]:
    """The app with a built web app holding Swagger UI's files where the build puts them."""
    dist = tmp_path / "dist"
    (dist / "api-docs").mkdir(parents=True)
    (dist / "index.html").write_bytes(b"<!doctype html><title>app</title>")
    (dist / "favicon.svg").write_bytes(b"<svg xmlns='http://www.w3.org/2000/svg'/>")
    (dist / "api-docs" / "swagger-ui-bundle.js").write_bytes(b"window.SwaggerUIBundle = function () {};")
    (dist / "api-docs" / "swagger-ui.css").write_bytes(b".swagger-ui{}")
    with dedicated_api(settings, web_dir=dist) as api:
        yield api


def test_the_page_names_only_its_own_origin_and_every_url_answers(docs):
    page = docs.client.get(DOCS)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    parsed = Page()
    parsed.feed(page.text)

    assert parsed.inline == []
    assert len(parsed.urls) >= 4
    for url in parsed.urls:
        assert url.startswith("/"), url
        assert not url.startswith("//"), url
        answer = docs.client.get(url)
        assert answer.status_code == 200, url
    assert "/api-docs/swagger-ui-bundle.js" in parsed.urls
    assert "http://" not in page.text
    assert "https://" not in page.text
    script = docs.client.get(f"{DOCS}/swagger-init.js")
    assert script.headers["content-type"].startswith("text/javascript")
    assert "://" not in script.text


def test_the_page_runs_under_the_web_apps_policy(docs):
    policy = docs.client.get(DOCS).headers["content-security-policy"]

    assert "script-src 'self';" in policy
    assert "style-src 'self';" in policy
    assert "unsafe" not in policy


def test_the_page_shows_the_described_document_and_sends_the_csrf_token(docs):
    page = docs.client.get(DOCS).text

    assert 'data-document="/api/viewfinder/v1/openapi.json"' in page
    assert 'data-csrf-cookie="vf_csrf"' in page
    assert docs.client.get("/api/viewfinder/v1/openapi.json").json()["info"]["title"] == "Viewfinder"


def test_without_a_built_web_app_the_page_says_what_to_do(settings, tmp_path):
    empty = tmp_path / "not-built"
    empty.mkdir()
    with dedicated_api(settings, web_dir=empty) as api:
        page = api.client.get(DOCS)

    assert page.status_code == 200
    assert "make web" in page.text

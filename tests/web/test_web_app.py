"""The built web app served at /: hashed assets cached for good, every app route answered by
index.html (revalidated each time), the API's and media's unknown paths left as JSON 404s, and no
path that leaves the app's folder."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import Api
from tests.helpers import assert_error, dedicated_api
from viewfinder.settings import Settings
from viewfinder.web.app import _app_file

INDEX = (
    b"<!doctype html><html><body><div id=root></div><script src=/assets/app-abc123.js></script></body></html>"
)
SCRIPT = b"console.log('viewfinder');\n"
SECRET = b"SECRET_KEY = 'never served'\n"


@pytest.fixture
def web_dir(tmp_path: Path) -> Path:
    """A built app beside files it must never serve (a settings.py one level up, another two up)."""
    root = tmp_path / "site"
    dist = root / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_bytes(INDEX)
    (dist / "assets" / "app-abc123.js").write_bytes(SCRIPT)
    (dist / "assets" / "app-abc123.css").write_bytes(b"body{margin:0}")
    (dist / "favicon.svg").write_bytes(b"<svg xmlns='http://www.w3.org/2000/svg'/>")
    (root / "settings.py").write_bytes(SECRET)
    (tmp_path / "settings.py").write_bytes(SECRET)
    return dist


@pytest.fixture
def web(settings: Settings, web_dir: Path) -> Iterator[Api]:
    with dedicated_api(settings, web_dir=web_dir) as api:
        yield api


def assert_index(response: httpx.Response) -> None:
    assert response.status_code == 200, response.text
    assert response.content == INDEX
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-cache"


def test_app_routes_and_deep_links_answer_index_html(web):
    for path in ("/", "/alice", "/p/123/x", "/explore", "/saved/42", "/alice/followers", "/accounts/edit"):
        assert_index(web.client.get(path))


def test_a_rebuilt_app_is_served_without_a_restart(web, web_dir):
    assert_index(web.client.get("/"))
    rebuilt = INDEX.replace(b"</html>", b"<!-- rebuilt --></html>")
    index = web_dir / "index.html"
    index.write_bytes(rebuilt)
    stat = index.stat()
    os.utime(index, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert web.client.get("/alice").content == rebuilt


def test_hashed_assets_are_served_with_immutable_caching(web):
    script = web.client.get("/assets/app-abc123.js")
    style = web.client.get("/assets/app-abc123.css")

    assert script.status_code == 200
    assert script.content == SCRIPT
    assert "javascript" in script.headers["content-type"]
    assert script.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert style.headers["content-type"].startswith("text/css")
    assert style.headers["cache-control"] == "public, max-age=31536000, immutable"


def test_other_files_of_the_app_are_cached_briefly(web):
    icon = web.client.get("/favicon.svg")

    assert icon.status_code == 200
    assert icon.headers["content-type"].startswith("image/svg+xml")
    assert icon.headers["cache-control"] == "public, max-age=300"


def test_a_missing_asset_answers_index_html_not_an_error(web):
    # The app's router shows its own "not found" page; a stale hashed name never becomes a 500.
    assert_index(web.client.get("/assets/app-old999.js"))


def test_unknown_api_and_media_paths_answer_a_json_404(web):
    for path in ("/api/unknown", "/api/viewfinder/v1/unknown", "/api/v1/timelines/home", "/media/unknown"):
        assert_error(web.client.get(path), 404, "not_found")


def test_the_api_still_answers_beside_the_app(web):
    assert web.client.get("/api/viewfinder/v1/openapi.json").status_code == 200
    assert web.client.get("/healthz").status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/%2e%2e/settings.py",
        "/..%2fsettings.py",
        "/%2e%2e%2fsettings.py",
        "/assets/%2e%2e/%2e%2e/settings.py",
        "/assets/..%2f..%2f..%2fsettings.py",
        "/%2e%2e/%2e%2e/settings.py",
        "/%2fsettings.py",
        "//settings.py",
        "/%5c..%5csettings.py",
    ],
)
def test_paths_that_try_to_leave_the_folder_answer_the_app(web, path):
    # Percent-encoded, so the dots reach the server (httpx tidies plain "/../" away before sending).
    assert_index(web.client.get(path))


def test_a_link_out_of_the_folder_is_not_followed(web, web_dir):
    (web_dir / "assets" / "app-link.js").symlink_to(web_dir.parent / "settings.py")

    assert_index(web.client.get("/assets/app-link.js"))


@pytest.mark.parametrize("path", ["../settings.py", "assets/../../settings.py", "/etc/passwd", "..", ""])
def test_the_file_lookup_refuses_anything_outside_the_folder(web_dir, path):
    assert _app_file(web_dir, path) is None


def test_without_a_built_app_the_page_says_to_run_make_web(settings, tmp_path):
    empty = tmp_path / "not-built"
    empty.mkdir()

    with dedicated_api(settings, web_dir=empty) as api:
        for path in ("/", "/alice", "/p/123/x"):
            response = api.client.get(path)
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/html")
            assert "make web" in response.text
            assert response.headers["cache-control"] == "no-store"
        assert_error(api.client.get("/api/unknown"), 404, "not_found")


def test_source_maps_are_never_served(web, web_dir):
    # The build makes none (frontend/vite.config.ts); one left by another build stays private.
    (web_dir / "assets" / "app-abc123.js.map").write_bytes(b'{"version":3,"sources":["../src/App.tsx"]}')

    for path in ("/assets/app-abc123.js.map", "/assets/app-old999.js.map", "/favicon.svg.map"):
        response = web.client.get(path)
        assert_error(response, 404, "not_found")
        assert b"App.tsx" not in response.content
    assert web.client.get("/assets/app-abc123.js").status_code == 200


def test_the_builds_compressed_copies_are_sent_to_browsers_that_accept_them(web, web_dir):
    import gzip

    script = web_dir / "assets" / "app-abc123.js"
    brotli = b"pretend brotli bytes"  # httpx here cannot decode Brotli: it hands the bytes over as sent
    (web_dir / "assets" / "app-abc123.js.br").write_bytes(brotli)
    (web_dir / "assets" / "app-abc123.js.gz").write_bytes(gzip.compress(script.read_bytes()))

    def fetch(accept: str) -> httpx.Response:
        response: httpx.Response = web.client.get(
            "/assets/app-abc123.js", headers={"Accept-Encoding": accept}
        )
        assert response.status_code == 200
        assert "javascript" in response.headers["content-type"]
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert response.headers["vary"] == "Accept-Encoding"
        return response

    best = fetch("gzip, deflate, br")
    assert best.headers["content-encoding"] == "br"
    assert best.content == brotli
    gzipped = fetch("gzip")
    assert gzipped.headers["content-encoding"] == "gzip"
    assert gzipped.content == SCRIPT  # decoded by the client
    refused = fetch("br;q=0, gzip;q=0.5")
    assert refused.headers["content-encoding"] == "gzip"
    for plain in (fetch("identity"), fetch("")):
        assert "content-encoding" not in plain.headers
        assert plain.content == SCRIPT
    # A file the build left uncompressed (too small) is sent as it is, with no Vary.
    style = web.client.get("/assets/app-abc123.css", headers={"Accept-Encoding": "br, gzip"})
    assert "content-encoding" not in style.headers
    assert "vary" not in style.headers


def test_the_installable_apps_manifest_worker_and_offline_page_are_served(web, web_dir):
    public = Path(__file__).resolve().parents[2] / "frontend" / "public"
    for name in ("manifest.webmanifest", "sw.js", "offline.html", "offline.css"):
        (web_dir / name).write_bytes((public / name).read_bytes())

    manifest = web.client.get("/manifest.webmanifest")
    assert manifest.status_code == 200
    assert manifest.headers["content-type"].startswith("application/manifest+json")
    assert manifest.json()["start_url"] == "/"
    assert {icon["sizes"] for icon in manifest.json()["icons"]} >= {"192x192", "512x512"}
    worker = web.client.get("/sw.js")
    assert worker.status_code == 200
    assert "javascript" in worker.headers["content-type"]
    assert b"/offline.html" in worker.content
    # A worker runs under its own script's policy: it must be allowed to fetch from this origin.
    assert worker.headers["content-security-policy"] == "default-src 'none'; connect-src 'self'"
    assert worker.headers["cache-control"] == "no-cache"
    offline = web.client.get("/offline.html")
    assert offline.status_code == 200
    assert b"You're offline" in offline.content
    # The page runs under the app's policy: no inline script or style to refuse.
    assert b"<script" not in offline.content
    assert b"style=" not in offline.content

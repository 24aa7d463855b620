"""The production layout on loopback: nginx (deploy/nginx.conf, through scripts/services/nginx) in front
of two `viewfinder serve --no-jobs` web processes and one `viewfinder worker`, all on one data set.

The processes get the test's settings (so on the scale stack they share its PostgreSQL database,
Redis namespace, bucket and keyspace; embedded, its SQLite files with file-backed stores), with
production's secret key and the edge's address as the public URL. Installs Debian's nginx if missing.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from PIL import Image
from pydantic import SecretStr
from pydantic_settings import NoDecode

from tests.conftest import PASSWORD
from tests.helpers import assert_error
from viewfinder.mediakit import signing
from viewfinder.settings import Settings

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
NGINX = ROOT / "scripts" / "services" / "nginx"
VIEWFINDER = str(Path(sys.executable).parent / "viewfinder")
API = "/api/viewfinder/v1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def environment(settings: Settings) -> dict[str, str]:
    """The VIEWFINDER_* variables that give another process exactly these settings."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("VIEWFINDER_")}
    for name, field in Settings.model_fields.items():
        value = getattr(settings, name)
        if value is None:
            continue
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, list):
            comma_separated = any(
                marker is NoDecode or isinstance(marker, NoDecode) for marker in field.metadata
            )
            text = ",".join(map(str, value)) if comma_separated else json.dumps(value)
        elif isinstance(value, dict):
            text = json.dumps(value)
        else:
            text = str(value)
        env[f"VIEWFINDER_{name.upper()}"] = text
    return env


def photo(colour: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), colour).save(out, "JPEG", quality=90)
    return out.getvalue()


class Edge:
    """An HTTP client of the nginx edge, for one person once signed up (API token, no cookies)."""

    def __init__(self, base: str, clients: list[httpx.Client]) -> None:
        self.base = base
        self.client = httpx.Client(base_url=base, timeout=30)
        self.clients = clients  # every client made, closed when the test ends
        clients.append(self.client)
        self.headers: dict[str, str] = {}

    def person(self, username: str) -> Edge:
        """Another client of the same edge, signed up as `username`."""
        return Edge(self.base, self.clients).signup(username)

    def signup(self, username: str) -> Edge:
        made = self.client.post(
            f"{API}/accounts/signup",
            json={"username": username, "email": f"{username}@example.com", "password": PASSWORD},
        )
        assert made.status_code == 201, made.text
        # Production cookies are Secure and this is plain HTTP: send the session by hand, once, to
        # make an API token, and use that from then on.
        cookies = "; ".join(f"{name}={value}" for name, value in made.cookies.items())
        token = self.client.post(
            f"{API}/accounts/tokens",
            json={"name": "edge test"},
            headers={"Cookie": cookies, "x-csrf-token": made.json()["csrf_token"]},
        )
        assert token.status_code == 201, token.text
        self.headers = {"Authorization": f"Bearer {token.json()['secret']}"}
        return self

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.client.get(API + path, headers=self.headers, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.client.post(API + path, headers=self.headers, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.client.patch(API + path, headers=self.headers, **kwargs)

    def fetch(self, url: str, **headers: str) -> httpx.Response:
        """A media URL as a browser fetches it: no credentials."""
        assert url.startswith(self.base + "/media/"), url
        return self.client.get(url[len(self.base) :], headers=headers)

    def upload_ready(self, colour: str) -> dict[str, Any]:
        """Upload a photo and wait for the worker to process it."""
        uploaded = self.post("/media", files={"file": ("photo.jpg", photo(colour), "image/jpeg")})
        assert uploaded.status_code == 202, uploaded.text
        item: dict[str, Any] = eventually(
            lambda: self.get(f"/media/{uploaded.json()['id']}").json(), lambda i: i["state"] == "ready"
        )
        return item


def eventually(probe: Any, done: Any, seconds: float = 30) -> Any:
    """Calls probe until done(result) holds (background work through the worker), or fails."""
    deadline = time.monotonic() + seconds
    while True:
        result = probe()
        if done(result):
            return result
        assert time.monotonic() < deadline, f"still not done after {seconds}s: {result}"
        time.sleep(0.1)


def stop_group(process: subprocess.Popen[bytes], first: signal.Signals) -> None:
    """Stops a process started in a session of its own, with the processes it started."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, first)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=15)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # whatever of the group is left
    process.wait(timeout=10)


@pytest.fixture
def layout(
    settings: Settings, tmp_path: Path
) -> Iterator[tuple[Edge, Settings, dict[str, subprocess.Popen[bytes]], Path]]:
    """nginx on a free loopback port, two web processes and a worker behind it; all stopped after."""
    edge_port, purge_port, web_ports = free_port(), free_port(), [free_port(), free_port()]
    base = f"http://127.0.0.1:{edge_port}"
    production = settings.model_copy(
        update={
            "env": "production",
            "secret_key": SecretStr(secrets.token_urlsafe(48)),
            "debug": False,
            "jobs_immediate": False,
            "public_url": base,
            "media_base_url": f"{base}/media",
            "edge_purge_url": f"http://127.0.0.1:{purge_port}",
            "allowed_hosts": ["127.0.0.1"],
            # Several processes share rate limits: a file store embedded, Redis on the scale stack.
            "store_backend": "file" if settings.store_backend == "memory" else settings.store_backend,
            "web_workers": 1,
            "job_workers": 1,
        }
    )
    env = environment(production)
    nginx_env = {
        **env,
        "VIEWFINDER_SERVICES_DIR": str(tmp_path / "services"),
        "VIEWFINDER_NGINX_PORT": str(edge_port),
        "VIEWFINDER_NGINX_PURGE_PORT": str(purge_port),
        "VIEWFINDER_NGINX_UPSTREAMS": " ".join(f"127.0.0.1:{port}" for port in web_ports),
    }
    logs = tmp_path / "logs"
    logs.mkdir()
    processes: dict[str, subprocess.Popen[bytes]] = {}
    clients: list[httpx.Client] = []

    def start(name: str, *args: str) -> None:
        with (logs / f"{name}.log").open("wb") as log:
            processes[name] = subprocess.Popen(
                [VIEWFINDER, *args], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def log_tail() -> str:
        return "\n".join(f"--- {log.name}\n{log.read_text()[-3000:]}" for log in sorted(logs.iterdir()))

    try:
        nginx = subprocess.run(
            [str(NGINX), "start"], env=nginx_env, check=False, capture_output=True, text=True, timeout=300
        )
        assert nginx.returncode == 0, f"scripts/services/nginx start failed:\n{nginx.stdout}{nginx.stderr}"
        for index, port in enumerate(web_ports, 1):
            start(f"web{index}", "serve", "--no-jobs", "--host", "127.0.0.1", "--port", str(port))
        start("worker", "worker")
        deadline = time.monotonic() + 90
        for port in web_ports:
            while True:
                assert all(p.poll() is None for p in processes.values()), log_tail()
                with contextlib.suppress(httpx.TransportError):
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                        break
                assert time.monotonic() < deadline, f"a web process did not come up:\n{log_tail()}"
                time.sleep(0.2)
        yield Edge(base, clients), production, processes, tmp_path / "services" / "nginx"
    finally:
        for client in clients:
            client.close()
        for name, process in processes.items():
            # serve stops its web workers on SIGTERM; the Huey consumer stops gracefully on SIGINT.
            stop_group(process, signal.SIGINT if name == "worker" else signal.SIGTERM)
        subprocess.run([str(NGINX), "stop"], env=nginx_env, check=False, capture_output=True, timeout=60)


def check_public_post_reaches_the_feed_and_its_rendition_is_cached(edge: Edge) -> str:
    alice = edge.person("alice")
    bob = edge.person("bob")
    assert bob.post("/users/alice/follow").status_code == 200

    # Posted through the edge; the worker makes the renditions and fans the post out to bob.
    item = alice.upload_ready("teal")
    created = alice.post("/posts", json={"items": [{"media_id": item["id"]}], "caption": "Through nginx"})
    assert created.status_code == 201, created.text
    post_id = created.json()["id"]
    feed = eventually(lambda: bob.get("/feed").json(), lambda page: page["items"])
    assert [post["id"] for post in feed["items"]] == [post_id]

    # The second fetch of a rendition is answered by the edge's cache, byte ranges too.
    url: str = feed["items"][0]["items"][0]["media"]["renditions"][0]["url"]
    first, second = edge.fetch(url), edge.fetch(url)
    assert (first.status_code, first.headers["x-cache-status"]) == (200, "MISS")
    assert (second.status_code, second.headers["x-cache-status"]) == (200, "HIT")
    assert second.content == first.content
    assert second.headers["content-type"] == "image/jpeg"
    assert "immutable" in second.headers["cache-control"]
    part = edge.fetch(url, Range="bytes=10-19")
    assert (part.status_code, part.headers["x-cache-status"]) == (206, "HIT")
    assert part.content == first.content[10:20]
    assert part.headers["content-range"] == f"bytes 10-19/{len(first.content)}"
    # A first request for a range (as a video player's is) fills the cache with the whole file.
    other = feed["items"][0]["items"][0]["media"]["renditions"][1]["url"]
    opening = edge.fetch(other, Range="bytes=0-99")
    assert (opening.status_code, opening.headers["x-cache-status"]) == (206, "MISS")
    whole = edge.fetch(other)
    assert (whole.status_code, whole.headers["x-cache-status"]) == (200, "HIT")
    assert opening.content == whole.content[:100]

    # Server-Sent Events pass through as they happen: bob likes the post, alice hears of it at once.
    with alice.client.stream(
        "GET", f"{API}/notifications/stream", headers=alice.headers, timeout=httpx.Timeout(10)
    ) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        lines = stream.iter_lines()
        assert next(lines) == "event: unread"
        assert bob.post(f"/posts/{post_id}/like").status_code == 200
        for line in lines:  # a read timeout (10 s) fails the test
            if line == "event: notification":
                break
    return url


def check_signed_urls_are_cached_only_until_they_expire(edge: Edge, secret: str) -> None:
    carol = edge.person("carol")
    assert carol.patch("/accounts/me", json={"is_private": True}).status_code == 200
    url = carol.upload_ready("purple")["renditions"][0]["url"]
    parts = urlsplit(url)
    assert set(parse_qs(parts.query)) == {"oe", "oh"}

    first, second = edge.fetch(url), edge.fetch(url)
    assert (first.status_code, first.headers["x-cache-status"]) == (200, "MISS")
    assert (second.status_code, second.headers["x-cache-status"]) == (200, "HIT")
    # Without its signature the same file is refused, and the refusal is not cached.
    for _ in range(2):
        unsigned = edge.fetch(f"{edge.base}{parts.path}")
        assert_error(unsigned, 403, "invalid_signature")
        assert unsigned.headers["x-cache-status"] == "MISS"

    # A URL signed to expire in 3 s is served from the cache until then, and refused after.
    expires = int(time.time()) + 3
    short = f"{edge.base}{parts.path}?oe={expires:x}&oh={signing.signature(secret, parts.path, expires)}"
    fresh, cached = edge.fetch(short), edge.fetch(short)
    assert (fresh.status_code, fresh.headers["x-cache-status"]) == (200, "MISS")
    assert (cached.status_code, cached.headers["x-cache-status"]) == (200, "HIT")
    assert int(cached.headers["cache-control"].rsplit("max-age=", 1)[1]) <= 3
    # nginx keeps whole seconds; the app's max-age leaves room for that, so nothing is served past it.
    time.sleep(max(0.0, expires + 0.2 - time.time()))
    for _ in range(2):
        expired = edge.fetch(short)
        assert_error(expired, 403, "url_expired")
        assert expired.headers["x-cache-status"] != "HIT"


def check_media_that_stop_being_public_leave_the_cache(edge: Edge) -> None:
    """Decision 0060: the worker refreshes the URLs at the purge listener, so the edge stops serving
    a cached file once its post is deleted or its account goes private, and serves it again when the
    account goes public again."""
    dana = edge.person("dana")
    urls = []
    for colour in ("olive", "navy"):
        item = dana.upload_ready(colour)
        made = dana.post("/posts", json={"items": [{"media_id": item["id"]}]})
        assert made.status_code == 201, made.text
        urls.append((made.json()["id"], made.json()["items"][0]["media"]["renditions"][0]["url"]))
    for _, url in urls:
        edge.fetch(url)
        cached = edge.fetch(url)
        assert (cached.status_code, cached.headers["x-cache-status"]) == (200, "HIT")

    (deleted, deleted_url), (_, kept_url) = urls
    assert dana.client.delete(f"{API}/posts/{deleted}", headers=dana.headers).status_code == 204
    gone = eventually(lambda: edge.fetch(deleted_url), lambda r: r.status_code == 404)
    assert_error(gone, 404, "not_found")
    assert edge.fetch(kept_url).headers["x-cache-status"] == "HIT"  # only what was deleted

    assert dana.patch("/accounts/me", json={"is_private": True}).status_code == 200
    refused = eventually(lambda: edge.fetch(kept_url), lambda r: r.status_code == 403)
    assert_error(refused, 403, "invalid_signature")

    # The refusal the purge left lives a second: going public again serves the file again.
    assert dana.patch("/accounts/me", json={"is_private": False}).status_code == 200
    back = eventually(lambda: edge.fetch(kept_url), lambda r: r.status_code == 200, seconds=10)
    assert back.content


def test_sign_up_post_and_feed_through_nginx_in_front_of_two_web_processes_and_a_worker(layout):
    edge, settings, processes, nginx_dir = layout
    rendition = check_public_post_reaches_the_feed_and_its_rendition_is_cached(edge)
    check_signed_urls_are_cached_only_until_they_expire(edge, settings.secret)
    check_media_that_stop_being_public_leave_the_cache(edge)

    # The API is compressed and never cached.
    document = edge.client.get(f"{API}/openapi.json", headers={"Accept-Encoding": "gzip"})
    assert document.headers["content-encoding"] == "gzip"
    assert "x-cache-status" not in document.headers
    # Both web processes answered.
    access_log = (nginx_dir / "access.log").read_text()
    assert len(set(re.findall(r" upstream=127\.0\.0\.1:(\d+)", access_log))) == 2, access_log[-2000:]

    # With every web process gone, the API answers 503 in its error shape and cached media still flow.
    for name in ("web1", "web2"):
        stop_group(processes[name], signal.SIGTERM)
    assert_error(edge.client.get(f"{API}/accounts/me"), 503, "unavailable")
    cached = edge.fetch(rendition)
    assert (cached.status_code, cached.headers["x-cache-status"]) == (200, "HIT")

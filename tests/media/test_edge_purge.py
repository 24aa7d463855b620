"""Media that stop being public leave the edge cache (issue 14: "effects are immediate everywhere …
signed media URLs"; docs/decisions/0060).

The app is pointed at a purge listener run by the test (an HTTP server that records what it is asked,
as nginx's purge listener would be; tests/deploy/test_nginx_edge.py runs the real nginx): deleting a
post, staff removing one, a suspension, a ban, a deactivation and going private each refresh every URL
the edge may hold, and nothing else does."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import Api
from tests.helpers import assert_error, make_post
from tests.moderation.acting import act, reported_case
from tests.moderation.staff import make_staff
from viewfinder.mediakit import edge as edge_slot
from viewfinder.mediakit import signing
from viewfinder.mediakit.edge import EDGE_REFRESH_HEADER, EdgePurgeFailed, NginxEdge, cached_urls
from viewfinder.settings import Settings
from viewfinder.wiring import build_backends


class PurgeListener:
    """Records each GET as (Host, path with query); answers `status` (a 502 says the app was not
    reached, as nginx would)."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []
        self.status = 404
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                listener.seen.append((self.headers["Host"], self.path))
                self.send_response(listener.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def paths(self) -> set[str]:
        return {path for _, path in self.seen}

    def public_paths(self) -> set[str]:
        return {path for path in self.paths() if "?" not in path}


@pytest.fixture
def listener() -> Iterator[PurgeListener]:
    found = PurgeListener()
    thread = threading.Thread(target=found.server.serve_forever, daemon=True)
    thread.start()
    yield found
    found.server.shutdown()
    found.server.server_close()


@pytest.fixture
def settings(settings: Settings, listener: PurgeListener) -> Settings:
    edged = settings.model_copy(update={"edge_purge_url": listener.url})
    build_backends(edged).install()  # services and jobs called outside the app see the edge too
    return edged


def media_paths(post: dict[str, Any]) -> set[str]:
    """The paths (no query) of a post's renditions, as its card hands them out."""
    return {urlsplit(r["url"]).path for item in post["items"] for r in item["media"]["renditions"]}


def test_the_urls_the_edge_may_hold_are_the_public_one_and_every_unexpired_signed_one():
    now = 1_800_000_000.0 + 1234
    ttl = 6 * 3600
    urls = cached_urls(
        "https://cdn.example/media", ["photos/1/a.jpg"], secret="s", ttl_seconds=ttl, signed=True, now=now
    )
    assert urls[0] == "https://cdn.example/media/photos/1/a.jpg"
    # Every URL handed out over the last ttl (one a minute) that has not expired is among them.
    handed_out = {
        signing.sign_url(urls[0], "s", signing.expiry(ttl, moment))
        for moment in range(int(now) - ttl, int(now) + 1, 60)
    }
    unexpired = {url for url in handed_out if int(parse_qs(urlsplit(url).query)["oe"][0], 16) >= now}
    assert unexpired
    assert unexpired <= set(urls[1:])
    assert all(
        signing.check("s", "/media/photos/1/a.jpg", *_signature(url), now=now) is None for url in urls[1:]
    )
    # Public only: one URL per file.
    assert cached_urls(
        "https://cdn.example/media", ["k1", "k2"], secret="s", ttl_seconds=ttl, signed=False
    ) == [
        "https://cdn.example/media/k1",
        "https://cdn.example/media/k2",
    ]


def _signature(url: str) -> tuple[str, str]:
    query = parse_qs(urlsplit(url).query)
    return query["oe"][0], query["oh"][0]


async def test_a_refresh_the_edge_cannot_pass_on_fails_so_the_job_is_retried(listener: PurgeListener):
    listener.status = 502
    with pytest.raises(EdgePurgeFailed):
        await NginxEdge(listener.url).purge(["https://photos.example/media/photos/1/a.jpg"])
    assert listener.seen == [("photos.example", "/media/photos/1/a.jpg")]
    listener.status = 404
    await NginxEdge(listener.url).purge(["https://photos.example/media/photos/1/a.jpg?oe=1&oh=2"])
    assert listener.seen[-1] == ("photos.example", "/media/photos/1/a.jpg?oe=1&oh=2")


def test_deleting_a_post_refreshes_its_public_urls_at_the_edge(alice: Api, listener: PurgeListener):
    kept, gone = make_post(alice, "kept", colour="red"), make_post(alice, "gone", colour="blue")
    assert listener.seen == []  # posting purges nothing
    assert alice.delete(f"/posts/{gone['id']}").status_code == 204
    assert listener.public_paths() == media_paths(gone)
    assert not media_paths(kept) & listener.paths()
    # Asked with the public host, as the edge keys its cache.
    assert {host for host, _ in listener.seen} == {"testserver.local"}


def test_a_private_accounts_deleted_post_refreshes_its_signed_urls_too(alice: Api, listener: PurgeListener):
    assert alice.patch("/accounts/me", json={"is_private": True}).status_code == 200
    post = make_post(alice, "private", colour="green")
    handed_out = {
        r["url"].split("testserver.local", 1)[1]
        for item in post["items"]
        for r in item["media"]["renditions"]
    }
    assert alice.delete(f"/posts/{post['id']}").status_code == 204
    assert handed_out <= listener.paths()  # the signed URLs the card gave out
    assert listener.public_paths() == media_paths(post)


def test_going_private_refreshes_the_public_urls_only(alice: Api, listener: PurgeListener):
    first, second = make_post(alice, "one", colour="red"), make_post(alice, "two", colour="blue")
    assert alice.patch("/accounts/me", json={"is_private": True}).status_code == 200
    assert listener.paths() == media_paths(first) | media_paths(second)
    listener.seen.clear()
    assert alice.patch("/accounts/me", json={"is_private": False}).status_code == 200
    assert listener.seen == []  # going public hides nothing


async def test_staff_removal_suspension_and_ban_refresh_what_they_hide(make_api, db, alice, bob, listener):
    mia = await make_staff(make_api, db, "mia", "moderator")
    removed, other = make_post(alice, "removed", colour="red"), make_post(alice, "other", colour="blue")
    act(mia, reported_case(bob, mia, "post", removed["id"]), "remove_content")
    assert listener.paths() == media_paths(removed)

    listener.seen.clear()
    act(mia, reported_case(bob, mia, "post", other["id"]), "mark_sensitive")
    assert listener.seen == []  # still shown, behind a warning

    act(mia, reported_case(bob, mia, "user", alice.me["profile"]["id"]), "suspend", duration_hours=24)
    assert media_paths(other) | media_paths(removed) <= listener.paths()

    carol = make_api().signup("carol")
    post = make_post(carol, "c", colour="green")
    listener.seen.clear()
    act(mia, reported_case(bob, mia, "user", carol.me["profile"]["id"]), "ban")
    assert listener.paths() == media_paths(post)


def test_deactivating_refreshes_every_file_of_the_account(alice: Api, listener: PurgeListener):
    post = make_post(alice, "bye", colour="red")
    assert alice.post("/accounts/me/deactivate").status_code == 204  # just signed up: sudo mode
    assert media_paths(post) <= listener.paths()


def test_no_edge_configured_purges_nothing(alice: Api, settings: Settings, listener: PurgeListener):
    build_backends(settings.model_copy(update={"edge_purge_url": None})).install()
    # An edge that would record a purge stays installed: only the unset setting keeps it quiet.
    edge_slot.use(NginxEdge(listener.url))
    post = make_post(alice, "x")
    assert alice.delete(f"/posts/{post['id']}").status_code == 204
    assert listener.seen == []


def test_a_refusal_is_cacheable_for_a_second_only_when_the_edge_refreshes(alice: Api, make_api):
    post = make_post(alice, "soon private", colour="red")
    url = post["items"][0]["media"]["renditions"][0]["url"]
    assert alice.patch("/accounts/me", json={"is_private": True}).status_code == 200
    anyone = make_api()
    plain = anyone.client.get(url)
    assert_error(plain, 403, "invalid_signature")
    assert "public" not in plain.headers.get("cache-control", "")
    refresh = anyone.client.get(url, headers={EDGE_REFRESH_HEADER: "1"})
    assert_error(refresh, 403, "invalid_signature")
    assert refresh.headers["cache-control"] == "public, max-age=1"

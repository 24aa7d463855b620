"""Allowed hosts, the health probes, the error shape of framework errors, and the OpenAPI document."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from litestar.testing import TestClient

from tests.conftest import BASE_URL
from viewfinder.app import API_PREFIX, create_app
from viewfinder.core import ids
from viewfinder.core.hosts import AllowedHostsMiddleware


@pytest.fixture(autouse=True)
def release_id_shard() -> Iterator[None]:
    """Apps built here claim an ID shard under the test's data directory; give it back."""
    yield
    ids.release_shard()


def assert_error(response, status: int, code: str):
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body


def test_a_request_for_another_host_is_refused(server):
    assert_error(server.get("/healthz", headers={"Host": "evil.example"}), 400, "invalid_host")
    assert_error(
        server.get(API_PREFIX + "/users/alice", headers={"Host": "testserver.local.evil.example"}),
        400,
        "invalid_host",
    )


@pytest.mark.parametrize("host", ["testserver.local", "testserver.local:8443", "TestServer.Local"])
def test_an_allowed_host_is_served_with_or_without_a_port(server, host):
    response = server.get("/healthz", headers={"Host": host})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("allowed", "host", "ok"),
    [
        (["127.0.0.1", "localhost"], "127.0.0.1:8000", True),
        (["127.0.0.1", "localhost"], "localhost", True),
        (["127.0.0.1", "localhost"], "localhost.evil.example", False),
        (["127.0.0.1", "localhost"], "", False),
        (["*.example.com"], "photos.example.com", True),
        (["*.example.com"], "a.b.example.com:443", True),
        (["*.example.com"], "evilexample.com", False),
        (["*.example.com"], "example.com.evil.org", False),
        (["::1"], "[::1]:8000", True),
        (["::1"], "[::2]:8000", False),
    ],
)
def test_host_names_are_compared_without_the_port(allowed, host, ok):
    assert AllowedHostsMiddleware(allowed).allows(host) is ok


def test_a_star_allows_any_host(settings):
    app = create_app(settings.model_copy(update={"allowed_hosts": ["*"]}))
    with TestClient(app, base_url=BASE_URL) as client:
        assert client.get("/healthz", headers={"Host": "anything.example"}).status_code == 200


def test_healthz_says_ok(server):
    response = server.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_reports_the_database_ok(server):
    response = server.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_readyz_is_unavailable_when_the_database_cannot_be_reached(settings, tmp_path):
    unreachable = tmp_path / "a-directory-not-a-database"
    unreachable.mkdir()
    app = create_app(settings.model_copy(update={"database_url": f"sqlite+aiosqlite:///{unreachable}"}))
    with TestClient(app, base_url=BASE_URL) as client:
        response = client.get("/readyz")
        body = assert_error(response, 503, "unavailable")
        assert body["status"] == "unavailable"
        # Liveness does not depend on the database.
        assert client.get("/healthz").status_code == 200


def test_an_unknown_route_is_not_found_in_the_error_shape(server):
    """Other paths belong to the web app (tests/web); unknown API and media paths stay JSON 404s."""
    assert_error(server.get(API_PREFIX + "/no/such/endpoint"), 404, "not_found")
    assert_error(server.get("/api/no/such/page"), 404, "not_found")
    assert_error(server.get("/media/no/such/file.jpg"), 404, "not_found")


def test_a_wrong_method_is_refused_in_the_error_shape(server):
    response = server.post("/healthz")
    assert_error(response, 405, "method_not_allowed")
    assert "GET" in response.headers["allow"]
    assert_error(server.delete(API_PREFIX + "/accounts/signup"), 405, "method_not_allowed")


def test_openapi_document_lists_the_api_under_its_prefix(server):
    response = server.get(API_PREFIX + "/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/")
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] == "Viewfinder"
    paths = document["paths"]
    assert paths
    assert all(path.startswith(API_PREFIX + "/") for path in paths)
    assert API_PREFIX + "/accounts/signup" in paths
    assert API_PREFIX + "/users/{username}/followers" in paths
    # Probes and media delivery (/media/<key>, outside the prefix) are not part of the API document.
    assert not any("healthz" in path or "readyz" in path or path.startswith("/media/") for path in paths)

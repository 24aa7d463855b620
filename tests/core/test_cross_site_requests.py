"""Another site cannot make a visitor's browser write to the API: unsafe requests marked
`Sec-Fetch-Site: cross-site`, or with an `Origin` that is not this instance's, are refused (403
`cross_site_request`), and a body must come in the encoding its route reads (415), so an attacker's
text/plain form whose body is JSON cannot log the visitor into the attacker's account (log-in
CSRF). Bearer-token clients carry no ambient credential and are not held to the origin checks."""

from __future__ import annotations

import json

import pytest

from tests import database
from tests.conftest import PASSWORD, Api
from tests.helpers import assert_error, dedicated_api, make_post

EVIL = "https://evil.example"
LOGIN = {"login": "alice", "password": PASSWORD}


def login_as_form(api: Api, content_type: str, body: bytes, **headers: str):
    """What an attacker's auto-submitting <form> sends: no CSRF header, a simple content type."""
    return api.client.post(
        "/api/viewfinder/v1/accounts/login", content=body, headers={"content-type": content_type, **headers}
    )


def test_a_text_plain_form_whose_body_is_json_cannot_log_anyone_in(alice, make_api):
    victim = make_api()
    # <form enctype="text/plain"> with a field named '{"login":"alice","password":"…","x":"' and
    # the value '"}' posts exactly this body.
    body = json.dumps({**LOGIN, "x": "="}).encode()

    for headers in ({}, {"origin": EVIL, "sec-fetch-site": "cross-site"}):
        response = login_as_form(victim, "text/plain;charset=UTF-8", body, **headers)
        assert response.status_code in (403, 415), response.text
        assert "vf_session" not in response.cookies
    assert_error(login_as_form(victim, "text/plain", body), 415, "unsupported_media_type")
    assert victim.get("/accounts/me").status_code == 401


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/plain", json.dumps(LOGIN).encode()),
        ("application/x-www-form-urlencoded", b"login=alice&password=x"),
        (
            "multipart/form-data; boundary=x",
            b'--x\r\nContent-Disposition: form-data; name="login"\r\n\r\nalice\r\n--x--',
        ),
        ("application/jsonp", json.dumps(LOGIN).encode()),
    ],
)
def test_json_routes_take_only_json(alice, anon, content_type, body):
    response = login_as_form(anon, content_type, body)

    assert_error(response, 415, "unsupported_media_type")
    assert "vf_session" not in response.cookies


def test_json_with_a_charset_is_json(alice, anon):
    response = login_as_form(anon, "application/json; charset=utf-8", json.dumps(LOGIN).encode())

    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "headers",
    [
        {"origin": EVIL},
        {"origin": "null"},
        {"sec-fetch-site": "cross-site"},
        {"origin": "https://testserver.local.evil.example"},
        {"origin": "http://testserver.local"},  # the same host over plain HTTP is another origin
        {"origin": "https://testserver.local:8443"},
    ],
)
def test_cross_site_writes_are_refused_and_write_nothing(alice, bob, settings, headers):
    post = make_post(bob, "like me")
    before = database.all_rows(settings)

    for response in (
        alice.post("/accounts/login", json=LOGIN, headers=headers),
        alice.post(
            "/accounts/signup",
            json={"username": "mallory", "email": "m@example.com", "password": PASSWORD},
            headers=headers,
        ),
        # Even with the right CSRF token (the Api client sends it): the origin is not ours.
        alice.post(f"/posts/{post['id']}/like", headers=headers),
        alice.patch("/accounts/me", json={"bio": "owned"}, headers=headers),
        alice.delete(f"/posts/{post['id']}", headers=headers),
    ):
        assert_error(response, 403, "cross_site_request")

    assert database.all_rows(settings) == before
    assert alice.get("/accounts/me").json()["profile"]["bio"] != "owned"


def test_this_instances_own_pages_may_write(alice, bob):
    post = make_post(bob, "like me")

    for headers in (
        {"origin": "https://testserver.local", "sec-fetch-site": "same-origin"},
        {"origin": "https://TESTSERVER.local:443"},
        {"sec-fetch-site": "same-origin"},
        {"sec-fetch-site": "none"},
        {},  # scripts and the test client send neither
    ):
        assert alice.post(f"/posts/{post['id']}/like", headers=headers).status_code == 200, headers
        assert alice.delete(f"/posts/{post['id']}/like", headers=headers).status_code == 200, headers


def test_the_host_the_request_was_sent_to_is_an_own_origin(settings):
    # The public URL names another host; a page served under an allowed host still writes.
    with dedicated_api(settings, public_url="https://photos.example.org") as api:
        api.signup("erin")
        same_host = api.patch(
            "/accounts/me", json={"bio": "hi"}, headers={"origin": "https://testserver.local"}
        )
        public = api.patch(
            "/accounts/me", json={"bio": "hello"}, headers={"origin": "https://photos.example.org"}
        )
        other = api.patch(
            "/accounts/me", json={"bio": "owned"}, headers={"origin": "https://other.example.org"}
        )

        assert same_host.status_code == 200, same_host.text
        assert public.status_code == 200, public.text
        assert_error(other, 403, "cross_site_request")


def test_reads_from_other_sites_are_not_refused(alice):
    # GET has no effect to forge; browsers' own same-origin policy keeps the answer from the page.
    response = alice.get("/accounts/me", headers={"origin": EVIL, "sec-fetch-site": "cross-site"})

    assert response.status_code == 200


def test_bearer_token_clients_are_not_held_to_the_origin_checks(alice, bob, make_api):
    created = alice.post("/accounts/tokens", json={"name": "script"})
    assert created.status_code == 201, created.text
    secret = created.json()["secret"]
    post = make_post(bob, "like me")
    client = make_api().client  # no cookies at all
    like = f"/api/viewfinder/v1/posts/{post['id']}/like"

    response = client.post(like, headers={"authorization": f"Bearer {secret}", "origin": EVIL})
    assert response.status_code == 200, response.text

    # A cookie beside the token is an ambient credential again: the origin checks apply.
    with_cookie = alice.client.delete(like, headers={"authorization": f"Bearer {secret}", "origin": EVIL})
    assert_error(with_cookie, 403, "cross_site_request")

    # And a token does not excuse a body in the wrong encoding.
    comment = client.post(
        f"/api/viewfinder/v1/posts/{post['id']}/comments",
        content=json.dumps({"text": "hi"}).encode(),
        headers={"authorization": f"Bearer {secret}", "content-type": "text/plain"},
    )
    assert_error(comment, 415, "unsupported_media_type")


def test_every_route_runs_the_cross_site_check(app):
    """The check is the app's `before_request` hook, and a router or route with a hook of its own
    would replace it (hooks do not add up as guards do): every HTTP route must still run it."""
    from litestar.routes import HTTPRoute

    from viewfinder.core.security import CrossSiteGuard

    handlers = [
        handler for route in app.routes if isinstance(route, HTTPRoute) for handler in route.route_handlers
    ]
    assert len(handlers) > 100
    for handler in handlers:
        hook = handler.resolve_before_request()
        assert getattr(hook, "__func__", None) is CrossSiteGuard.before_request, handler

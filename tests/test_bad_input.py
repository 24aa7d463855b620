"""Every operation in the OpenAPI document, fed bad input, answers a clean 4xx and writes nothing.

The operations are read from the app's own OpenAPI document once at import, so a new endpoint is
swept without anyone listing it here. For each, as a logged-in user (CSRF header sent) and as an
anonymous visitor: broken JSON, arrays for objects, wrong types, missing fields, 1 MB strings,
bad query parameters and unknown names or ids in the path. Every answer must be below 500, and
every refusal must use the one error shape and leave the database exactly as it was.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest

from tests import database
from tests.helpers import make_post
from viewfinder.app import API_PREFIX, create_app
from viewfinder.core import ids
from viewfinder.settings import Settings

METHODS = ("get", "post", "put", "patch", "delete")
MEGABYTE_STRING = "x" * 1_000_000
BAD_PATH_VALUES = [
    "nobody",
    "123",
    "abc",
    "x" * 1000,
    "-1",
    "99999999999999999999999999",
    # 19 digits, past the largest 64-bit id (2^63 - 1): the database cannot even compare them.
    "9223372036854775808",
    "9999999999999999999",
    "%00",
    "%2e%2e",
    "ålice",
    "null",
]
BAD_QUERIES: list[dict[str, str]] = [
    {"limit": "abc"},
    {"limit": "0"},
    {"limit": "101"},
    {"limit": "-1"},
    {"limit": "1" * 40},
    {"limit": "1.5"},
    {"cursor": "abc"},
    {"cursor": "x" * 1000},
    {"cursor": "%%%"},
    {"cursor": "eyJhIjoxfQ"},
]
UNEXPECTED_BODY = {"content": b'{"oops": ', "headers": {"content-type": "application/json"}}
TYPE_SAMPLES: dict[str, Any] = {
    "string": "sample",
    "boolean": True,
    "integer": 1,
    "number": 1.5,
    "array": [],
    "object": {},
}
WRONG_TYPES: dict[str, list[Any]] = {
    "string": [12345, True, None, ["x"], {"x": 1}],
    "boolean": ["yes", 1, None, []],
    "integer": ["one", 1.5, None],
    "number": ["one", None],
    "array": ["x", 1, {"x": 1}],
    "object": ["x", 1, ["x"]],
}


def _load_document() -> dict[str, Any]:
    # The app claims an ID shard under its data directory; the database only opens in its lifespan.
    with tempfile.TemporaryDirectory() as data_dir:
        app = create_app(Settings(env="test", data_dir=Path(data_dir), allowed_hosts=["testserver.local"]))
        try:
            document: dict[str, Any] = app.openapi_schema.to_schema()
            return document
        finally:
            ids.release_shard()


DOCUMENT = _load_document()
OPERATIONS: list[tuple[str, str, dict[str, Any]]] = [
    (method.upper(), path.removeprefix(API_PREFIX), operation)
    for path, item in DOCUMENT["paths"].items()
    for method, operation in item.items()
    if method in METHODS
]


def _op_id(op: tuple[str, str, dict[str, Any]]) -> str:
    return f"{op[0]} {op[1]}"


PRIVATE_PREFIXES = (
    "/media",
    "/feed",
    "/saved",
    "/collections",
    "/notifications",
    "/suggestions",
    "/staff",
    "/announcements",
)
"""Everything under these is the viewer's own (or staff's): login needed for reads too."""
STREAMS = {("GET", "/notifications/stream")}
PRIVATE_READS = frozenset({"/posts/{post_id}/comments/held"})
"""Reads under a public prefix that are the viewer's own (a post's held comments, for its author)."""
"""Endpoints that stream until the client goes: swept only where they answer at once."""


PUBLIC_ACCOUNT_PATHS = frozenset(
    {
        "/accounts/signup",
        "/accounts/login",
        "/accounts/login/two-factor",  # the second step: its proof is the challenge token
        "/accounts/passkeys/login/options",
        "/accounts/passkeys/login",
        "/accounts/email/verify",  # links from emails: the token is the proof
        "/accounts/email/revert",
        "/accounts/password/reset",
        "/accounts/password/reset/confirm",
        "/accounts/standing/token",  # a banned or suspended account's credentials
    }
)
"""Account operations for visitors who are not logged in (yet)."""
STANDING_PATHS = frozenset({"/accounts/standing", "/accounts/standing/strikes/{action_id}/appeal"})
"""Routes of a banned or suspended account: they take its standing token only, never a log-in
(tests/moderation/test_standing.py), and refuse everything else with 401 `invalid_standing_token`."""


def needs_login(method: str, path: str) -> bool:
    """Everything under /accounts but signing up and logging in, the viewer's own lists, and every
    write under /users, /posts and /comments."""
    if any(path == prefix or path.startswith(prefix + "/") for prefix in PRIVATE_PREFIXES):
        return True
    if path in PRIVATE_READS:
        return True
    if path.startswith(("/posts", "/comments/")):
        return method != "GET"
    if path.startswith("/accounts/"):
        return path not in PUBLIC_ACCOUNT_PATHS | STANDING_PATHS
    return path.startswith("/users/") and method in ("POST", "DELETE")


AUTH_OPERATIONS = [op for op in OPERATIONS if needs_login(op[0], op[1])]


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref:
        resolved: dict[str, Any] = DOCUMENT["components"]["schemas"][ref.rsplit("/", 1)[1]]
        return resolved
    return schema


def _field_type(schema: dict[str, Any]) -> str:
    schema = _resolve(schema)
    if isinstance(schema.get("type"), list):  # an optional enum: {"type": ["null", "string"], "enum": [...]}
        return str(next(kind for kind in schema["type"] if kind != "null"))
    if "type" in schema:
        return str(schema["type"])
    if "properties" in schema:
        return "object"
    choices = schema.get("oneOf", []) + schema.get("anyOf", [])
    return next(_field_type(s) for s in choices if s.get("type") != "null")


def json_body_schema(operation: dict[str, Any]) -> dict[str, Any] | None:
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" not in content:
        return None
    return _resolve(content["application/json"]["schema"])


def sample_body(schema: dict[str, Any]) -> dict[str, Any]:
    return {name: TYPE_SAMPLES[_field_type(field)] for name, field in schema["properties"].items()}


def fill_path(path: str, value: str) -> str:
    for name in (
        "username",
        "session_id",
        "token_id",
        "media_id",
        "post_id",
        "comment_id",
        "collection_id",
        "export_id",
        "device_id",
        "passkey_id",
        "tag",
        "case_id",
        "rule_id",
        "action_id",
        "announcement_id",
        "hash_id",
    ):
        path = path.replace("{" + name + "}", value)
    assert "{" not in path, f"a path parameter this sweep does not know: {path}"
    return path


def _json(value: Any) -> dict[str, Any]:
    return {"content": json.dumps(value).encode(), "headers": {"content-type": "application/json"}}


def body_cases(operation: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(description, request arguments) of bad bodies for this operation."""
    broken = [
        ("broken JSON", {"content": b'{"username": ', "headers": {"content-type": "application/json"}}),
        (
            "not JSON at all",
            {"content": b"\xff\xfe\x00garbage", "headers": {"content-type": "application/json"}},
        ),
        ("JSON array", _json([])),
        ("JSON string", _json("hello")),
        ("JSON null", _json(None)),
        (
            "JSON nested 100,000 deep",
            {"content": b"[" * 100_000, "headers": {"content-type": "application/json"}},
        ),
        (
            "JSON objects nested 100,000 deep",
            {"content": b'{"a":' * 100_000, "headers": {"content-type": "application/json"}},
        ),
    ]
    content = operation.get("requestBody", {}).get("content", {})
    if "multipart/form-data" in content:
        return [
            *broken,
            ("form fields only", {"data": {"note": "hello"}}),
            ("1 MB text field", {"data": {"data": MEGABYTE_STRING}}),
            (
                "1 MB file that is no image",
                {"files": {"data": ("a.jpg", MEGABYTE_STRING.encode(), "image/jpeg")}},
            ),
            ("empty file", {"files": {"data": ("a.jpg", b"", "image/jpeg")}}),
            (
                "empty multipart",
                {"content": b"", "headers": {"content-type": "multipart/form-data; boundary=x"}},
            ),
        ]
    schema = json_body_schema(operation)
    if schema is None:
        return []
    sample = sample_body(schema)
    fields = schema["properties"]
    strings = [name for name, field in fields.items() if _field_type(field) == "string"]
    cases = [*broken, ("array of a valid-looking object", _json([sample]))]
    cases.append(("unknown extra field", _json({**sample, "is_staff": True})))
    cases.append(("every field a number", _json(dict.fromkeys(fields, 12345))))
    for name, field in fields.items():
        for wrong in WRONG_TYPES[_field_type(field)]:
            cases.append((f"{name}={wrong!r}", _json({**sample, name: wrong})))
    for name in schema.get("required", []):
        cases.append((f"missing {name}", _json({k: v for k, v in sample.items() if k != name})))
    if schema.get("required"):
        cases.append(("empty object", _json({})))
    for name in strings:
        cases.append((f"1 MB {name}", _json({**sample, name: MEGABYTE_STRING})))
    return cases


def request_cases(method: str, path: str, operation: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(description, path, request arguments) for every bad request to send to one operation."""
    has_path_params = "{" in path
    cases: list[tuple[str, str, dict[str, Any]]] = []
    if has_path_params:
        for value in BAD_PATH_VALUES:
            cases.append((f"path value {value[:20]!r}", fill_path(path, value), {}))
    query_names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
    for query in BAD_QUERIES:
        if set(query) <= query_names:
            cases.append((f"query {query}", fill_path(path, "alice"), {"params": query}))
    bodies = body_cases(operation)
    for description, arguments in bodies:
        cases.append((description, path, arguments))
    if not bodies and not has_path_params:
        # Nothing to get wrong but the body it does not take: it must be ignored or refused cleanly.
        cases.append(("unexpected broken JSON body", path, UNEXPECTED_BODY))
    return cases


def send(api, method: str, path: str, arguments: dict[str, Any]):
    headers = {"x-csrf-token": api.csrf_token} if api.csrf_token else {}
    headers.update(arguments.get("headers", {}))
    rest = {k: v for k, v in arguments.items() if k != "headers"}
    return api.client.request(method, API_PREFIX + path, headers=headers, **rest)


def database_state(settings: Settings) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every application table (of the SQLite file, or the PostgreSQL database)."""
    return database.all_rows(settings)


def assert_error_shape(response, what: str) -> None:
    assert response.headers["content-type"].startswith("application/json"), what
    body = response.json()
    assert set(body) == {"error"}, what
    error = body["error"]
    assert set(error) == {"code", "message", "fields"}, what
    assert isinstance(error["code"], str), what
    assert error["code"], what
    assert isinstance(error["message"], str), what
    assert error["message"], what
    assert isinstance(error["fields"], dict), what


def test_the_sweep_covers_the_served_openapi_document(anon):
    response = anon.get("/openapi.json")

    assert response.status_code == 200
    served = {
        (method.upper(), path.removeprefix(API_PREFIX))
        for path, item in response.json()["paths"].items()
        for method in item
        if method in METHODS
    }
    assert served == {(method, path) for method, path, _ in OPERATIONS}
    assert len(OPERATIONS) >= 28
    assert ("POST", "/accounts/signup") in served
    assert ("GET", "/users/{username}/followers") in served


@pytest.mark.parametrize("op", OPERATIONS, ids=_op_id)
def test_bad_input_is_refused_cleanly_and_writes_nothing(op, settings, alice, anon):
    method, path, operation = op
    cases = request_cases(method, path, operation)
    assert cases, f"no bad input to send to {method} {path}"
    state = database_state(settings)
    # A stream opened by a logged-in user never ends by itself; bad query input must still be refused.
    identities = (
        (("user", alice), ("anonymous", anon)) if (method, path) not in STREAMS else (("anonymous", anon),)
    )

    for identity, api in identities:
        for description, target, arguments in cases:
            what = f"{identity}: {method} {target[:80]} with {description}"
            response = send(api, method, target, arguments)
            assert response.status_code < 500, f"{what} -> {response.status_code} {response.text[:300]}"
            after = database_state(settings)
            if response.status_code >= 400:
                assert_error_shape(response, what)
                assert after == state, f"{what} was refused but wrote to the database"
            elif description != "unexpected broken JSON body":
                pytest.fail(f"{what} was accepted: {response.status_code} {response.text[:300]}")
            state = after


def test_bad_signups_create_no_account(anon, alice, settings):
    signup = next(op for op in OPERATIONS if op[:2] == ("POST", "/accounts/signup"))

    for description, _path, arguments in request_cases(*signup):
        assert send(anon, "POST", "/accounts/signup", arguments).status_code == 400, description

    assert database.query(settings, "SELECT username FROM users") == [("alice",)]


def test_a_body_over_two_megabytes_is_too_large(settings, alice, anon):
    oversized = json.dumps({"padding": "x" * (2 * 1024 * 1024)}).encode()
    json_operations = [op for op in OPERATIONS if json_body_schema(op[2]) is not None]
    before = database_state(settings)

    for method, path, _ in json_operations:
        for api in (alice, anon):
            response = send(
                api, method, path, {"content": oversized, "headers": {"content-type": "application/json"}}
            )
            what = f"{api.username or 'anonymous'}: {method} {path}"
            assert response.status_code == 413, what
            assert_error_shape(response, what)
            assert response.json()["error"]["code"] == "too_large", what

    assert len(json_operations) >= 5
    assert database_state(settings) == before


def well_formed(method: str, path: str, operation: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A request that would be fine from someone logged in (a path names an existing account)."""
    target = fill_path(path, "alice")
    required = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query" and p["required"]]
    if required:  # e.g. a search's text
        target += "?" + "&".join(f"{name}=alice" for name in required)
    schema = json_body_schema(operation)
    if schema is not None:
        return target, _json(sample_body(schema))
    if "multipart/form-data" in operation.get("requestBody", {}).get("content", {}):
        return target, {"files": {"data": ("a.jpg", b"not really an image", "image/jpeg")}}
    return target, {}


def test_operations_that_need_login_refuse_anonymous_visitors(settings, alice, anon):
    before = database_state(settings)

    for method, path, operation in AUTH_OPERATIONS:
        target, arguments = well_formed(method, path, operation)
        response = send(anon, method, target, arguments)
        what = f"{method} {path}"
        assert response.status_code == 401, f"{what}: {response.text}"
        assert_error_shape(response, what)
        assert response.json()["error"]["code"] == "not_authenticated", what

    assert len(AUTH_OPERATIONS) >= 20
    assert database_state(settings) == before


def test_an_invalid_api_token_is_refused_everywhere(settings, alice, anon):
    before = database_state(settings)

    for method, path, operation in OPERATIONS:
        if path in PUBLIC_ACCOUNT_PATHS:  # logging in and links from emails ignore who asks
            continue
        target, arguments = well_formed(method, path, operation)
        headers = {**arguments.get("headers", {}), "authorization": "Bearer vf_not-a-real-token"}
        response = send(anon, method, target, {**arguments, "headers": headers})
        assert response.status_code == 401, f"{method} {path}: {response.text}"
        code = "invalid_standing_token" if path in STANDING_PATHS else "invalid_token"
        assert response.json()["error"]["code"] == code, f"{method} {path}"

    assert database_state(settings) == before


def test_cookie_writes_without_the_csrf_header_are_refused(settings, alice):
    writes = [op for op in AUTH_OPERATIONS if op[0] != "GET"]
    before = database_state(settings)

    for method, path, operation in writes:
        target, arguments = well_formed(method, path, operation)
        response = alice.client.request(method, API_PREFIX + target, **arguments)
        assert response.status_code == 403, f"{method} {path}: {response.text}"
        assert response.json()["error"]["code"] == "csrf_failed", f"{method} {path}"

    assert database_state(settings) == before
    assert alice.get("/accounts/me").status_code == 200


def test_the_standing_routes_take_nothing_but_a_standing_token(settings, alice, anon):
    standing = [op for op in OPERATIONS if op[1] in STANDING_PATHS]
    before = database_state(settings)

    for method, path, operation in standing:
        target, arguments = well_formed(method, path, operation)
        for who, api in (("anonymous", anon), ("alice's session", alice)):
            response = send(api, method, target, arguments)
            assert response.status_code == 401, f"{who}: {method} {path}: {response.text}"
            assert response.json()["error"]["code"] == "invalid_standing_token", f"{who}: {method} {path}"

    assert len(standing) == len(STANDING_PATHS)
    assert database_state(settings) == before


def test_public_reads_need_no_login(alice, anon):
    public = [
        op
        for op in OPERATIONS
        if not needs_login(op[0], op[1]) and op[0] == "GET" and op[1] not in STANDING_PATHS
    ]

    assert {path for _, path, _ in public} == {
        "/users/{username}",
        "/users/{username}/followers",
        "/users/{username}/following",
        "/users/{username}/posts",
        "/posts/{post_id}",
        "/posts/{post_id}/likes",
        "/posts/{post_id}/comments",
        "/comments/{comment_id}/replies",
        "/hashtags/{tag}",
        "/hashtags/{tag}/posts",
        "/search/accounts",
        "/search/hashtags",
        "/explore",
        "/discover/featured",
    }
    for method, path, operation in public:
        target, arguments = well_formed(method, path, operation)
        # No post, comment or hashtag has the sample name; missing is a 404, never a demand to log in.
        missing = any(name in path for name in ("{post_id}", "{comment_id}", "{tag}"))
        expected = 404 if missing else 200
        assert send(anon, method, target, arguments).status_code == expected, path


TOO_LARGE_IDS = ("9223372036854775808", "9999999999999999999")


def _variant(field: dict[str, Any]) -> dict[str, Any]:
    """A field's schema without its `oneOf [..., null]` wrapper."""
    return _resolve(next((s for s in field.get("oneOf", []) if s.get("type") != "null"), field))


def ids_everywhere(schema: dict[str, Any], value: str) -> dict[str, Any]:
    """A body with `value` in every string field, also inside arrays and the objects they hold
    (a post's items[].media_id, a comment's reply_to, a report's target_id, notifications' ids)."""
    body: dict[str, Any] = {}
    for name, field in schema["properties"].items():
        kind = _field_type(field)
        if kind == "string":
            body[name] = value
        elif kind == "array":
            items = _resolve(_variant(field).get("items", {}))
            body[name] = [ids_everywhere(items, value)] if "properties" in items else [value]
        else:
            body[name] = TYPE_SAMPLES[kind]
    return body


@pytest.mark.parametrize("op", [op for op in OPERATIONS if json_body_schema(op[2]) is not None], ids=_op_id)
def test_ids_past_64_bits_in_bodies_are_refused_cleanly(op, settings, alice):
    method, path, operation = op
    schema = json_body_schema(operation)
    assert schema is not None
    target = fill_path(path, "1")

    for value in TOO_LARGE_IDS:
        response = send(alice, method, target, _json(ids_everywhere(schema, value)))
        what = f"{method} {path} with every string {value}"
        assert response.status_code < 500, f"{what} -> {response.status_code} {response.text[:300]}"
        if response.status_code >= 400:
            assert_error_shape(response, what)


def test_ids_past_64_bits_in_bodies_name_nothing(settings, alice, bob):
    existing = make_post(bob, "a post to reply to and report")
    before = database_state(settings)
    too_large = TOO_LARGE_IDS[1]

    post = send(alice, "POST", "/posts", _json({"items": [{"media_id": too_large}]}))
    reply = send(
        alice, "POST", f"/posts/{existing['id']}/comments", _json({"text": "hi", "reply_to": too_large})
    )
    report = send(
        alice, "POST", "/reports", _json({"target": "post", "target_id": too_large, "reason": "spam"})
    )
    alt_texts = send(bob, "PATCH", f"/posts/{existing['id']}", _json({"alt_texts": {too_large: "a photo"}}))

    assert (post.status_code, post.json()["error"]["code"]) == (400, "invalid_media")
    assert (reply.status_code, reply.json()["error"]["fields"]) == (400, {"reply_to": "unknown"})
    assert report.status_code == 404, report.text
    assert alt_texts.status_code == 400, alt_texts.text
    assert database_state(settings) == before

"""Signed cursors: round trips, refusal of foreign or forged cursors, and the same rules through the API."""

from __future__ import annotations

import base64

import pytest

from viewfinder.core.errors import ApiError
from viewfinder.core.pagination import decode_cursor, encode_cursor, next_cursor

SECRET = "a-test-secret-that-is-long-enough-0123456789"


def assert_invalid_cursor(secret: str, scope: str, cursor: str) -> None:
    with pytest.raises(ApiError) as caught:
        decode_cursor(secret, scope, cursor)
    assert caught.value.status_code == 400
    assert caught.value.code == "invalid_cursor"
    assert caught.value.fields == {"cursor": "invalid"}


@pytest.mark.parametrize("key", [0, 1, 7_336_112_417_284_096, 2**63 - 1])
def test_cursor_round_trips_its_key(key):
    cursor = encode_cursor(SECRET, "followers:42", key)
    assert decode_cursor(SECRET, "followers:42", cursor) == key


def test_cursor_is_url_safe_text():
    cursor = encode_cursor(SECRET, "followers:42", 2**62 + 12345)
    assert cursor.isascii()
    assert not set(cursor) & set("+/=&?# ")


@pytest.mark.parametrize("cursor", [None, ""])
def test_no_cursor_means_the_first_page(cursor):
    assert decode_cursor(SECRET, "followers:42", cursor) is None


def test_cursor_for_another_list_is_refused():
    cursor = encode_cursor(SECRET, "followers:42", 1000)
    assert_invalid_cursor(SECRET, "following:42", cursor)
    assert_invalid_cursor(SECRET, "followers:43", cursor)


def test_cursor_signed_with_another_secret_is_refused():
    cursor = encode_cursor("another-secret-entirely-0123456789abcdef", "followers:42", 1000)
    assert_invalid_cursor(SECRET, "followers:42", cursor)


def test_tampered_cursor_is_refused():
    cursor = encode_cursor(SECRET, "followers:42", 1000)
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    forged_key = raw.replace(b"|1000|", b"|9999|")
    assert forged_key != raw
    forged = base64.urlsafe_b64encode(forged_key).decode().rstrip("=")
    assert_invalid_cursor(SECRET, "followers:42", forged)
    # Flipping any single character breaks the signature too.
    for index in range(len(cursor)):
        flipped = cursor[:index] + ("A" if cursor[index] != "A" else "B") + cursor[index + 1 :]
        if flipped != cursor:
            with pytest.raises(ApiError):
                decode_cursor(SECRET, "followers:42", flipped)


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "!!!not-base64!!!",
        "YQ",  # one byte
        "====",
        "\u00e9t\u00e9",
        base64.urlsafe_b64encode(b"followers:42|abc|" + b"x" * 12).decode(),
        base64.urlsafe_b64encode(b"\xff\xfe\xfd" * 20).decode(),
    ],
)
def test_garbage_cursor_is_refused(cursor):
    assert_invalid_cursor(SECRET, "followers:42", cursor)


def test_next_cursor_is_none_when_the_page_is_not_full():
    assert next_cursor(SECRET, "followers:42", [], 20) is None
    assert next_cursor(SECRET, "followers:42", [9, 8, 7], 20) is None
    assert next_cursor(SECRET, "followers:42", list(range(20, 0, -1)), 20) is None


def test_next_cursor_points_after_the_last_row_served():
    keys = [50, 40, 30, 20]  # fetched with limit + 1 rows
    cursor = next_cursor(SECRET, "followers:42", keys, 3)
    assert cursor is not None
    assert decode_cursor(SECRET, "followers:42", cursor) == 30


# Through the API


def assert_error(response, status: int, code: str):
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]


def test_api_refuses_a_garbage_cursor(alice, anon):
    error = assert_error(
        anon.get("/users/alice/followers", params={"cursor": "garbage"}), 400, "invalid_cursor"
    )
    assert "cursor" in error["fields"]


@pytest.mark.parametrize("limit", ["0", "101", "-1", "ten"])
def test_api_refuses_a_limit_out_of_range(alice, anon, limit):
    error = assert_error(anon.get("/users/alice/followers", params={"limit": limit}), 400, "validation_error")
    assert "limit" in error["fields"]


def test_api_pages_through_a_list_without_repeats(alice, bob, carol, anon):
    assert bob.post("/users/alice/follow").json() == {"state": "following"}
    assert carol.post("/users/alice/follow").json() == {"state": "following"}

    first = anon.get("/users/alice/followers", params={"limit": 1})
    assert first.status_code == 200, first.text
    assert len(first.json()["items"]) == 1
    cursor = first.json()["next_cursor"]
    assert isinstance(cursor, str)

    second = anon.get("/users/alice/followers", params={"limit": 1, "cursor": cursor})
    assert second.status_code == 200, second.text
    assert second.json()["next_cursor"] is None
    seen = [user["username"] for user in first.json()["items"] + second.json()["items"]]
    assert sorted(seen) == ["bob", "carol"]

    whole = anon.get("/users/alice/followers").json()
    assert len(whole["items"]) == 2
    assert whole["next_cursor"] is None


def test_api_refuses_a_cursor_from_another_list(alice, bob, carol, anon):
    bob.post("/users/alice/follow")
    carol.post("/users/alice/follow")
    cursor = anon.get("/users/alice/followers", params={"limit": 1}).json()["next_cursor"]
    assert cursor
    assert_error(anon.get("/users/alice/following", params={"cursor": cursor}), 400, "invalid_cursor")
    assert_error(anon.get("/users/bob/followers", params={"cursor": cursor}), 400, "invalid_cursor")

"""Cursor pagination: opaque, signed cursors bound to the list they came from.

A cursor carries the sort key of the last row served and the name of its list, signed with the
secret key, so a forged cursor, or one taken from another list, is a clear 400 rather than a
silently wrong page.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Annotated, Generic, TypeVar

import msgspec

from viewfinder.core.errors import ApiError

DEFAULT_LIMIT = 20
MAX_LIMIT = 100

Limit = Annotated[int, msgspec.Meta(ge=1, le=MAX_LIMIT)]

T = TypeVar("T")


class Page(msgspec.Struct, Generic[T]):
    """One page of a list; pass next_cursor back as ?cursor= for the next one (null at the end)."""

    items: list[T]
    next_cursor: str | None


def _signature(secret: str, payload: bytes) -> bytes:
    return hmac.new(secret.encode(), payload, hashlib.sha256).digest()[:12]


def encode_cursor(secret: str, scope: str, key: int) -> str:
    payload = f"{scope}|{key}".encode()
    token = payload + b"|" + _signature(secret, payload)
    return base64.urlsafe_b64encode(token).decode().rstrip("=")


def decode_cursor(secret: str, scope: str, cursor: str | None) -> int | None:
    """The sort key inside a cursor made for this list, or None for the first page."""
    if cursor is None or cursor == "":
        return None
    bad = ApiError(400, "invalid_cursor", "The cursor is not valid for this list.", {"cursor": "invalid"})
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload, signature = raw[:-13], raw[-12:]
        if raw[-13:-12] != b"|" or not hmac.compare_digest(signature, _signature(secret, payload)):
            raise bad
        cursor_scope, key = payload.decode().rsplit("|", 1)
        if cursor_scope != scope:
            raise bad
        return int(key)
    except (ValueError, UnicodeDecodeError) as exc:
        raise bad from exc


def next_cursor(secret: str, scope: str, keys: list[int], limit: int) -> str | None:
    """The cursor after a page fetched with limit + 1 rows, or None when it was the last page."""
    if len(keys) <= limit:
        return None
    return encode_cursor(secret, scope, keys[limit - 1])

"""Cursor pagination: opaque, signed cursors bound to the list they came from.

A cursor carries the sort key of the last row served and the name of its list, signed with the
secret key, so a forged cursor, or one taken from another list, is a clear 400 rather than a
silently wrong page.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Generic, TypeVar

import msgspec

from viewfinder.core.errors import ApiError
from viewfinder.core.ids import moment_of_unix_ms, unix_ms

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


# Ranked lists (Explore, top hashtag posts, the ranked home feed) page by offset into a ranking
# taken at one moment: the cursor's key packs that moment (ms) above a 32-bit offset.
SNAPSHOT_TTL = timedelta(hours=2)
"""A ranked list's cursor older than this is stale (400): the client starts again."""
_OFFSET_BITS = 32


@dataclass(frozen=True)
class Snapshot:
    """Where a client is in a ranked list: the moment the list was first ranked and how many of
    its posts were already served. Ranking again "as of" that moment keeps the order stable while
    new posts arrive, so offsets still point at the same place."""

    at: datetime
    offset: int

    def after(self, served: int) -> Snapshot:
        """Where the next page starts once `served` more posts of the same ranking were shown."""
        return Snapshot(self.at, self.offset + served)

    def key(self) -> int:
        """The snapshot packed into one integer, to ride inside a signed cursor."""
        return (unix_ms(self.at) << _OFFSET_BITS) | self.offset

    @classmethod
    def from_key(cls, key: int | None, now: datetime) -> Snapshot:
        """The snapshot in a decoded cursor, or a fresh one for the first page; 400 when stale."""
        if key is None:
            # Whole milliseconds, as the key holds them, so every page ranks as of the same moment.
            return cls(moment_of_unix_ms(unix_ms(now)), 0)
        at = moment_of_unix_ms(key >> _OFFSET_BITS)
        if now - at > SNAPSHOT_TTL:
            raise ApiError(
                400,
                "invalid_cursor",
                "This list has changed since that cursor was made; load it again from the start.",
                {"cursor": "stale"},
            )
        return cls(at, key & ((1 << _OFFSET_BITS) - 1))


@dataclass(frozen=True)
class Paging:
    """The page a client asked for (`?cursor=&limit=`) and the signed cursor of the next one: the
    one paging dependency (`PagingDep`, parameter name `paging`) every list endpoint takes instead of
    decoding and signing cursors itself. A list's `scope` names it (and whose it is), so a cursor
    works for the list it came from only."""

    secret: str
    cursor: str | None
    limit: int

    def key(self, scope: str) -> int | None:
        """The sort key the client stopped at, or None on the first page (400 when not this list's)."""
        return decode_cursor(self.secret, scope, self.cursor)

    def snapshot(self, scope: str, now: datetime) -> Snapshot:
        """Where the client is in a ranked list (a fresh snapshot on the first page; 400 when stale)."""
        return Snapshot.from_key(self.key(scope), now)

    def page(self, scope: str, items: Sequence[T], keys: Sequence[int]) -> Page[T]:
        """A page of a list read with `limit + 1` rows: `keys` are the sort keys of all the rows read,
        `items` what to show for them (cut to `limit`); a next cursor only when there was one more."""
        return Page(
            items=list(items[: self.limit]),
            next_cursor=next_cursor(self.secret, scope, list(keys), self.limit),
        )

    def page_until(self, scope: str, items: Sequence[T], next_key: int | None) -> Page[T]:
        """A page whose reader knows the next page's key itself (None at the end)."""
        return Page(
            items=list(items),
            next_cursor=None if next_key is None else encode_cursor(self.secret, scope, next_key),
        )

    def ranked_page(self, scope: str, items: Sequence[T], after: Snapshot | None) -> Page[T]:
        """A page of a ranked list: `after` is where the next page starts in the same ranking
        (None at the end)."""
        return self.page_until(scope, items, None if after is None else after.key())

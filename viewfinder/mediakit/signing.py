"""Signed, expiring media URLs for private accounts, in the manner of Instagram's oe/oh parameters.

``oe`` is the expiry (Unix seconds, hex) and ``oh`` an HMAC-SHA256 over the path and the expiry.
Expiries are rounded up to a whole bucket so the same URL is handed out for a while and caches
in front can still serve repeat requests.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from pathlib import Path
from urllib.parse import urlsplit

from viewfinder.mediakit.storage import MediaStorage

BUCKET_SECONDS = 3600


def signature(secret: str, path: str, expires: int) -> str:
    message = f"{path}:{expires:x}".encode()
    return hmac.new(f"media:{secret}".encode(), message, hashlib.sha256).hexdigest()[:32]


def staff_secret(secret: str) -> str:
    """The key of URLs signed for staff only (the media of removed posts, shown in their case):
    no URL handed out to members opens them."""
    return f"{secret}:staff-only"


def expiry(ttl_seconds: int, now: float | None = None) -> int:
    moment = int(now if now is not None else time.time()) + ttl_seconds
    return -(-moment // BUCKET_SECONDS) * BUCKET_SECONDS


def sign_url(url: str, secret: str, expires: int) -> str:
    path = urlsplit(url).path
    return f"{url}?oe={expires:x}&oh={signature(secret, path, expires)}"


def check(secret: str, path: str, oe: str | None, oh: str | None, now: float | None = None) -> str | None:
    """None when the signature is good and unexpired, else why not ("missing", "invalid", "expired")."""
    if not oe or not oh:
        return "missing"
    try:
        expires = int(oe, 16)
    except ValueError:
        return "invalid"
    if not hmac.compare_digest(signature(secret, path, expires), oh):
        return "invalid"
    if expires < (now if now is not None else time.time()):
        return "expired"
    return None


class SignedUrls:
    """A media storage whose URLs are signed: hand it to response builders for private content."""

    def __init__(self, storage: MediaStorage, secret: str, ttl_seconds: int) -> None:
        self.storage = storage
        self.secret = secret
        self.expires = expiry(ttl_seconds)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.storage.put(key, data, content_type)

    def get(self, key: str) -> bytes | None:
        return self.storage.get(key)

    def delete(self, key: str) -> None:
        self.storage.delete(key)

    def exists(self, key: str) -> bool:
        return self.storage.exists(key)

    def copy(self, src_key: str, dst_key: str) -> None:
        self.storage.copy(src_key, dst_key)

    def put_file(self, key: str, path: Path, content_type: str) -> None:
        self.storage.put_file(key, path, content_type)

    def get_file(self, key: str, path: Path) -> bool:
        return self.storage.get_file(key, path)

    def url(self, key: str) -> str:
        return sign_url(self.storage.url(key), self.secret, self.expires)


def urls_for(storage: MediaStorage, secret: str, ttl_seconds: int, *, private: bool) -> MediaStorage:
    """The storage to build an owner's media URLs with: signed when the owner is private."""
    return SignedUrls(storage, secret, ttl_seconds) if private else storage

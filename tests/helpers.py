"""Assertions and app builders shared by test files."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import redis
from litestar.testing import TestClient

from tests.conftest import BASE_URL, Api
from viewfinder.app import create_app
from viewfinder.core import ids, redis_client
from viewfinder.core.db import read_rows
from viewfinder.posts import cards
from viewfinder.settings import Settings


def assert_error(
    response: httpx.Response, status: int, code: str, fields: Iterable[str] = ()
) -> dict[str, Any]:
    """Assert the API's one error shape, {"error": {"code", "message", "fields"}}, and return the error.

    `fields` names the fields the error must mention (others may be mentioned too).
    """
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json"), response.headers
    body = response.json()
    assert set(body) == {"error"}, body
    error: dict[str, Any] = body["error"]
    assert set(error) == {"code", "message", "fields"}, error
    assert error["code"] == code, error
    assert isinstance(error["message"], str), error
    assert error["message"], error
    assert isinstance(error["fields"], dict), error
    assert all(isinstance(v, str) and v for v in error["fields"].values()), error
    missing = set(fields) - set(error["fields"])
    assert not missing, f"error does not mention {missing}: {error}"
    return error


@contextmanager
def dedicated_api(settings: Settings, **changes: Any) -> Iterator[Api]:
    """An anonymous client of an app of its own, built from the test's settings with these changes.

    Use it instead of the app fixture (not beside it): both would share the test's database.
    """
    app = create_app(settings.model_copy(update=changes))
    try:
        with TestClient(app, base_url=BASE_URL) as client:
            yield Api(client)
    finally:
        ids.release_shard()  # create_app claimed an ID shard under the test's data directory


def small_photo(colour: str = "red", size: tuple[int, int] = (64, 64)) -> bytes:
    """A tiny JPEG: the cheapest real photo the pipeline accepts."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG")
    return out.getvalue()


def make_post(api: Api, caption: str = "", *, colour: str = "red", **fields: Any) -> dict[str, Any]:
    """Upload one small photo as `api` and post it; jobs run inline in tests, so it is ready."""
    uploaded = api.post("/media", files={"file": ("photo", small_photo(colour), "application/octet-stream")})
    assert uploaded.status_code == 202, uploaded.text
    created = api.post(
        "/posts", json={"items": [{"media_id": uploaded.json()["id"]}], "caption": caption, **fields}
    )
    assert created.status_code == 201, created.text
    post: dict[str, Any] = created.json()
    return post


def cache_session(api: Any, count_queries: Callable[[], Any]) -> None:
    """Make sure the viewer's session look-up is cached before a query count (docs/decisions/0042).
    A look-up made within the cache's guard after a change to the account (0.1 s on files, 1 s with
    Redis) is used but not kept, so ask again until one runs no session or token query."""
    deadline = time.monotonic() + 5
    while True:
        with count_queries() as log:
            assert api.get("/accounts/me").status_code == 200
        looked_up = any("user_sessions" in s or "api_tokens" in s for s in log.statements)
        if not looked_up or time.monotonic() > deadline:
            return
        time.sleep(0.05)


async def assert_fast_reads_match_the_engine(db: Any, statement: Any, values: dict[str, Any]) -> None:
    """`read_rows` (on SQLite, the fast path past the engine) gives the rows the engine gives, with
    the same Python types: a boolean a bool (not 1), a date a datetime (not text)."""
    fast = list(await read_rows(db, statement, values))
    engine = [tuple(row) for row in (await db.execute(statement, values)).all()]
    assert fast, statement
    assert fast == engine, statement
    assert [[type(value) for value in row] for row in fast] == [
        [type(value) for value in row] for row in engine
    ]


def forget_cards(settings: Settings) -> None:
    """Empty the post-card cache (this process's, or Redis's at scale), so the next page builds the
    cards it shows: for query counts of a cold cache. Creating or editing a post caches its card,
    and likes and comments leave it cached."""
    cards._caches.clear()
    if settings.store_backend == "redis" and settings.redis_url:
        with redis.Redis.from_url(settings.redis_url) as client:
            keys = list(client.scan_iter(redis_client.key(settings, "cache", "cards") + ":*"))
            if keys:
                client.delete(*keys)

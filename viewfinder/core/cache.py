"""A small, bounded cache of immutable values behind one Protocol (docs/decisions/0039).

Keys carry their own version (a post card's key holds the post's and its author's `updated_at`),
so nothing is ever invalidated in place: a change makes a new key, and old entries age out.

- `LruCache`: in-process, least recently used out first (the embedded stack: one machine, a few
  web processes, each with its own copy).
- `RedisCache`: shared by every web process (the scale stack), values msgspec-encoded (MessagePack).
  An outage never fails a read: `get_many` then finds nothing and `set_many` stores nothing, so the
  caller builds the values itself, and `redis_client.Outage` skips Redis for a moment.
- `TieredCache`: an `LruCache` in front of a `RedisCache` (what the scale stack uses). Entries never
  change under their key, so the copy a process keeps is never stale; what it lacks it asks Redis
  for, once (docs/decisions/0071-scale-read-path.md).

`ReadOnChange` is the other kind: one value per database (staff rules, the known-bad hash list,
detection thresholds) read again only when a cheap version query answers something new, so a
change made by any process applies to the next request in every other.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Iterable, Mapping
from typing import Any, Final, Generic, Protocol, TypeVar

import msgspec
import redis.asyncio
from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from viewfinder.core import redis_client
from viewfinder.settings import Settings

logger = logging.getLogger("viewfinder.cache")

T = TypeVar("T")

FAILURES: tuple[type[Exception], ...] = (*redis_client.UNAVAILABLE, RuntimeError)
"""What a Redis call may raise that must not fail a read: an outage, or a client whose event loop
is gone (tests run many loops in one process)."""
REDIS_TTL_SECONDS = 24 * 3600
"""How long Redis keeps an entry: a card nobody reads for a day is built again when next asked for."""


class Cache(Protocol[T]):
    async def get_many(self, keys: Iterable[str]) -> dict[str, T]:
        """The values found, by key (missing keys are left out)."""
        ...

    async def set_many(self, values: Mapping[str, T]) -> None: ...

    def clear(self) -> None: ...


class LruCache(Generic[T]):
    """At most `size` entries in this process; reads and writes never wait on anything."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[str, T] = OrderedDict()

    async def get_many(self, keys: Iterable[str]) -> dict[str, T]:
        return self.get_many_now(keys)

    def get_many_now(self, keys: Iterable[str]) -> dict[str, T]:
        entries = self._entries
        found: dict[str, T] = {}
        for key in keys:
            value = entries.get(key)
            if value is not None:
                entries.move_to_end(key)
                found[key] = value
        return found

    async def set_many(self, values: Mapping[str, T]) -> None:
        self.set_many_now(values)

    def set_many_now(self, values: Mapping[str, T]) -> None:
        entries = self._entries
        entries.update(values)
        for key in values:
            entries.move_to_end(key)
        while len(entries) > self.size:
            entries.popitem(last=False)

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


class RedisCache(Generic[T]):
    """Entries shared by every process through Redis, under `namespace:cache:<name>:<key>`."""

    def __init__(self, settings: Settings, name: str, kind: type[T], client: redis.asyncio.Redis) -> None:
        self.prefix = redis_client.key(settings, "cache", name) + ":"
        self.client = client
        self.encoder = msgspec.msgpack.Encoder()
        self.decoder = msgspec.msgpack.Decoder(kind)
        self.outage = redis_client.Outage(f"the {name} cache")

    async def get_many(self, keys: Iterable[str]) -> dict[str, T]:
        wanted = list(keys)
        if not wanted or self.outage.skipping():
            return {}
        try:
            raw = await self.client.mget([self.prefix + key for key in wanted])
        except FAILURES as error:
            self.outage.failed(error)
            return {}
        self.outage.recovered()
        found: dict[str, T] = {}
        for key, value in zip(wanted, raw, strict=True):
            if value is not None:
                try:
                    found[key] = self.decoder.decode(value)
                except msgspec.DecodeError:  # written by another version of the code: build anew
                    continue
        return found

    async def set_many(self, values: Mapping[str, T]) -> None:
        if not values or self.outage.skipping():
            return
        try:
            async with self.client.pipeline(transaction=False) as pipe:
                for key, value in values.items():
                    pipe.set(self.prefix + key, self.encoder.encode(value), ex=REDIS_TTL_SECONDS)
                await pipe.execute()
        except FAILURES as error:
            self.outage.failed(error)
            return
        self.outage.recovered()

    def clear(self) -> None:
        """Nothing to do: keys are versioned, and other processes share these entries."""


class TieredCache(Generic[T]):
    """This process's `LruCache` first, then the shared cache for what it lacks."""

    def __init__(self, near: LruCache[T], shared: Cache[T]) -> None:
        self.near = near
        self.shared = shared

    async def get_many(self, keys: Iterable[str]) -> dict[str, T]:
        wanted = list(keys)
        found = self.near.get_many_now(wanted)
        if len(found) < len(wanted):
            fetched = await self.shared.get_many([key for key in wanted if key not in found])
            self.near.set_many_now(fetched)
            found.update(fetched)
        return found

    async def set_many(self, values: Mapping[str, T]) -> None:
        self.near.set_many_now(values)
        await self.shared.set_many(values)

    def clear(self) -> None:
        """Empties this process's copies (the shared entries are versioned, and shared)."""
        self.near.clear()
        self.shared.clear()


def make_cache(
    settings: Settings, name: str, kind: type[T], size: int, client: redis.asyncio.Redis | None = None
) -> Cache[T]:
    """Redis behind this process's LRU when the instance's stores live there (store_backend
    "redis"; the app's client, or one of its own), else in-process LRU alone."""
    if settings.store_backend == "redis":
        shared = RedisCache(settings, name, kind, client or redis_client.async_client(settings))
        return TieredCache(LruCache(size), shared)
    return LruCache(size)


MAX_DATABASES: Final = 8
"""How many databases a `ReadOnChange` remembers: a server has one, tests make one each."""


class ReadOnChange(Generic[T]):
    """A value built from the database, built again only when `version` (a query of one row, e.g.
    the count and newest id of the audit entries of the changes that affect it, each change in its
    own transaction) answers something new. `key` tells apart values of one database (e.g. a
    minimum quality)."""

    def __init__(self, version: Select[Any]) -> None:
        self.version = version
        self._values: dict[tuple[str, Hashable], tuple[tuple[Any, ...], T]] = {}

    async def get(self, db: AsyncSession, build: Callable[[], Awaitable[T]], key: Hashable = None) -> T:
        version = tuple((await db.execute(self.version)).one())
        where = (db.get_bind().engine.url.render_as_string(hide_password=True), key)
        known = self._values.get(where)
        if known is not None and known[0] == version:
            return known[1]
        value = await build()
        if len(self._values) >= MAX_DATABASES:
            self._values.clear()
        self._values[where] = (version, value)
        return value

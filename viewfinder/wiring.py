"""The one place that builds every backend from the settings and hands it in (docs/decisions/0043).

Domains do not choose their backends: each declares the interface it needs (feeds.store.TimelineStore,
notifications.store.InboxStore, recommend.log.InteractionLog, mediakit.storage.MediaBackend, a
Litestar `Store` for rate limits, the session cache) and a slot that holds the process's choice
(`feeds.store.use`, `notifications.store.use`, `recommend.log.use`, `mediakit.storage.use`,
`accounts.authcache.use_epochs`, `posts.cards.use_redis_client`, `core.jobs.configure`). This module
reads the settings once, builds each backend and fills the slots:

- the web app: `create_app` calls `build_backends` and `install`, and injects the backends as
  dependencies (`storage`, `limiter`, `timelines`, `inbox`);
- a job worker and every CLI command: `viewfinder.cli` does the same at start-up, so the jobs of
  core.jobs and the `deliver_event` handlers of core.events find the same stores as the requests;
- tests: the `settings` fixture installs the test's backends (an app built later installs its own).

It sits beside app.py and may import every domain; no domain imports it (an import contract).
"""

from __future__ import annotations

from dataclasses import dataclass

from litestar.stores.base import Store
from litestar.stores.memory import MemoryStore
from redis.asyncio import Redis

from viewfinder.accounts import authcache
from viewfinder.accounts.authcache import AuthCache, auth_cache_from_settings
from viewfinder.core import jobs
from viewfinder.core.ratelimit import FileCounterStore, RateLimiter, RedisCounterStore
from viewfinder.core.redis_client import async_client, key
from viewfinder.detection import spam
from viewfinder.feeds import store as feeds_store
from viewfinder.feeds.pagecache import TimelinePages
from viewfinder.feeds.store import SessionSource, SqlTimelineStore, TimelineStore, TimelineStoreFactory
from viewfinder.mediakit import edge as edge_slot
from viewfinder.mediakit import storage as storage_slot
from viewfinder.mediakit.edge import EdgeCache, edge_from_purge_url
from viewfinder.mediakit.storage import MediaBackend, storage_from_settings
from viewfinder.notifications import store as inbox_slot
from viewfinder.notifications.store import InboxStore, SqlInboxStore
from viewfinder.posts import cards
from viewfinder.recommend import log as interaction_slot
from viewfinder.recommend.log import InteractionLog, SqlInteractionLog
from viewfinder.settings import Settings


@dataclass(frozen=True)
class Backends:
    """Every backend of one process, built from its settings."""

    settings: Settings
    timelines: TimelineStoreFactory
    """The timeline store on a session source (the SQL store runs on the caller's session)."""
    timeline_pages: TimelinePages | None
    """The top of each Cassandra timeline, kept in Redis (decision 0076)."""
    inbox: InboxStore
    interactions: InteractionLog
    storage: MediaBackend
    edge: EdgeCache
    """The cache in front of the media, told when media stop being public (decision 0060)."""
    rate_limits: Store
    limiter: RateLimiter
    auth_cache: AuthCache
    """Session and API-token look-ups (decision 0042): one per app."""
    redis: Redis | None
    """The process's Redis client when the settings name Redis (the app closes it at shutdown)."""

    def install(self) -> None:
        """Fill the domains' slots with these backends: jobs, CLI commands and services called
        outside a request then use the same stores as the requests."""
        jobs.configure(self.settings)
        feeds_store.use(self.timelines)
        inbox_slot.use(self.inbox)
        interaction_slot.use(self.interactions)
        storage_slot.use(self.storage)  # the media and privacy jobs' storage
        edge_slot.use(self.edge)  # the media domain's purge jobs
        spam.configure(self.settings)  # the spam model and thresholds (loaded on first use)
        authcache.use_epochs(self.auth_cache.epochs)  # where this process's writes drop look-ups
        if self.redis is not None:
            cards.use_redis_client(self.settings, self.redis)  # post cards at scale (decision 0039)

    def serve_on_this_loop(self) -> None:
        """The app's event loop has started (its lifespan): reads on it use the app's Redis client."""
        if self.timeline_pages is not None:
            self.timeline_pages.serve_on_this_loop()


def timeline_pages(settings: Settings, redis: Redis | None = None) -> TimelinePages | None:
    """Where the top of each Cassandra timeline is kept: Redis, when the stores live there and the
    cache is on (decision 0076)."""
    if (
        settings.timeline_backend == "cassandra"
        and settings.store_backend == "redis"
        and settings.timeline_page_cache_seconds > 0
    ):
        return TimelinePages(settings, redis)
    return None


def timeline_store_factory(settings: Settings, pages: TimelinePages | None = None) -> TimelineStoreFactory:
    """The timeline store the settings name (`timeline_backend`), as a factory on session sources;
    on Cassandra with the kept tops of `timeline_pages` in front (these `pages`, or its own), so
    every store made from the same settings drops what the others keep when it changes a timeline."""
    if settings.timeline_backend == "cassandra":
        pages = pages or timeline_pages(settings)
        from viewfinder.feeds.cassandra import CassandraTimelineStore  # the driver only when asked for

        def on_cassandra(sessions: SessionSource) -> TimelineStore:
            return CassandraTimelineStore(settings, pages)  # the sessions are the SQL store's business

        return on_cassandra
    return SqlTimelineStore


def inbox_store(settings: Settings) -> InboxStore:
    """The inbox store the settings name (`inbox_backend`)."""
    if settings.inbox_backend == "cassandra":
        from viewfinder.notifications.cassandra import CassandraInboxStore  # the driver only when asked for

        return CassandraInboxStore(settings)
    return SqlInboxStore()


def interaction_log(settings: Settings) -> InteractionLog:
    """The interaction log the settings name (`interaction_backend`)."""
    if settings.interaction_backend == "cassandra":
        from viewfinder.recommend.cassandra import CassandraInteractionLog  # the driver only when asked for

        return CassandraInteractionLog(settings)
    return SqlInteractionLog()


def rate_limit_store(settings: Settings, redis: Redis | None = None) -> Store:
    """The rate limits' store: this process's memory, files under data_dir, or Redis (namespaced)."""
    if settings.store_backend == "redis":
        return RedisCounterStore(redis or async_client(settings), namespace=key(settings, "store"))
    if settings.store_backend == "file":
        return FileCounterStore(settings.data_dir / "stores")
    return MemoryStore()


def build_backends(settings: Settings, redis: Redis | None = None) -> Backends:
    """Every backend these settings name. `redis`: the process's client, when it has one (the app
    makes one per process for its stores and real time); without one, a store that needs Redis
    makes its own."""
    rate_limits = rate_limit_store(settings, redis)
    pages = timeline_pages(settings, redis)
    return Backends(
        settings=settings,
        timelines=timeline_store_factory(settings, pages),
        timeline_pages=pages,
        inbox=inbox_store(settings),
        interactions=interaction_log(settings),
        storage=storage_from_settings(settings),
        edge=edge_from_purge_url(settings.edge_purge_url),
        rate_limits=rate_limits,
        limiter=RateLimiter(rate_limits, fail_open=settings.rate_limit_fail_open),
        # `install` points this process's epoch bumps at its epochs, so a worker's writes drop
        # cached look-ups too.
        auth_cache=auth_cache_from_settings(settings, redis),
        redis=redis,
    )

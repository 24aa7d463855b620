"""The Litestar application factory: every domain's routes under /api/viewfinder/v1/."""

from __future__ import annotations

import gc
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, Request, Router, get
from litestar.config.compression import CompressionConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.logging import LoggingConfig
from litestar.openapi import OpenAPIConfig

from viewfinder.accounts.api import AccountController
from viewfinder.accounts.auth import (
    CSRF_HEADER,
    SESSION_COOKIE,
    provide_optional_user,
    provide_optional_viewer,
    provide_viewer,
)
from viewfinder.accounts.email_api import EmailController
from viewfinder.accounts.twofactor_api import PasskeyController, TwoFactorController
from viewfinder.community.api import ROUTES as COMMUNITY_ROUTES
from viewfinder.core import crypto, events, ids, jobs
from viewfinder.core.access_log import AccessLog
from viewfinder.core.admission import AdmissionMiddleware
from viewfinder.core.db import (
    DATABASE_EXCEPTION_HANDLERS,
    close_db_session,
    make_async_engine,
    make_replica_sessionmaker,
    make_sessionmaker,
    provide_db_session,
)
from viewfinder.core.deps import resolve_dependencies_in_order
from viewfinder.core.errors import EXCEPTION_HANDLERS
from viewfinder.core.health import healthz, readyz
from viewfinder.core.hosts import AllowedHostsMiddleware
from viewfinder.core.openapi import Authentication, DescribedLitestar, allow_every_method
from viewfinder.core.params import provide_paging
from viewfinder.core.proxies import ForwardedHeadersMiddleware, UntrustedForwardedWarning
from viewfinder.core.ratelimit import RateLimiter
from viewfinder.core.redis_client import async_client
from viewfinder.core.requests import ApiRequest
from viewfinder.core.security import CrossSiteGuard, SecurityHeaders
from viewfinder.detection import spam
from viewfinder.detection.hashes_api import ROUTES as KNOWN_BAD_HASH_ROUTES
from viewfinder.detection.thresholds_api import ROUTES as THRESHOLD_ROUTES
from viewfinder.discovery.api import ROUTES as DISCOVERY_ROUTES
from viewfinder.engagement.api import ROUTES as ENGAGEMENT_ROUTES
from viewfinder.feeds.api import ROUTES as FEED_ROUTES
from viewfinder.feeds.store import TimelineStoreFactory
from viewfinder.graph.api import ConnectionsController, UserController
from viewfinder.media.api import serve_media
from viewfinder.media.uploads import MediaController
from viewfinder.mediakit.storage import MediaStorage
from viewfinder.moderation.actions_api import ROUTES as ACTION_ROUTES
from viewfinder.moderation.api import ROUTES as MODERATION_ROUTES
from viewfinder.moderation.appeals_api import ROUTES as APPEAL_ROUTES
from viewfinder.moderation.cases_api import ROUTES as CASE_ROUTES
from viewfinder.moderation.held_api import ROUTES as HELD_COMMENT_ROUTES
from viewfinder.moderation.rules_api import ROUTES as RULE_ROUTES
from viewfinder.moderation.staff_accounts_api import ROUTES as STAFF_ACCOUNT_ROUTES
from viewfinder.moderation.staff_api import ROUTES as STAFF_ROUTES
from viewfinder.moderation.standing_api import ROUTES as STANDING_ROUTES
from viewfinder.notifications.api import ROUTES as NOTIFICATION_ROUTES
from viewfinder.notifications.realtime import RealtimeChannels
from viewfinder.notifications.store import InboxStore
from viewfinder.posts.api import PostController, profile_grid
from viewfinder.privacy.api import ROUTES as PRIVACY_ROUTES
from viewfinder.recommend.api import ROUTES as INTERACTION_ROUTES
from viewfinder.settings import Settings, get_settings
from viewfinder.web.app import web_app
from viewfinder.web.crawlers import profiles_sitemap, robots_txt, sitemap_index
from viewfinder.web.docs import ApiReferencePage
from viewfinder.wiring import build_backends

API_PREFIX = "/api/viewfinder/v1"


@get(f"{API_PREFIX}/openapi.json", include_in_schema=False, sync_to_thread=False)
def openapi_document(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """The OpenAPI 3.1 document of this API."""
    return request.app.openapi_schema.to_schema()


def api_compression(settings: Settings) -> CompressionConfig | None:
    """Gzip for the API's JSON answers (and the app's HTML) to clients that ask for it
    (docs/decisions/0078). Not the web app's files (compressed at build: viewfinder.web.app), media
    (already compressed; ranges), a data export (a file with its length), nor the real-time stream
    (gzip would hold its events back until a buffer fills). Litestar's middleware compresses what it
    is given, so everything else is excluded by path (`/` itself, the app's HTML, is not)."""
    if settings.api_gzip_level == 0:
        return None
    return CompressionConfig(
        backend="gzip",
        gzip_compress_level=settings.api_gzip_level,
        minimum_size=1024,
        exclude=[
            r"^/(?!api/).",
            f"^{API_PREFIX}/notifications/stream$",
            f"^{API_PREFIX}/accounts/data-exports/[^/]+/download$",
        ],
    )


def freeze_startup_objects() -> None:
    """Hide everything alive once the app has started (routes, models, compiled queries) from the
    garbage collector, as Instagram does for Django: full collections then stop re-scanning those
    long-lived objects at every request's allocations (about 10% of a feed page's CPU here)."""
    gc.collect()
    gc.freeze()


def create_app(settings: Settings | None = None) -> Litestar:
    """Build the app for these settings (by default, the environment's)."""
    settings = settings or get_settings()
    settings.check()
    resolve_dependencies_in_order()
    ids.configure_for_process(settings.id_shard_lock_dir, settings.shard_id)
    jobs.configure(settings)
    events.load_subscribers()
    crypto.configure(settings)
    # One Redis client (and pool) per process for the stores and real time, closed at shutdown.
    redis = async_client(settings) if settings.redis_url else None
    # Every backend, built once from the settings and handed in (viewfinder.wiring, decision 0043).
    backends = build_backends(settings, redis)
    backends.install()
    storage, limiter = backends.storage, backends.limiter

    @asynccontextmanager
    async def redis_connections(app: Litestar) -> AsyncGenerator[None, None]:
        backends.serve_on_this_loop()
        try:
            yield
        finally:
            if redis is not None:
                await redis.aclose()

    @asynccontextmanager
    async def database(app: Litestar) -> AsyncGenerator[None, None]:
        pool = {"pool_size": settings.database_pool_size, "max_overflow": settings.database_max_overflow}
        engine = make_async_engine(settings.resolved_database_url, **pool)
        app.state.engine = engine
        app.state.sessionmaker = make_sessionmaker(engine)
        # Read-only requests (GET, HEAD) read from the replica when there is one (core.db).
        replica_url = settings.database_replica_url
        replica = make_async_engine(replica_url, **pool) if replica_url else None
        app.state.replica_engine = replica
        app.state.read_sessionmaker = (
            make_replica_sessionmaker(engine, replica) if replica is not None else app.state.sessionmaker
        )
        try:
            yield
        finally:
            await engine.dispose()
            if replica is not None:
                await replica.dispose()

    def provide_settings() -> Settings:
        return settings

    def provide_storage() -> MediaStorage:
        return storage

    def provide_limiter() -> RateLimiter:
        return limiter

    def provide_timelines() -> TimelineStoreFactory:
        return backends.timelines

    def provide_inbox() -> InboxStore:
        return backends.inbox

    api = Router(
        path=API_PREFIX,
        route_handlers=[
            AccountController,
            EmailController,
            TwoFactorController,
            PasskeyController,
            ConnectionsController,
            UserController,
            MediaController,
            PostController,
            profile_grid,
            *ENGAGEMENT_ROUTES,
            *FEED_ROUTES,
            *DISCOVERY_ROUTES,
            *NOTIFICATION_ROUTES,
            *MODERATION_ROUTES,
            *STAFF_ROUTES,
            *CASE_ROUTES,
            *ACTION_ROUTES,
            *APPEAL_ROUTES,
            *STANDING_ROUTES,
            *RULE_ROUTES,
            *KNOWN_BAD_HASH_ROUTES,
            *THRESHOLD_ROUTES,
            *HELD_COMMENT_ROUTES,
            *STAFF_ACCOUNT_ROUTES,
            *COMMUNITY_ROUTES,
            *PRIVACY_ROUTES,
            *INTERACTION_ROUTES,
        ],
    )
    middleware: list[Any] = []
    if settings.trusted_proxies:
        middleware.append(ForwardedHeadersMiddleware(settings.trusted_proxies))
    else:
        middleware.append(UntrustedForwardedWarning())
    if "*" not in settings.allowed_hosts:
        middleware.append(AllowedHostsMiddleware(settings.allowed_hosts))
    if settings.resolved_web_read_concurrency:
        middleware.append(AdmissionMiddleware(settings.resolved_web_read_concurrency, API_PREFIX))

    app = DescribedLitestar(
        route_handlers=[
            api,
            healthz,
            readyz,
            serve_media,
            openapi_document,
            robots_txt,
            sitemap_index,
            profiles_sitemap,
            web_app,
        ],
        lifespan=[database, redis_connections],
        # Tests build hundreds of apps in one process; freezing each would keep them all.
        on_startup=[] if settings.env == "test" else [spam.warm, freeze_startup_objects],
        # Real-time delivery: channels per account, fed by this process's outbox relay, which
        # polls on its own engine (see viewfinder.notifications.realtime).
        plugins=[RealtimeChannels(settings, redis, backends.inbox)],
        # Browser security headers on every response, no-store on the API's (core.security).
        before_send=[
            close_db_session,
            allow_every_method,
            SecurityHeaders(public_url=settings.public_url, media_base_url=settings.resolved_media_base_url),
        ],
        # Unsafe API requests from other sites, or with a body the route does not read, are refused.
        before_request=CrossSiteGuard(public_url=settings.public_url).before_request,
        request_class=ApiRequest,
        state=State({"settings": settings, "auth_cache": backends.auth_cache}),
        dependencies={
            "db_session": Provide(provide_db_session),
            "viewer_or_none": Provide(provide_optional_viewer),
            "viewer": Provide(provide_viewer),
            "viewer_user": Provide(provide_optional_user),
            "settings": Provide(provide_settings, sync_to_thread=False),
            "storage": Provide(provide_storage, sync_to_thread=False),
            "limiter": Provide(provide_limiter, sync_to_thread=False),
            "timelines": Provide(provide_timelines, sync_to_thread=False),
            "inbox": Provide(provide_inbox, sync_to_thread=False),
            "paging": Provide(provide_paging, sync_to_thread=False),
        },
        exception_handlers={**EXCEPTION_HANDLERS, **DATABASE_EXCEPTION_HANDLERS},
        middleware=middleware,
        compression_config=api_compression(settings),
        request_max_body_size=settings.json_max_body_bytes,
        openapi_config=OpenAPIConfig(
            title="Viewfinder",
            version="1",
            # Litestar's OpenAPI router answers unknown paths beneath it with an HTML 404, so it lives
            # under /docs, and the document itself is served at API_PREFIX/openapi.json below.
            path=f"{API_PREFIX}/docs",
            # Swagger UI from the web app's own files (viewfinder.web.docs): no third-party script.
            render_plugins=[ApiReferencePage(document_url=f"{API_PREFIX}/openapi.json")],
        ),
        logging_config=LoggingConfig(
            root={"level": "DEBUG" if settings.debug else "INFO", "handlers": ["queue_listener"]},
            loggers={
                "aiosqlite": {"level": "WARNING", "propagate": True},
                "pyvips": {"level": "WARNING", "propagate": True},
                "viewfinder.access": {"level": "INFO", "propagate": True},
            },
            log_exceptions="debug" if settings.debug else "never",
        ),
        debug=False,
        # The OpenAPI document states how each operation authenticates (viewfinder.core.openapi).
        authentication=Authentication(
            session_cookie=SESSION_COOKIE,
            csrf_header=CSRF_HEADER,
            viewer_required=frozenset({"viewer"}),
            viewer_optional=frozenset({"viewer_or_none", "viewer_user"}),
        ),
    )
    if settings.access_log:
        # Around the whole app, so requests Litestar's router refuses (404, 405) are logged too.
        app.asgi_handler = AccessLog(app.asgi_handler)
    return app

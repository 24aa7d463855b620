"""Names of the dependencies the app injects, marked for Litestar's name-based injection."""

from __future__ import annotations

from typing import Any

from litestar._kwargs.cleanup import DependencyCleanupGroup
from litestar._kwargs.dependencies import resolve_dependency
from litestar._kwargs.kwargs_model import KwargsModel
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from viewfinder.core.ratelimit import RateLimiter
from viewfinder.settings import Settings

DbSession = NamedDependency[AsyncSession]
"""Parameter name: db_session."""
SettingsDep = NamedDependency[Settings]
"""Parameter name: settings."""
LimiterDep = NamedDependency[RateLimiter]
"""Parameter name: limiter."""


async def _resolve_in_order(
    self: KwargsModel, connection: ASGIConnection[Any, Any, Any, Any], kwargs: dict[str, Any]
) -> DependencyCleanupGroup:
    """`KwargsModel.resolve_dependencies`, one dependency after another.

    Litestar resolves the independent dependencies of one level together in an anyio task group:
    a task, a context copy and a cancel scope each, which cost more than what our providers do
    (most return an object the app already holds; the two that wait on the database depend on
    each other anyway). Upstream knows (litestar-org/litestar#4563). Measured with bench/feed.py:
    the server's CPU per feed page fell from 3,359 to 2,317 microseconds
    (docs/decisions/0070-dependencies-in-order.md)."""
    cleanup_group = DependencyCleanupGroup()
    for batch in self.dependency_batches:
        for dependency in batch:
            await resolve_dependency(dependency, connection, kwargs, cleanup_group)
    return cleanup_group


def resolve_dependencies_in_order() -> None:
    """Install `_resolve_in_order` (idempotent; `create_app` calls it). The batches are still
    Litestar's, so a dependency still runs after those it needs, and its cleanup is unchanged."""
    KwargsModel.resolve_dependencies = _resolve_in_order  # type: ignore[method-assign]

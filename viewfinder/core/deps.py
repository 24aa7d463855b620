"""Names of the dependencies the app injects, marked for Litestar's name-based injection."""

from __future__ import annotations

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

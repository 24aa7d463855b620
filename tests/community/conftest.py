"""Fixtures of the community tests: a community manager (permission announcements.manage)."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import Api
from tests.moderation.staff import make_staff


@pytest.fixture
async def cora(make_api, db: AsyncSession) -> Api:
    """A community manager, logged in."""
    return await make_staff(make_api, db, "cora", "community_manager")

"""Staff accounts for moderation tests: signed up through the API, given their role by the same
service the CLI's `set-role` uses (the operator, who needs no role of their own)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import Api
from viewfinder.moderation.staff import assign_role


async def make_staff(make_api: Callable[[], Api], db: AsyncSession, username: str, role: str) -> Api:
    """A new account with this role, logged in."""
    api = make_api().signup(username)
    if role != "none":
        await give_role(db, username, role)
    return api


async def give_role(db: AsyncSession, username: str, role: str) -> None:
    await assign_role(db, None, username, role)

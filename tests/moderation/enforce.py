"""Staff actions on accounts for tests: through the enforcement service the actions endpoint calls,
committed as that endpoint commits them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from viewfinder.accounts.models import User
from viewfinder.moderation.enforcement import (
    AccountActionKind,
    apply_account_action,
    reverse_account_action,
)


async def account(db: AsyncSession, username: str) -> User:
    found = await db.scalar(
        select(User).where(User.username_key == username).execution_options(populate_existing=True)
    )
    assert found is not None, username
    return found


async def act(
    db: AsyncSession, username: str, kind: AccountActionKind, until: datetime | None = None
) -> None:
    await apply_account_action(db, await account(db, username), kind, until)
    await db.commit()


async def undo(db: AsyncSession, username: str, kind: AccountActionKind) -> None:
    await reverse_account_action(db, await account(db, username), kind)
    await db.commit()

"""What the social graph does when an account changes (core.events, in the same transaction)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from viewfinder.accounts.events import AccountPrivacyChanged
from viewfinder.core.events import on
from viewfinder.graph.services import approve_all_requests


@on(AccountPrivacyChanged)
async def approve_requests_on_going_public(db: AsyncSession, event: AccountPrivacyChanged) -> None:
    """A public account has no one waiting: everyone who asked now follows it."""
    if not event.is_private:
        await approve_all_requests(db, event.user_id)

"""What the media domain does when an upload is stored, and when media stop being public
(core.events, after commit)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from viewfinder.accounts.events import AccountPrivacyChanged
from viewfinder.core.events import on
from viewfinder.core.jobs import enqueue
from viewfinder.media.events import MediaUploaded
from viewfinder.media.tasks import process_media
from viewfinder.media.withdrawal import account_files, post_files, withdraw, withdraw_account
from viewfinder.moderation.events import ActionTaken
from viewfinder.moderation.models import ModerationAction
from viewfinder.posts.events import PostDeleted
from viewfinder.privacy.events import AccountClosed


@on(MediaUploaded, after_commit=True)
async def process_upload(db: AsyncSession, event: MediaUploaded) -> None:
    """Queue the processing job (its retries, lease and recovery sweep: media.tasks)."""
    await enqueue(process_media, event.media_id)


# --- the edge cache forgets what is no longer public (media.withdrawal, decision 0060) -------------


@on(ActionTaken, after_commit=True)
async def withdraw_acted_on_media(db: AsyncSession, event: ActionTaken) -> None:
    """A removed post's files; a suspended or banned account's files. (Deletions by staff go through
    the services their owners use: PostDeleted, AccountClosed.)"""
    if event.kind == "remove_content" and event.target_kind == "post":
        post_id = await db.scalar(
            select(ModerationAction.target_id).where(ModerationAction.id == event.action_id)
        )
        if post_id is not None:
            await withdraw(db, event.account_id, await post_files(db, post_id))
    elif event.kind in ("suspend", "ban"):
        await withdraw_account(db, event.account_id)


@on(PostDeleted, after_commit=True)
async def withdraw_deleted_post_media(db: AsyncSession, event: PostDeleted) -> None:
    await withdraw(db, event.author_id, list(event.media_keys))


@on(AccountClosed, after_commit=True)
async def withdraw_closed_account_media(db: AsyncSession, event: AccountClosed) -> None:
    await withdraw_account(db, event.user_id)


@on(AccountPrivacyChanged, after_commit=True)
async def withdraw_public_urls_of_private_account(db: AsyncSession, event: AccountPrivacyChanged) -> None:
    """Gone private: its files open only through signed URLs now, so their public URLs go (the
    signed ones stay good; the avatar stays public, as the profile does)."""
    if event.is_private:
        await withdraw(db, event.user_id, await account_files(db, event.user_id, avatar=False), signed=False)

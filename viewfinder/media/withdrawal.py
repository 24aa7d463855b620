"""Media that stop being public leave the edge cache (docs/decisions/0060).

The app refuses a file's URLs as soon as its post is removed or deleted, or its account is suspended,
banned, closed or goes private (viewfinder.policy.media_access). A cache in front of the app (nginx's,
a CDN's) may still hold them: public renditions for a year, signed URLs until they expire. The
subscribers (media.subscribers) name the files, `withdraw` turns them into every URL the edge may
hold (mediakit.edge.cached_urls) and queues `media.tasks.purge_from_edge` jobs, which ask the
installed edge to forget them and are retried until it has.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from viewfinder.accounts.models import User
from viewfinder.core.jobs import current_settings, enqueue
from viewfinder.media.models import MediaItem
from viewfinder.media.tasks import purge_from_edge
from viewfinder.mediakit.edge import cached_urls
from viewfinder.posts.models import PostMedia

PURGE_BATCH = 500
"""URLs per purge job."""


def _rendition_keys(renditions: Iterable[list[dict[str, str]]]) -> list[str]:
    return [rendition["key"] for files in renditions for rendition in files]


async def post_files(db: AsyncSession, post_id: int) -> list[str]:
    """The served files (renditions, posters) of a post's media."""
    return _rendition_keys(
        await db.scalars(
            select(MediaItem.renditions)
            .join(PostMedia, PostMedia.media_id == MediaItem.id)
            .where(PostMedia.post_id == post_id)
        )
    )


async def account_files(db: AsyncSession, user_id: int, *, avatar: bool = True) -> list[str]:
    """The served files of every media item an account owns, and its avatar."""
    keys = _rendition_keys(
        await db.scalars(select(MediaItem.renditions).where(MediaItem.owner_id == user_id))
    )
    avatar_key = await db.scalar(select(User.avatar_key).where(User.id == user_id)) if avatar else None
    return keys + ([avatar_key] if avatar_key else [])


async def withdraw(db: AsyncSession, owner_id: int, keys: list[str], *, signed: bool | None = None) -> int:
    """Queue the purge of every URL under which the edge may hold these files of this owner: the
    public one, and the signed ones when the owner is private now (or gone: `signed` None asks the
    database). Nothing when no edge is configured. Returns how many URLs were queued."""
    settings = current_settings()
    if not settings.edge_purge_url or not keys:
        return 0
    if signed is None:
        private = await db.scalar(select(User.is_private).where(User.id == owner_id))
        signed = private is None or bool(private)
    urls = cached_urls(
        settings.resolved_media_base_url,
        keys,
        secret=settings.secret,
        ttl_seconds=settings.signed_url_ttl_seconds,
        signed=signed,
    )
    for start in range(0, len(urls), PURGE_BATCH):
        await enqueue(purge_from_edge, urls[start : start + PURGE_BATCH])
    return len(urls)


async def withdraw_account(db: AsyncSession, user_id: int) -> None:
    """An account is hidden (suspended, banned, closed, being erased): all its files."""
    await withdraw(db, user_id, await account_files(db, user_id))

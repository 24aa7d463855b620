"""A page of the home feed, as GET /feed answers it and as the web app's first HTML carries it
(viewfinder.web.boot)."""

from __future__ import annotations

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from viewfinder.accounts.models import User
from viewfinder.core.pagination import Page, Paging
from viewfinder.feeds import services
from viewfinder.feeds.schemas import FeedMode
from viewfinder.feeds.store import timelines, using_session
from viewfinder.mediakit.storage import MediaStorage
from viewfinder.posts.cards import render_posts
from viewfinder.posts.schemas import PostOut, Recommended
from viewfinder.recommend import serving
from viewfinder.settings import Settings


async def feed_page(
    db_session: AsyncSession,
    storage: MediaStorage,
    settings: Settings,
    user: User,
    mode: FeedMode,
    paging: Paging,
) -> Page[PostOut]:
    """One page of `user`'s home feed in `mode` (GET /feed documents the modes)."""
    store = timelines(using_session(db_session))
    scope = f"feed:{mode}:{user.id}"
    key = paging.key(scope)
    if mode == "for_you":
        served = serving.served(settings.data_dir / "models")
        mixed = await services.for_you_page(db_session, store, settings, user, key, paging.limit, served)
        items = await render_posts(db_session, user, mixed.rows, storage, settings)
        items = [
            msgspec.structs.replace(item, recommended=Recommended(*mixed.recommended[int(item.id)]))
            if int(item.id) in mixed.recommended
            else item
            for item in items
        ]
        return paging.page_until(scope, items, mixed.next_key)
    if mode == "ranked":
        page = await services.ranked_page(db_session, store, settings, user, key, paging.limit)
    else:
        page = await services.following_page(db_session, store, settings, user, key, paging.limit)
    items = await render_posts(db_session, user, page.rows, storage, settings)
    return paging.page_until(scope, items, page.next_key)

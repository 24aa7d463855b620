"""HTTP endpoints of this domain; ROUTES is mounted under /api/viewfinder/v1 by the app."""

from __future__ import annotations

import msgspec
from litestar import get
from litestar.types import ControllerRouterHandler

from viewfinder.accounts.auth import ViewerDep
from viewfinder.core.deps import DbSession, SettingsDep
from viewfinder.core.pagination import Page
from viewfinder.core.params import PagingDep
from viewfinder.feeds import services
from viewfinder.feeds.schemas import FeedMode
from viewfinder.feeds.store import timelines, using_session
from viewfinder.mediakit.storage import StorageDep
from viewfinder.posts.cards import render_posts
from viewfinder.posts.schemas import PostOut, Recommended
from viewfinder.recommend import serving


@get("/feed", tags=["feed"])
async def home_feed(
    viewer: ViewerDep,
    db_session: DbSession,
    storage: StorageDep,
    settings: SettingsDep,
    paging: PagingDep,
    mode: FeedMode = "following",
) -> Page[PostOut]:
    """Your home feed: your own posts and those of the accounts you follow. Muted and blocked
    accounts, deleted posts, posts still processing and private accounts you no longer follow
    never appear.

    mode=following: newest first.

    mode=ranked: the newest 200 posts of your timeline (and of followed accounts too large to fan
    out) ordered by score = 0.5^(age in hours / 24) * (1 + affinity) * (1 + ln(1 + likes +
    2 * comments)), where affinity = ln(1 + likes + 2 * comments + 0.5 * profile visits) counts
    your past engagement with the author. Its cursor holds the moment of the first page and an
    offset, so later pages rank as of then; it goes stale (400) after two hours.

    mode=for_you: ranked, with posts of accounts you do not follow in a third of the places (the
    instance's `for_you_suggested_share`), chosen as Explore chooses them for you, each saying why
    (`recommended`); never a post you liked, nor one author twice in a row where it can be helped.
    Mark one "not interested" (POST /interactions) and the next page leaves its account out.
    """
    user = viewer.user
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


ROUTES: list[ControllerRouterHandler] = [home_feed]

"""HTTP endpoints of this domain; ROUTES is mounted under /api/viewfinder/v1 by the app."""

from __future__ import annotations

from litestar import get
from litestar.types import ControllerRouterHandler

from viewfinder.accounts.auth import ViewerDep
from viewfinder.core.deps import DbSession, SettingsDep
from viewfinder.core.pagination import Page
from viewfinder.core.params import PagingDep
from viewfinder.feeds import reading
from viewfinder.feeds.schemas import FeedMode
from viewfinder.mediakit.storage import StorageDep
from viewfinder.posts.schemas import PostOut


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
    return await reading.feed_page(db_session, storage, settings, viewer.user, mode, paging)


ROUTES: list[ControllerRouterHandler] = [home_feed]

"""HTTP endpoints of discovery: hashtag pages, search, Explore and suggested accounts.

ROUTES is mounted under /api/viewfinder/v1 by the app.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

import msgspec
from litestar import Controller, get
from litestar.params import FromPath, QueryParameter
from litestar.types import ControllerRouterHandler

from viewfinder.accounts.auth import OptionalUserDep, ViewerDep
from viewfinder.accounts.models import User
from viewfinder.accounts.schemas import UserSummary
from viewfinder.core.deps import DbSession, SettingsDep
from viewfinder.core.pagination import Page
from viewfinder.core.params import PagingDep
from viewfinder.discovery import services
from viewfinder.discovery.schemas import HashtagOut, SuggestionOut
from viewfinder.graph.services import relationships
from viewfinder.mediakit.storage import StorageDep
from viewfinder.posts.cards import render_posts
from viewfinder.posts.schemas import PostOut, Recommended
from viewfinder.recommend import serving

SearchLimit = Annotated[
    int,
    QueryParameter(
        ge=1, le=services.MAX_SEARCH_RESULTS, description=f"How many, 1 to {services.MAX_SEARCH_RESULTS}."
    ),
]
SearchText = Annotated[
    str, QueryParameter(min_length=1, max_length=200, description="What to look for: the start of a name.")
]
HashtagOrder = Annotated[
    Literal["recent", "top"],
    QueryParameter(description="recent: newest first; top: most engaging of the last 30 days."),
]


def _now() -> datetime:
    return datetime.now(UTC)


async def _summaries(
    db_session: DbSession, viewer: User | None, users: list[User], storage: StorageDep
) -> list[UserSummary]:
    """Accounts with the viewer's relationship to each (one query; none for oneself or anonymous)."""
    others = [user.id for user in users if viewer is not None and user.id != viewer.id]
    found = await relationships(db_session, viewer, others) if others else {}
    return [UserSummary.of(user, storage, found.get(user.id)) for user in users]


class HashtagController(Controller):
    path = "/hashtags/{tag:str}"
    tags = ["discovery"]

    @get("")
    async def hashtag(
        self, tag: FromPath[str], viewer_user: OptionalUserDep, db_session: DbSession
    ) -> HashtagOut:
        """A hashtag by name, any case, without the '#', with how many of its posts you may see.
        A tag none of whose posts you may see (one used only by private accounts you do not
        follow) is a 404, the same as a tag never used."""
        return HashtagOut.of(await services.find_hashtag(db_session, viewer_user, tag))

    @get("/posts")
    async def posts(
        self,
        tag: FromPath[str],
        viewer_user: OptionalUserDep,
        db_session: DbSession,
        storage: StorageDep,
        settings: SettingsDep,
        paging: PagingDep,
        order: HashtagOrder = "recent",
    ) -> Page[PostOut]:
        """The hashtag's posts the viewer may see; muted accounts are left out. 404 when the viewer
        may see none of the tag's posts, as for a tag never used.

        order=recent: newest first. order=top: posts of the last 30 days by engagement
        (likes + 2 x comments, newer first on ties); its cursor holds the moment the list was
        first ranked and an offset, so later pages rank as of then, and it goes stale (400) after
        two hours.
        """
        hashtag = await services.find_hashtag(db_session, viewer_user, tag, counted=False)
        scope = f"hashtag:{hashtag.id}:{order}"
        limit = paging.limit
        if order == "recent":
            refs = await services.hashtag_recent(db_session, viewer_user, hashtag, paging.key(scope), limit)
            items = await render_posts(db_session, viewer_user, refs[:limit], storage, settings)
            return paging.page(scope, items, [ref.id for ref in refs])
        snapshot = paging.snapshot(scope, _now())
        refs = await services.hashtag_top(db_session, viewer_user, hashtag, snapshot, limit)
        items = await render_posts(db_session, viewer_user, refs[:limit], storage, settings)
        return paging.ranked_page(scope, items, snapshot.after(limit) if len(refs) > limit else None)


@get("/search/accounts", tags=["discovery"])
async def search_accounts(
    viewer_user: OptionalUserDep,
    db_session: DbSession,
    storage: StorageDep,
    q: SearchText,
    limit: SearchLimit = 10,
) -> list[UserSummary]:
    """Accounts whose username, or a word of whose display name, starts with q (any case; a leading
    '@' is ignored). Accounts you follow come first, then those following you, then the most
    followed. The top results only: there is no next page."""
    users = await services.search_accounts(db_session, viewer_user, q, limit)
    return await _summaries(db_session, viewer_user, users, storage)


@get("/search/hashtags", tags=["discovery"])
async def search_hashtags(
    viewer_user: OptionalUserDep, db_session: DbSession, q: SearchText, limit: SearchLimit = 10
) -> list[HashtagOut]:
    """Hashtags whose name starts with q (a leading '#' is ignored) on posts you may see, with how
    many such posts, most used first. Tags used only on posts you may not see are left out."""
    return [HashtagOut.of(tag) for tag in await services.search_hashtags(db_session, viewer_user, q, limit)]


@get("/explore", tags=["discovery"])
async def explore(
    viewer_user: OptionalUserDep,
    db_session: DbSession,
    storage: StorageDep,
    settings: SettingsDep,
    paging: PagingDep,
) -> Page[PostOut]:
    """Public posts from accounts you do not follow: chosen for you once the recommender knows
    you, else the most engaging recent ones.

    Popular candidates: the newest 500 ready posts of the last 7 days by public accounts, never your
    own, nor from accounts you follow, muted, or blocked either way. Each is scored

        score = (1 + likes + 2 x comments) x 0.5 ^ (age in hours / 48)

    (engagement halved every 48 hours). When the recommender (trained on what people were shown and
    did) knows you, the last 30 days' posts of the accounts it finds for you come first, each scored
    account score x the same engagement and age, blended with the popular ones; never a post you
    liked, commented, saved or marked "not interested", nor an account you marked so. Each such post
    says why it is there (`recommended`). The last week's posts of the hashtags you like most (those
    of the posts you liked in the last 30 days) join the popular ones, each scored that hashtag's
    likes x the same engagement and age, and say so ("Popular in #travel"). Best first, except that
    posts you were already shown on Explore or For you (the impressions the app reports) come after
    all the others; a page holds at most two posts by one author, the rest lead the next page.
    Anonymous visitors get the popular list. The cursor
    holds the moment the list was first ranked and an offset, so later pages rank as of then; it
    goes stale (400) after two hours. Changing `limit` between pages may repeat or skip a post.
    """
    scope = f"explore:{viewer_user.id if viewer_user else 0}"
    snapshot = paging.snapshot(scope, _now())
    served = serving.served(settings.data_dir / "models") if viewer_user is not None else None
    page = await services.explore_page(db_session, viewer_user, snapshot, paging.limit, served)
    items = await render_posts(db_session, viewer_user, page.refs, storage, settings)
    items = [
        msgspec.structs.replace(item, recommended=Recommended(page.reasons[int(item.id)], page.model))
        if int(item.id) in page.marked
        else item
        for item in items
    ]
    return paging.ranked_page(scope, items, page.after)


@get("/suggestions/accounts", tags=["discovery"])
async def suggested_accounts(
    viewer: ViewerDep,
    db_session: DbSession,
    storage: StorageDep,
    settings: SettingsDep,
    limit: SearchLimit = 10,
) -> list[SuggestionOut]:
    """Accounts to follow: those the instance's staff feature first (/discover/featured); then, once
    the recommender knows you, public accounts like the ones you engage with (with a `reason`); then
    those followed by the accounts you follow, the most such first; then public accounts followed by
    the authors whose posts you like without following them (`reason` "Followed by @name"); topped
    up with the most-followed public accounts (mutual_count 0), which is the whole list while you
    follow nobody and like nothing."""
    served = serving.served(settings.data_dir / "models")
    found = await services.suggested_accounts(db_session, viewer.user, limit, served)
    summaries = await _summaries(db_session, viewer.user, [s.user for s in found], storage)
    return [
        SuggestionOut(user=summary, mutual_count=s.mutual_count, reason=s.reason)
        for summary, s in zip(summaries, found, strict=True)
    ]


ROUTES: list[ControllerRouterHandler] = [
    HashtagController,
    search_accounts,
    search_hashtags,
    explore,
    suggested_accounts,
]

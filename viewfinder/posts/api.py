"""HTTP endpoints of posts and the profile grid."""

from __future__ import annotations

import msgspec
from litestar import Controller, delete, get, patch, post
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from viewfinder.accounts.auth import OptionalUserDep, ViewerDep
from viewfinder.core.deps import DbSession, LimiterDep, SettingsDep
from viewfinder.core.errors import ApiError
from viewfinder.core.openapi import errors
from viewfinder.core.pagination import Page
from viewfinder.core.params import PagingDep, parse_id
from viewfinder.graph.services import find_visible_user
from viewfinder.mediakit.storage import StorageDep
from viewfinder.policy import may_see_profile_posts
from viewfinder.posts import services
from viewfinder.posts.cards import render_entities, render_posts
from viewfinder.posts.schemas import PostCreate, PostOut, PostUpdate
from viewfinder.screening import NewAccountLimits


def _media_id(value: str) -> int:
    try:
        return parse_id(value)
    except ApiError:
        raise ApiError(400, "invalid_media", "Unknown media item.", {"items": value}) from None


class PostController(Controller):
    path = "/posts"
    tags = ["posts"]

    @post(
        "",
        status_code=HTTP_201_CREATED,
        opt=errors({422: "content_blocked: a staff rule refuses this text (the fields say which)"}),
    )
    async def create(
        self,
        data: JSONBody[PostCreate],
        viewer: ViewerDep,
        db_session: DbSession,
        storage: StorageDep,
        settings: SettingsDep,
        limiter: LimiterDep,
    ) -> PostOut:
        """Post 1 to 20 of your uploaded media items, in order. Others see it once all are ready.
        A caption a staff rule blocks is refused (422 content_blocked); one it holds is seen by you
        alone until staff approve it. New accounts may post only so many links and mentions an
        hour (429 new_account_limit)."""
        created = await services.create_post(
            db_session,
            viewer.user,
            [services.NewItem(_media_id(item.media_id), item.alt_text) for item in data.items],
            caption=data.caption,
            location_name=data.location_name,
            comments_enabled=data.comments_enabled,
            hide_like_count=data.hide_like_count,
            sensitive=data.sensitive,
            limits=NewAccountLimits(limiter, settings),
            settings=settings,
        )
        (out,) = await render_entities(db_session, viewer.user, [(created, viewer.user)], storage, settings)
        return out

    @get("/{post_id:str}")
    async def detail(
        self,
        post_id: FromPath[str],
        viewer_user: OptionalUserDep,
        db_session: DbSession,
        storage: StorageDep,
        settings: SettingsDep,
    ) -> PostOut:
        found, author = await services.visible_post(db_session, viewer_user, parse_id(post_id))
        (out,) = await render_entities(db_session, viewer_user, [(found, author)], storage, settings)
        return out

    @patch(
        "/{post_id:str}",
        opt=errors({422: "content_blocked: a staff rule refuses this text (the fields say which)"}),
    )
    async def edit(
        self,
        post_id: FromPath[str],
        data: JSONBody[PostUpdate],
        viewer: ViewerDep,
        db_session: DbSession,
        storage: StorageDep,
        settings: SettingsDep,
        limiter: LimiterDep,
    ) -> PostOut:
        """Change the caption, location, alt texts or the comments and like-count switches (a new
        caption meets the staff's rules and the new-account limits as a new post's does)."""
        changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
        if "alt_texts" in changes:
            changes["alt_texts"] = {_media_id(key): text for key, text in changes["alt_texts"].items()}
        edited = await services.update_post(
            db_session,
            viewer.user,
            parse_id(post_id),
            services.PostChanges(**changes),
            limits=NewAccountLimits(limiter, settings),
        )
        (out,) = await render_entities(db_session, viewer.user, [(edited, viewer.user)], storage, settings)
        return out

    @delete("/{post_id:str}", status_code=HTTP_204_NO_CONTENT)
    async def remove(
        self, post_id: FromPath[str], viewer: ViewerDep, db_session: DbSession, storage: StorageDep
    ) -> None:
        """Delete a post; its files leave storage and it leaves every home timeline."""
        await services.delete_post(db_session, storage, viewer.user, parse_id(post_id))


@get(
    "/users/{username:str}/posts",
    tags=["users"],
    opt=errors({403: "private_account: follow this private account to see its posts"}),
)
async def profile_grid(
    username: FromPath[str],
    viewer_user: OptionalUserDep,
    db_session: DbSession,
    storage: StorageDep,
    settings: SettingsDep,
    paging: PagingDep,
) -> Page[PostOut]:
    """An account's posts, newest first. Private accounts show them to approved followers only."""
    author = await find_visible_user(db_session, username, viewer_user)
    if not await may_see_profile_posts(db_session, viewer_user, author):
        raise ApiError(403, "private_account", "This account is private. Follow it to see its posts.")
    scope = f"posts:{author.id}"
    refs = await services.profile_posts(db_session, viewer_user, author, paging.key(scope), paging.limit)
    items = await render_posts(db_session, viewer_user, refs[: paging.limit], storage, settings)
    return paging.page(scope, items, [ref.id for ref in refs])

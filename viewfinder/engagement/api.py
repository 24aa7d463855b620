"""HTTP endpoints of likes, comments, saves and collections; ROUTES is mounted under /api/viewfinder/v1."""

from __future__ import annotations

from litestar import Controller, delete, get, patch, post, put
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncSession

from viewfinder.accounts.auth import OptionalUserDep, ViewerDep
from viewfinder.accounts.models import User
from viewfinder.accounts.schemas import UserSummary
from viewfinder.core.deps import DbSession, LimiterDep, SettingsDep
from viewfinder.core.errors import ApiError
from viewfinder.core.openapi import errors
from viewfinder.core.pagination import Page, Paging
from viewfinder.core.params import PagingDep, parse_id
from viewfinder.engagement import services
from viewfinder.engagement.models import Collection, Comment
from viewfinder.engagement.schemas import (
    CollectionCreate,
    CollectionOut,
    CollectionUpdate,
    CommentCreate,
    CommentLikeOut,
    CommentOut,
    LikeOut,
    SaveOut,
)
from viewfinder.graph.services import relationships
from viewfinder.mediakit import signing
from viewfinder.mediakit.storage import MediaStorage, StorageDep
from viewfinder.posts.cards import render_posts
from viewfinder.posts.schemas import PostOut
from viewfinder.screening import NewAccountLimits
from viewfinder.settings import Settings

NAME_TAKEN = "collection_exists: you have a collection by that name"


def _comment_page(
    rows: list[tuple[Comment, User, bool]], storage: MediaStorage, paging: Paging, scope: str
) -> Page[CommentOut]:
    return paging.page(
        scope,
        [
            CommentOut.of(comment, author, storage, liked=liked)
            for comment, author, liked in rows[: paging.limit]
        ],
        [comment.id for comment, _, _ in rows],
    )


def _reply_to(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return parse_id(value)
    except ApiError:
        raise ApiError(
            400, "validation_error", "No such comment on this post.", {"reply_to": "unknown"}
        ) from None


class PostEngagementController(Controller):
    """Likes, comments and saves of one post; the post must be visible to the viewer (else 404)."""

    path = "/posts/{post_id:str}"
    tags = ["engagement"]

    @post("/like", status_code=HTTP_200_OK)
    async def like(self, post_id: FromPath[str], viewer: ViewerDep, db_session: DbSession) -> LikeOut:
        """Like a post. Liking it again changes nothing."""
        state = await services.like_post(db_session, viewer.user, parse_id(post_id))
        return LikeOut(liked=state.liked, like_count=state.like_count)

    @delete("/like", status_code=HTTP_200_OK)
    async def unlike(self, post_id: FromPath[str], viewer: ViewerDep, db_session: DbSession) -> LikeOut:
        """Take a like back. Doing it again changes nothing."""
        state = await services.unlike_post(db_session, viewer.user, parse_id(post_id))
        return LikeOut(liked=state.liked, like_count=state.like_count)

    @get("/likes", opt=errors({403: "likes_hidden: the author keeps the likes private"}))
    async def likers(
        self,
        post_id: FromPath[str],
        viewer_user: OptionalUserDep,
        db_session: DbSession,
        storage: StorageDep,
        paging: PagingDep,
    ) -> Page[UserSummary]:
        """Who liked a post, newest first. When the author hides the like count, only they may look."""
        key = parse_id(post_id)
        scope = f"likers:{key}"
        users, keys = await services.likers(db_session, viewer_user, key, paging.key(scope), paging.limit)
        users = users[: paging.limit]
        found = (
            await relationships(
                db_session, viewer_user, [user.id for user in users if user.id != viewer_user.id]
            )
            if viewer_user is not None
            else {}
        )
        return paging.page(scope, [UserSummary.of(user, storage, found.get(user.id)) for user in users], keys)

    @post(
        "/comments",
        status_code=HTTP_201_CREATED,
        opt=errors(
            {
                403: "comments_disabled: comments are turned off for this post",
                422: "content_blocked: a staff rule refuses this text (the fields say which)",
            }
        ),
    )
    async def comment(
        self,
        post_id: FromPath[str],
        data: JSONBody[CommentCreate],
        viewer: ViewerDep,
        db_session: DbSession,
        storage: StorageDep,
        settings: SettingsDep,
        limiter: LimiterDep,
    ) -> CommentOut:
        """Comment (up to 2,200 characters), or reply with reply_to; a reply to a reply joins its
        top-level comment's thread. Text a staff rule blocks is refused (422 content_blocked); a
        comment it holds is seen by you alone until staff approve it. New accounts may write only
        so many links and mentions an hour (429 new_account_limit)."""
        created = await services.add_comment(
            db_session,
            viewer.user,
            parse_id(post_id),
            data.text,
            reply_to=_reply_to(data.reply_to),
            limits=NewAccountLimits(limiter, settings),
        )
        return CommentOut.of(created, viewer.user, storage, liked=False)

    @get("/comments")
    async def comments(
        self,
        post_id: FromPath[str],
        viewer_user: OptionalUserDep,
        db_session: DbSession,
        storage: StorageDep,
        paging: PagingDep,
    ) -> Page[CommentOut]:
        """A post's top-level comments, oldest first; replies are listed per comment."""
        key = parse_id(post_id)
        scope = f"comments:{key}"
        rows = await services.post_comments(db_session, viewer_user, key, paging.key(scope), paging.limit)
        return _comment_page(rows, storage, paging, scope)

    @post("/save", status_code=HTTP_200_OK)
    async def save(self, post_id: FromPath[str], viewer: ViewerDep, db_session: DbSession) -> SaveOut:
        """Save a post. Only you can see what you saved."""
        await services.save_post(db_session, viewer.user, parse_id(post_id))
        return SaveOut(saved=True)

    @delete("/save", status_code=HTTP_200_OK)
    async def unsave(self, post_id: FromPath[str], viewer: ViewerDep, db_session: DbSession) -> SaveOut:
        """Unsave a post; it also leaves your collections."""
        await services.unsave_post(db_session, viewer.user, parse_id(post_id))
        return SaveOut(saved=False)


class CommentController(Controller):
    """One comment: its replies, its likes, deleting it."""

    path = "/comments/{comment_id:str}"
    tags = ["engagement"]

    @delete(
        "",
        status_code=HTTP_204_NO_CONTENT,
        opt=errors({403: "forbidden: only the comment's author or the post's owner may"}),
    )
    async def remove(self, comment_id: FromPath[str], viewer: ViewerDep, db_session: DbSession) -> None:
        """Delete a comment (with its replies): its author or the post's owner may."""
        await services.delete_comment(db_session, viewer.user, parse_id(comment_id))

    @get("/replies")
    async def replies(
        self,
        comment_id: FromPath[str],
        viewer_user: OptionalUserDep,
        db_session: DbSession,
        storage: StorageDep,
        paging: PagingDep,
    ) -> Page[CommentOut]:
        """The replies to a comment, oldest first."""
        key = parse_id(comment_id)
        scope = f"replies:{key}"
        rows = await services.comment_replies(db_session, viewer_user, key, paging.key(scope), paging.limit)
        return _comment_page(rows, storage, paging, scope)

    @post("/like", status_code=HTTP_200_OK)
    async def like(
        self, comment_id: FromPath[str], viewer: ViewerDep, db_session: DbSession
    ) -> CommentLikeOut:
        state = await services.like_comment(db_session, viewer.user, parse_id(comment_id))
        return CommentLikeOut(liked=state.liked, like_count=state.like_count)

    @delete("/like", status_code=HTTP_200_OK)
    async def unlike(
        self, comment_id: FromPath[str], viewer: ViewerDep, db_session: DbSession
    ) -> CommentLikeOut:
        state = await services.unlike_comment(db_session, viewer.user, parse_id(comment_id))
        return CommentLikeOut(liked=state.liked, like_count=state.like_count)


@get("/saved", tags=["engagement"])
async def saved(
    viewer: ViewerDep,
    db_session: DbSession,
    storage: StorageDep,
    settings: SettingsDep,
    paging: PagingDep,
) -> Page[PostOut]:
    """Your saved posts, newest save first (posts you can no longer see are left out)."""
    scope = f"saved:{viewer.user.id}"
    refs, keys = await services.saved_posts(db_session, viewer.user, paging.key(scope), paging.limit)
    items = await render_posts(db_session, viewer.user, refs[: paging.limit], storage, settings)
    return paging.page(scope, items, keys)


async def _collections_out(
    db: AsyncSession, viewer: User, collections: list[Collection], storage: MediaStorage, settings: Settings
) -> list[CollectionOut]:
    summaries = await services.collection_summaries(db, viewer, [c.id for c in collections])
    found = []
    for collection in collections:
        summary = summaries[collection.id]
        cover = None
        if summary.cover is not None:
            urls = signing.urls_for(
                storage, settings.secret, settings.signed_url_ttl_seconds, private=summary.cover_is_private
            )
            renditions = summary.cover.renditions
            thumb = next(
                (r for r in renditions if r["name"] == "thumb"), renditions[0] if renditions else None
            )
            cover = urls.url(thumb["key"]) if thumb is not None else None
        found.append(
            CollectionOut(
                id=str(collection.id),
                name=collection.name,
                post_count=summary.post_count,
                cover=cover,
                created_at=collection.created_at,
            )
        )
    return found


class CollectionController(Controller):
    """Your named collections of saved posts; nobody else's can be seen (404)."""

    path = "/collections"
    tags = ["engagement"]

    @get("")
    async def list_collections(
        self,
        viewer: ViewerDep,
        db_session: DbSession,
        storage: StorageDep,
        settings: SettingsDep,
        paging: PagingDep,
    ) -> Page[CollectionOut]:
        """Your collections, newest first."""
        scope = f"collections:{viewer.user.id}"
        collections = await services.list_collections(
            db_session, viewer.user, paging.key(scope), paging.limit
        )
        items = await _collections_out(
            db_session, viewer.user, collections[: paging.limit], storage, settings
        )
        return paging.page(scope, items, [c.id for c in collections])

    @post("", status_code=HTTP_201_CREATED, opt=errors({409: NAME_TAKEN}))
    async def create(
        self,
        data: JSONBody[CollectionCreate],
        viewer: ViewerDep,
        db_session: DbSession,
        storage: StorageDep,
        settings: SettingsDep,
    ) -> CollectionOut:
        """Make a collection; names are unique per account, ignoring case (else 409)."""
        created = await services.create_collection(db_session, viewer.user, data.name)
        (out,) = await _collections_out(db_session, viewer.user, [created], storage, settings)
        return out

    @get("/{collection_id:str}")
    async def detail(
        self,
        collection_id: FromPath[str],
        viewer: ViewerDep,
        db_session: DbSession,
        storage: StorageDep,
        settings: SettingsDep,
    ) -> CollectionOut:
        found = await services.own_collection(db_session, viewer.user, parse_id(collection_id))
        (out,) = await _collections_out(db_session, viewer.user, [found], storage, settings)
        return out

    @patch("/{collection_id:str}", opt=errors({409: NAME_TAKEN}))
    async def rename(
        self,
        collection_id: FromPath[str],
        data: JSONBody[CollectionUpdate],
        viewer: ViewerDep,
        db_session: DbSession,
        storage: StorageDep,
        settings: SettingsDep,
    ) -> CollectionOut:
        renamed = await services.rename_collection(
            db_session, viewer.user, parse_id(collection_id), data.name
        )
        (out,) = await _collections_out(db_session, viewer.user, [renamed], storage, settings)
        return out

    @delete("/{collection_id:str}", status_code=HTTP_204_NO_CONTENT)
    async def remove(self, collection_id: FromPath[str], viewer: ViewerDep, db_session: DbSession) -> None:
        """Delete a collection; its posts stay saved."""
        await services.delete_collection(db_session, viewer.user, parse_id(collection_id))

    @get("/{collection_id:str}/posts")
    async def posts(
        self,
        collection_id: FromPath[str],
        viewer: ViewerDep,
        db_session: DbSession,
        storage: StorageDep,
        settings: SettingsDep,
        paging: PagingDep,
    ) -> Page[PostOut]:
        """The posts in a collection that you can still see, newest added first."""
        key = parse_id(collection_id)
        scope = f"collection:{key}"
        refs, keys = await services.collection_posts(
            db_session, viewer.user, key, paging.key(scope), paging.limit
        )
        items = await render_posts(db_session, viewer.user, refs[: paging.limit], storage, settings)
        return paging.page(scope, items, keys)

    @put("/{collection_id:str}/posts/{post_id:str}")
    async def add_post(
        self,
        collection_id: FromPath[str],
        post_id: FromPath[str],
        viewer: ViewerDep,
        db_session: DbSession,
        storage: StorageDep,
        settings: SettingsDep,
    ) -> CollectionOut:
        """Put a post in the collection (saving it too). Doing it again changes nothing."""
        updated = await services.add_to_collection(
            db_session, viewer.user, parse_id(collection_id), parse_id(post_id)
        )
        (out,) = await _collections_out(db_session, viewer.user, [updated], storage, settings)
        return out

    @delete("/{collection_id:str}/posts/{post_id:str}", status_code=HTTP_200_OK)
    async def remove_post(
        self,
        collection_id: FromPath[str],
        post_id: FromPath[str],
        viewer: ViewerDep,
        db_session: DbSession,
        storage: StorageDep,
        settings: SettingsDep,
    ) -> CollectionOut:
        """Take a post out of the collection; it stays saved."""
        updated = await services.remove_from_collection(
            db_session, viewer.user, parse_id(collection_id), parse_id(post_id)
        )
        (out,) = await _collections_out(db_session, viewer.user, [updated], storage, settings)
        return out


ROUTES: list[ControllerRouterHandler] = [
    PostEngagementController,
    CommentController,
    CollectionController,
    saved,
]

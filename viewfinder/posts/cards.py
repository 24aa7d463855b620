"""Post cards: the viewer-independent part of a post, built once per post version and cached
(docs/decisions/0039-post-cards.md).

Every list of posts (home feed, profile grid, post page, hashtag pages, Explore, saved posts) goes
through `render_posts`, given `PostRef`s: id-only rows read with the page (the post's id, its like
and comment counts, and the versions of the post and its author). Then, whatever the page size:

- the cards not in the cache are built in one query of Core rows (post, author, media items), and
  those of ready posts are kept under a key holding both versions (`posts.updated_at` and the
  author's `users.updated_at`, both bumped by every write that changes a card: an edit, an alt
  text, an avatar, a display name, an account going private), so the very next read after such a
  change, in any web process, builds a new card;
- one query for the viewer's likes and saves (none when the page query read them too, with
  `VIEWER_REF_COLUMNS`), one for the comment previews of the posts that have comments (Core rows,
  comments by accounts blocked either way left out). Every statement runs through
  `core.db.read_rows` (on SQLite, straight on the thread's read-only connection).

A card holds UNSIGNED media URLs. A private author's are signed when a page is rendered, with an
expiry window shared by the page (signatures are cached per path and window, never in a card).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, NamedTuple

import msgspec
import redis.asyncio
from sqlalchemy import (
    Integer,
    String,
    bindparam,
    exists,
    func,
    literal,
    or_,
    select,
    true,
    type_coerce,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator

from viewfinder.accounts.models import User
from viewfinder.accounts.schemas import UserSummary
from viewfinder.core.cache import Cache, make_cache
from viewfinder.core.db import read_rows
from viewfinder.core.idlists import in_ids
from viewfinder.engagement.models import Comment, CommentLike, PostLike, SavedPost
from viewfinder.engagement.schemas import CommentOut
from viewfinder.media.models import MediaItem, MediaState
from viewfinder.media.schemas import MediaItemOut
from viewfinder.mediakit import signing
from viewfinder.mediakit.storage import MediaStorage
from viewfinder.policy import blocked_between, bound_account, comment_shown_to
from viewfinder.posts.models import Post, PostMedia
from viewfinder.posts.schemas import PostItemOut, PostOut
from viewfinder.settings import Settings

COMMENT_PREVIEWS = 2
CACHE_SIZE = 20_000
"""Cards one web process keeps on the embedded stack (a few KB each)."""
SIGNATURES_CACHED = 65_536


class PostRef(NamedTuple):
    """What a page query reads of each post: enough to find its card and lay the counts over it."""

    id: int
    author_id: int
    like_count: int
    comment_count: int
    version: str
    """The post's `updated_at`, as a version stamp (`Version`)."""
    author_version: str
    """The author's `users.updated_at`, likewise."""
    liked: bool | None = None
    """Whether the viewer liked it, when the page query read that too (`VIEWER_REF_COLUMNS`)."""
    saved: bool | None = None
    """Whether the viewer saved it, likewise."""


class Version(TypeDecorator[str]):
    """An `updated_at` column read as a version stamp for cache keys, without making a datetime of
    it: SQLite's stored text as it is (the same stamp `stamp()` makes of the datetime); PostgreSQL
    formats its timestamp the same way itself (`_version_text`), rather than psycopg making a
    datetime of it that Python then formats: 40 of them per page. Text either way, read as it is."""

    impl = String
    cache_ok = True

    def column_expression(self, column: Any) -> Any:
        return _version_text(column)


class _version_text(FunctionElement[str]):
    type = String()
    inherit_cache = True
    name = "version_text"


@compiles(_version_text)
def _version_text_as_stored(element: _version_text, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(_version_text, "postgresql")
def _version_text_postgresql(element: _version_text, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    return f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')"


def stamp(moment: datetime) -> str:
    """The version stamp of an `updated_at` read as a datetime: SQLite's storage format, in UTC."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


REF_COLUMNS: tuple[Any, ...] = (
    Post.id,
    Post.author_id,
    Post.like_count,
    Post.comment_count,
    type_coerce(Post.updated_at, Version()).label("version"),
    type_coerce(User.updated_at, Version()).label("author_version"),
)
"""The columns of a PostRef, for a select over posts joined with their authors (`User`)."""


VIEWER_REF_COLUMNS: tuple[Any, ...] = (
    *REF_COLUMNS,
    exists().where(PostLike.post_id == Post.id, PostLike.user_id == bound_account().id).label("liked"),
    exists().where(SavedPost.post_id == Post.id, SavedPost.user_id == bound_account().id).label("saved"),
)
"""REF_COLUMNS and the viewer's like and save (bound as "viewer_id"): a page query that selects
these spares `render_posts` its viewer-state statement."""


def refs_of(rows: Iterable[Any]) -> list[PostRef]:
    """PostRefs of rows holding REF_COLUMNS (as selected), in order."""
    return [PostRef(*row) for row in rows]


def refs_of_entities(rows: Iterable[tuple[Post, User]]) -> list[PostRef]:
    """PostRefs of (post, author) entities a service already loaded."""
    return [
        PostRef(
            post.id,
            author.id,
            post.like_count,
            post.comment_count,
            stamp(post.updated_at),
            stamp(author.updated_at),
        )
        for post, author in rows
    ]


class PostCard(msgspec.Struct, frozen=True):
    """A post as everyone sees it, media URLs unsigned; counts and viewer state come per page."""

    id: int
    author: UserSummary
    state: str
    caption: str
    location_name: str
    comments_enabled: bool
    hide_like_count: bool
    items: list[PostItemOut]
    created_at: datetime
    sensitive: bool = False
    """Staff, the detector or its author marked its media sensitive (shown behind a tap-to-view warning)."""
    moderation: str = "visible"
    """visible or held (a held post reaches no page but its author's); a removed one none at all."""


def card_key(ref: PostRef) -> str:
    return f"{ref.id}:{ref.version}:{ref.author_version}"


_caches: dict[tuple[int, str, str, str], Cache[PostCard]] = {}
_app_clients: dict[tuple[str, str], redis.asyncio.Redis] = {}


def use_redis_client(settings: Settings, client: redis.asyncio.Redis) -> None:
    """Hand the card cache the app's Redis client (its pool is closed with the app)."""
    if len(_app_clients) > 64:  # tests make many apps
        _app_clients.clear()
        _caches.clear()
    _app_clients[(settings.redis_url or "", settings.redis_namespace)] = client


def card_cache(settings: Settings) -> Cache[PostCard]:
    """This process's card cache for these settings: in-process LRU, or Redis at scale through the
    app's client (`use_redis_client`; outside an app, a client of its own per event loop)."""
    client = None
    owner = 0
    if settings.store_backend == "redis":
        client = _app_clients.get((settings.redis_url or "", settings.redis_namespace))
        owner = id(client) if client is not None else id(asyncio.get_running_loop())
    key = (owner, settings.store_backend, settings.redis_url or "", settings.redis_namespace)
    found = _caches.get(key)
    if found is None:
        if len(_caches) > 64:
            _caches.clear()
        found = _caches[key] = make_cache(settings, "cards", PostCard, CACHE_SIZE, client)
    return found


_CARD_COLUMNS = (
    Post.id,
    Post.caption,
    Post.location_name,
    Post.comments_enabled,
    Post.hide_like_count,
    Post.created_at,
    type_coerce(Post.updated_at, Version()).label("version"),
    or_(Post.sensitive, Post.author_sensitive).label("sensitive"),  # staff's, the detector's or the author's
    Post.moderation,
    User.id,
    User.username,
    User.display_name,
    User.avatar_key,
    User.is_private,
    type_coerce(User.updated_at, Version()).label("author_version"),
    PostMedia.alt_text,
    MediaItem.id,
    MediaItem.kind,
    MediaItem.state,
    MediaItem.filter_name,
    MediaItem.width,
    MediaItem.height,
    MediaItem.blurhash,
    MediaItem.dominant_color,
    MediaItem.renditions,
    MediaItem.failure_code,
    MediaItem.failure_message,
    MediaItem.original_format,
)


def _item(row: Any, storage: MediaStorage) -> PostItemOut:
    (alt_text, media_id, kind, state, filter_name, width, height, blurhash, color, renditions,
     failure_code, failure_message, original_format) = row[15:]  # fmt: skip
    media = MediaItemOut.of_columns(
        media_id, kind, state, filter_name, width, height, blurhash, color, renditions,
        failure_code, failure_message, original_format, storage,
    )  # fmt: skip
    return PostItemOut(media, alt_text)


def _state(items: list[PostItemOut]) -> str:
    states = {item.media.state for item in items}
    if MediaState.FAILED in states:
        return "failed"
    return "ready" if states <= {MediaState.READY} else "processing"


@lru_cache(maxsize=1)
def _cards_query() -> Any:
    return (
        select(*_CARD_COLUMNS)
        .join(User, User.id == Post.author_id)
        .outerjoin(PostMedia, PostMedia.post_id == Post.id)
        .outerjoin(MediaItem, MediaItem.id == PostMedia.media_id)
        .where(in_ids(Post.id, "post_ids"))
        .order_by(Post.id, PostMedia.position)
    )


async def build_cards(
    db: AsyncSession, post_ids: Sequence[int], storage: MediaStorage
) -> dict[int, tuple[PostCard, PostRef]]:
    """The cards of these posts (one query), each with the versions it was built from."""
    if not post_ids:
        return {}
    grouped: dict[int, list[Any]] = {}
    for row in await read_rows(db, _cards_query(), {"post_ids": post_ids}):
        grouped.setdefault(row[0], []).append(row)
    built: dict[int, tuple[PostCard, PostRef]] = {}
    for post_id, post_rows in grouped.items():
        first = post_rows[0]
        (_, caption, location, comments_enabled, hide_like_count, created_at, updated_at, sensitive,
         moderation, author_id, username, display_name, avatar_key, is_private,
         author_updated_at) = first[:15]  # fmt: skip
        items = [_item(row, storage) for row in post_rows if row[16] is not None]
        card = PostCard(
            id=post_id,
            author=UserSummary.of_columns(author_id, username, display_name, avatar_key, is_private, storage),
            state=_state(items),
            caption=caption,
            location_name=location,
            comments_enabled=comments_enabled,
            hide_like_count=hide_like_count,
            items=items,
            created_at=created_at,
            sensitive=bool(sensitive),
            moderation=moderation,
        )
        built[post_id] = (card, PostRef(post_id, author_id, 0, 0, updated_at, author_updated_at))
    return built


async def cards_for(
    db: AsyncSession, refs: Sequence[PostRef], storage: MediaStorage, settings: Settings
) -> dict[int, PostCard]:
    """The cards of these posts: from the cache, the rest built (and cached when ready)."""
    cache = card_cache(settings)
    keys = {ref.id: card_key(ref) for ref in refs}
    cached = await cache.get_many(keys.values())
    found = {post_id: cached[key] for post_id, key in keys.items() if key in cached}
    missing = [post_id for post_id in keys if post_id not in found]
    if missing:
        built = await build_cards(db, missing, storage)
        keep: dict[str, PostCard] = {}
        for post_id, (card, versions) in built.items():
            found[post_id] = card
            if card.state == "ready":
                # Keyed by the versions it was read with: newer than (or as new as) the page's.
                keep[card_key(versions)] = card
        await cache.set_many(keep)
    return found


# --- per viewer -----------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _viewer_state_query() -> Any:
    viewer_id = bound_account().id
    return union_all(
        select(PostLike.post_id, literal("liked")).where(
            PostLike.user_id == viewer_id, in_ids(PostLike.post_id, "post_ids")
        ),
        select(SavedPost.post_id, literal("saved")).where(
            SavedPost.user_id == viewer_id, in_ids(SavedPost.post_id, "post_ids")
        ),
    )


async def viewer_state(
    db: AsyncSession, viewer: User | None, post_ids: list[int]
) -> tuple[set[int], set[int]]:
    """The posts among these that the viewer liked, and those they saved (one query)."""
    if viewer is None or not post_ids:
        return set(), set()
    liked: set[int] = set()
    saved: set[int] = set()
    found = await read_rows(db, _viewer_state_query(), {"viewer_id": viewer.id, "post_ids": post_ids})
    for post_id, kind in found:
        (liked if kind == "liked" else saved).add(post_id)
    return liked, saved


async def comment_previews(
    db: AsyncSession, viewer: User | None, post_ids: list[int], storage: MediaStorage, per_post: int
) -> dict[int, list[CommentOut]]:
    """The newest top-level comments of each post (oldest of them first), in one query of Core
    rows; comments by accounts blocked either way by the viewer are left out."""
    found: dict[int, list[CommentOut]] = {post_id: [] for post_id in post_ids}
    if not post_ids or per_post <= 0:
        return found
    values = {"post_ids": post_ids, "per_post": per_post}
    if viewer is not None:
        values["viewer_id"] = viewer.id
    lateral = db.get_bind().dialect.name == "postgresql"
    rows = await read_rows(db, _previews_query(viewer is not None, lateral), values)
    for (comment_id, post_id, parent_id, text, likes, replies, created_at, author_id, username,
         display_name, avatar_key, is_private, is_liked) in rows:  # fmt: skip
        found[post_id].append(
            CommentOut(
                id=str(comment_id),
                post_id=str(post_id),
                parent_id=str(parent_id) if parent_id is not None else None,
                author=UserSummary.of_columns(
                    author_id, username, display_name, avatar_key, is_private, storage
                ),
                text=text,
                like_count=likes,
                reply_count=replies,
                liked_by_viewer=bool(is_liked),
                created_at=created_at,
            )
        )
    return found


@lru_cache(maxsize=4)
def _previews_query(with_viewer: bool, lateral: bool) -> Any:
    """`comment_previews`' statement, built once per shape (the viewer, posts and count bound).

    Driven by the page's posts: for each, the (post_id, id) index is walked from its newest comment
    until `per_post` shown ones are found, so a post with 10,000 comments costs what one with two
    does (a window over each post's comments read them all).

    `lateral` (PostgreSQL): the walk is a LATERAL subquery joined to each post. PostgreSQL runs the
    other form (comments joined where their id is IN the correlated walk) as a walk per post *and
    comment*: 0.66 s for a page of 12 posts over 4,554 comments, most of the CPU of a loaded server.
    SQLite has no LATERAL, and runs the IN form as the walk per post it is meant to be.
    """
    viewer = bound_account() if with_viewer else None
    per_post = bindparam("per_post", type_=Integer())
    page = aliased(Post, name="page")
    candidate = aliased(Comment, name="candidate")
    commenter = aliased(User, name="commenter")
    newest = (
        select(candidate.id)
        .join(commenter, commenter.id == candidate.author_id)
        # coalesce(): "parent_id IS NULL" would tempt SQLite to walk the parent index through every
        # top-level comment there is instead of the (post_id, id) index through this post's few.
        .where(
            candidate.post_id == page.id,
            func.coalesce(candidate.parent_id, 0) == 0,
            commenter.is_active,
            comment_shown_to(viewer, candidate),
        )
        .order_by(candidate.id.desc())
        .limit(per_post)
        .correlate(page)
    )
    if viewer is not None:
        newest = newest.where(~blocked_between(viewer.id, commenter.id))
    liked = (
        exists().where(CommentLike.comment_id == Comment.id, CommentLike.user_id == viewer.id)
        if viewer is not None
        else literal(False)
    )
    query = select(
        Comment.id,
        Comment.post_id,
        Comment.parent_id,
        Comment.text,
        Comment.like_count,
        Comment.reply_count,
        Comment.created_at,
        User.id,
        User.username,
        User.display_name,
        User.avatar_key,
        User.is_private,
        liked,
    ).select_from(page)
    if lateral:
        walk = newest.lateral("newest")
        query = query.join(walk, true()).join(Comment, Comment.id == walk.c.id)
    else:
        query = query.join(Comment, Comment.id.in_(newest))
    return (
        query.join(User, User.id == Comment.author_id).where(in_ids(page.id, "post_ids")).order_by(Comment.id)
    )


# --- signing and rendering ------------------------------------------------------------------------


@lru_cache(maxsize=SIGNATURES_CACHED)
def _signed(url: str, secret: str, expires: int) -> str:
    return signing.sign_url(url, secret, expires)


def _signed_card(card: PostCard, secret: str, expires: int) -> tuple[UserSummary, list[PostItemOut]]:
    """A private author's summary and items with signed URLs (the card itself is left as it is)."""
    author = card.author
    avatar = author.avatar_url
    signed_author = msgspec.structs.replace(
        author, avatar_url=_signed(avatar, secret, expires) if avatar else None
    )
    items = [
        PostItemOut(
            msgspec.structs.replace(
                item.media,
                renditions=[
                    msgspec.structs.replace(r, url=_signed(r.url, secret, expires))
                    for r in item.media.renditions
                ],
            ),
            item.alt_text,
        )
        for item in card.items
    ]
    return signed_author, items


def render(
    card: PostCard,
    ref: PostRef,
    viewer: User | None,
    *,
    liked: bool,
    saved: bool,
    comments: list[CommentOut],
    secret: str,
    expires: int,
) -> PostOut:
    """One post as this viewer sees it: the card, the page's counts and the viewer's state."""
    if card.author.is_private:
        author, items = _signed_card(card, secret, expires)
    else:
        author, items = card.author, card.items
    hidden = card.hide_like_count and (viewer is None or viewer.id != ref.author_id)
    return PostOut(
        id=str(card.id),
        author=author,
        state=card.state,
        caption=card.caption,
        location_name=card.location_name,
        comments_enabled=card.comments_enabled,
        hide_like_count=card.hide_like_count,
        items=items,
        like_count=None if hidden else ref.like_count,
        comment_count=ref.comment_count,
        liked_by_viewer=liked,
        saved_by_viewer=saved,
        comment_previews=comments,
        created_at=card.created_at,
        sensitive=card.sensitive,
        moderation=card.moderation,
    )


async def render_posts(
    db: AsyncSession,
    viewer: User | None,
    refs: Sequence[PostRef],
    storage: MediaStorage,
    settings: Settings,
    *,
    previews: int = COMMENT_PREVIEWS,
) -> list[PostOut]:
    """Full posts, in the order given: 3 queries at most, fewer when every card is cached, when the
    refs carry the viewer's likes and saves (`VIEWER_REF_COLUMNS`) or when no post has comments."""
    if not refs:
        return []
    cards = await cards_for(db, refs, storage, settings)
    post_ids = [ref.id for ref in refs]
    if viewer is not None and all(ref.liked is not None for ref in refs):
        liked = {ref.id for ref in refs if ref.liked}
        saved = {ref.id for ref in refs if ref.saved}
    else:
        liked, saved = await viewer_state(db, viewer, post_ids)
    commented = [ref.id for ref in refs if ref.comment_count > 0]
    comments = await comment_previews(db, viewer, commented, storage, previews)
    expires = signing.expiry(settings.signed_url_ttl_seconds)
    return [
        render(
            cards[ref.id],
            ref,
            viewer,
            liked=ref.id in liked,
            saved=ref.id in saved,
            comments=comments.get(ref.id, []),
            secret=settings.secret,
            expires=expires,
        )
        for ref in refs
        if ref.id in cards  # deleted between the page query and the cards': left out
    ]


async def render_entities(
    db: AsyncSession,
    viewer: User | None,
    rows: Sequence[tuple[Post, User]],
    storage: MediaStorage,
    settings: Settings,
) -> list[PostOut]:
    """`render_posts` for (post, author) entities a service already loaded."""
    return await render_posts(db, viewer, refs_of_entities(rows), storage, settings)


def urls_for_author(storage: MediaStorage, settings: Settings, author: User) -> MediaStorage:
    """Media URLs for an author's posts: signed and expiring when the account is private."""
    return signing.urls_for(
        storage, settings.secret, settings.signed_url_ttl_seconds, private=author.is_private
    )

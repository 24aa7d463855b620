"""Every write to posts goes through a function here: create, edit, delete."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import BigInteger, Integer, Select, bindparam, delete, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from viewfinder.accounts.models import User
from viewfinder.core.db import move_counters, read_rows, utcnow
from viewfinder.core.errors import ApiError, invalid, not_found
from viewfinder.core.events import emit
from viewfinder.core.ids import new_id
from viewfinder.core.jobs import current_settings
from viewfinder.core.links import count_links
from viewfinder.media import nsfw_posts
from viewfinder.media.models import MediaItem, MediaState
from viewfinder.mediakit.storage import MediaStorage, discard
from viewfinder.policy import audience_of, bound_account, find_visible_post, shown_on_profile
from viewfinder.posts.cards import REF_COLUMNS, VIEWER_REF_COLUMNS, PostRef, refs_of
from viewfinder.posts.events import PostCreated, PostDeleted, PostEdited
from viewfinder.posts.models import Hashtag, Post, PostHashtag, PostMedia, PostMention
from viewfinder.screening import NewAccountLimits, refuse, screen, send_to_review
from viewfinder.settings import Settings

if TYPE_CHECKING:
    from viewfinder.feeds.store import TimelineStore

MAX_ITEMS = 20
MAX_CAPTION = 2200
MAX_HASHTAGS = 30
MAX_MENTIONS = 20
MAX_ALT_TEXT = 1000
MAX_LOCATION = 100
HASHTAG_PATTERN = re.compile(r"(?<![\w#])#(\w{1,100})")
MENTION_PATTERN = re.compile(r"(?<![\w@])@([A-Za-z0-9._]{1,30})")


def hashtags_in(text: str) -> list[str]:
    """Distinct hashtags in order of first use, lower-cased, without the #."""
    return list(dict.fromkeys(tag.lower() for tag in HASHTAG_PATTERN.findall(text)))


def mentions_in(text: str) -> list[str]:
    return list(dict.fromkeys(name.lower().rstrip(".") for name in MENTION_PATTERN.findall(text)))


def _check_caption(caption: str) -> None:
    if len(caption) > MAX_CAPTION:
        raise invalid("caption", f"Use at most {MAX_CAPTION} characters.")
    if len(hashtags_in(caption)) > MAX_HASHTAGS:
        raise invalid("caption", f"Use at most {MAX_HASHTAGS} hashtags.")
    if len(mentions_in(caption)) > MAX_MENTIONS:
        raise invalid("caption", f"Mention at most {MAX_MENTIONS} accounts.")


def _check_alt_text(alt_text: str, field: str) -> None:
    if len(alt_text) > MAX_ALT_TEXT:
        raise invalid(field, f"Use at most {MAX_ALT_TEXT} characters of alt text.")


@dataclass(frozen=True)
class NewItem:
    media_id: int
    alt_text: str = ""


async def _index_caption(db: AsyncSession, post: Post, author: User) -> list[int]:
    """(Re)write the post's hashtags and mentions from its caption; returns the accounts it
    mentions now that it did not mention before."""
    old_tags = list(await db.scalars(select(PostHashtag.hashtag_id).where(PostHashtag.post_id == post.id)))
    if old_tags:
        await db.execute(delete(PostHashtag).where(PostHashtag.post_id == post.id))
        await db.execute(
            update(Hashtag).where(Hashtag.id.in_(old_tags)).values(post_count=Hashtag.post_count - 1)
        )
    old_mentions = set(await db.scalars(select(PostMention.user_id).where(PostMention.post_id == post.id)))
    if old_mentions:
        await db.execute(delete(PostMention).where(PostMention.post_id == post.id))

    names = hashtags_in(post.caption)
    if names:
        existing = {tag.name: tag for tag in await db.scalars(select(Hashtag).where(Hashtag.name.in_(names)))}
        for name in names:
            tag = existing.get(name)
            if tag is None:
                tag = Hashtag(id=new_id(), name=name, post_count=0)
                db.add(tag)
                await db.flush()
            tag.post_count += 1
            db.add(PostHashtag(post_id=post.id, hashtag_id=tag.id))

    added: list[int] = []
    usernames = mentions_in(post.caption)
    if usernames:
        # Only real accounts that may see the post are linked (and so told): none blocked either
        # way with the author, and, on a private account's post, only its approved followers. A
        # mention of anyone else stays plain text; should they later follow, the next caption edit
        # links and tells them.
        mentioned = await db.scalars(
            select(User.id).where(User.username_key.in_(usernames), *audience_of(author))
        )
        for user_id in mentioned:
            db.add(PostMention(post_id=post.id, user_id=user_id))
            if user_id not in old_mentions:
                added.append(user_id)
    return added


async def create_post(
    db: AsyncSession,
    author: User,
    items: list[NewItem],
    *,
    caption: str = "",
    location_name: str = "",
    comments_enabled: bool = True,
    hide_like_count: bool = False,
    sensitive: bool = False,
    limits: NewAccountLimits | None = None,
    settings: Settings | None = None,
) -> Post:
    """A post of 1 to 20 of the author's own uploaded items, in order. It shows once all are ready.

    The caption, location and alt texts meet the staff's rules (viewfinder.screening): blocked,
    nothing is written (422); held, the post is seen by its author alone and goes to the moderation
    queue, and its mentions are not told; flagged, it is published and goes to the queue. A new
    account's links and mentions count against its hourly limits (`limits`; 429).

    `sensitive` is the author's own mark (`posts.author_sensitive`). Items already scored by the
    nudity detector may mark the post sensitive or hold it for review (`settings`' thresholds; the
    process's settings when not given; viewfinder.media.nsfw_posts); items scored later move it
    from the media job."""
    if not 1 <= len(items) <= MAX_ITEMS:
        raise invalid("items", f"A post has 1 to {MAX_ITEMS} media items.")
    media_ids = [item.media_id for item in items]
    if len(set(media_ids)) != len(media_ids):
        raise invalid("items", "Each media item can appear once.")
    for index, item in enumerate(items):
        _check_alt_text(item.alt_text, f"items.{index}.alt_text")
    _check_caption(caption)
    if len(location_name) > MAX_LOCATION:
        raise invalid("location_name", f"Use at most {MAX_LOCATION} characters.")

    usable = set(
        await db.scalars(
            select(MediaItem.id).where(
                MediaItem.id.in_(media_ids),
                MediaItem.owner_id == author.id,
                MediaItem.state != MediaState.FAILED,
                ~exists().where(PostMedia.media_id == MediaItem.id),
            )
        )
    )
    if missing := [str(media_id) for media_id in media_ids if media_id not in usable]:
        raise ApiError(
            400,
            "invalid_media",
            "Some media items are not yours, failed processing, or are already in a post.",
            {"items": ", ".join(missing)},
        )
    texts = {"caption": caption, "location_name": location_name}
    texts.update({f"items.{index}.alt_text": item.alt_text for index, item in enumerate(items)})
    verdict = await screen(db, texts, author=author)
    if verdict.blocked:
        raise refuse(verdict)
    if limits is not None:
        await limits.spend(author, links=count_links(caption), mentions=len(mentions_in(caption)))

    settings = settings or current_settings()
    nsfw = await nsfw_posts.judge_new_post(db, media_ids, settings)

    post = Post(
        id=new_id(),
        author_id=author.id,
        caption=caption,
        location_name=location_name.strip(),
        comments_enabled=comments_enabled,
        hide_like_count=hide_like_count,
        moderation="held" if verdict.held or nsfw.hold else "visible",
        sensitive=nsfw.sensitive,
        author_sensitive=sensitive,
    )
    db.add(post)
    await db.flush()
    for position, item in enumerate(items):
        db.add(PostMedia(post_id=post.id, media_id=item.media_id, position=position, alt_text=item.alt_text))
    mentioned = await _index_caption(db, post, author)
    await move_posts_count(db, author.id, None, post.moderation)
    await send_to_review(db, verdict, "post", post.id, author.id)
    await nsfw_posts.send_to_review(db, nsfw, post)
    if post.moderation == "held":
        mentioned = []  # nobody is told of a post they cannot see
    # notifications.subscribers tells the mentioned accounts once this commits.
    await emit(db, PostCreated(post_id=post.id, author_id=author.id, mentioned_ids=tuple(mentioned)))
    await db.commit()
    return post


@dataclass(frozen=True)
class PostChanges:
    """Fields to change; None leaves a field as it is."""

    caption: str | None = None
    location_name: str | None = None
    comments_enabled: bool | None = None
    hide_like_count: bool | None = None
    alt_texts: dict[int, str] | None = None
    """Alt text by media item id."""
    sensitive: bool | None = None
    """The author's own sensitive mark; unmarking leaves a mark by staff or the detector in place."""


async def own_post(db: AsyncSession, author: User, post_id: int) -> Post:
    post = await db.scalar(select(Post).where(Post.id == post_id, Post.author_id == author.id))
    if post is None:
        raise not_found("No such post.")
    return post


async def update_post(
    db: AsyncSession,
    author: User,
    post_id: int,
    changes: PostChanges,
    *,
    limits: NewAccountLimits | None = None,
) -> Post:
    """Change what `changes` names. New text meets the staff's rules as on `create_post` (a
    hold keeps the post from everyone but its author until staff approve it); a new account's
    links and mentions added by it count against its hourly limits."""
    post = await own_post(db, author, post_id)
    if changes.caption is not None:
        _check_caption(changes.caption)
    if changes.location_name is not None and len(changes.location_name) > MAX_LOCATION:
        raise invalid("location_name", f"Use at most {MAX_LOCATION} characters.")
    links = {
        link.media_id: link
        for link in await db.scalars(select(PostMedia).where(PostMedia.post_id == post.id))
    }
    for media_id, alt_text in (changes.alt_texts or {}).items():
        if media_id not in links:
            raise invalid("alt_texts", f"Media item {media_id} is not in this post.")
        _check_alt_text(alt_text, "alt_texts")
    texts = {"caption": changes.caption or "", "location_name": changes.location_name or ""}
    texts.update({f"alt_texts.{media_id}": text for media_id, text in (changes.alt_texts or {}).items()})
    verdict = await screen(db, texts, author=author)
    if verdict.blocked:
        raise refuse(verdict)
    if limits is not None and changes.caption is not None:
        await limits.spend(
            author,
            links=max(0, count_links(changes.caption) - count_links(post.caption)),
            mentions=max(0, len(mentions_in(changes.caption)) - len(mentions_in(post.caption))),
        )
    mentioned: list[int] = []
    if changes.caption is not None:
        post.caption = changes.caption
        mentioned = await _index_caption(db, post, author)
    if verdict.held and post.moderation == "visible":
        post.moderation = "held"
        await move_posts_count(db, author.id, "visible", "held")
    if post.moderation != "visible":
        mentioned = []  # nobody is told of a post they cannot see (a held one's, on its release)
    await send_to_review(db, verdict, "post", post.id, author.id)
    if changes.location_name is not None:
        post.location_name = changes.location_name.strip()
    if changes.comments_enabled is not None:
        post.comments_enabled = changes.comments_enabled
    if changes.hide_like_count is not None:
        post.hide_like_count = changes.hide_like_count
    if changes.sensitive is not None:
        post.author_sensitive = changes.sensitive
    for media_id, alt_text in (changes.alt_texts or {}).items():
        links[media_id].alt_text = alt_text
    if changes.alt_texts:
        # Alt texts live in post_media: bump the post's version so its cached card is rebuilt
        # (posts/cards.py keys cards by posts.updated_at).
        post.updated_at = utcnow()
    await emit(db, PostEdited(post_id=post.id, author_id=author.id, mentioned_ids=tuple(mentioned)))
    await db.commit()
    return post


COUNTED_POST = "visible"
"""The moderation state of the posts an account's `posts_count` counts: the ones others see (a post
held for review or removed by staff is not counted)."""


async def move_posts_count(db: AsyncSession, author_id: int, before: str | None, after: str | None) -> None:
    """Keep the author's posts_count to the posts others see as a post moves between moderation
    states (None: not there, before it is made or after it is deleted). No commit."""
    step = int(after == COUNTED_POST) - int(before == COUNTED_POST)
    if step:
        await db.execute(move_counters(User, posts_count=step).where(User.id == author_id))


async def announce_released_post(db: AsyncSession, post: Post) -> None:
    """A held post was released (staff found nothing wrong): the accounts its caption links are
    told now, as they would have been had it been published when it was written. No commit."""
    mentioned = tuple(await db.scalars(select(PostMention.user_id).where(PostMention.post_id == post.id)))
    if mentioned:
        await emit(db, PostEdited(post_id=post.id, author_id=post.author_id, mentioned_ids=mentioned))


async def delete_post(db: AsyncSession, storage: MediaStorage, author: User, post_id: int) -> None:
    """Delete a post, its media items and, once that is committed, their files."""
    post = await own_post(db, author, post_id)
    items = list(
        await db.scalars(
            select(MediaItem)
            .join(PostMedia, PostMedia.media_id == MediaItem.id)
            .where(PostMedia.post_id == post.id)
        )
    )
    keys = [r["key"] for item in items for r in item.renditions] + [
        item.original_key for item in items if item.original_key
    ]
    post.caption = ""
    await _index_caption(db, post, author)  # releases hashtag counts
    await db.execute(delete(MediaItem).where(MediaItem.id.in_([item.id for item in items])))
    await db.delete(post)
    await move_posts_count(db, author.id, post.moderation, None)
    served = tuple(r["key"] for item in items for r in item.renditions)
    await emit(db, PostDeleted(post_id=post_id, author_id=author.id, media_keys=served))
    await db.commit()
    await discard(storage, keys)


async def visible_post(db: AsyncSession, viewer: User | None, post_id: int) -> tuple[Post, User]:
    """A post and its author as the viewer may see it, else 404: blocks, private accounts, and
    unfinished posts (shown to their author only) all look like nothing there (the rule:
    viewfinder.policy.find_visible_post)."""
    found = await find_visible_post(db, viewer, post_id)
    if found is None:
        raise not_found("No such post.")
    return found


@lru_cache(maxsize=8)
def _grid_query(with_viewer: bool, own: bool, before: bool) -> Select[Any]:
    """`profile_posts`' statement for one shape, built once: the author ("author_id"), the viewer
    ("viewer_id"), the bound ("before") and the limit are bound parameters.

    The policy is asked with stand-ins whose ids are those parameters, so whatever it puts in SQL
    stays bound; the one thing it decides in Python, whether the viewer is the author, is the
    `own` shape (the same stand-in for both)."""
    author = bound_account("author_id")
    viewer = author if own else bound_account() if with_viewer else None
    query = (
        select(*(VIEWER_REF_COLUMNS if with_viewer else REF_COLUMNS))
        .join(User, User.id == Post.author_id)
        .where(Post.author_id == author.id, shown_on_profile(viewer, author))
        .order_by(Post.id.desc())
        .limit(bindparam("limit", type_=Integer()))
    )
    if before:
        query = query.where(Post.id < bindparam("before", type_=BigInteger()))
    return query


async def profile_posts(
    db: AsyncSession, viewer: User | None, author: User, before: int | None, limit: int
) -> list[PostRef]:
    """A page (limit + 1 rows) of an account's posts, newest first, as refs for `cards.render_posts`
    (with the viewer's likes and saves when there is a viewer); unfinished ones only to the author.
    Whether the viewer may see the account's posts at all is the caller's question
    (`policy.may_see_profile_posts`)."""
    own = viewer is not None and viewer.id == author.id
    values: dict[str, Any] = {"author_id": author.id, "limit": limit + 1}
    if viewer is not None:
        values["viewer_id"] = viewer.id
    if before is not None:
        values["before"] = before
    query = _grid_query(viewer is not None, own, before is not None)
    return refs_of(await read_rows(db, query, values))


# --- account erasure (privacy.erasure) -------------------------------------------------------------

ACCOUNT_DATA_TABLES = ("posts", "post_media", "post_hashtags", "post_mentions")
"""Tables whose rows of an account `delete_account_data` removes (hashtag counts are corrected)."""


async def delete_account_data(
    db: AsyncSession, user_id: int, storage: MediaStorage, timelines: TimelineStore
) -> None:
    """Erase every post of the account, one post per transaction: its media files first, then its
    entries in every home timeline, then its rows (hashtag counts released, media items, mentions,
    and by cascade its likes, comments, saves and notifications). A crash half-way leaves a post
    that is still whole in the database, and the retry erases it again. Then the account's
    mentions in other people's posts (the link; their words stay theirs)."""
    # Here, not at the top: media.services loads the media pipeline (libvips, FFmpeg).
    from viewfinder.media.services import delete_files, item_files

    author = await db.get(User, user_id)
    while author is not None:
        post = await db.scalar(select(Post).where(Post.author_id == user_id).order_by(Post.id).limit(1))
        if post is None:
            break
        items = list(
            await db.scalars(
                select(MediaItem)
                .join(PostMedia, PostMedia.media_id == MediaItem.id)
                .where(PostMedia.post_id == post.id)
            )
        )
        await delete_files(storage, [key for item in items for key in item_files(item)])
        await timelines.remove_post(post.id)
        post.caption = ""
        await _index_caption(db, post, author)  # releases hashtag counts and mentions
        await db.execute(delete(MediaItem).where(MediaItem.id.in_([item.id for item in items])))
        await db.delete(post)
        await db.commit()
    await db.execute(delete(PostMention).where(PostMention.user_id == user_id))
    await db.commit()

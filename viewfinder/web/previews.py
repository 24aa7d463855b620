"""Link previews: the `<title>`, description and Open Graph / Twitter card tags of a shared profile
or post link, written into the app's HTML on the server, so chat apps and search engines (which run
no JavaScript) show who and what a link is.

A preview is always what a signed-out visitor may see (viewfinder.policy), whoever asks: the HTML is
cached and forwarded, so it never carries what only the requester may see. A private account's
profile shows its name and counts, as its profile page does to anyone; its posts, a held post or a
post hidden by a block get no preview at all (the app's own title). A post marked sensitive shows no
image. Image URLs are the public renditions; a private account's signed URLs are never written.
"""

from __future__ import annotations

import re
from html import escape

from sqlalchemy.ext.asyncio import AsyncSession

from viewfinder.accounts.schemas import Profile
from viewfinder.accounts.usernames import ROUTE_NAMES
from viewfinder.core.errors import ApiError
from viewfinder.core.params import parse_id
from viewfinder.graph.services import find_visible_user
from viewfinder.mediakit.storage import MediaStorage
from viewfinder.posts.cards import render_entities
from viewfinder.posts.schemas import PostOut
from viewfinder.posts.services import visible_post
from viewfinder.settings import Settings

SITE = "Viewfinder"
DESCRIPTION_CHARACTERS = 200
TITLE_CAPTION_CHARACTERS = 60
PREVIEW_IMAGE_FORMATS = ("jpeg", "jpg", "png")
"""What every link-preview fetcher decodes (WebP and AVIF renditions are left to browsers)."""

_POST_PATH = re.compile(r"p/(\d{1,19})")
_PROFILE_PATH = re.compile(r"[A-Za-z0-9._]{1,30}")
_TITLE = re.compile(rb"<title>[^<]*</title>")
_DEFAULT_DESCRIPTION = re.compile(rb'\s*<meta name="description"[^>]*>')


def shorten(text: str, limit: int) -> str:
    """One line of at most `limit` characters, cut at a word with an ellipsis when longer."""
    line = " ".join(text.split())
    if len(line) <= limit:
        return line
    cut = line[: limit - 1].rsplit(" ", 1)[0] or line[: limit - 1]
    return cut.rstrip(" .,;:") + "…"


def tags(title: str, description: str, url: str, kind: str, image: str | None) -> str:
    """The head tags of one preview, every value escaped."""
    title, description, url = escape(title), escape(description), escape(url)
    card = "summary_large_image" if image is not None and kind == "article" else "summary"
    lines = [
        f"<title>{title}</title>",
        f'<meta name="description" content="{description}">',
        f'<meta property="og:site_name" content="{SITE}">',
        f'<meta property="og:type" content="{kind}">',
        f'<meta property="og:title" content="{title}">',
        f'<meta property="og:description" content="{description}">',
        f'<meta property="og:url" content="{url}">',
        f'<link rel="canonical" href="{url}">',
        f'<meta name="twitter:card" content="{card}">',
        f'<meta name="twitter:title" content="{title}">',
        f'<meta name="twitter:description" content="{description}">',
    ]
    if image is not None:
        lines += [
            f'<meta property="og:image" content="{escape(image)}">',
            f'<meta name="twitter:image" content="{escape(image)}">',
        ]
    return "\n    ".join(lines)


def with_preview(shell: bytes, head: str) -> bytes:
    """The app's HTML with its title (and default description) replaced by a preview's tags; the
    shell unchanged when it has no title to replace."""
    if not _TITLE.search(shell):
        return shell
    shell = _DEFAULT_DESCRIPTION.sub(b"", shell, count=1)
    return _TITLE.sub(lambda _: head.encode(), shell, count=1)


def profile_tags(profile: Profile, settings: Settings) -> str:
    name = profile.display_name or profile.username
    counts = (
        f"{profile.followers_count:,} followers, {profile.following_count:,} following, "
        f"{profile.posts_count:,} posts"
    )
    description = f"{counts}: photos and videos from {name} (@{profile.username}) on {SITE}."
    if profile.bio:
        description = f"{description} {profile.bio}"
    url = settings.page_url(f"/{profile.username}")
    return tags(
        f"{name} (@{profile.username}) • {SITE}",
        shorten(description, DESCRIPTION_CHARACTERS),
        url,
        "profile",
        profile.avatar_url,
    )


def preview_image(post: PostOut) -> str | None:
    """The largest JPEG (or PNG) rendition of the post's first item: a video's poster frame too.
    None for a post marked sensitive, whose media is only ever shown after a tap."""
    if post.sensitive or not post.items:
        return None
    candidates = [r for r in post.items[0].media.renditions if r.format in PREVIEW_IMAGE_FORMATS]
    if not candidates:
        return None
    return max(candidates, key=lambda rendition: rendition.width).url


def post_tags(post: PostOut, settings: Settings) -> str:
    author = post.author
    name = author.display_name or author.username
    caption = " ".join(post.caption.split())
    # As the post page titles itself once the app runs (frontend PostDetail's pageTitle).
    shown = f"{caption[:TITLE_CAPTION_CHARACTERS]}…" if len(caption) > TITLE_CAPTION_CHARACTERS else caption
    title = f"{name} on {SITE}: “{shown}”" if shown else f"Post by {name} • {SITE}"
    description = caption or f"A post by {name} (@{author.username}) on {SITE}."
    url = settings.page_url(f"/p/{post.id}")
    return tags(title, shorten(description, DESCRIPTION_CHARACTERS), url, "article", preview_image(post))


async def preview_for(db: AsyncSession, storage: MediaStorage, settings: Settings, path: str) -> str | None:
    """The preview tags of an app path (`p/<id>` or `<username>`), or None: another page, or one a
    signed-out visitor may not see."""
    try:
        if match := _POST_PATH.fullmatch(path):
            found = await visible_post(db, None, parse_id(match.group(1)))
            (post,) = await render_entities(db, None, [found], storage, settings)
            return post_tags(post, settings)
        if (
            _PROFILE_PATH.fullmatch(path) and path.lower() not in ROUTE_NAMES
        ):  # /explore, /login … name no one
            user = await find_visible_user(db, path, None)
            return profile_tags(Profile.of(user, storage, None), settings)
    except ApiError:  # nothing there for a signed-out visitor: the app says so itself
        return None
    return None

"""The home page's first HTML carries what its first screen shows (issue 17, speed): who is signed in
and the first page of their feed, as a JSON data block the app reads instead of asking for them, and
a preload of the first post's picture, so the picture downloads beside the app's script instead of
after the script, `/accounts/me` and `/feed` ran one after another.

Only `/` gets it, and only for a browser session: the HTML is then the viewer's own (never stored by
a cache: `no-store`, `Vary: Cookie`). A signed-out visitor's HTML says so (`"me": null`), which
spares the landing page its `/accounts/me` round trip; no cookie means no database work at all.
"""

from __future__ import annotations

import re
from html import escape
from typing import Any

from litestar import Request
from litestar.serialization import encode_json
from sqlalchemy.ext.asyncio import AsyncSession

from viewfinder.accounts import schemas as account_schemas
from viewfinder.accounts.auth import SESSION_COOKIE, fresh_user, provide_optional_viewer
from viewfinder.core.errors import ApiError
from viewfinder.core.pagination import Paging
from viewfinder.feeds.reading import feed_page
from viewfinder.feeds.schemas import FeedMode
from viewfinder.mediakit.storage import MediaStorage
from viewfinder.posts.schemas import PostOut
from viewfinder.settings import Settings

FIRST_PAGE = 8
"""The feed's first page: as many posts as the app asks for first (frontend/src/screens/Home.tsx
FIRST_PAGE), so the page it reads is the one it would have fetched."""

FEED_MODES: dict[str, FeedMode] = {"following": "following", "for-you": "for_you"}
"""The app's `?feed=` values and the modes they select (frontend/src/screens/Home.tsx TABS)."""

PICTURE_SIZES = "(max-width: 640px) 100vw, 630px"
"""The feed picture's `sizes` (frontend/src/posts/Carousel.tsx SIZES): a preload picks a rendition
by the same rule as the <img>, or the browser downloads the picture twice."""

STILLS = ("1080", "750", "640", "320")
"""The renditions a picture's srcset lists (frontend/src/media/renditions.ts SIZES)."""

ELEMENT_ID = "vf-boot"

_HEAD_END = re.compile(rb"</head>", re.IGNORECASE)
# Inside a <script> element, "</script" or "<!--" in a string would end or confuse it; JSON can
# spell every character as an escape, so these never appear raw.
_SCRIPT_UNSAFE = {b"<": b"\\u003c", b">": b"\\u003e", b"&": b"\\u0026"}


async def boot_head(
    request: Request[Any, Any, Any],
    db_session: AsyncSession,
    storage: MediaStorage,
    settings: Settings,
) -> str | None:
    """The head tags of the home page for this request: the data block, and the first picture's
    preload when there is one; None when the request carries no session cookie (a visitor whose
    signed-out state the app learns as before)."""
    if not request.cookies.get(SESSION_COOKIE):
        return None
    try:
        viewer = await provide_optional_viewer(request, db_session)
    except ApiError:
        return None  # a bad credential: the app asks, and shows the error, itself
    if viewer is None:
        return data_block({"me": None})
    me = account_schemas.Me.of(await fresh_user(db_session, viewer), storage)
    mode = FEED_MODES.get(request.query_params.get("feed", "following"), "following")
    paging = Paging(settings.secret, None, FIRST_PAGE)
    page = await feed_page(db_session, storage, settings, viewer.user, mode, paging)
    tags = [data_block({"me": me, "feed": {"mode": mode, "page": page}})]
    preload = picture_preload(page.items[0]) if page.items else None
    if preload is not None:
        tags.insert(0, preload)
    return "\n    ".join(tags)


def data_block(data: dict[str, Any]) -> str:
    """A JSON data block: not a script that runs (so no Content-Security-Policy exception)."""
    encoded = encode_json(data)
    for raw, escaped in _SCRIPT_UNSAFE.items():
        encoded = encoded.replace(raw, escaped)
    return f'<script type="application/json" id="{ELEMENT_ID}">{encoded.decode()}</script>'


def picture_preload(post: PostOut) -> str | None:
    """A high-priority preload of the post's first picture, as the feed's first <img> will choose
    it; None where the app shows no picture at once (a video, a post marked sensitive)."""
    if post.sensitive or not post.items:
        return None
    media = post.items[0].media
    if media.kind != "photo" or media.state != "ready":
        return None
    renditions = media.renditions
    webp = [r for r in renditions if r.format == "webp" and r.name in STILLS]
    if not webp:
        return None
    srcset = ", ".join(f"{r.url} {r.width}w" for r in webp)
    return (
        f'<link rel="preload" as="image" type="image/webp" imagesrcset="{escape(srcset)}" '
        f'imagesizes="{PICTURE_SIZES}" fetchpriority="high">'
    )


def with_boot(shell: bytes, head: str) -> bytes:
    """The app's HTML with the boot tags at the end of its head."""
    return _HEAD_END.sub(lambda _: f"{head}\n  </head>".encode(), shell, count=1)

"""The "download your information" ZIP: everything an account holds, laid out close to Instagram's
export (docs/decisions/0032-your-data.md), so tools written for that find their way:

    README.txt
    personal_information/personal_information.json   the profile, e-mail, counts, profile photo
    content/posts_1.json                              posts: caption, location, times, media, alt text
    content/unposted_media.json                       uploads not (yet) in a post
    comments/post_comments.json                       comments (and replies) the account wrote
    likes/liked_posts.json, likes/liked_comments.json
    saved/saved_posts.json, saved/saved_collections.json
    followers_and_following/followers_1.json, following.json, pending_follow_requests.json,
        follow_requests_received.json, blocked_accounts.json, muted_accounts.json
    reports/reports_filed.json
    your_activity/interactions.json                   what the recommender learns from: posts shown,
                                                      opened, shared, "not interested", likes, follows
    security/security_events.json, security/login_activity.json, security/sessions.json,
        security/api_tokens.json                      (token names and prefixes, never secrets)
    media/posts/YYYYMM/<item id>.<ext>                every post's photos and videos
    media/other/<item id>.<ext>                       unposted uploads
    media/profile/<file>.jpg                          the profile photo

Media are in their original quality as far as the server still has it: the raw upload while it is
kept (until processing ends), else the largest rendition (1080 px JPEG for photos, the 720p MP4 for
videos). Of other people the export holds only what the account itself did to or with them (their
username next to a like, a follow, a comment of the account's): never their captions, photos or
comments, whether or not their account is private. Notifications are left out: they are other
people's actions, and short-lived.

Memory stays flat however large the account: rows are read a page at a time and written to the ZIP
as they come (each JSON list is streamed into its entry), and media are copied from storage in
chunks, into a ZIP on a temporary file that is then moved into media storage.
"""

from __future__ import annotations

import tempfile
import zipfile
from collections.abc import AsyncIterator, Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import msgspec
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from viewfinder.accounts.models import ApiToken, SecurityEvent, User, UserSession
from viewfinder.accounts.security import LOGIN_SUCCEEDED
from viewfinder.core.ids import created_at_of
from viewfinder.engagement.models import (
    Collection,
    CollectionPost,
    Comment,
    CommentLike,
    PostLike,
    SavedPost,
)
from viewfinder.graph.models import Block, Follow, FollowRequest, Mute
from viewfinder.media.models import MediaItem
from viewfinder.mediakit.storage import MediaBackend
from viewfinder.moderation.models import Report
from viewfinder.posts.models import Post, PostMedia
from viewfinder.recommend.log import interaction_log

PAGE = 500
"""Rows read per query while writing one list."""
EXTENSIONS = {"jpeg": "jpg", "jpg": "jpg", "png": "png", "webp": "webp", "heif": "heic", "gif": "gif",
              "mp4": "mp4", "mov": "mov", "webm": "webm"}  # fmt: skip

README = """\
Your Viewfinder data
====================

This archive holds what your Viewfinder account ({username}) contains, as of {made}.
The JSON files are UTF-8; times are Unix timestamps (seconds) in "timestamp" and
"creation_timestamp" fields. Media files are under media/, and the JSON names them by "uri".

personal_information/   your profile and e-mail address
content/                your posts (captions, locations, alt text) and unposted uploads
comments/               the comments and replies you wrote
likes/                  the posts and comments you liked
saved/                  your saved posts and collections
followers_and_following/ who follows you, whom you follow, requests, blocked and muted accounts
reports/                the reports you filed
security/               your security log, log-ins, signed-in sessions and API token names
media/                  your photos and videos in the best quality the server keeps

The link to this archive expires; you can request a new one from Settings at any time.
"""


def _ts(moment: datetime | None) -> int:
    return int(moment.timestamp()) if moment is not None else 0


def _extension(kind: str) -> str:
    return EXTENSIONS.get(kind.lower(), "bin")


def best_file(item: MediaItem) -> tuple[str, str] | None:
    """The key and file extension of the best copy of an item the storage holds: the raw upload
    while it is kept, else the largest rendition (JPEG for photos, MP4 for videos); None if none."""
    if item.original_key:
        return item.original_key, _extension(item.original_format)
    wanted = "mp4" if item.kind == "video" else "jpeg"
    candidates = [
        rendition
        for rendition in item.renditions
        if rendition.get("format") == wanted and not str(rendition.get("name", "")).endswith("thumb")
    ]
    if not candidates:
        return None
    best = max(candidates, key=lambda r: int(r.get("width") or 0) * int(r.get("height") or 0))
    return str(best["key"]), _extension(wanted)


class _JsonList:
    """A JSON list written item by item, never held whole: into a temporary file beside the
    archive, which goes into the archive once the list is closed (a ZIP takes one entry at a time,
    and media are copied in while the list is being written)."""

    def __init__(self, archive: zipfile.ZipFile, name: str, *, key: str | None = None) -> None:
        self._archive = archive
        self._name = name
        self._key = key
        folder = Path(archive.filename or ".").parent
        self._handle: IO[bytes] = tempfile.NamedTemporaryFile(dir=folder, prefix=".list-", delete=False)  # noqa: SIM115
        self._first = True
        self._handle.write(b"{" + msgspec.json.encode(key) + b": [" if key else b"[")

    def add(self, value: Any) -> None:
        self._handle.write(b"\n  " if self._first else b",\n  ")
        self._handle.write(msgspec.json.encode(value))
        self._first = False

    def close(self) -> None:
        self._handle.write(b"\n]}\n" if self._key else b"\n]\n")
        self._handle.close()
        path = Path(self._handle.name)
        try:
            self._archive.write(path, self._name, compress_type=zipfile.ZIP_DEFLATED)
        finally:
            path.unlink(missing_ok=True)


def _zip_time() -> tuple[int, int, int, int, int, int]:
    now = datetime.now().astimezone()
    return (now.year, now.month, now.day, now.hour, now.minute, now.second)


def _write_json(archive: zipfile.ZipFile, name: str, value: Any) -> None:
    info = zipfile.ZipInfo(name, date_time=_zip_time())
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, msgspec.json.format(msgspec.json.encode(value), indent=2))


def _link(public_url: str, path: str) -> str:
    return f"{public_url.rstrip('/')}/{path.lstrip('/')}"


def _string_entry(value: str, timestamp: int, href: str = "") -> dict[str, Any]:
    """Instagram's shape for one account or link in a list: {"href", "value", "timestamp"}."""
    return {"href": href, "value": value, "timestamp": timestamp}


async def _pages(db: AsyncSession, query: Select[Any], key: Any) -> AsyncIterator[list[Any]]:
    """The rows of a query a page at a time, by a unique ascending key (keyset pagination)."""
    after: Any = None
    while True:
        paged = query.order_by(key).limit(PAGE)
        if after is not None:
            paged = paged.where(key > after)
        rows = list((await db.execute(paged)).all())
        if not rows:
            return
        yield rows
        after = rows[-1][-1]
        if len(rows) < PAGE:
            return


class ExportWriter:
    """Writes one account's archive into a ZIP file (blocking file and storage I/O: run it in a
    background job, never on a web process's event loop)."""

    def __init__(
        self, db: AsyncSession, storage: MediaBackend, user: User, path: Path, *, public_url: str
    ) -> None:
        self.db = db
        self.storage = storage
        self.user = user
        self.path = path
        self.public_url = public_url

    def profile_link(self, username: str) -> str:
        return _link(self.public_url, username)

    def post_link(self, post_id: int) -> str:
        return _link(self.public_url, f"p/{post_id}")

    async def write(self) -> None:
        """Write the whole archive to `path` (replacing it)."""
        with zipfile.ZipFile(self.path, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
            user = self.user
            made = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
            info = zipfile.ZipInfo("README.txt", date_time=_zip_time())
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, README.format(username=user.username, made=made))
            await self._personal_information(archive)
            await self._posts(archive)
            await self._unposted_media(archive)
            await self._comments(archive)
            await self._likes(archive)
            await self._saved(archive)
            await self._connections(archive)
            await self._reports(archive)
            await self._interactions(archive)
            await self._security(archive)

    def _copy_media(self, archive: zipfile.ZipFile, key: str, name: str) -> bool:
        """Copy one stored file into the archive in chunks; False when storage no longer has it."""
        size = self.storage.size(key)
        if size is None:
            return False
        info = zipfile.ZipInfo(name, date_time=_zip_time())
        info.compress_type = zipfile.ZIP_STORED  # photos and videos are compressed already
        info.file_size = size
        try:
            chunks = self.storage.read(key, 0, size - 1) if size else iter(())
        except FileNotFoundError:
            return False
        try:
            with archive.open(info, "w", force_zip64=size >= zipfile.ZIP64_LIMIT) as out:
                for chunk in chunks:
                    out.write(chunk)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()  # the storage's file or connection, even when the copy failed half-way
        return True

    async def _personal_information(self, archive: zipfile.ZipFile) -> None:
        user = self.user
        photo: dict[str, Any] = {}
        if user.avatar_key:
            name = f"media/profile/{user.avatar_key.rsplit('/', 1)[-1]}"
            if self._copy_media(archive, user.avatar_key, name):
                photo = {"Profile Photo": {"uri": name, "creation_timestamp": _ts(user.updated_at)}}
        joined = _ts(user.created_at)
        _write_json(
            archive,
            "personal_information/personal_information.json",
            {
                "profile_user": [
                    {
                        "title": "",
                        "media_map_data": photo,
                        "string_map_data": {
                            "Username": _string_entry(user.username, joined),
                            "Name": _string_entry(user.display_name, 0),
                            "Email": _string_entry(user.email, 0),
                            "Bio": _string_entry(user.bio, 0),
                            "Website": _string_entry(user.website, 0, user.website),
                            "Private Account": _string_entry(str(user.is_private), 0),
                            "Date joined": _string_entry(user.created_at.isoformat(), joined),
                        },
                    }
                ],
                "viewfinder": {
                    "id": str(user.id),
                    "followers_count": user.followers_count,
                    "following_count": user.following_count,
                    "posts_count": user.posts_count,
                },
            },
        )

    async def _posts(self, archive: zipfile.ZipFile) -> None:
        out = _JsonList(archive, "content/posts_1.json")
        query = select(Post, Post.id).where(Post.author_id == self.user.id)
        async for rows in _pages(self.db, query, Post.id):
            posts: list[Post] = [row[0] for row in rows]
            items: dict[int, list[tuple[PostMedia, MediaItem]]] = {post.id: [] for post in posts}
            linked = await self.db.execute(
                select(PostMedia, MediaItem)
                .join(MediaItem, MediaItem.id == PostMedia.media_id)
                .where(PostMedia.post_id.in_(list(items)))
                .order_by(PostMedia.post_id, PostMedia.position)
            )
            for link, item in linked.tuples():
                items[link.post_id].append((link, item))
            for post in posts:
                created = _ts(post.created_at)
                folder = f"media/posts/{post.created_at:%Y%m}"
                media = []
                for link, item in items[post.id]:
                    media.append(
                        self._media_entry(archive, item, folder, created, post.caption, link.alt_text)
                    )
                out.add(
                    {
                        "media": media,
                        "title": post.caption,
                        "creation_timestamp": created,
                        "location": post.location_name,
                        "viewfinder": {
                            "id": str(post.id),
                            "link": self.post_link(post.id),
                            "updated_timestamp": _ts(post.updated_at),
                            "comments_enabled": post.comments_enabled,
                            "hide_like_count": post.hide_like_count,
                            "like_count": post.like_count,
                            "comment_count": post.comment_count,
                        },
                    }
                )
        out.close()

    def _media_entry(
        self,
        archive: zipfile.ZipFile,
        item: MediaItem,
        folder: str,
        created: int,
        title: str,
        alt_text: str,
    ) -> dict[str, Any]:
        best = best_file(item)
        uri = ""
        if best is not None:
            key, extension = best
            name = f"{folder}/{item.id}.{extension}"
            if self._copy_media(archive, key, name):
                uri = name
        return {
            "uri": uri,
            "creation_timestamp": created,
            "title": title,
            "alt_text": alt_text,
            "media_type": item.kind,
            "width": item.width,
            "height": item.height,
            "state": item.state,
        }

    async def _unposted_media(self, archive: zipfile.ZipFile) -> None:
        out = _JsonList(archive, "content/unposted_media.json")
        query = select(MediaItem, MediaItem.id).where(
            MediaItem.owner_id == self.user.id,
            ~select(PostMedia.media_id).where(PostMedia.media_id == MediaItem.id).exists(),
        )
        async for rows in _pages(self.db, query, MediaItem.id):
            for item, _ in rows:
                out.add(self._media_entry(archive, item, "media/other", _ts(item.created_at), "", ""))
        out.close()

    async def _comments(self, archive: zipfile.ZipFile) -> None:
        out = _JsonList(archive, "comments/post_comments.json")
        query = (
            select(Comment, User.username, Comment.id)
            .join(Post, Post.id == Comment.post_id)
            .join(User, User.id == Post.author_id)
            .where(Comment.author_id == self.user.id)
        )
        async for rows in _pages(self.db, query, Comment.id):
            for comment, owner, _ in rows:
                out.add(
                    {
                        "string_map_data": {
                            "Comment": {"value": comment.text},
                            "Media Owner": {"value": owner},
                            "Time": {"timestamp": _ts(comment.created_at)},
                        },
                        "viewfinder": {
                            "id": str(comment.id),
                            "post_id": str(comment.post_id),
                            "link": self.post_link(comment.post_id),
                            "reply_to": str(comment.parent_id) if comment.parent_id else None,
                        },
                    }
                )
        out.close()

    async def _likes(self, archive: zipfile.ZipFile) -> None:
        out = _JsonList(archive, "likes/liked_posts.json", key="likes_media_likes")
        query = (
            select(PostLike.post_id, PostLike.created_at, User.username, PostLike.id)
            .join(Post, Post.id == PostLike.post_id)
            .join(User, User.id == Post.author_id)
            .where(PostLike.user_id == self.user.id)
        )
        async for rows in _pages(self.db, query, PostLike.id):
            for post_id, created_at, owner, _ in rows:
                out.add(
                    {
                        "title": owner,
                        "string_list_data": [_string_entry("👍", _ts(created_at), self.post_link(post_id))],
                    }
                )
        out.close()
        out = _JsonList(archive, "likes/liked_comments.json", key="likes_comment_likes")
        comment_likes = (
            select(CommentLike.created_at, Comment.post_id, User.username, CommentLike.comment_id)
            .join(Comment, Comment.id == CommentLike.comment_id)
            .join(User, User.id == Comment.author_id)
            .where(CommentLike.user_id == self.user.id)
        )
        async for rows in _pages(self.db, comment_likes, CommentLike.comment_id):
            for created_at, post_id, owner, comment_id in rows:
                out.add(
                    {
                        "title": owner,
                        "string_list_data": [_string_entry("👍", _ts(created_at), self.post_link(post_id))],
                        "viewfinder": {"comment_id": str(comment_id)},
                    }
                )
        out.close()

    async def _saved(self, archive: zipfile.ZipFile) -> None:
        out = _JsonList(archive, "saved/saved_posts.json", key="saved_saved_media")
        query = (
            select(SavedPost.post_id, SavedPost.created_at, User.username, SavedPost.id)
            .join(Post, Post.id == SavedPost.post_id)
            .join(User, User.id == Post.author_id)
            .where(SavedPost.user_id == self.user.id)
        )
        async for rows in _pages(self.db, query, SavedPost.id):
            for post_id, created_at, owner, _ in rows:
                out.add(
                    {
                        "title": owner,
                        "string_map_data": {
                            "Saved on": {"href": self.post_link(post_id), "timestamp": _ts(created_at)}
                        },
                    }
                )
        out.close()
        out = _JsonList(archive, "saved/saved_collections.json", key="saved_saved_collections")
        collections = select(Collection, Collection.id).where(Collection.owner_id == self.user.id)
        async for rows in _pages(self.db, collections, Collection.id):
            for collection, collection_id in rows:
                entries = (
                    select(
                        CollectionPost.post_id, CollectionPost.created_at, User.username, CollectionPost.id
                    )
                    .join(Post, Post.id == CollectionPost.post_id)
                    .join(User, User.id == Post.author_id)
                    .where(CollectionPost.collection_id == collection_id)
                )
                posts = []
                async for page in _pages(self.db, entries, CollectionPost.id):
                    posts += [
                        {"title": owner, "href": self.post_link(post_id), "timestamp": _ts(added)}
                        for post_id, added, owner, _ in page
                    ]
                out.add(
                    {
                        "title": "Collection",
                        "string_map_data": {
                            "Name": {"value": collection.name, "timestamp": _ts(collection.created_at)}
                        },
                        "posts": posts,
                    }
                )
        out.close()

    async def _accounts(
        self,
        archive: zipfile.ZipFile,
        name: str,
        key: str | None,
        model: Any,
        mine: Any,
        theirs: Any,
    ) -> None:
        """A list of the active accounts at the other end of the account's edges of one kind."""
        out = _JsonList(archive, name, key=key)
        query = (
            select(User.username, model.created_at, model.id)
            .join(User, User.id == theirs)
            .where(mine == self.user.id, User.is_active)
        )
        async for rows in _pages(self.db, query, model.id):
            for username, created_at, _ in rows:
                out.add(
                    {
                        "title": "",
                        "media_list_data": [],
                        "string_list_data": [
                            _string_entry(username, _ts(created_at), self.profile_link(username))
                        ],
                    }
                )
        out.close()

    async def _connections(self, archive: zipfile.ZipFile) -> None:
        folder = "followers_and_following"
        lists: Iterable[tuple[str, str | None, Any, Any, Any]] = (
            (f"{folder}/followers_1.json", None, Follow, Follow.followee_id, Follow.follower_id),
            (
                f"{folder}/following.json",
                "relationships_following",
                Follow,
                Follow.follower_id,
                Follow.followee_id,
            ),
            (
                f"{folder}/pending_follow_requests.json",
                "relationships_follow_requests_sent",
                FollowRequest,
                FollowRequest.requester_id,
                FollowRequest.target_id,
            ),
            (
                f"{folder}/follow_requests_received.json",
                "relationships_follow_requests_received",
                FollowRequest,
                FollowRequest.target_id,
                FollowRequest.requester_id,
            ),
            (
                f"{folder}/blocked_accounts.json",
                "relationships_blocked_users",
                Block,
                Block.blocker_id,
                Block.blocked_id,
            ),
            (
                f"{folder}/muted_accounts.json",
                "relationships_muted_users",
                Mute,
                Mute.muter_id,
                Mute.muted_id,
            ),
        )
        for name, key, model, mine, theirs in lists:
            await self._accounts(archive, name, key, model, mine, theirs)

    async def _interactions(self, archive: zipfile.ZipFile) -> None:
        out = _JsonList(archive, "your_activity/interactions.json")
        log, before = interaction_log(), None
        while signals := await log.recent(self.db, self.user.id, limit=PAGE, before=before):
            for signal in signals:
                out.add(
                    {
                        "kind": signal.kind.name.lower(),
                        "post": self.post_link(signal.post_id) if signal.post_id is not None else None,
                        "account_id": str(signal.author_id) if signal.author_id is not None else None,
                        "surface": signal.surface.name.lower() if signal.surface is not None else None,
                        "position": signal.position,
                        "dwell_ms": signal.dwell_ms,
                        "timestamp": _ts(created_at_of(signal.id)),
                    }
                )
            before = signals[-1].id
        out.close()

    async def _reports(self, archive: zipfile.ZipFile) -> None:
        out = _JsonList(archive, "reports/reports_filed.json")
        query = select(Report, Report.id).where(Report.reporter_id == self.user.id)
        async for rows in _pages(self.db, query, Report.id):
            for report, _ in rows:
                out.add(
                    {
                        "target": report.target_kind,
                        "target_id": str(report.target_id),
                        "reason": report.reason,
                        "details": report.details,
                        "status": report.status,
                        "timestamp": _ts(report.created_at),
                        "resolved_timestamp": _ts(report.resolved_at) or None,
                    }
                )
        out.close()

    async def _security(self, archive: zipfile.ZipFile) -> None:
        events = _JsonList(archive, "security/security_events.json")
        logins = _JsonList(archive, "security/login_activity.json", key="account_history_login_history")
        query = select(SecurityEvent, SecurityEvent.id).where(SecurityEvent.user_id == self.user.id)
        async for rows in _pages(self.db, query, SecurityEvent.id):
            for event, _ in rows:
                events.add(
                    {
                        "kind": event.kind,
                        "timestamp": _ts(event.created_at),
                        "ip_address": event.ip_address,
                        "user_agent": event.user_agent,
                        "detail": event.detail,
                    }
                )
                if event.kind == LOGIN_SUCCEEDED:
                    logins.add(
                        {
                            "title": event.created_at.isoformat(),
                            "string_map_data": {
                                "IP Address": {"value": event.ip_address},
                                "Time": {"timestamp": _ts(event.created_at)},
                                "User Agent": {"value": event.user_agent},
                            },
                        }
                    )
        events.close()
        logins.close()
        await self._rows(
            archive,
            "security/sessions.json",
            select(UserSession, UserSession.id).where(UserSession.user_id == self.user.id),
            UserSession.id,
            lambda session: {
                "created_timestamp": _ts(session.created_at),
                "last_seen_timestamp": _ts(session.last_seen_at),
                "expires_timestamp": _ts(session.expires_at),
                "ip_address": session.ip_address,
                "user_agent": session.user_agent,
            },
        )
        await self._rows(
            archive,
            "security/api_tokens.json",
            select(ApiToken, ApiToken.id).where(ApiToken.user_id == self.user.id),
            ApiToken.id,
            lambda token: {
                "name": token.name,
                "prefix": token.prefix,
                "created_timestamp": _ts(token.created_at),
                "last_used_timestamp": _ts(token.last_used_at) or None,
            },
        )

    async def _rows(
        self, archive: zipfile.ZipFile, name: str, query: Select[Any], key: Any, shape: Callable[[Any], Any]
    ) -> None:
        out = _JsonList(archive, name)
        async for rows in _pages(self.db, query, key):
            for row in rows:
                out.add(shape(row[0]))
        out.close()

"""HTTP endpoints of this domain; ROUTES is mounted under /api/viewfinder/v1 by the app.

The inbox (`GET /notifications`), its unread count, mark-as-read, and the real-time stream
(`GET /notifications/stream`, Server-Sent Events fed by Litestar channels).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator
from functools import lru_cache
from typing import TYPE_CHECKING, Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.channels import ChannelsPlugin
from litestar.channels.subscriber import Subscriber
from litestar.params import HeaderParameter, JSONBody
from litestar.response import ServerSentEvent
from litestar.response.sse import ServerSentEventMessage
from litestar.status_codes import HTTP_200_OK
from litestar.types import ControllerRouterHandler
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from viewfinder.accounts.auth import ViewerDep
from viewfinder.accounts.models import User
from viewfinder.accounts.schemas import UserSummary
from viewfinder.core.db import read_rows
from viewfinder.core.deps import DbSession, SettingsDep
from viewfinder.core.errors import ApiError
from viewfinder.core.idlists import in_ids
from viewfinder.core.pagination import Page, Paging
from viewfinder.core.params import PagingDep
from viewfinder.graph.services import relationships
from viewfinder.media.models import MediaItem
from viewfinder.mediakit import signing
from viewfinder.mediakit.storage import MediaStorage, StorageDep
from viewfinder.notifications import services
from viewfinder.notifications.models import NotificationGroup, RealtimeEvent
from viewfinder.notifications.realtime import RealtimeChannels
from viewfinder.notifications.schemas import MarkRead, NotificationOut, PostRef, UnreadCount
from viewfinder.policy import bound_account, visible_posts
from viewfinder.posts.models import Post, PostMedia
from viewfinder.settings import Settings

if TYPE_CHECKING:
    from viewfinder.notifications.store import InboxLine

KEEP_ALIVE_SECONDS = 15.0
"""A comment line this often keeps proxies from closing an idle stream."""
REPLAY_LIMIT = 200
"""Events replayed at most to a client that reconnects with Last-Event-ID."""
RETRY_MS = 2000
"""How soon a browser's EventSource reconnects after losing the stream."""
SIGNED_OUT = "signed_out"
"""The event that ends a stream: every session of its account has ended (moderation.enforcement's
suspension or ban); reconnecting then gets 401."""

MARK_ALL = MarkRead()

LastEventId = Annotated[
    str | None,
    HeaderParameter(
        name="Last-Event-ID",
        required=False,
        max_length=20,
        description="Sent by EventSource on reconnecting: the events after it are replayed.",
    ),
]


class Envelope(msgspec.Struct):
    """An outbox row as the relay publishes it (see realtime.envelope)."""

    seq: int
    event: msgspec.Raw


def _thumbnail(renditions: list[dict[str, Any]], storage: MediaStorage) -> str | None:
    """The square thumbnail of a media item, else its smallest rendition."""
    if not renditions:
        return None
    chosen = next(
        (r for r in renditions if r.get("name") == "thumb"),
        min(renditions, key=lambda r: int(r.get("width") or 0)),
    )
    return storage.url(chosen["key"])


@lru_cache(maxsize=1)
def _post_refs_query() -> Select[tuple[int, bool, list[dict[str, Any]]]]:
    """`_post_refs`' statement, built once (the viewer and the posts bound): each visible post's
    items' renditions, first item first, with whether its author is private."""
    # Aliases: visible_posts already checks every PostMedia / MediaItem of a post in a subquery,
    # which would otherwise correlate to these joins.
    link, item = aliased(PostMedia), aliased(MediaItem)
    return (
        visible_posts(bound_account())
        .with_only_columns(Post.id, User.is_private, item.renditions)
        .where(in_ids(Post.id, "post_ids"))
        .join(link, link.post_id == Post.id)
        .join(item, item.id == link.media_id)
        .order_by(link.post_id, link.position)
    )


async def _post_refs(
    db: AsyncSession, viewer: User, post_ids: list[int], storage: MediaStorage, settings: Settings
) -> dict[int, PostRef]:
    """The posts among these the viewer may still see, each with its first item's thumbnail."""
    if not post_ids:
        return {}
    rows = await read_rows(db, _post_refs_query(), {"viewer_id": viewer.id, "post_ids": post_ids})
    found: dict[int, PostRef] = {}
    for post_id, private, renditions in rows:
        if post_id in found:  # only the first item shows
            continue
        urls = signing.urls_for(storage, settings.secret, settings.signed_url_ttl_seconds, private=private)
        found[post_id] = PostRef(id=str(post_id), thumbnail_url=_thumbnail(renditions, urls))
    return found


async def _inbox(
    db: AsyncSession,
    viewer: User,
    storage: MediaStorage,
    settings: Settings,
    paging: Paging,
) -> Page[NotificationOut]:
    scope = f"notifications:{viewer.id}"
    groups = await services.inbox_page(db, viewer.id, paging.key(scope), paging.limit)
    keys = [group.sort_id for group in groups]
    groups = groups[: paging.limit]
    actors = await services.newest_actors(db, viewer.id, groups)
    actor_ids = sorted({user.id for users, _ in actors.values() for user in users})
    relations = await relationships(db, viewer, actor_ids)
    posts = await _post_refs(
        db, viewer, sorted({g.post_id for g in groups if g.post_id is not None}), storage, settings
    )
    return paging.page(
        scope, [_line(group, actors[group.id], relations, posts, storage) for group in groups], keys
    )


def _line(
    group: NotificationGroup | InboxLine,
    actors: tuple[list[User], int],
    relations: dict[int, Any],
    posts: dict[int, PostRef],
    storage: MediaStorage,
) -> NotificationOut:
    users, count = actors
    return NotificationOut(
        id=str(group.id),
        kind=group.kind,
        read=group.is_read,
        actors=[UserSummary.of(user, storage, relations.get(user.id)) for user in users],
        actor_count=count,
        post=posts.get(group.post_id) if group.post_id is not None else None,
        comment_id=str(group.comment_id) if group.comment_id is not None else None,
        text=group.text,
        created_at=group.created_at,
        updated_at=group.updated_at,
    )


MAX_ID = 2**63 - 1


def _as_id(value: str | None) -> int | None:
    """A decimal id, or None when the text cannot name a row (not digits, or past 64 bits)."""
    if value is None or not value.isascii() or not value.isdigit() or len(value) > 19:
        return None
    number = int(value)
    return number if number <= MAX_ID else None


def _parse_ids(values: list[str]) -> list[int]:
    """Line ids from a request; ones that cannot name a line are skipped."""
    return [number for value in values if (number := _as_id(value)) is not None]


def _message(sequence: int | None, event: bytes | str) -> ServerSentEventMessage:
    """One outbox event as an SSE message named after its type (`notification`, `unread`)."""
    raw = event if isinstance(event, bytes) else event.encode()
    try:
        kind = str(msgspec.json.decode(raw, type=dict[str, Any]).get("type", "message"))
    except msgspec.MsgspecError:
        kind = "message"
    return ServerSentEventMessage(data=raw.decode(), event=kind, id=sequence)


async def _event_stream(
    channels: ChannelsPlugin,
    subscriber: Subscriber,
    channel: str,
    first: list[ServerSentEventMessage],
    replayed_up_to: int,
) -> AsyncGenerator[ServerSentEventMessage, None]:
    """The SSE messages of one connection: the current state, any replay, then live events.

    Ends when the client goes (Litestar cancels the stream on disconnect) or the app stops.
    """
    inbox: asyncio.Queue[bytes] = asyncio.Queue()
    try:
        for message in first:
            yield message
        async with subscriber.run_in_background(inbox.put):
            while subscriber.is_running:
                try:
                    raw = await asyncio.wait_for(inbox.get(), KEEP_ALIVE_SECONDS)
                except TimeoutError:
                    yield ServerSentEventMessage(comment="keep-alive", data=None)
                    continue
                try:
                    envelope = msgspec.json.decode(raw, type=Envelope)
                except msgspec.MsgspecError:  # not one of ours: nothing to tell the client
                    continue
                if envelope.seq <= replayed_up_to:  # already sent from the outbox replay
                    continue
                message = _message(envelope.seq, bytes(envelope.event))
                yield message
                if message.event == SIGNED_OUT:
                    return  # every session of the account ended (a suspension, a ban): so does the stream
    finally:
        with contextlib.suppress(Exception):
            await channels.unsubscribe(subscriber, channel)


class NotificationController(Controller):
    """The viewer's inbox and its real-time stream."""

    path = "/notifications"
    tags = ["notifications"]

    @get("")
    async def inbox(
        self,
        viewer: ViewerDep,
        db_session: DbSession,
        storage: StorageDep,
        settings: SettingsDep,
        paging: PagingDep,
    ) -> Page[NotificationOut]:
        """The inbox, most recently active lines first, grouped ("alice and 12 others liked your
        post"); accounts blocked either way are left out."""
        return await _inbox(db_session, viewer.user, storage, settings, paging)

    @get("/unread-count")
    async def unread(self, viewer: ViewerDep, db_session: DbSession) -> UnreadCount:
        """How many lines the viewer has not read."""
        return UnreadCount(unread=await services.unread_count(db_session, viewer.user.id))

    @post("/read", status_code=HTTP_200_OK)
    async def mark_read(
        self, viewer: ViewerDep, db_session: DbSession, data: JSONBody[MarkRead] = MARK_ALL
    ) -> UnreadCount:
        """Mark lines read: the given ids (others' ids are ignored), or all when none are given
        (no body, `{}` or `{"ids": null}`)."""
        ids = _parse_ids(data.ids) if data.ids is not None else None
        return UnreadCount(unread=await services.mark_read(db_session, viewer.user, ids))

    @get("/stream")
    async def stream(
        self,
        request: Request[Any, Any, Any],
        viewer: ViewerDep,
        db_session: DbSession,
        last_event_id: LastEventId = None,
    ) -> ServerSentEvent:
        """Server-Sent Events: `unread` first, then each `notification` and `unread` change of the
        viewer's inbox as it happens, with a keep-alive comment every 15 s. Reconnecting with
        Last-Event-ID replays what was missed (for a few minutes)."""
        if request.headers.get("content-length", "0") != "0" or "transfer-encoding" in request.headers:
            # A stream is opened, never posted to; a body here is a confused client (and would be
            # left unread for as long as the stream lasts).
            raise ApiError(400, "unexpected_body", "Opening the stream takes no request body.")
        channels = request.app.plugins.get(RealtimeChannels)
        channel = services.user_channel(viewer.user.id)
        # Subscribe before reading the state, so nothing that happens in between is missed.
        subscriber = await channels.subscribe(channel)
        try:
            unread = await services.unread_count(db_session, viewer.user.id)
            first = [
                ServerSentEventMessage(
                    data=msgspec.json.encode({"type": "unread", "unread": unread}).decode(),
                    event="unread",
                    retry=RETRY_MS,
                )
            ]
            replayed_up_to = 0
            after = _as_id(last_event_id)
            if after is not None:
                rows = (
                    await db_session.execute(
                        select(RealtimeEvent.id, RealtimeEvent.payload)
                        .where(RealtimeEvent.channel == channel, RealtimeEvent.id > after)
                        .order_by(RealtimeEvent.id)
                        .limit(REPLAY_LIMIT)
                    )
                ).all()
                first += [_message(event_id, payload) for event_id, payload in rows]
                replayed_up_to = rows[-1][0] if rows else 0
        except BaseException:
            await channels.unsubscribe(subscriber, channel)
            raise
        return ServerSentEvent(_event_stream(channels, subscriber, channel, first, replayed_up_to))


ROUTES: list[ControllerRouterHandler] = [NotificationController]

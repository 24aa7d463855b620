"""Every write to the inbox goes through a function here.

CONTRACT (used by the domain-event handlers in notifications/subscribers.py): `notify` and
`withdraw` run inside the caller's transaction and never commit. They do nothing when the actor is
the recipient, and `notify` does nothing when either has blocked the other.

Grouping: likes on one post, likes on one comment and new followers gather in the recipient's
*unread* group for that target ("alice and 12 others liked your post"); once the group is read the
next action starts a new one. The other kinds (comment, reply, mention, follow request, follow
accepted) are one line per event: their group key names the event, so the same code handles both.

Where the lines live is the inbox store's business (notifications.store.InboxStore: the main
database, or Cassandra behind an outbox, docs/decisions/0026), handed in by viewfinder.wiring
(docs/decisions/0043). Real time: every change to a recipient's inbox also writes a row to the
`realtime_events` outbox; the relay in `viewfinder.notifications.realtime` publishes it to the
recipient's channel once committed, whichever process wrote it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from viewfinder.accounts.models import User
from viewfinder.notifications.models import InboxChange, RealtimeEvent
from viewfinder.notifications.store import (
    GROUPED_KINDS,
    SHOWN_ACTORS,
    Actor,
    Kind,
    Line,
    inbox_store,
    queue_event,
    unread_groups,
    user_channel,
    visible_actor,
)
from viewfinder.policy import visible_accounts

if TYPE_CHECKING:
    from viewfinder.notifications.cassandra import CassandraInbox

__all__ = [
    "GROUPED_KINDS",
    "SHOWN_ACTORS",
    "Kind",
    "apply_changes",
    "delete_account_data",
    "group_key",
    "inbox_page",
    "mark_read",
    "newest_actors",
    "notify",
    "queue_event",
    "queue_unread_event",
    "tell",
    "unread_count",
    "unread_groups",
    "user_channel",
    "visible_actor",
    "withdraw",
]


def group_key(kind: Kind, *, actor_id: int, post_id: int | None = None, comment_id: int | None = None) -> str:
    """The key that decides which inbox line an action belongs to."""
    if kind is Kind.LIKE:
        return f"like:{post_id}"
    if kind is Kind.COMMENT_LIKE:
        return f"comment_like:{comment_id}"
    if kind is Kind.FOLLOW:
        return "follow"
    if kind in (Kind.COMMENT, Kind.REPLY):
        return f"{kind}:{comment_id}"
    if kind is Kind.MENTION:
        # A mention lives in a comment or, when there is none, in a post's caption.
        return f"mention:comment:{comment_id}" if comment_id is not None else f"mention:post:{post_id}"
    return f"{kind}:{actor_id}"  # follow request / follow accepted: one per pair of accounts


async def unread_count(db: AsyncSession, recipient_id: int) -> int:
    """How many inbox lines the recipient has not read (leaving out blocked accounts' lines)."""
    return await inbox_store().unread_count(db, recipient_id)


async def queue_unread_event(db: AsyncSession, user_id: int) -> None:
    """Tell the user's connected clients the new unread count (after a withdrawal or a read)."""
    await queue_event(db, user_id, {"type": "unread", "unread": await unread_count(db, user_id)})


async def notify(
    db: AsyncSession,
    *,
    recipient_id: int,
    actor_id: int,
    kind: Kind,
    post_id: int | None = None,
    comment_id: int | None = None,
    text: str = "",
) -> None:
    """Record that actor did `kind` to recipient (on a post or comment), and queue the real-time
    event in the same transaction."""
    if actor_id == recipient_id:
        return
    kind = Kind(kind)
    actor = (
        await db.execute(
            select(User.username, User.display_name).where(
                User.id == actor_id, *visible_accounts(recipient_id)
            )
        )
    ).first()
    if actor is None:  # blocked either way, or no such active account
        return
    await inbox_store().add(
        db,
        recipient_id=recipient_id,
        actor=Actor(actor_id, actor.username, actor.display_name),
        kind=kind,
        key=group_key(kind, actor_id=actor_id, post_id=post_id, comment_id=comment_id),
        post_id=post_id,
        comment_id=comment_id,
        text=text[:300],
    )


STAFF_KINDS = frozenset({Kind.MODERATION_ACTION, Kind.REPORT_RESOLVED, Kind.APPEAL_DECIDED})
"""Lines from the instance's staff: no one acted on the recipient, so the recipient stands as the
line's actor (no staff member is named, and no block can hide the line; decision 0051)."""


async def tell(db: AsyncSession, *, recipient_id: int, kind: Kind, key: str, text: str) -> None:
    """Record a line from the staff (`STAFF_KINDS`), one per `key` (an action, a case, an appeal),
    in the caller's transaction; nothing for an account that no longer exists. Kept while the
    account is suspended or banned, it shows once the account is active again."""
    kind = Kind(kind)
    if kind not in STAFF_KINDS:
        raise ValueError(f"not a staff notification: {kind}")
    me = (await db.execute(select(User.username, User.display_name).where(User.id == recipient_id))).first()
    if me is None:
        return
    await inbox_store().add(
        db,
        recipient_id=recipient_id,
        actor=Actor(recipient_id, me.username, me.display_name),
        kind=kind,
        key=f"{kind}:{key}",
        post_id=None,
        comment_id=None,
        text=text[:300],
    )


async def withdraw(
    db: AsyncSession,
    *,
    recipient_id: int,
    actor_id: int,
    kind: Kind,
    post_id: int | None = None,
    comment_id: int | None = None,
) -> None:
    """Take back an unread notification when its action is undone (unlike, unfollow, cancel).

    Grouped kinds lose the actor from the unread line only (a read line is history). A one-event
    line (a follow request, a mention) goes whether read or not: what it announced no longer exists.
    """
    if actor_id == recipient_id:
        return
    kind = Kind(kind)
    key = group_key(kind, actor_id=actor_id, post_id=post_id, comment_id=comment_id)
    await inbox_store().withdraw(db, recipient_id=recipient_id, actor_id=actor_id, kind=kind, key=key)


async def mark_read(db: AsyncSession, recipient: User, group_ids: list[int] | None) -> int:
    """Mark the recipient's lines read (these ids, or all); others' ids are ignored. Commits and
    returns the new unread count."""
    return await inbox_store().mark_read(db, recipient.id, group_ids)


# Reading the inbox: a fixed number of queries whatever the page size.


async def inbox_page(
    db: AsyncSession, recipient_id: int, before_sort_id: int | None, limit: int
) -> list[Line]:
    """limit + 1 of the recipient's lines, most recently active first; lines whose every actor is
    blocked or gone are left out."""
    return await inbox_store().page(db, recipient_id, before_sort_id, limit + 1)


async def newest_actors(
    db: AsyncSession, recipient_id: int, lines: Sequence[Line], per_group: int = SHOWN_ACTORS
) -> dict[int, tuple[list[User], int]]:
    """Each line's newest visible actors and how many visible actors it has, in one query."""
    return await inbox_store().newest_actors(db, recipient_id, lines, per_group)


async def apply_changes(
    db: AsyncSession, inbox: CassandraInbox, recipient_id: int | None = None, limit: int = 200
) -> int:
    """Move pending `inbox_changes` rows into this Cassandra inbox (notifications.cassandra
    .apply_changes: tests and bench/inbox.py drive it directly)."""
    from viewfinder.notifications.cassandra import apply_changes as apply  # the driver only when asked for

    return await apply(db, inbox, recipient_id, limit)


# --- account erasure (privacy.erasure) -------------------------------------------------------------

ACCOUNT_DATA_TABLES = ("notification_groups", "notification_actors", "inbox_changes", "realtime_events")
"""Tables whose rows of an account `delete_account_data` removes (realtime_events names accounts in
its channel and payload text rather than in a column)."""
ACCOUNT_DATA_CASSANDRA_TABLES = ("inbox_lines", "inbox_order", "inbox_actors", "inbox_keys", "inbox_unread")


async def delete_account_data(db: AsyncSession, user_id: int, username: str) -> None:
    """Erase the account from every inbox: its own inbox, and itself from the lines of others (a
    line it alone was in goes; "alice and 2 others" loses alice). Pending outbox changes to or by it
    go first, so no drain brings any of it back; then the store forgets it
    (`InboxStore.remove_account`); then its real-time events."""
    await db.execute(
        delete(InboxChange).where(or_(InboxChange.recipient_id == user_id, InboxChange.actor_id == user_id))
    )
    await db.commit()
    await inbox_store().remove_account(db, user_id)
    await db.execute(
        delete(RealtimeEvent).where(
            or_(
                RealtimeEvent.channel == user_channel(user_id),
                RealtimeEvent.payload.contains(f'"{user_id}"'),
                RealtimeEvent.payload.contains(f'"username":"{username}"'),
            )
        )
    )
    await db.commit()

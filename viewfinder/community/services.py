"""Every write to announcements and featured accounts goes through a function here.

Staff (permission `announcements.manage`) write announcements and choose featured accounts; each of
their writes is audited in its own transaction, with before and after (moderation.audit):
`announcement.created`, `announcement.changed`, `announcement.deleted` (target "announcement") and
`featured.added`, `featured.changed`, `featured.removed` (target "user", the featured account, so
that erasing the account unlinks them as it does every entry about it). A write that changes
nothing is not audited.

An announcement is *active* while it is published, its start (if any) has come and its end (if any)
has not: members see the active ones and may dismiss each (a row in announcement_reads).

A featured account is shown to a viewer when policy says the account exists for them (active, no
block either way: `policy.visible_accounts`) and discovery may show it (`policy.discoverable`: not
limited). The same two conditions decide whether staff may feature it at all.
(docs/decisions/0058-announcements-and-featured-accounts.md)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import and_, delete, exists, or_, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from viewfinder.accounts.models import User
from viewfinder.accounts.services import username_key
from viewfinder.accounts.standing import under_sanction
from viewfinder.community.models import Announcement, AnnouncementRead, FeaturedAccount
from viewfinder.core.db import utcnow
from viewfinder.core.errors import ApiError, invalid, not_found
from viewfinder.core.ids import new_id
from viewfinder.moderation import audit
from viewfinder.policy import discoverable, visible_accounts

MAX_TEXT = 1000
MAX_NOTE = 200
MAX_ACTIVE = 10
"""Members see at most this many active announcements, newest first."""
MAX_FEATURED_SHOWN = 50
"""The public list of featured accounts holds at most this many, newest first."""

ANNOUNCEMENT_CREATED = "announcement.created"
ANNOUNCEMENT_CHANGED = "announcement.changed"
ANNOUNCEMENT_DELETED = "announcement.deleted"
FEATURED_ADDED = "featured.added"
FEATURED_CHANGED = "featured.changed"
FEATURED_REMOVED = "featured.removed"


# --- announcements ---------------------------------------------------------------------------------


def _state(announcement: Announcement) -> dict[str, Any]:
    """An announcement as the audit log records it."""
    return {
        "text": announcement.text,
        "starts_at": announcement.starts_at.isoformat() if announcement.starts_at else None,
        "ends_at": announcement.ends_at.isoformat() if announcement.ends_at else None,
        "published": announcement.published,
    }


def _clean_text(text: str) -> str:
    cleaned = text.strip()
    if not cleaned:
        raise invalid("text", "Write something.")
    if len(cleaned) > MAX_TEXT:
        raise invalid("text", f"At most {MAX_TEXT} characters.")
    return cleaned


def _check_window(starts_at: datetime | None, ends_at: datetime | None, *, end_set: bool) -> None:
    """400 when the window ends before it starts, or (when the end is being set) has already ended."""
    if ends_at is None:
        return
    if starts_at is not None and ends_at <= starts_at:
        raise invalid("ends_at", "End it after it starts.")
    if end_set and ends_at <= utcnow():
        raise invalid("ends_at", "That end is already past.")


def is_active(now: datetime) -> ColumnElement[bool]:
    """Condition on Announcement: published, started and not ended at `now`."""
    return and_(
        Announcement.published == true(),
        or_(Announcement.starts_at.is_(None), Announcement.starts_at <= now),
        or_(Announcement.ends_at.is_(None), Announcement.ends_at > now),
    )


async def list_announcements(db: AsyncSession, before_id: int | None, limit: int) -> list[Announcement]:
    """Every announcement, drafts and ended ones too, newest first: `limit` of them older than
    `before_id`."""
    query = select(Announcement)
    if before_id is not None:
        query = query.where(Announcement.id < before_id)
    return list((await db.scalars(query.order_by(Announcement.id.desc()).limit(limit))).all())


async def get_announcement(db: AsyncSession, announcement_id: int) -> Announcement:
    announcement = await db.get(Announcement, announcement_id)
    if announcement is None:
        raise not_found("No such announcement.")
    return announcement


async def create_announcement(
    db: AsyncSession,
    staff: User,
    text: str,
    *,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    published: bool = False,
) -> Announcement:
    """A new announcement (a draft unless `published`), audited as announcement.created. 400 for
    empty or too long text, or an end that is past or not after the start."""
    cleaned = _clean_text(text)
    _check_window(starts_at, ends_at, end_set=True)
    now = utcnow()
    announcement = Announcement(
        id=new_id(),
        text=cleaned,
        starts_at=starts_at,
        ends_at=ends_at,
        published=published,
        created_at=now,
        updated_at=now,
    )
    db.add(announcement)
    await db.flush()
    audit.record(
        db,
        actor_id=staff.id,
        action=ANNOUNCEMENT_CREATED,
        target_kind="announcement",
        target_id=announcement.id,
        after=_state(announcement),
    )
    await db.commit()
    return announcement


async def change_announcement(
    db: AsyncSession,
    staff: User,
    announcement_id: int,
    *,
    text: str | msgspec.UnsetType = msgspec.UNSET,
    starts_at: datetime | msgspec.UnsetType | None = msgspec.UNSET,
    ends_at: datetime | msgspec.UnsetType | None = msgspec.UNSET,
    published: bool | msgspec.UnsetType = msgspec.UNSET,
) -> Announcement:
    """Change what is given (None clears a bound of the window), audited as announcement.changed;
    404 for an unknown id, 400 as `create_announcement` for the resulting text and window (an end
    already past is refused only when this change sets it)."""
    announcement = await get_announcement(db, announcement_id)
    new_text = announcement.text if text is msgspec.UNSET else _clean_text(text)
    new_start = announcement.starts_at if starts_at is msgspec.UNSET else starts_at
    new_end = announcement.ends_at if ends_at is msgspec.UNSET else ends_at
    end_set = ends_at is not msgspec.UNSET and ends_at != announcement.ends_at
    _check_window(new_start, new_end, end_set=end_set)
    before = _state(announcement)
    announcement.text = new_text
    announcement.starts_at = new_start
    announcement.ends_at = new_end
    if published is not msgspec.UNSET:
        announcement.published = published
    after = _state(announcement)
    if after == before:
        return announcement
    announcement.updated_at = utcnow()
    audit.record(
        db,
        actor_id=staff.id,
        action=ANNOUNCEMENT_CHANGED,
        target_kind="announcement",
        target_id=announcement.id,
        before=before,
        after=after,
    )
    await db.commit()
    return announcement


async def delete_announcement(db: AsyncSession, staff: User, announcement_id: int) -> None:
    """Delete an announcement and who read it (a cascade), audited as announcement.deleted with
    what it said."""
    announcement = await get_announcement(db, announcement_id)
    audit.record(
        db,
        actor_id=staff.id,
        action=ANNOUNCEMENT_DELETED,
        target_kind="announcement",
        target_id=announcement.id,
        before=_state(announcement),
    )
    await db.delete(announcement)
    await db.commit()


@dataclass(frozen=True)
class MemberAnnouncement:
    announcement: Announcement
    read: bool


async def active_announcements(db: AsyncSession, viewer: User) -> list[MemberAnnouncement]:
    """The active announcements, newest first (at most MAX_ACTIVE), each marked read when the
    viewer dismissed it. One query."""
    read = exists().where(
        AnnouncementRead.announcement_id == Announcement.id, AnnouncementRead.user_id == viewer.id
    )
    rows = await db.execute(
        select(Announcement, read.label("read"))
        .where(is_active(utcnow()))
        .order_by(Announcement.id.desc())
        .limit(MAX_ACTIVE)
    )
    return [MemberAnnouncement(announcement, bool(was_read)) for announcement, was_read in rows.tuples()]


async def mark_read(db: AsyncSession, viewer: User, announcement_id: int) -> None:
    """The viewer dismissed an active announcement (again is no change); 404 when it is not active."""
    active = await db.scalar(
        select(Announcement.id).where(Announcement.id == announcement_id, is_active(utcnow()))
    )
    if active is None:
        raise not_found("No such announcement.")
    already = await db.scalar(
        select(AnnouncementRead.user_id).where(
            AnnouncementRead.announcement_id == announcement_id, AnnouncementRead.user_id == viewer.id
        )
    )
    if already is not None:
        return
    db.add(AnnouncementRead(announcement_id=announcement_id, user_id=viewer.id, read_at=utcnow()))
    try:
        await db.commit()
    except IntegrityError:  # the same dismissal, at the same moment (or the announcement just went)
        await db.rollback()


# --- featured accounts -----------------------------------------------------------------------------


def featurable() -> ColumnElement[bool]:
    """Condition on User: staff may feature the account, and the featured lists show it (to a viewer
    with no block either way): it exists (active: not deactivated, suspended or banned) and discovery
    may show it (not limited)."""
    return and_(*visible_accounts(None), discoverable(None))


def not_featurable() -> ApiError:
    return ApiError(
        409,
        "not_featurable",
        "This account is limited, suspended or banned: it cannot be featured.",
        {"username": "Not featurable."},
    )


@dataclass(frozen=True)
class Featured:
    featured: FeaturedAccount
    user: User
    featurable: bool


async def featured_for_staff(db: AsyncSession) -> list[Featured]:
    """Every featured account, newest first, with whether it may still be shown (an account limited,
    suspended, banned or deactivated since stays here, hidden everywhere else)."""
    rows = await db.execute(
        select(FeaturedAccount, User, featurable().label("featurable"))
        .join(User, User.id == FeaturedAccount.user_id)
        .order_by(FeaturedAccount.featured_at.desc(), FeaturedAccount.user_id.desc())
    )
    return [Featured(featured, user, bool(shown)) for featured, user, shown in rows.tuples()]


async def featured_accounts(db: AsyncSession, viewer: User | None) -> list[Featured]:
    """The featured accounts shown to this viewer, newest first (at most MAX_FEATURED_SHOWN): never
    one blocked either way with the viewer, nor one that is not featurable now. One query."""
    viewer_id = viewer.id if viewer is not None else None
    rows = await db.execute(
        select(FeaturedAccount, User)
        .join(User, User.id == FeaturedAccount.user_id)
        .where(*visible_accounts(viewer_id), discoverable(None))
        .order_by(FeaturedAccount.featured_at.desc(), FeaturedAccount.user_id.desc())
        .limit(MAX_FEATURED_SHOWN)
    )
    return [Featured(featured, user, True) for featured, user in rows.tuples()]


async def _account_to_feature(db: AsyncSession, username: str) -> tuple[User, bool]:
    """The account by username, and whether it may be featured; 404 for no account, or one its
    owner deactivated (or is deleting); 409 is the caller's to raise."""
    row = (
        await db.execute(
            select(User, featurable().label("featurable"), under_sanction().label("sanctioned")).where(
                User.username_key == username_key(username)
            )
        )
    ).first()
    if row is None:
        raise not_found("No such account.")
    user, may_feature, sanctioned = row
    if not may_feature and not user.is_active and not sanctioned:
        raise not_found("No such account.")
    return user, bool(may_feature)


async def feature_account(db: AsyncSession, staff: User, username: str, note: str | None) -> Featured:
    """Feature the account, or change its note (None: keep it; "" on a new one), audited as
    featured.added or featured.changed; the same call again changes nothing. 404 for an unknown or
    deactivated account, 409 `not_featurable` for a limited, suspended or banned one (also when it
    is already featured: its note cannot be changed until it is featurable again)."""
    cleaned = None if note is None else note.strip()
    if cleaned is not None and len(cleaned) > MAX_NOTE:
        raise invalid("note", f"At most {MAX_NOTE} characters.")
    staff_id = staff.id
    try:
        return await _feature(db, staff_id, username, cleaned)
    except IntegrityError:  # featured by another staff member at the same moment: theirs stands
        await db.rollback()
        return await _feature(db, staff_id, username, cleaned)


async def _feature(db: AsyncSession, staff_id: int, username: str, note: str | None) -> Featured:
    user, may_feature = await _account_to_feature(db, username)
    if not may_feature:
        raise not_featurable()
    featured = await db.get(FeaturedAccount, user.id)
    if featured is None:
        featured = FeaturedAccount(user_id=user.id, note=note or "", featured_at=utcnow())
        db.add(featured)
        await db.flush()
        audit.record(
            db,
            actor_id=staff_id,
            action=FEATURED_ADDED,
            target_kind="user",
            target_id=user.id,
            after={"note": featured.note},
        )
        await db.commit()
        return Featured(featured, user, True)
    if note is None or note == featured.note:
        return Featured(featured, user, True)
    before = {"note": featured.note}
    featured.note = note
    audit.record(
        db,
        actor_id=staff_id,
        action=FEATURED_CHANGED,
        target_kind="user",
        target_id=user.id,
        before=before,
        after={"note": note},
    )
    await db.commit()
    return Featured(featured, user, True)


async def unfeature_account(db: AsyncSession, staff: User, username: str) -> None:
    """Stop featuring the account (whatever its state now), audited as featured.removed; 404 when
    it is not featured."""
    row = (
        await db.execute(
            select(FeaturedAccount)
            .join(User, User.id == FeaturedAccount.user_id)
            .where(User.username_key == username_key(username))
        )
    ).first()
    if row is None:
        raise not_found("This account is not featured.")
    featured = row[0]
    audit.record(
        db,
        actor_id=staff.id,
        action=FEATURED_REMOVED,
        target_kind="user",
        target_id=featured.user_id,
        before={"note": featured.note},
    )
    await db.delete(featured)
    await db.commit()


# --- account erasure (privacy.erasure) -------------------------------------------------------------

ACCOUNT_DATA_TABLES = ("announcement_reads", "featured_accounts")
"""Tables whose rows of an account `delete_account_data` removes."""


async def delete_account_data(db: AsyncSession, user_id: int) -> None:
    """Erase which announcements the account dismissed and its place among featured accounts (the
    audit entries about featuring it are unlinked with the rest of the log's entries about it)."""
    await db.execute(delete(AnnouncementRead).where(AnnouncementRead.user_id == user_id))
    await db.execute(delete(FeaturedAccount).where(FeaturedAccount.user_id == user_id))
    await db.commit()

"""HTTP endpoints of announcements and featured accounts; ROUTES is mounted under /api/viewfinder/v1.

Staff routes (under /staff) take `staff: StaffDep` with `dependencies=require("announcements.manage")`
(moderation.guard); members read and dismiss the active announcements; anyone sees the featured
accounts. Decision 0058.
"""

from __future__ import annotations

import msgspec
from litestar import delete, get, patch, post, put
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncSession

from viewfinder.accounts.auth import OptionalUserDep, ViewerDep
from viewfinder.accounts.models import User
from viewfinder.accounts.schemas import UserSummary
from viewfinder.community import services
from viewfinder.community.schemas import (
    AnnouncementCreate,
    AnnouncementList,
    AnnouncementOut,
    AnnouncementUpdate,
    FeaturedList,
    FeaturedOut,
    FeatureRequest,
)
from viewfinder.core.deps import DbSession
from viewfinder.core.openapi import errors
from viewfinder.core.pagination import Page
from viewfinder.core.params import PagingDep, parse_id
from viewfinder.graph.services import relationships
from viewfinder.mediakit.storage import MediaStorage, StorageDep
from viewfinder.moderation.guard import StaffDep, require

GUARD = require("announcements.manage")
FORBIDDEN = "forbidden: your staff role lacks the permission (announcements.manage)"
BAD_ANNOUNCEMENT = "validation_error: empty or too long text, an end not after the start or already past"
NO_ANNOUNCEMENT = "not_found: no such announcement"


def _announcement_id(announcement_id: str) -> int:
    return parse_id(announcement_id, "No such announcement.")


async def _featured_outs(
    db: AsyncSession, viewer: User | None, found: list[services.Featured], storage: MediaStorage
) -> list[FeaturedOut]:
    """The accounts with the viewer's relationship to each (one query; none for oneself or anonymous)."""
    others = [item.user.id for item in found if viewer is not None and item.user.id != viewer.id]
    related = await relationships(db, viewer, others) if others else {}
    return [
        FeaturedOut.of(
            item.featured, UserSummary.of(item.user, storage, related.get(item.user.id)), item.featurable
        )
        for item in found
    ]


# --- staff: announcements ------------------------------------------------------------------------------


@get("/staff/announcements", tags=["staff"], dependencies=GUARD, opt=errors({403: FORBIDDEN}))
async def list_announcements(
    staff: StaffDep, db_session: DbSession, paging: PagingDep
) -> Page[AnnouncementOut]:
    """Every announcement, drafts and ended ones too, newest first (permission announcements.manage)."""
    found = await services.list_announcements(db_session, paging.key("staff-announcements"), paging.limit + 1)
    return paging.page("staff-announcements", [AnnouncementOut.of(a) for a in found], [a.id for a in found])


@post(
    "/staff/announcements",
    status_code=HTTP_201_CREATED,
    tags=["staff"],
    dependencies=GUARD,
    opt=errors({403: FORBIDDEN, 400: BAD_ANNOUNCEMENT}),
)
async def create_announcement(
    data: JSONBody[AnnouncementCreate], staff: StaffDep, db_session: DbSession
) -> AnnouncementOut:
    """A new announcement, a draft unless `published`. Members see it while it is published, from
    `starts_at` (if given) until `ends_at` (if given). Audited as announcement.created."""
    announcement = await services.create_announcement(
        db_session,
        staff.user,
        data.text,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        published=data.published,
    )
    return AnnouncementOut.of(announcement)


@patch(
    "/staff/announcements/{announcement_id:str}",
    tags=["staff"],
    dependencies=GUARD,
    opt=errors({403: FORBIDDEN, 400: BAD_ANNOUNCEMENT, 404: NO_ANNOUNCEMENT}),
)
async def change_announcement(
    announcement_id: FromPath[str], data: JSONBody[AnnouncementUpdate], staff: StaffDep, db_session: DbSession
) -> AnnouncementOut:
    """Change the text, the window (null clears a bound) or publish and unpublish. Audited as
    announcement.changed."""
    announcement = await services.change_announcement(
        db_session,
        staff.user,
        _announcement_id(announcement_id),
        text=data.text,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        published=data.published,
    )
    return AnnouncementOut.of(announcement)


@delete(
    "/staff/announcements/{announcement_id:str}",
    status_code=HTTP_204_NO_CONTENT,
    tags=["staff"],
    dependencies=GUARD,
    opt=errors({403: FORBIDDEN, 404: NO_ANNOUNCEMENT}),
)
async def delete_announcement(announcement_id: FromPath[str], staff: StaffDep, db_session: DbSession) -> None:
    """Delete an announcement (and who dismissed it). Audited as announcement.deleted."""
    await services.delete_announcement(db_session, staff.user, _announcement_id(announcement_id))


# --- members: announcements ------------------------------------------------------------------------


@get("/announcements", tags=["community"])
async def active_announcements(viewer: ViewerDep, db_session: DbSession) -> AnnouncementList:
    """The announcements in force now (published, started, not ended), newest first, at most 10;
    `read` is true for those you dismissed."""
    found = await services.active_announcements(db_session, viewer.user)
    return AnnouncementList(items=[AnnouncementOut.of(item.announcement, item.read) for item in found])


@post(
    "/announcements/{announcement_id:str}/read",
    status_code=HTTP_204_NO_CONTENT,
    tags=["community"],
    opt=errors({404: "not_found: no such announcement in force"}),
)
async def dismiss_announcement(
    announcement_id: FromPath[str], viewer: ViewerDep, db_session: DbSession
) -> None:
    """Mark an announcement in force as read (again is no change)."""
    await services.mark_read(db_session, viewer.user, _announcement_id(announcement_id))


# --- featured accounts -----------------------------------------------------------------------------


@get("/staff/featured", tags=["staff"], dependencies=GUARD, opt=errors({403: FORBIDDEN}))
async def list_featured(staff: StaffDep, db_session: DbSession, storage: StorageDep) -> FeaturedList:
    """Every featured account, newest first, those hidden now (limited, suspended, banned or
    deactivated since) included with `featurable` false (permission announcements.manage)."""
    found = await services.featured_for_staff(db_session)
    return FeaturedList(items=await _featured_outs(db_session, staff.user, found, storage))


@put(
    "/staff/featured/{username:str}",
    tags=["staff"],
    dependencies=GUARD,
    opt=errors(
        {
            403: FORBIDDEN,
            404: "not_found: no such account, or one deactivated",
            409: "not_featurable: the account is limited, suspended or banned",
        }
    ),
)
async def feature_account(
    username: FromPath[str],
    data: JSONBody[FeatureRequest],
    staff: StaffDep,
    db_session: DbSession,
    storage: StorageDep,
) -> FeaturedOut:
    """Feature an account, or change its note; the same call again changes nothing. Audited as
    featured.added or featured.changed."""
    note = None if data.note is msgspec.UNSET else data.note
    featured = await services.feature_account(db_session, staff.user, username, note)
    return (await _featured_outs(db_session, staff.user, [featured], storage))[0]


@delete(
    "/staff/featured/{username:str}",
    status_code=HTTP_204_NO_CONTENT,
    tags=["staff"],
    dependencies=GUARD,
    opt=errors({403: FORBIDDEN, 404: "not_found: the account is not featured"}),
)
async def unfeature_account(username: FromPath[str], staff: StaffDep, db_session: DbSession) -> None:
    """Stop featuring an account. Audited as featured.removed."""
    await services.unfeature_account(db_session, staff.user, username)


@get("/discover/featured", tags=["discovery"])
async def discover_featured(
    viewer_user: OptionalUserDep, db_session: DbSession, storage: StorageDep
) -> FeaturedList:
    """Accounts the instance's staff feature, newest first (at most 50), with why: never one you
    blocked or that blocked you, nor one limited, suspended, banned or deactivated. Private accounts
    are listed (their profile is public, their posts are not)."""
    found = await services.featured_accounts(db_session, viewer_user)
    return FeaturedList(items=await _featured_outs(db_session, viewer_user, found, storage))


ROUTES: list[ControllerRouterHandler] = [
    list_announcements,
    create_announcement,
    change_announcement,
    delete_announcement,
    active_announcements,
    dismiss_announcement,
    list_featured,
    feature_account,
    unfeature_account,
    discover_featured,
]

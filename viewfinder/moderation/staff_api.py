"""Staff endpoints (mounted under /api/viewfinder/v1/staff): roles and the audit log here, the
queue of cases in moderation.cases_api. Every route takes `staff: StaffDep` with
`dependencies=require(permission)` (moderation.guard)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from litestar import get, put
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.types import ControllerRouterHandler
from sqlalchemy import select

from viewfinder.accounts.models import User
from viewfinder.accounts.services import username_key
from viewfinder.core.deps import DbSession
from viewfinder.core.errors import ApiError
from viewfinder.core.openapi import errors
from viewfinder.core.pagination import Page
from viewfinder.core.params import PagingDep, parse_id
from viewfinder.moderation import audit
from viewfinder.moderation import staff as roles_service
from viewfinder.moderation.guard import StaffDep, require
from viewfinder.moderation.staff_schemas import AuditEntryOut, RoleAssignment, StaffMemberOut

FORBIDDEN = "forbidden: your staff role lacks the permission"

Text = Annotated[str | None, QueryParameter(max_length=64)]
Moment = Annotated[datetime | None, QueryParameter(description="An ISO 8601 date and time.")]


@get(
    "/staff/roles",
    tags=["staff"],
    dependencies=require("roles.assign"),
    opt=errors({403: FORBIDDEN}),
)
async def list_staff(staff: StaffDep, db_session: DbSession) -> list[StaffMemberOut]:
    """Every account with a staff role and what the role allows (permission roles.assign)."""
    return [StaffMemberOut.of(user) for user in await roles_service.staff_members(db_session)]


@put(
    "/staff/roles/{username:str}",
    tags=["staff"],
    dependencies=require("roles.assign"),
    opt=errors(
        {
            403: FORBIDDEN + "; or only an owner can make or unmake an owner",
            409: "last_owner: the instance's last owner cannot be removed",
        }
    ),
)
async def assign_role(
    username: FromPath[str], data: JSONBody[RoleAssignment], staff: StaffDep, db_session: DbSession
) -> StaffMemberOut:
    """Give an account a staff role, or take it away with "none" (permission roles.assign; only an
    owner makes or unmakes an owner; the last owner stays). Audited as role.changed."""
    user = await roles_service.assign_role(db_session, staff.user, username, data.role, data.reason.strip())
    return StaffMemberOut.of(user)


@get(
    "/staff/audit",
    tags=["staff"],
    dependencies=require("audit.read"),
    opt=errors({403: FORBIDDEN}),
)
async def audit_log(
    staff: StaffDep,
    db_session: DbSession,
    paging: PagingDep,
    actor: Text = None,
    action: Text = None,
    target_kind: Text = None,
    target_id: Text = None,
    since: Moment = None,
    until: Moment = None,
) -> Page[AuditEntryOut]:
    """The audit log, newest first (permission audit.read), filtered by the acting staff member's
    username, the action (e.g. role.changed), the target (kind and/or id) and a time range
    (`since` inclusive, `until` exclusive)."""
    actor_id: int | None = None
    if actor is not None:
        actor_id = await db_session.scalar(select(User.id).where(User.username_key == username_key(actor)))
        if actor_id is None:
            return paging.page("staff-audit", [], [])
    target: int | None = None
    if target_id is not None:
        try:
            target = parse_id(target_id)
        except ApiError:
            return paging.page("staff-audit", [], [])
    found = await audit.entries(
        db_session,
        before_id=paging.key("staff-audit"),
        limit=paging.limit + 1,
        actor_id=actor_id,
        action=action,
        target_kind=target_kind,
        target_id=target,
        since=since,
        until=until,
    )
    actor_ids = {entry.actor_id for entry in found if entry.actor_id is not None}
    usernames: dict[int, str] = {}
    if actor_ids:
        rows = await db_session.execute(select(User.id, User.username).where(User.id.in_(actor_ids)))
        usernames = {row.id: row.username for row in rows}
    items = [AuditEntryOut.of(entry, usernames) for entry in found]
    return paging.page("staff-audit", items, [entry.id for entry in found])


ROUTES: list[ControllerRouterHandler] = [list_staff, assign_role, audit_log]

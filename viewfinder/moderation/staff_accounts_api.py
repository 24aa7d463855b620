"""`GET /staff/accounts/{username}`: an account as staff see it, with its moderation states, the actions
taken against it and the cases about it (permission reports.handle; docs/decisions/0052). Mounted
under /api/viewfinder/v1."""

from __future__ import annotations

from datetime import datetime

import msgspec
from litestar import get
from litestar.params import FromPath
from litestar.types import ControllerRouterHandler
from sqlalchemy import select

from viewfinder.accounts.models import User
from viewfinder.accounts.services import username_key
from viewfinder.core.deps import DbSession, SettingsDep
from viewfinder.core.errors import not_found
from viewfinder.core.openapi import errors
from viewfinder.mediakit.storage import StorageDep
from viewfinder.moderation import cases
from viewfinder.moderation.case_schemas import AccountContext, ActionOut, CaseOut
from viewfinder.moderation.guard import StaffDep, require
from viewfinder.moderation.models import ModerationAction, ModerationCase
from viewfinder.posts.cards import urls_for_author

FORBIDDEN = "forbidden: your staff role lacks the permission"
LISTED = 50
"""Actions and cases shown at most (the newest)."""


class StaffAccountOut(msgspec.Struct):
    """An account as staff see it: whoever may see it otherwise, active or not."""

    account: AccountContext
    restricted: bool
    """Its new comments are held until approved."""
    limited: bool
    """Left out of Explore, search and hashtag pages."""
    suspended_until: datetime | None
    """While in the future: suspended (cannot log in; hidden everywhere)."""
    banned: bool
    actions: list[ActionOut]
    """Every action taken against the account or its content, newest first (up to 50)."""
    cases: list[CaseOut]
    """The cases about the account or its content, newest first (up to 50), open or closed."""


@get(
    "/staff/accounts/{username:str}",
    tags=["staff"],
    dependencies=require("reports.handle"),
    opt=errors({403: FORBIDDEN, 404: "not_found: no such account"}),
)
async def staff_account(
    username: FromPath[str],
    staff: StaffDep,
    db_session: DbSession,
    storage: StorageDep,
    settings: SettingsDep,
) -> StaffAccountOut:
    """The account (deactivated, suspended and banned ones included) with its newest posts, its
    moderation states, the actions taken against it and the cases about it (permission
    reports.handle)."""
    owner = await db_session.scalar(select(User).where(User.username_key == username_key(username)))
    if owner is None:
        raise not_found("No such account.")
    recent = await cases.recent_posts(db_session, staff.user, owner, storage, settings)
    actions = list(
        await db_session.scalars(
            select(ModerationAction)
            .where(ModerationAction.target_owner_id == owner.id)
            .order_by(ModerationAction.id.desc())
            .limit(LISTED)
        )
    )
    found = list(
        await db_session.scalars(
            select(ModerationCase)
            .where(ModerationCase.target_owner_id == owner.id)
            .order_by(ModerationCase.id.desc())
            .limit(LISTED)
        )
    )
    reasons = await cases.reason_counts(db_session, [case.id for case in found])
    people = (
        {owner.id}
        | {action.actor_id for action in actions if action.actor_id is not None}
        | {case.claimed_by_id for case in found if case.claimed_by_id is not None}
    )
    users = await cases.users_by_id(db_session, people)
    return StaffAccountOut(
        account=AccountContext.of(owner, urls_for_author(storage, settings, owner), recent),
        restricted=owner.restricted,
        limited=owner.limited,
        suspended_until=owner.suspended_until,
        banned=owner.banned,
        actions=[ActionOut.of(action, users) for action in actions],
        cases=[CaseOut.of(case, reasons[case.id], users) for case in found],
    )


ROUTES: list[ControllerRouterHandler] = [staff_account]

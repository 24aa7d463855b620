"""A member's strikes and appeals (mounted under /api/viewfinder/v1): what staff did against the
viewer's account or content, and the one appeal each action allows."""

from __future__ import annotations

from litestar import get, post
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED
from litestar.types import ControllerRouterHandler

from viewfinder.accounts.auth import ViewerDep
from viewfinder.core.deps import DbSession
from viewfinder.core.openapi import errors
from viewfinder.core.pagination import Page
from viewfinder.core.params import PagingDep
from viewfinder.moderation import appeals
from viewfinder.moderation.action_schemas import AppealCreate, StrikeOut
from viewfinder.moderation.case_schemas import AppealOut

SCOPE = "strikes"


@get("/accounts/me/strikes", tags=["accounts"])
async def my_strikes(viewer: ViewerDep, db_session: DbSession, paging: PagingDep) -> Page[StrikeOut]:
    """Every action staff took against your account or content (strikes marked), newest first,
    with its appeal and whether it can still be appealed."""
    rows = await appeals.strikes(db_session, viewer.user, paging.key(SCOPE), paging.limit)
    items = [StrikeOut.of(action, appeal, appeals.appealable(action, appeal)) for action, appeal in rows]
    return paging.page(SCOPE, items, [action.id for action, _ in rows])


@post(
    "/accounts/me/strikes/{action_id:str}/appeal",
    status_code=HTTP_201_CREATED,
    tags=["accounts"],
    opt=errors(appeals.APPEAL_ERRORS),
)
async def appeal_strike(
    action_id: FromPath[str], data: JSONBody[AppealCreate], viewer: ViewerDep, db_session: DbSession
) -> AppealOut:
    """Appeal an action taken against you, once: a moderator other than the one who acted decides."""
    appeal = await appeals.file_appeal(db_session, viewer.user, appeals.action_key(action_id), data.text)
    return AppealOut.of(appeal)


ROUTES: list[ControllerRouterHandler] = [my_strikes, appeal_strike]

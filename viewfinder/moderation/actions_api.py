"""Staff endpoints that decide cases (mounted under /api/viewfinder/v1): an action on a case, and
the decision on an appeal. Guarded by `require("reports.handle")`; the permission the action itself
needs (content.act, accounts.act) is checked inside (403 `forbidden`)."""

from __future__ import annotations

from litestar import post
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED
from litestar.types import ControllerRouterHandler

from viewfinder.core.deps import DbSession
from viewfinder.core.openapi import errors
from viewfinder.core.params import parse_id
from viewfinder.mediakit.storage import StorageDep
from viewfinder.moderation import actions, appeals, cases
from viewfinder.moderation.action_schemas import (
    ActionCreate,
    ActionOut,
    ActionResult,
    AppealDecided,
    AppealDecision,
)
from viewfinder.moderation.case_schemas import AppealOut, CaseOut
from viewfinder.moderation.guard import StaffDep, require

GUARD = require("reports.handle")
FORBIDDEN = "forbidden: your staff role lacks the permission the action needs"
CONFLICTS = (
    "case_closed: the case is closed; case_claimed: another staff member holds it; case_excluded: "
    "you took the action appealed against; target_deleted: the target no longer exists"
)


def _case_id(case_id: str) -> int:
    return parse_id(case_id, "No such case.")


@post(
    "/staff/cases/{case_id:str}/actions",
    status_code=HTTP_201_CREATED,
    tags=["staff"],
    dependencies=GUARD,
    opt=errors({403: FORBIDDEN, 409: CONFLICTS, 422: "bad_action: the action does not fit the case"}),
)
async def act_on_case(
    case_id: FromPath[str],
    data: JSONBody[ActionCreate],
    staff: StaffDep,
    db_session: DbSession,
    storage: StorageDep,
) -> ActionResult:
    """Dismiss the case, or act on its target or the account behind it; closes the case and its
    reports, tells the account and the reporters, and is audited."""
    request = actions.ActionRequest(
        kind=data.action,
        reason=data.reason,
        policy=data.policy,
        strike=data.strike,
        duration_hours=None if data.duration_hours is None else int(data.duration_hours),
    )
    action, case = await actions.take_action(db_session, staff, _case_id(case_id), request, storage)
    users = await cases.users_by_id(
        db_session,
        {action.target_owner_id, staff.user.id} | ({case.claimed_by_id} if case.claimed_by_id else set()),
    )
    reasons = await cases.reason_counts(db_session, [case.id])
    return ActionResult(action=ActionOut.of(action, users), case=CaseOut.of(case, reasons[case.id], users))


@post(
    "/staff/cases/{case_id:str}/appeal",
    status_code=HTTP_200_OK,
    tags=["staff"],
    dependencies=GUARD,
    opt=errors({403: FORBIDDEN, 409: CONFLICTS, 422: "bad_action: the case is not an appeal"}),
)
async def decide_appeal(
    case_id: FromPath[str], data: JSONBody[AppealDecision], staff: StaffDep, db_session: DbSession
) -> AppealDecided:
    """Uphold the appealed action, or reverse it (its effects undone); tells the appellant. Audited."""
    appeal, action, case = await appeals.decide_appeal(
        db_session, staff, _case_id(case_id), data.decision, data.reason
    )
    people = {action.target_owner_id, case.target_owner_id}
    people |= {user_id for user_id in (action.actor_id, case.claimed_by_id) if user_id is not None}
    users = await cases.users_by_id(db_session, people)
    reasons = await cases.reason_counts(db_session, [case.id])
    return AppealDecided(
        appeal=AppealOut.of(appeal, ActionOut.of(action, users)),
        case=CaseOut.of(case, reasons[case.id], users),
    )


ROUTES: list[ControllerRouterHandler] = [act_on_case, decide_appeal]

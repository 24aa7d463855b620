"""Staff endpoints of the keyword and link rules (mounted under /api/viewfinder/v1), each guarded by
`require("rules.manage")` (moderation.guard)."""

from __future__ import annotations

import msgspec
from litestar import delete, get, patch, post
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncSession

from viewfinder.core.deps import DbSession
from viewfinder.core.openapi import errors
from viewfinder.core.params import parse_id
from viewfinder.moderation import cases, rules
from viewfinder.moderation.guard import StaffDep, require
from viewfinder.moderation.models import ModerationRule
from viewfinder.moderation.rule_schemas import RuleCreate, RuleList, RuleOut, RuleUpdate

FORBIDDEN = "forbidden: your staff role lacks the permission"
GUARD = require("rules.manage")
BAD_PATTERN = "invalid_pattern: a keyword with no letter or digit, or a link rule that is not a domain name"


def _rule_id(rule_id: str) -> int:
    return parse_id(rule_id, "No such rule.")


async def _outs(db: AsyncSession, found: list[ModerationRule]) -> list[RuleOut]:
    users = await cases.users_by_id(db, {r.created_by_id for r in found if r.created_by_id is not None})
    return [RuleOut.of(rule, users) for rule in found]


@get("/staff/rules", tags=["staff"], dependencies=GUARD, opt=errors({403: FORBIDDEN}))
async def list_rules(staff: StaffDep, db_session: DbSession) -> RuleList:
    """Every keyword and link rule, newest first (permission rules.manage)."""
    return RuleList(items=await _outs(db_session, await rules.list_rules(db_session)))


@post(
    "/staff/rules",
    status_code=HTTP_201_CREATED,
    tags=["staff"],
    dependencies=GUARD,
    opt=errors(
        {403: FORBIDDEN, 409: "rule_exists: a rule of this kind and pattern exists", 422: BAD_PATTERN}
    ),
)
async def create_rule(data: JSONBody[RuleCreate], staff: StaffDep, db_session: DbSession) -> RuleOut:
    """A new rule, on at once in every process: new captions, comments and profiles matching it are
    refused (block), held for review (hold) or published with a case opened (flag). Audited as
    rule.created."""
    rule = await rules.create_rule(db_session, staff.user, data.kind, data.pattern, data.action)
    return RuleOut.of(rule, {staff.user.id: staff.user})


@patch("/staff/rules/{rule_id:str}", tags=["staff"], dependencies=GUARD, opt=errors({403: FORBIDDEN}))
async def change_rule(
    rule_id: FromPath[str], data: JSONBody[RuleUpdate], staff: StaffDep, db_session: DbSession
) -> RuleOut:
    """Change a rule's action, or switch it off and on. Audited as rule.changed."""
    rule = await rules.change_rule(
        db_session,
        staff.user,
        _rule_id(rule_id),
        action=None if data.action is msgspec.UNSET else data.action,
        enabled=None if data.enabled is msgspec.UNSET else data.enabled,
    )
    return (await _outs(db_session, [rule]))[0]


@delete(
    "/staff/rules/{rule_id:str}",
    status_code=HTTP_204_NO_CONTENT,
    tags=["staff"],
    dependencies=GUARD,
    opt=errors({403: FORBIDDEN}),
)
async def delete_rule(rule_id: FromPath[str], staff: StaffDep, db_session: DbSession) -> None:
    """Delete a rule (what it held or flagged stays in the queue). Audited as rule.deleted."""
    await rules.delete_rule(db_session, staff.user, _rule_id(rule_id))


ROUTES: list[ControllerRouterHandler] = [list_rules, create_rule, change_rule, delete_rule]

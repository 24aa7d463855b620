"""Strikes and appeals: every write goes through `file_appeal` or `decide_appeal` (decision 0051).

An account's strikes page lists every action taken against it (not dismissals). It may appeal each
action once (409 `appeal_exists`), unless the action was reversed or was a deletion. An appeal opens
a case of target "appeal" in the same queue, which the moderator who took the action may not take
(`excluded_moderator_id`: 409 `case_excluded` on claim and decide). Deciding it needs the permission
the action needed; "reverse" undoes the action (removed content shown again, the sensitive mark
cleared, an account action lifted through moderation.enforcement) and stamps it `reversed_at`.
Both outcomes are audited (`appeal.upheld`, `appeal.reversed`) and the appellant is told.

A suspended or banned account cannot log in; it sees its strikes and appeals them with a standing
token instead (moderation.standing, docs/decisions/0055), through the same `file_appeal`.
"""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from viewfinder.accounts.models import User
from viewfinder.core.db import utcnow
from viewfinder.core.errors import ApiError, invalid, not_found
from viewfinder.core.events import emit
from viewfinder.core.ids import new_id
from viewfinder.core.params import parse_id
from viewfinder.moderation import audit, cases
from viewfinder.moderation.actions import (
    ACCOUNT_KINDS,
    NOT_APPEALABLE,
    REASON_MAX,
    bad_action,
    check_case_open_to,
    close_case,
    find_target,
    permission_for,
    set_comment_state,
    set_post_state,
)
from viewfinder.moderation.enforcement import reverse_account_action
from viewfinder.moderation.events import AppealDecided
from viewfinder.moderation.guard import Staff, forbidden
from viewfinder.moderation.models import Appeal, ModerationAction, ModerationCase

APPEAL_ERRORS = {
    404: "not_found: no such action against your account",
    409: "appeal_exists: appealed already (once per action); action_reversed; not_appealable",
}
"""What filing an appeal may answer, for the routes' documents."""
APPEAL_SEVERITY = 3
"""An appeal waits in the queue like a report of harassment, then gains a point an hour."""


def action_key(action_id: str) -> int:
    """The id of an action as a path names it; a malformed one is a 404 like an unknown one."""
    return parse_id(action_id, "No such action.")


def appealable(action: ModerationAction, appeal: Appeal | None) -> bool:
    return action.kind not in NOT_APPEALABLE and action.reversed_at is None and appeal is None


async def strikes(
    db: AsyncSession, user: User, before: int | None, limit: int
) -> list[tuple[ModerationAction, Appeal | None]]:
    """A page (limit + 1 rows) of the actions taken against the account, newest first, each with
    its appeal (one query)."""
    query = (
        select(ModerationAction, Appeal)
        .outerjoin(Appeal, Appeal.action_id == ModerationAction.id)
        .where(ModerationAction.target_owner_id == user.id, ModerationAction.kind != "dismiss")
        .order_by(ModerationAction.id.desc())
        .limit(limit + 1)
    )
    if before is not None:
        query = query.where(ModerationAction.id < before)
    return list((await db.execute(query)).tuples().all())


async def file_appeal(db: AsyncSession, user: User, action_id: int, text: str) -> Appeal:
    """The account's one appeal against one of its actions, and the case staff decide it in."""
    text = text.strip()
    if not text:
        raise invalid("text", "Say why the action was wrong.")
    if len(text) > REASON_MAX:
        raise invalid("text", f"At most {REASON_MAX} characters.")
    action = await db.scalar(
        select(ModerationAction).where(
            ModerationAction.id == action_id,
            ModerationAction.target_owner_id == user.id,
            ModerationAction.kind != "dismiss",
        )
    )
    if action is None:
        raise not_found("No such action.")
    if await db.scalar(select(Appeal.id).where(Appeal.action_id == action.id)) is not None:
        raise _exists()
    if action.reversed_at is not None:
        raise ApiError(409, "action_reversed", "This action was already reversed.")
    if action.kind in NOT_APPEALABLE:
        raise ApiError(409, "not_appealable", "A deletion cannot be appealed.")
    now = utcnow()
    appeal = Appeal(
        id=new_id(), action_id=action.id, user_id=user.id, text=text, status="open", created_at=now
    )
    case = ModerationCase(
        id=new_id(),
        target_kind="appeal",
        target_id=appeal.id,
        target_owner_id=user.id,
        status="open",
        severity=APPEAL_SEVERITY,
        reporters_count=0,
        excluded_moderator_id=action.actor_id,
        created_at=now,
    )
    case.priority_key = cases.priority_key(APPEAL_SEVERITY, 0, None, now)
    appeal.case_id = case.id
    db.add(case)
    await db.flush()
    db.add(appeal)
    try:
        await db.commit()
    except IntegrityError:  # a concurrent twin was filed first
        await db.rollback()
        raise _exists() from None
    return appeal


def _exists() -> ApiError:
    return ApiError(
        409, "appeal_exists", "This action was already appealed: each action can be appealed once."
    )


async def _undo(db: AsyncSession, action: ModerationAction) -> tuple[dict[str, Any], dict[str, Any]]:
    """Undo the action's effect (no commit); the target's state before and after."""
    target = await find_target(db, action.target_kind, action.target_id, action.target_owner_id)
    if action.kind in ACCOUNT_KINDS:
        if target.owner is None:
            return {}, {}
        return await reverse_account_action(db, target.owner, action.kind)  # type: ignore[arg-type]
    if action.kind == "remove_content":
        if target.post is not None:
            before = {"moderation": target.post.moderation}
            await set_post_state(db, target.post, moderation="visible")
            return before, {"moderation": "visible"}
        if target.comment is not None:
            before = {"moderation": target.comment.moderation}
            await set_comment_state(db, target.comment, "visible")
            return before, {"moderation": "visible"}
    if action.kind == "mark_sensitive" and target.post is not None:
        await set_post_state(db, target.post, sensitive=False)
        return {"sensitive": True}, {"sensitive": False}
    return {}, {}


async def decide_appeal(
    db: AsyncSession, staff: Staff, case_id: int, decision: Literal["uphold", "reverse"], reason: str
) -> tuple[Appeal, ModerationAction, ModerationCase]:
    """Uphold the action or reverse it, close the appeal's case, tell the appellant; commits."""
    reason = reason.strip()
    if not reason:
        raise invalid("reason", "Give the reason for the decision.")
    case = await cases.get_case(db, case_id)
    if case.target_kind != "appeal":
        raise bad_action("This case is not an appeal.")
    appeal = await db.get(Appeal, case.target_id)
    action = None if appeal is None else await db.get(ModerationAction, appeal.action_id)
    if appeal is None or action is None:
        raise ApiError(409, "target_deleted", "The appeal or its action no longer exists.")
    permission = permission_for(action.kind, action.target_kind)
    if not staff.may(permission):
        raise forbidden(permission)
    check_case_open_to(case, staff.user)
    await close_case(db, staff.user, case, "actioned" if decision == "reverse" else "dismissed")
    now = utcnow()
    before: dict[str, Any] = {"appeal": appeal.status}
    after: dict[str, Any] = {}
    if decision == "reverse":
        before_target, after_target = await _undo(db, action)
        before.update(before_target)
        after.update(after_target)
        action.reversed_at = now
        action.reversed_by_id = staff.user.id
        appeal.status = "reversed"
    else:
        appeal.status = "upheld"
    after["appeal"] = appeal.status
    appeal.decided_by_id = staff.user.id
    appeal.decided_at = now
    audit.record(
        db,
        actor_id=staff.user.id,
        action=f"appeal.{appeal.status}",
        target_kind=action.target_kind,
        target_id=action.target_id,
        before=before,
        after=after,
        reason=reason,
    )
    reporters: tuple[int, ...] = ()
    if decision == "reverse" and action.case_id is not None:
        reporters = tuple(await cases.case_reporters(db, action.case_id))
    await emit(
        db,
        AppealDecided(
            appeal_id=appeal.id, user_id=appeal.user_id, decision=appeal.status, reporter_ids=reporters
        ),
    )
    await db.commit()
    await db.refresh(case)
    return appeal, action, case


async def appeal_of_case(db: AsyncSession, case: ModerationCase) -> tuple[Appeal, ModerationAction] | None:
    """An appeal case's appeal and the action it is against."""
    if case.target_kind != "appeal":
        return None
    appeal = await db.get(Appeal, case.target_id)
    action = None if appeal is None else await db.get(ModerationAction, appeal.action_id)
    if appeal is None or action is None:
        return None
    return appeal, action


async def case_actions(db: AsyncSession, case_id: int) -> list[ModerationAction]:
    """What staff did in a case, oldest first."""
    query = select(ModerationAction).where(ModerationAction.case_id == case_id).order_by(ModerationAction.id)
    return list((await db.scalars(query)).all())

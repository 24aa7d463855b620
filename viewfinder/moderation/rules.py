"""Every change of the staff's keyword and link rules goes through a function here.

A rule is a keyword or a domain with an action (block, hold, flag) and an on/off switch; what it
does to new text is `viewfinder.screening`'s. Patterns are stored in the form they are matched in
(a keyword folded and its spaces collapsed, a domain lower-case punycode), so "Spam" and "spam"
are one rule: a second (kind, pattern) is 409 `rule_exists`. Every change is audited (`rule.created`,
`rule.changed`, `rule.deleted`, with before and after) in its own transaction; those entries are
also the rules' version that every process checks before it uses its compiled copy
(docs/decisions/0053-automatic-rules-and-new-account-limits.md).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from viewfinder.accounts.models import User
from viewfinder.core.errors import ApiError, not_found
from viewfinder.core.ids import new_id
from viewfinder.moderation import audit
from viewfinder.moderation.models import ModerationRule, RuleAction, RuleKind
from viewfinder.screening import RULE_CHANGES, domain_pattern, keyword_pattern

RULE_CREATED, RULE_CHANGED, RULE_DELETED = RULE_CHANGES


def _state(rule: ModerationRule) -> dict[str, Any]:
    return {"kind": rule.kind, "pattern": rule.pattern, "action": rule.action, "enabled": rule.enabled}


def normalise_pattern(kind: RuleKind, pattern: str) -> str:
    """The pattern as stored and matched; 422 `invalid_pattern` when it cannot be one."""
    return keyword_pattern(pattern) if kind == "keyword" else domain_pattern(pattern)


def _exists() -> ApiError:
    return ApiError(409, "rule_exists", "There is already a rule for this.", {"pattern": "Already a rule."})


async def list_rules(db: AsyncSession) -> list[ModerationRule]:
    """Every rule, newest first (an instance has tens or hundreds, not more)."""
    return list((await db.scalars(select(ModerationRule).order_by(ModerationRule.id.desc()))).all())


async def get_rule(db: AsyncSession, rule_id: int) -> ModerationRule:
    rule = await db.get(ModerationRule, rule_id)
    if rule is None:
        raise not_found("No such rule.")
    return rule


async def create_rule(
    db: AsyncSession, staff: User | None, kind: RuleKind, pattern: str, action: RuleAction
) -> ModerationRule:
    """A new enabled rule, audited as rule.created; 409 when the same (kind, pattern) exists."""
    stored = normalise_pattern(kind, pattern)
    if await db.scalar(
        select(ModerationRule.id).where(ModerationRule.kind == kind, ModerationRule.pattern == stored)
    ):
        raise _exists()
    rule = ModerationRule(
        id=new_id(),
        kind=kind,
        pattern=stored,
        action=action,
        enabled=True,
        created_by_id=None if staff is None else staff.id,
    )
    db.add(rule)
    try:
        await db.flush()
    except IntegrityError:  # the same rule, created at the same moment
        await db.rollback()
        raise _exists() from None
    audit.record(
        db,
        actor_id=None if staff is None else staff.id,
        action=RULE_CREATED,
        target_kind="rule",
        target_id=rule.id,
        after=_state(rule),
    )
    await db.commit()
    return rule


async def change_rule(
    db: AsyncSession,
    staff: User | None,
    rule_id: int,
    *,
    action: RuleAction | None = None,
    enabled: bool | None = None,
) -> ModerationRule:
    """Change a rule's action or switch it on or off, audited as rule.changed (nothing changes,
    and nothing is audited, when it already is so)."""
    rule = await get_rule(db, rule_id)
    before = _state(rule)
    if action is not None:
        rule.action = action
    if enabled is not None:
        rule.enabled = enabled
    after = _state(rule)
    if after == before:
        return rule
    audit.record(
        db,
        actor_id=None if staff is None else staff.id,
        action=RULE_CHANGED,
        target_kind="rule",
        target_id=rule.id,
        before=before,
        after=after,
    )
    await db.commit()
    return rule


async def delete_rule(db: AsyncSession, staff: User | None, rule_id: int) -> None:
    """Delete a rule, audited as rule.deleted with what it was. Text it held or flagged stays as
    it is (its cases are still in the queue)."""
    rule = await get_rule(db, rule_id)
    audit.record(
        db,
        actor_id=None if staff is None else staff.id,
        action=RULE_DELETED,
        target_kind="rule",
        target_id=rule.id,
        before=_state(rule),
    )
    await db.delete(rule)
    await db.commit()

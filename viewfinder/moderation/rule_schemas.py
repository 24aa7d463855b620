"""Request and response bodies of the staff's keyword and link rules."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from viewfinder.accounts.models import User
from viewfinder.moderation.case_schemas import StaffRef
from viewfinder.moderation.models import ModerationRule, RuleAction, RuleKind
from viewfinder.screening import MAX_PATTERN


class RuleCreate(msgspec.Struct, forbid_unknown_fields=True):
    kind: RuleKind
    """keyword: a word or phrase, matched as whole words whatever the case; link: a domain name,
    matching links to it and to its subdomains."""
    pattern: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_PATTERN)]
    action: RuleAction
    """block: refused (422 content_blocked); hold: seen by its author alone until staff approve it,
    and a case opened; flag: published, and a case opened."""


class RuleUpdate(msgspec.Struct, forbid_unknown_fields=True):
    action: RuleAction | msgspec.UnsetType = msgspec.UNSET
    enabled: bool | msgspec.UnsetType = msgspec.UNSET


class RuleOut(msgspec.Struct):
    id: str
    kind: RuleKind
    pattern: str
    """As it is matched: a keyword case-folded with single spaces, a domain in lower case
    (punycode for a Unicode name)."""
    action: RuleAction
    enabled: bool
    created_by: StaffRef | None
    created_at: datetime

    @classmethod
    def of(cls, rule: ModerationRule, users: dict[int, User]) -> RuleOut:
        creator = rule.created_by_id
        return cls(
            id=str(rule.id),
            kind=rule.kind,
            pattern=rule.pattern,
            action=rule.action,
            enabled=rule.enabled,
            created_by=None if creator is None else StaffRef.of(creator, users),
            created_at=rule.created_at,
        )


class RuleList(msgspec.Struct):
    items: list[RuleOut]

"""Request and response bodies of staff actions, strikes and appeals (moderation.actions, .appeals).

`ActionOut` and `AppealOut` live with the case shapes (a case's detail lists them) and are named here
too, the module other domains import them from."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from viewfinder.moderation.case_schemas import ActionOut, AppealOut, CaseOut
from viewfinder.moderation.models import ActionKind, Appeal, AppealStatus, ModerationAction, ReportTarget

__all__ = [
    "ActionCreate",
    "ActionOut",
    "ActionResult",
    "AppealCreate",
    "AppealDecided",
    "AppealDecision",
    "AppealOut",
    "AppealRef",
    "StandingOut",
    "StandingTokenCreate",
    "StandingTokenOut",
    "StrikeOut",
]

REASON_MAX = 2000
POLICY_MAX = 100
MAX_SUSPENSION_HOURS = 8760


class ActionCreate(msgspec.Struct, forbid_unknown_fields=True):
    """What a moderator does about a case. `reason` is required for every action but dismiss;
    `duration_hours` for suspend only; `strike` not with dismiss (422 `bad_action` otherwise)."""

    action: ActionKind
    reason: Annotated[str, msgspec.Meta(max_length=REASON_MAX)] = ""
    policy: Annotated[str, msgspec.Meta(max_length=POLICY_MAX)] = ""
    """The rule of the instance's policy broken: shown to the account."""
    strike: bool = False
    duration_hours: Annotated[float, msgspec.Meta(ge=1, le=MAX_SUSPENSION_HOURS, multiple_of=1)] | None = None
    """Whole hours. A number that is a multiple of 1, not an integer, so that `24.0` (an integer to JSON
    Schema) is accepted like `24` (found by the API fuzzing: msgspec refuses a float for an int)."""


class ActionResult(msgspec.Struct):
    action: ActionOut
    case: CaseOut


class AppealRef(msgspec.Struct):
    id: str
    status: AppealStatus
    created_at: datetime


class StrikeOut(msgspec.Struct):
    """An action staff took against the viewer's account or content, as the viewer sees it."""

    id: str
    kind: ActionKind
    target: ReportTarget
    target_id: str
    reason: str
    policy: str
    strike: bool
    until: datetime | None
    reversed_at: datetime | None
    created_at: datetime
    appeal: AppealRef | None
    appealable: bool
    """Whether it can still be appealed (once per action; not once reversed; not a deletion)."""

    @classmethod
    def of(cls, action: ModerationAction, appeal: Appeal | None, appealable: bool) -> StrikeOut:
        return cls(
            id=str(action.id),
            kind=action.kind,
            target=action.target_kind,
            target_id=str(action.target_id),
            reason=action.reason,
            policy=action.policy,
            strike=action.strike,
            until=action.until,
            reversed_at=action.reversed_at,
            created_at=action.created_at,
            appeal=None
            if appeal is None
            else AppealRef(id=str(appeal.id), status=appeal.status, created_at=appeal.created_at),
            appealable=appealable,
        )


class AppealCreate(msgspec.Struct, forbid_unknown_fields=True):
    text: Annotated[str, msgspec.Meta(min_length=1, max_length=REASON_MAX)]


class AppealDecision(msgspec.Struct, forbid_unknown_fields=True):
    decision: Literal["uphold", "reverse"]
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=REASON_MAX)]


class AppealDecided(msgspec.Struct):
    appeal: AppealOut
    case: CaseOut


class StandingTokenCreate(msgspec.Struct, forbid_unknown_fields=True):
    """The credentials of a banned or suspended account, as log-in takes them."""

    username: Annotated[str, msgspec.Meta(min_length=1, max_length=254)]
    """A username or an e-mail address."""
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=1024)]
    code: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None
    """For an account with two-factor on: a code of its authenticator app, or a recovery code."""


class StandingTokenOut(msgspec.Struct):
    token: str
    """Send as `Authorization: Bearer <token>` to GET /accounts/standing and its appeal route only."""
    expires_at: datetime


class StandingOut(msgspec.Struct):
    """Why a sanctioned account cannot log in, and what staff did against it."""

    username: str
    state: Literal["banned", "suspended"]
    suspended_until: datetime | None
    """When the suspension ends (null when banned)."""
    strikes: list[StrikeOut]
    """The newest actions (up to 100), as GET /accounts/me/strikes lists them."""

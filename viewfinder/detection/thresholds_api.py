"""Staff endpoints of the detection thresholds (mounted under /api/viewfinder/v1): see them and change
them while the instance runs (viewfinder.detection.thresholds), guarded by `require("rules.manage")`."""

from __future__ import annotations

from datetime import datetime

import msgspec
from litestar import get, patch
from litestar.params import JSONBody
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncSession

from viewfinder.core.deps import DbSession, SettingsDep
from viewfinder.core.openapi import errors
from viewfinder.detection import thresholds
from viewfinder.moderation.guard import StaffDep, require
from viewfinder.settings import Settings

FORBIDDEN = "forbidden: your staff role lacks the permission"
GUARD = require("rules.manage")
INVALID = "invalid_thresholds: a value out of its range, or a hold below its flag (the fields name them)"

Value = float | None | msgspec.UnsetType


class ThresholdsOut(msgspec.Struct):
    values: thresholds.InForce
    """In force now."""
    defaults: thresholds.InForce
    """The instance's settings: what a reset returns to."""
    changed_at: datetime | None
    """When an admin last changed or reset one (None: never)."""


class ThresholdsUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """A number sets a threshold, null resets it to the instance's setting, a missing key keeps it."""

    spam_flag_threshold: Value = msgspec.UNSET
    spam_hold_threshold: Value = msgspec.UNSET
    spam_refuse_threshold: Value = msgspec.UNSET
    nsfw_sensitive_threshold: Value = msgspec.UNSET
    nsfw_hold_threshold: Value = msgspec.UNSET
    pdq_max_distance: Value = msgspec.UNSET
    pdq_min_quality: Value = msgspec.UNSET


async def _out(db: AsyncSession, settings: Settings, values: thresholds.InForce) -> ThresholdsOut:
    return ThresholdsOut(
        values=values,
        defaults=thresholds.InForce.of(settings),
        changed_at=await thresholds.last_change(db),
    )


@get("/staff/detection/thresholds", tags=["staff"], dependencies=GUARD, opt=errors({403: FORBIDDEN}))
async def show_thresholds(staff: StaffDep, db_session: DbSession, settings: SettingsDep) -> ThresholdsOut:
    """The spam, nudity and known-bad media thresholds in force, and the instance's defaults."""
    return await _out(db_session, settings, await thresholds.in_force(db_session, settings))


@patch(
    "/staff/detection/thresholds",
    tags=["staff"],
    dependencies=GUARD,
    opt=errors({403: FORBIDDEN, 422: INVALID}),
)
async def change_thresholds(
    data: JSONBody[ThresholdsUpdate], staff: StaffDep, db_session: DbSession, settings: SettingsDep
) -> ThresholdsOut:
    """Change thresholds, all or nothing; they apply to the next comment, caption or upload in every
    process. Audited as detection.thresholds_changed (before and after)."""
    changes = {
        name: value for name in thresholds.TUNABLE if (value := getattr(data, name)) is not msgspec.UNSET
    }
    values = await thresholds.change(db_session, settings, changes, actor_id=staff.user.id)
    return await _out(db_session, settings, values)


ROUTES: list[ControllerRouterHandler] = [show_thresholds, change_thresholds]

"""Detection thresholds admins change while the instance runs (docs/decisions/0065).

Each detector's thresholds start as settings (`VIEWFINDER_SPAM_HOLD_THRESHOLD` …, the instance's
defaults). An admin (permission rules.manage) may change any of `TUNABLE` from the staff pages:
the value is kept in `detection_thresholds` and replaces the setting until it is reset, without a
restart. A change commits with its audit entry (detection.thresholds_changed, before and after), and
every process reads the table again when the count of those entries moves (`core.cache.ReadOnChange`,
one small query per judgement), so a change applies to the next comment or upload everywhere.

What is cached is the overrides alone: the effective thresholds are the settings overlaid with them
at each call, so a setting changed at start-up (or by a test) applies where no admin has changed it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Final

import pydantic
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from viewfinder.core.cache import ReadOnChange
from viewfinder.core.errors import ApiError
from viewfinder.core.ids import new_id
from viewfinder.detection.models import DetectionThreshold
from viewfinder.moderation.models import AuditEntry
from viewfinder.settings import Settings

CHANGED: Final = "detection.thresholds_changed"


@dataclass(frozen=True)
class InForce:
    """The thresholds in force; the names are the settings' (so `spam.Thresholds.of`,
    `pdq.Limits.of` and `nsfw_posts.decide` read either)."""

    spam_flag_threshold: float
    """A spam score from here publishes the text and opens a case (0 to 1.01; above 1: never)."""
    spam_hold_threshold: float
    """A spam score from here holds the text for review, seen by its author alone with the reason."""
    spam_refuse_threshold: float
    """A spam score from here refuses the write with 422."""
    nsfw_sensitive_threshold: float
    """An open_nsfw score from here shows the post behind a tap-to-view warning (0 to 1)."""
    nsfw_hold_threshold: float
    """An open_nsfw score from here also holds the post for review."""
    pdq_max_distance: int
    """An upload within this Hamming distance of a listed hash is refused with 451 (0 to 31)."""
    pdq_min_quality: int
    """Hashes (listed or uploaded) below this PDQ quality are never matched (0 to 100)."""

    @classmethod
    def of(cls, settings: Settings, overrides: Mapping[str, float] | None = None) -> InForce:
        """The settings' values, each replaced by its override when there is one."""
        found = overrides or {}
        values: dict[str, Any] = {
            field.name: _typed(field.name, found.get(field.name, getattr(settings, field.name)))
            for field in dataclasses.fields(cls)
        }
        return cls(**values)


TUNABLE: Final = tuple(field.name for field in dataclasses.fields(InForce))
ORDER: Final = (
    ("spam_flag_threshold", "spam_hold_threshold"),
    ("spam_hold_threshold", "spam_refuse_threshold"),
    ("nsfw_sensitive_threshold", "nsfw_hold_threshold"),
)
"""(lower, higher): a hold must not come before a flag, a refusal before a hold."""


def _typed(name: str, value: float) -> float:
    return int(value) if Settings.model_fields[name].annotation is int else float(value)


def _checker(name: str) -> pydantic.TypeAdapter[Any]:
    """The setting's own type and bounds (settings.py is the one place that says them)."""
    field = Settings.model_fields[name]
    annotated: Any = Annotated
    return pydantic.TypeAdapter(annotated[field.annotation, *field.metadata])


_CHECKERS: Final = {name: _checker(name) for name in TUNABLE}

_overrides: ReadOnChange[dict[str, float]] = ReadOnChange(AuditEntry.version_of((CHANGED,)))


async def _read(db: AsyncSession) -> dict[str, float]:
    async def build() -> dict[str, float]:
        rows = (await db.execute(select(DetectionThreshold.name, DetectionThreshold.value))).tuples()
        return {name: value for name, value in rows if name in _CHECKERS}

    return await _overrides.get(db, build)


async def in_force(db: AsyncSession, settings: Settings) -> InForce:
    """The thresholds in force for this instance now."""
    return InForce.of(settings, await _read(db))


async def last_change(db: AsyncSession) -> datetime | None:
    """When an admin last changed or reset a threshold (None: never)."""
    found: datetime | None = await db.scalar(
        select(func.max(AuditEntry.created_at)).where(AuditEntry.action == CHANGED)
    )
    return found


def invalid(fields: dict[str, str]) -> ApiError:
    return ApiError(422, "invalid_thresholds", "Some thresholds are out of range or out of order.", fields)


def _checked(changes: Mapping[str, float | None]) -> dict[str, float | None]:
    problems: dict[str, str] = {}
    checked: dict[str, float | None] = {}
    for name, value in changes.items():
        checker = _CHECKERS.get(name)
        if checker is None:
            problems[name] = "Not a detection threshold."
            continue
        if value is None:
            checked[name] = None
            continue
        try:
            checked[name] = checker.validate_python(value)
        except pydantic.ValidationError as exc:
            problems[name] = exc.errors()[0]["msg"] + "."
    if problems:
        raise invalid(problems)
    return checked


async def change(
    db: AsyncSession, settings: Settings, changes: Mapping[str, float | None], *, actor_id: int | None
) -> InForce:
    """Set (a number) or reset to the setting (None) each threshold named, all or nothing, and
    commit with the audit entry. 422 invalid_thresholds when a value is out of its setting's range,
    or the result would hold before it flags (or refuse before it holds, or hold photos it would
    not mark sensitive)."""
    checked = _checked(changes)
    before = await in_force(db, settings)
    overrides = dict(await _read(db))
    for name, value in checked.items():
        if value is None:
            overrides.pop(name, None)
        else:
            overrides[name] = value
    after = InForce.of(settings, overrides)
    out_of_order = {
        higher: f"Must be at least the {lower.replace('_', ' ')} ({getattr(after, lower):g})."
        for lower, higher in ORDER
        if getattr(after, higher) < getattr(after, lower)
    }
    if out_of_order:
        raise invalid(out_of_order)
    if not checked:
        return after
    await db.execute(delete(DetectionThreshold).where(DetectionThreshold.name.in_(list(checked))))
    db.add_all(
        DetectionThreshold(name=name, value=float(value))
        for name, value in checked.items()
        if value is not None
    )
    db.add(
        AuditEntry(
            id=new_id(),
            actor_id=actor_id,
            action=CHANGED,
            target_kind="instance",
            target_id=None,
            before={name: getattr(before, name) for name in checked},
            after={name: getattr(after, name) for name in checked},
        )
    )
    await db.commit()
    return after

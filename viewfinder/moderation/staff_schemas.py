"""Request and response bodies of the staff API: roles and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec

from viewfinder.accounts.models import User
from viewfinder.moderation.models import AuditEntry
from viewfinder.moderation.roles import Permission, Role, permissions_of

MAX_REASON = 1000
Reason = Annotated[str, msgspec.Meta(max_length=MAX_REASON)]


class RoleAssignment(msgspec.Struct, forbid_unknown_fields=True):
    role: Role
    """"none" takes the account's staff role away."""
    reason: Reason = ""
    """Why, for the audit log."""


class StaffMemberOut(msgspec.Struct):
    id: str
    username: str
    role: str
    permissions: list[Permission]

    @classmethod
    def of(cls, user: User) -> StaffMemberOut:
        return cls(
            id=str(user.id),
            username=user.username,
            role=user.role,
            permissions=sorted(permissions_of(user.role)),
        )


class AuditEntryOut(msgspec.Struct):
    id: str
    actor_id: str | None
    """The staff account that acted; null for the operator at the command line."""
    actor_username: str | None
    """Its username now (null when it acted from the command line or no longer exists)."""
    action: str
    target_kind: str
    target_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    reason: str
    created_at: datetime

    @classmethod
    def of(cls, entry: AuditEntry, usernames: dict[int, str]) -> AuditEntryOut:
        actor = entry.actor_id
        return cls(
            id=str(entry.id),
            actor_id=None if actor is None else str(actor),
            actor_username=None if actor is None else usernames.get(actor),
            action=entry.action,
            target_kind=entry.target_kind,
            target_id=None if entry.target_id is None else str(entry.target_id),
            before=entry.before,
            after=entry.after,
            reason=entry.reason,
            created_at=entry.created_at,
        )

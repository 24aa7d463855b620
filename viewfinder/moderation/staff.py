"""Every change of an account's staff role goes through `assign_role` (the API and the CLI).

An owner or admin gives and takes roles; only an owner makes or unmakes an owner (403), and the
last owner is never removed (409). The operator at the command line (`actor=None`) may do anything
but remove the last owner. Each change is audited in its own transaction; `is_staff` follows the
role. The changed account's cached log-ins are dropped (its `users` row changed), so its new
permissions apply to its next request in every process.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from viewfinder.accounts.models import User
from viewfinder.accounts.services import username_key
from viewfinder.core.errors import ApiError, invalid, not_found
from viewfinder.moderation import audit
from viewfinder.moderation.roles import ROLES, is_role, permissions_of

ROLE_CHANGED = "role.changed"


async def assign_role(
    db: AsyncSession, actor: User | None, username: str, role: str, reason: str = ""
) -> User:
    """Give the account `role` ("none" takes its role away) and commit; unchanged when it has it."""
    if not is_role(role):
        raise invalid("role", f"Unknown role; one of: {', '.join(ROLES)}.", code="unknown_role")
    user = await db.scalar(select(User).where(User.username_key == username_key(username)))
    if user is None:
        raise not_found("No such account.")
    before = user.role
    if actor is not None:
        if "roles.assign" not in permissions_of(actor.role):
            raise ApiError(403, "forbidden", "Your staff role does not allow this (roles.assign).")
        if "owner" in (before, role) and actor.role != "owner":
            raise ApiError(403, "forbidden", "Only an owner can make or unmake an owner.")
    if before == role:
        return user
    if before == "owner":
        # Lock the owners' rows (PostgreSQL) so two owners cannot demote each other at once.
        owners = await db.scalars(select(User.id).where(User.role == "owner").with_for_update())
        if len(owners.all()) <= 1:
            raise ApiError(409, "last_owner", "This is the instance's last owner: make another owner first.")
    user.role = role
    user.is_staff = role != "none"
    audit.record(
        db,
        actor_id=None if actor is None else actor.id,
        action=ROLE_CHANGED,
        target_kind="user",
        target_id=user.id,
        before={"role": before},
        after={"role": role},
        reason=reason,
    )
    await db.commit()
    return user


async def staff_members(db: AsyncSession) -> list[User]:
    """Every account with a staff role, by username."""
    query = select(User).where(User.role != "none").order_by(User.username_key)
    return list((await db.scalars(query)).all())

"""Staff roles: each a named, frozen set of permissions, the one place that says who may do what.

An account has one role (`users.role`); "none" is everyone who is not staff. Every staff endpoint
asks for a permission through `viewfinder.moderation.guard.require`, never for a role or for
`is_staff`, so a new role is one line here (docs/decisions/0046-staff-roles.md).
"""

from __future__ import annotations

from typing import Final, Literal, get_args

Role = Literal["none", "owner", "admin", "moderator", "analyst", "community_manager"]
ROLES: Final[tuple[Role, ...]] = get_args(Role)

Permission = Literal[
    "reports.handle",
    "content.act",
    "accounts.act",
    "roles.assign",
    "rules.manage",
    "audit.read",
    "stats.read",
    "announcements.manage",
]
"""reports.handle: see and work the queue of cases (claim, notes); content.act: remove or restore
posts and comments; accounts.act: suspend and ban accounts; roles.assign: give and take staff roles;
rules.manage: keyword, link and new-account rules; audit.read: the audit log; stats.read: aggregate
statistics; announcements.manage: announcements and featured accounts."""
PERMISSIONS: Final[tuple[Permission, ...]] = get_args(Permission)

MODERATOR: Final = frozenset[Permission]({"reports.handle", "content.act", "accounts.act"})
ADMIN: Final = frozenset[Permission](PERMISSIONS)

# Keyed by every Role (a test checks it), typed by str so any stored value can be looked up.
ROLE_PERMISSIONS: Final[dict[str, frozenset[Permission]]] = {
    "none": frozenset(),
    # Owner and admin hold the same permissions; only an owner may make or unmake an owner.
    "owner": ADMIN,
    "admin": ADMIN,
    "moderator": MODERATOR,
    "analyst": frozenset({"stats.read"}),
    "community_manager": frozenset({"announcements.manage"}),
}

STAFF_ROLES: Final[tuple[Role, ...]] = tuple(role for role in ROLES if role != "none")


def permissions_of(role: str) -> frozenset[Permission]:
    """What an account with this role may do; an unknown role (a row written by a newer version)
    may do nothing."""
    return ROLE_PERMISSIONS.get(role, frozenset())


def is_role(value: str) -> bool:
    return value in ROLE_PERMISSIONS

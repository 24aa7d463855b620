"""The one guard of staff endpoints: `require(permission)`, a dependency named `staff`.

Every staff route declares `dependencies=require("...")` and takes `staff: StaffDep`: an anonymous
request gets 401 (from the viewer dependency), an account whose role lacks the permission a 403 in
the error shape. The staff matrix (tests/moderation/test_staff_matrix.py) calls every staff route
as every role, so a route that forgets the guard fails there.
"""

from __future__ import annotations

from dataclasses import dataclass

from litestar.di import NamedDependency, Provide

from viewfinder.accounts.auth import ViewerDep
from viewfinder.accounts.models import User
from viewfinder.core.errors import ApiError
from viewfinder.moderation.roles import Permission, permissions_of


@dataclass(frozen=True)
class Staff:
    """A staff member allowed to do what the route asks, and everything their role allows."""

    user: User
    permissions: frozenset[Permission]

    def may(self, permission: Permission) -> bool:
        return permission in self.permissions


StaffDep = NamedDependency[Staff]
"""Parameter name: staff. The viewer, checked against the route's permission."""


def forbidden(permission: Permission) -> ApiError:
    return ApiError(403, "forbidden", f"Your staff role does not allow this ({permission}).")


def require(permission: Permission) -> dict[str, Provide]:
    """The route's `dependencies`: `staff` is the viewer when their role holds `permission`."""

    async def provide_staff(viewer: ViewerDep) -> Staff:
        permissions = permissions_of(viewer.user.role)
        if permission not in permissions:
            raise forbidden(permission)
        return Staff(viewer.user, permissions)

    return {"staff": Provide(provide_staff)}

"""The staff truth table: every staff route, called by every role (and anonymously), answers what
the role's permissions say: 401 anonymous, 403 (error shape) without the route's permission, 2xx
with it.

HOW TO ADD A STAFF ROUTE: add a row to STAFF_ROUTES, keyed by the method and the path as the app
lists it (without /api/viewfinder/v1), with the permission the route requires and a `call(world,
role)` that makes a request able to succeed for a role that holds it (make fresh objects with the
World's helpers when the call changes them). A staff route without a row fails
`test_every_staff_route_has_a_row`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import Api
from tests.helpers import assert_error, make_post
from tests.moderation.staff import make_staff
from viewfinder.app import API_PREFIX
from viewfinder.moderation.roles import ROLES, Permission, permissions_of

STAFF_PREFIX = API_PREFIX + "/staff"


@dataclass
class Call:
    method: str
    path: str
    json: Any = None


@dataclass
class World:
    """One account per role, a member whose content is reported, and a reporter."""

    make_api: Callable[[], Api]
    clients: dict[str, Api]
    author: Api
    reporter: Api
    serial: int = 0
    _case: str | None = field(default=None)

    def unique(self, prefix: str) -> str:
        self.serial += 1
        return f"{prefix}{self.serial}"

    def fresh_member(self) -> str:
        name = self.unique("member")
        self.make_api().signup(name)
        return name

    def fresh_case(self) -> str:
        """A new open case: a new post of the author's, reported."""
        post = make_post(self.author, self.unique("post "))
        filed = self.reporter.post(
            "/reports", json={"target": "post", "target_id": post["id"], "reason": "spam"}
        )
        assert filed.status_code == 201, filed.text
        cases = self.clients["owner"].get("/staff/cases", params={"limit": "100"}).json()["items"]
        return str(next(c["id"] for c in cases if c["target_id"] == post["id"]))

    def case(self) -> str:
        """A case shared by the calls that do not change it."""
        if self._case is None:
            self._case = self.fresh_case()
        return self._case


@dataclass(frozen=True)
class Row:
    permission: Permission
    call: Callable[[World, str], Call]


STAFF_ROUTES: dict[tuple[str, str], Row] = {
    ("GET", "/staff/roles"): Row("roles.assign", lambda w, r: Call("GET", "/staff/roles")),
    ("PUT", "/staff/roles/{username:str}"): Row(
        "roles.assign",
        lambda w, r: Call("PUT", f"/staff/roles/{w.fresh_member()}", {"role": "analyst", "reason": "matrix"}),
    ),
    ("GET", "/staff/audit"): Row("audit.read", lambda w, r: Call("GET", "/staff/audit")),
    ("GET", "/staff/recommendations"): Row("stats.read", lambda w, r: Call("GET", "/staff/recommendations")),
    ("GET", "/staff/accounts/{username:str}"): Row(
        "reports.handle", lambda w, r: Call("GET", f"/staff/accounts/{w.author.username}")
    ),
    ("GET", "/staff/cases"): Row("reports.handle", lambda w, r: Call("GET", "/staff/cases")),
    ("GET", "/staff/cases/{case_id:str}"): Row(
        "reports.handle", lambda w, r: Call("GET", f"/staff/cases/{w.case()}")
    ),
    ("POST", "/staff/cases/{case_id:str}/claim"): Row(
        "reports.handle", lambda w, r: Call("POST", f"/staff/cases/{w.fresh_case()}/claim")
    ),
    ("POST", "/staff/cases/{case_id:str}/release"): Row(
        "reports.handle", lambda w, r: Call("POST", f"/staff/cases/{w.case()}/release")
    ),
    ("POST", "/staff/cases/{case_id:str}/notes"): Row(
        "reports.handle", lambda w, r: Call("POST", f"/staff/cases/{w.case()}/notes", {"text": f"as {r}"})
    ),
    ("POST", "/staff/cases/{case_id:str}/actions"): Row(
        "reports.handle",
        lambda w, r: Call("POST", f"/staff/cases/{w.fresh_case()}/actions", {"action": "dismiss"}),
    ),
    ("POST", "/staff/cases/{case_id:str}/appeal"): Row(
        "reports.handle",
        lambda w, r: Call(
            "POST", f"/staff/cases/{fresh_appeal_case(w)}/appeal", {"decision": "uphold", "reason": r}
        ),
    ),
    ("GET", "/staff/rules"): Row("rules.manage", lambda w, r: Call("GET", "/staff/rules")),
    ("POST", "/staff/rules"): Row(
        "rules.manage",
        lambda w, r: Call(
            "POST", "/staff/rules", {"kind": "keyword", "pattern": w.unique("word"), "action": "flag"}
        ),
    ),
    ("PATCH", "/staff/rules/{rule_id:str}"): Row(
        "rules.manage", lambda w, r: Call("PATCH", f"/staff/rules/{fresh_rule(w)}", {"action": "hold"})
    ),
    ("DELETE", "/staff/rules/{rule_id:str}"): Row(
        "rules.manage", lambda w, r: Call("DELETE", f"/staff/rules/{fresh_rule(w)}")
    ),
    ("GET", "/staff/known-bad-hashes"): Row(
        "rules.manage", lambda w, r: Call("GET", "/staff/known-bad-hashes")
    ),
    ("POST", "/staff/known-bad-hashes/import"): Row(
        "rules.manage",
        lambda w, r: Call("POST", "/staff/known-bad-hashes/import", {"source": r, "csv": fresh_hash_line(w)}),
    ),
    ("DELETE", "/staff/known-bad-hashes/{hash_id:str}"): Row(
        "rules.manage", lambda w, r: Call("DELETE", f"/staff/known-bad-hashes/{fresh_hash(w)}")
    ),
    ("GET", "/staff/detection/thresholds"): Row(
        "rules.manage", lambda w, r: Call("GET", "/staff/detection/thresholds")
    ),
    ("PATCH", "/staff/detection/thresholds"): Row(
        "rules.manage",
        lambda w, r: Call("PATCH", "/staff/detection/thresholds", {"spam_flag_threshold": 0.5}),
    ),
    ("POST", "/staff/posts/{post_id:str}/known-bad-hashes"): Row(
        "content.act", lambda w, r: Call("POST", f"/staff/posts/{fresh_removed_post(w)}/known-bad-hashes")
    ),
    ("GET", "/staff/announcements"): Row(
        "announcements.manage", lambda w, r: Call("GET", "/staff/announcements")
    ),
    ("POST", "/staff/announcements"): Row(
        "announcements.manage", lambda w, r: Call("POST", "/staff/announcements", {"text": f"from {r}"})
    ),
    ("PATCH", "/staff/announcements/{announcement_id:str}"): Row(
        "announcements.manage",
        lambda w, r: Call("PATCH", f"/staff/announcements/{fresh_announcement(w)}", {"published": True}),
    ),
    ("DELETE", "/staff/announcements/{announcement_id:str}"): Row(
        "announcements.manage", lambda w, r: Call("DELETE", f"/staff/announcements/{fresh_announcement(w)}")
    ),
    ("GET", "/staff/featured"): Row("announcements.manage", lambda w, r: Call("GET", "/staff/featured")),
    ("PUT", "/staff/featured/{username:str}"): Row(
        "announcements.manage",
        lambda w, r: Call("PUT", f"/staff/featured/{w.fresh_member()}", {"note": f"by {r}"}),
    ),
    ("DELETE", "/staff/featured/{username:str}"): Row(
        "announcements.manage", lambda w, r: Call("DELETE", f"/staff/featured/{fresh_featured(w)}")
    ),
}


def fresh_rule(world: World) -> str:
    """A new keyword rule, made by the owner."""
    body = {"kind": "keyword", "pattern": world.unique("rule"), "action": "flag"}
    made = world.clients["owner"].post("/staff/rules", json=body)
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


def fresh_hash_line(world: World) -> str:
    """A CSV line of a new hash (hash,quality,label)."""
    return f"{int(world.unique('')):064x},90,matrix\n"


def fresh_hash(world: World) -> str:
    """A new listed hash, imported by the owner: its id."""
    made = world.clients["owner"].post(
        "/staff/known-bad-hashes/import", json={"source": "matrix", "csv": fresh_hash_line(world)}
    )
    assert made.status_code == 201, made.text
    listed = world.clients["owner"].get("/staff/known-bad-hashes").json()["items"]
    return str(listed[0]["id"])


def fresh_removed_post(world: World) -> str:
    """A new post of the author's, removed by a moderator outside the matrix."""
    case = world.fresh_case()
    acted = world.clients["acting"].post(
        f"/staff/cases/{case}/actions", json={"action": "remove_content", "reason": "matrix"}
    )
    assert acted.status_code == 201, acted.text
    return str(acted.json()["case"]["target_id"])


def fresh_announcement(world: World) -> str:
    """A new draft announcement, made by the owner."""
    made = world.clients["owner"].post("/staff/announcements", json={"text": world.unique("news ")})
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


def fresh_featured(world: World) -> str:
    """A new member, featured by the owner: its username."""
    name = world.fresh_member()
    featured = world.clients["owner"].put(f"/staff/featured/{name}", json={})
    assert featured.status_code == 200, featured.text
    return name


def fresh_appeal_case(world: World) -> str:
    """A new open appeal case: a post of the author's removed by a moderator outside the matrix
    (`clients["acting"]`: the acting moderator may not decide the appeal), and appealed."""
    case = world.fresh_case()
    acted = world.clients["acting"].post(
        f"/staff/cases/{case}/actions", json={"action": "remove_content", "reason": "matrix"}
    )
    assert acted.status_code == 201, acted.text
    action_id = acted.json()["action"]["id"]
    appealed = world.author.post(f"/accounts/me/strikes/{action_id}/appeal", json={"text": "matrix"})
    assert appealed.status_code == 201, appealed.text
    cases = world.clients["owner"].get("/staff/cases", params={"limit": "100"}).json()["items"]
    return str(next(c["id"] for c in cases if c["target_id"] == appealed.json()["id"]))


def staff_routes(app: Litestar) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for route in app.routes:
        if isinstance(route, HTTPRoute) and route.path.startswith(STAFF_PREFIX):
            for method in route.methods - {"OPTIONS", "HEAD"}:
                found.add((str(method), route.path.removeprefix(API_PREFIX)))
    return found


def test_every_staff_route_has_a_row(app):
    routes = staff_routes(app)
    assert routes - set(STAFF_ROUTES) == set(), "add a row to STAFF_ROUTES for each of these"
    assert set(STAFF_ROUTES) - routes == set(), "these rows name no route of the app"


NAMES = {
    "none": "nina",
    "owner": "olga",
    "admin": "adam",
    "moderator": "mona",
    "analyst": "anna",
    "community_manager": "cora",
}


def expected(permission: Permission, role: str) -> str:
    if role == "anonymous":
        return "401"
    return "2xx" if permission in permissions_of(role) else "403"


@pytest.fixture
async def world(make_api, db: AsyncSession) -> World:
    clients: dict[str, Api] = {role: await make_staff(make_api, db, NAMES[role], role) for role in ROLES}
    clients["acting"] = await make_staff(make_api, db, "acting", "moderator")
    clients["anonymous"] = make_api()
    return World(make_api, clients, make_api().signup("author"), make_api().signup("reporter"))


@pytest.mark.parametrize("route", sorted(STAFF_ROUTES), ids=lambda key: f"{key[0]} {key[1]}")
def test_each_role_gets_what_its_permissions_say(world: World, route: tuple[str, str]):
    row = STAFF_ROUTES[route]
    wrong = []
    for role in ("anonymous", *ROLES):
        call = row.call(world, role)
        api = world.clients[role]
        response = getattr(api, call.method.lower())(
            call.path, **({"json": call.json} if call.json is not None else {})
        )
        want = expected(row.permission, role)
        got = "2xx" if 200 <= response.status_code < 300 else str(response.status_code)
        if got != want:
            wrong.append(f"{role}: expected {want}, got {response.status_code} {response.text[:200]}")
        elif want == "403":
            assert_error(response, 403, "forbidden")
        elif want == "401":
            assert_error(response, 401, "not_authenticated")
    assert not wrong, f"{route[0]} {route[1]}:\n" + "\n".join(wrong)

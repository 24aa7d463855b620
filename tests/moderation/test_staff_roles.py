"""Staff roles: named sets of permissions, given by owners and admins (API) or the operator (CLI);
an admin never makes or unmakes an owner, and the last owner always stays."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.database import connect
from tests.helpers import assert_error
from tests.moderation.staff import give_role, make_staff
from tests.test_cli import data_dir as data_dir
from tests.test_cli import query, viewfinder
from viewfinder.cli import ROLE_CHOICES
from viewfinder.core.errors import ApiError
from viewfinder.moderation.models import AuditEntry
from viewfinder.moderation.roles import PERMISSIONS, ROLE_PERMISSIONS, ROLES, permissions_of


def test_every_role_is_a_named_set_of_permissions():
    assert set(ROLE_PERMISSIONS) == set(ROLES) == set(ROLE_CHOICES)
    assert permissions_of("owner") == permissions_of("admin") == frozenset(PERMISSIONS)
    assert permissions_of("moderator") == {"reports.handle", "content.act", "accounts.act"}
    assert permissions_of("analyst") == {"stats.read"}
    assert permissions_of("community_manager") == {"announcements.manage"}
    assert permissions_of("none") == frozenset()
    assert permissions_of("a role from a newer version") == frozenset()


async def test_an_admin_makes_a_moderator_and_the_change_is_audited(make_api, db: AsyncSession, settings):
    admin = await make_staff(make_api, db, "ada", "admin")
    bob = make_api().signup("bob")

    response = admin.put("/staff/roles/Bob", json={"role": "moderator", "reason": "new team member"})

    assert response.status_code == 200, response.text
    assert response.json() == {
        "id": bob.me["profile"]["id"],
        "username": "bob",
        "role": "moderator",
        "permissions": ["accounts.act", "content.act", "reports.handle"],
    }
    with connect(settings) as rows:
        assert rows.execute("SELECT role, is_staff FROM users WHERE username = 'bob'") == [
            ("moderator", True)
        ]
    listed = admin.get("/staff/roles").json()
    assert [(m["username"], m["role"]) for m in listed] == [("ada", "admin"), ("bob", "moderator")]
    entries = (await db.scalars(select(AuditEntry).where(AuditEntry.action == "role.changed"))).all()
    made_by_admin = [e for e in entries if e.actor_id == int(admin.me["profile"]["id"])]
    assert len(made_by_admin) == 1
    entry = made_by_admin[0]
    assert (entry.target_kind, entry.target_id, entry.before, entry.after, entry.reason) == (
        "user",
        int(bob.me["profile"]["id"]),
        {"role": "none"},
        {"role": "moderator"},
        "new team member",
    )


async def test_a_new_role_applies_to_the_very_next_request(make_api, db: AsyncSession):
    owner = await make_staff(make_api, db, "ada", "owner")
    bob = await make_staff(make_api, db, "bob", "moderator")
    assert_error(bob.get("/staff/roles"), 403, "forbidden")  # looked up and cached as a moderator

    assert owner.put("/staff/roles/bob", json={"role": "admin"}).status_code == 200
    assert bob.get("/staff/roles").status_code == 200

    assert owner.put("/staff/roles/bob", json={"role": "none"}).status_code == 200
    assert_error(bob.get("/staff/roles"), 403, "forbidden")
    assert bob.get("/accounts/me").json()["is_staff"] is False


async def test_only_an_owner_makes_or_unmakes_an_owner(make_api, db: AsyncSession, settings):
    owner = await make_staff(make_api, db, "ada", "owner")
    admin = await make_staff(make_api, db, "bea", "admin")
    make_api().signup("bob")

    assert_error(admin.put("/staff/roles/bob", json={"role": "owner"}), 403, "forbidden")
    assert_error(admin.put("/staff/roles/ada", json={"role": "none"}), 403, "forbidden")
    assert_error(admin.put("/staff/roles/ada", json={"role": "moderator"}), 403, "forbidden")
    with connect(settings) as rows:
        assert rows.execute("SELECT username, role FROM users WHERE role != 'none' ORDER BY username") == [
            ("ada", "owner"),
            ("bea", "admin"),
        ]

    assert owner.put("/staff/roles/bob", json={"role": "owner"}).status_code == 200
    # An admin may still take away an admin's role, or their own.
    assert admin.put("/staff/roles/bea", json={"role": "none"}).status_code == 200


async def test_the_last_owner_stays(make_api, db: AsyncSession, settings):
    owner = await make_staff(make_api, db, "ada", "owner")

    error = assert_error(owner.put("/staff/roles/ada", json={"role": "admin"}), 409, "last_owner")
    assert "last owner" in error["message"]
    with pytest.raises(ApiError) as refused:
        await give_role(db, "ada", "none")  # the operator cannot either
    assert refused.value.status_code == 409
    await db.rollback()

    await give_role(db, "ada", "owner")  # unchanged: no error
    make_api().signup("heir")
    assert owner.put("/staff/roles/heir", json={"role": "owner"}).status_code == 200
    assert owner.put("/staff/roles/ada", json={"role": "none"}).status_code == 200
    with connect(settings) as rows:
        assert rows.execute("SELECT username FROM users WHERE role = 'owner'") == [("heir",)]


async def test_bad_assignments_are_clear_errors_and_change_nothing(
    make_api, db: AsyncSession, anon, settings
):
    admin = await make_staff(make_api, db, "ada", "admin")
    bob = make_api().signup("bob")

    assert_error(admin.put("/staff/roles/bob", json={"role": "emperor"}), 400, "validation_error", ["role"])
    assert_error(admin.put("/staff/roles/bob", json={"role": "moderator", "x": 1}), 400, "validation_error")
    assert_error(admin.put("/staff/roles/nobody", json={"role": "moderator"}), 404, "not_found")
    assert_error(anon.put("/staff/roles/bob", json={"role": "moderator"}), 401, "not_authenticated")
    assert_error(bob.put("/staff/roles/bob", json={"role": "admin"}), 403, "forbidden")
    with connect(settings) as rows:
        assert rows.execute("SELECT role FROM users WHERE username = 'bob'") == [("none",)]
        assert rows.execute(
            "SELECT count(*) FROM audit_entries WHERE actor_id = ?", int(admin.me["profile"]["id"])
        ) == [(0,)]


def test_createuser_takes_a_role_and_set_role_changes_it(data_dir):
    made = viewfinder(
        data_dir,
        "createuser",
        "ada",
        "--email",
        "r@example.com",
        "--role",
        "owner",
        "--password-stdin",
        stdin="a long and unusual password\n",
    )
    assert made.returncode == 0, made.stderr
    assert "Created owner account ada." in made.stdout
    legacy = viewfinder(
        data_dir,
        "createuser",
        "old",
        "--email",
        "o@example.com",
        "--staff",
        "--password-stdin",
        stdin="a long and unusual password\n",
    )
    assert legacy.returncode == 0, legacy.stderr
    assert "deprecated" in legacy.stderr

    demoted = viewfinder(data_dir, "set-role", "old", "moderator", "--reason", "fewer admins")
    last = viewfinder(data_dir, "set-role", "ada", "none")
    missing = viewfinder(data_dir, "set-role", "nobody", "admin")

    assert demoted.returncode == 0, demoted.stderr
    assert "old is now moderator." in demoted.stdout
    assert demoted.stderr == ""  # the account's cached log-ins were dropped without a complaint
    assert last.returncode != 0
    assert "last owner" in last.stderr
    assert missing.returncode != 0
    assert "no account named 'nobody'" in missing.stderr
    assert query(data_dir, "SELECT username, role, is_staff FROM users ORDER BY username") == [
        ("ada", "owner", 1),
        ("old", "moderator", 1),
    ]
    assert query(data_dir, "SELECT actor_id, action, before, after, reason FROM audit_entries") == [
        (None, "role.changed", '{"role": "admin"}', '{"role": "moderator"}', "fewer admins")
    ]

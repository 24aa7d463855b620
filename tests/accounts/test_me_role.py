"""The viewer's own account names its staff role, which the web app uses to show the staff screens
that role opens (frontend/src/staff/permissions.ts mirrors the server's table of permissions)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from tests.moderation.staff import make_staff
from viewfinder.moderation.roles import ROLE_PERMISSIONS

WEB_TABLE = Path(__file__).resolve().parents[2] / "frontend" / "src" / "staff" / "permissions.ts"


async def test_me_names_the_role_and_follows_a_change(make_api, db: AsyncSession):
    owner = await make_staff(make_api, db, "ada", "owner")
    bob = await make_staff(make_api, db, "bob", "none")
    assert owner.get("/accounts/me").json()["role"] == "owner"
    assert bob.get("/accounts/me").json()["role"] == "none"

    assert owner.put("/staff/roles/bob", json={"role": "moderator"}).status_code == 200
    me = bob.get("/accounts/me").json()
    assert (me["role"], me["is_staff"]) == ("moderator", True)

    assert owner.put("/staff/roles/bob", json={"role": "none"}).status_code == 200
    assert bob.get("/accounts/me").json()["role"] == "none"


def test_a_public_profile_does_not_name_a_role(make_api, anon):
    make_api().signup("carol")
    assert "role" not in anon.get("/users/carol").json()


def test_the_web_apps_table_of_permissions_is_the_servers():
    text = WEB_TABLE.read_text()
    found = re.search(r"// BEGIN ROLE_PERMISSIONS.*?\n.*?=\s*(\{.*?\});\n// END ROLE_PERMISSIONS", text, re.S)
    assert found, "the table's markers are gone from permissions.ts"
    web = {role: set(permissions) for role, permissions in json.loads(found.group(1)).items()}
    assert web == {role: set(permissions) for role, permissions in ROLE_PERMISSIONS.items()}

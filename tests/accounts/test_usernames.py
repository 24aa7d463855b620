"""Reserved usernames: every top-level path of the web app and the server, and names that would pass
for staff or the platform, compared on a skeleton (case, '.', '_' and look-alike digits folded)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from litestar import Litestar
from sqlalchemy import update

from tests.conftest import PASSWORD
from tests.helpers import assert_error
from viewfinder.accounts.models import User
from viewfinder.accounts.usernames import ROUTE_NAMES, skeleton, username_problem

APP_ROUTES = Path(__file__).resolve().parents[2] / "frontend" / "src" / "App.tsx"


def web_app_top_level_segments() -> set[str]:
    """The first path segment of every <Route path="..."> in the web app, parameters left out."""
    paths = re.findall(r'<Route\s[^>]*path="([^"]+)"', APP_ROUTES.read_text())
    assert len(paths) > 10, "the web app's routes were not found: has App.tsx moved?"
    segments = {path.strip("/").split("/")[0] for path in paths}
    return {segment for segment in segments if segment and not segment.startswith(":") and segment != "*"}


def server_top_level_segments(app: Litestar) -> set[str]:
    """The first path segment of every route the server answers itself."""
    segments = {route.path.strip("/").split("/")[0] for route in app.routes}
    return {segment for segment in segments if segment and not segment.startswith("{")}


def test_every_top_level_route_of_the_web_app_is_reserved():
    segments = web_app_top_level_segments()
    assert {"explore", "create", "requests", "p", "tags", "accounts", "settings"} <= segments
    assert segments - ROUTE_NAMES == set(), "add new top-level routes to accounts.usernames.ROUTE_NAMES"


def test_every_top_level_route_of_the_server_is_reserved(app):
    segments = server_top_level_segments(app)
    assert {"api", "healthz", "media"} <= segments
    assert segments - ROUTE_NAMES == set(), "add new top-level routes to accounts.usernames.ROUTE_NAMES"


def test_every_file_and_folder_the_web_app_serves_at_the_top_is_reserved():
    public = Path(__file__).resolve().parents[2] / "frontend" / "public"
    names = {path.name for path in public.iterdir()}
    assert {"sw.js", "manifest.webmanifest", "offline.html", "icons"} <= names
    assert names - ROUTE_NAMES == set(), "add frontend/public's new names to accounts.usernames.ROUTE_NAMES"


@pytest.mark.parametrize(
    "username",
    [
        "create",
        "requests",
        "p",
        "tags",
        "Explore",
        "ACCOUNTS",
        "settings_",
        "cr3ate",
        "favicon.svg",
        "healthz",
    ],
)
def test_signup_refuses_route_names(anon, username):
    response = anon.post(
        "/accounts/signup", json={"username": username, "email": "someone@example.com", "password": PASSWORD}
    )
    error = assert_error(response, 400, "validation_error", ["username"])
    assert error["fields"]["username"] == "This username is reserved."


@pytest.mark.parametrize(
    "username",
    [
        "Admin_",
        "ad.min",
        "4dmin",
        "adm1n",
        "AdMiN",
        "viewf1nder",
        "viewfinder_official",
        "support_team",
        "the.admin",
        "moderator2",
        "help_staff",
        "v1ewf1nder.support",
        "mod",
        "adrnin",
    ],
)
def test_signup_refuses_names_that_pass_for_staff(anon, username):
    response = anon.post(
        "/accounts/signup", json={"username": username, "email": "someone@example.com", "password": PASSWORD}
    )
    error = assert_error(response, 400, "validation_error", ["username"])
    # "admin" is also a path the platform keeps; the others are told why.
    assert error["fields"]["username"].startswith("This username is reserved")
    if skeleton(username) != "admin":
        assert "could pass for Viewfinder's staff" in error["fields"]["username"]


@pytest.mark.parametrize(
    "username", ["badminton", "stafford", "modern", "teamwork", "alice", "p2", "explorer"]
)
def test_ordinary_names_that_contain_those_words_are_fine(username):
    assert username_problem(username) is None


def test_the_skeleton_folds_case_separators_and_look_alikes():
    assert skeleton("Ad.Min_") == skeleton("4dm1n") == skeleton("adrnin") == "admin"
    assert skeleton("viewf1nder") == skeleton("VIEWFINDER")
    assert skeleton("s0.5ad") == "sosad"


def test_staff_accounts_may_use_staff_words_but_never_a_route():
    assert username_problem("admin2", staff=True) is None
    assert username_problem("support_team", staff=True) is None
    assert username_problem("create", staff=True) == "This username is reserved."


async def test_existing_accounts_with_such_names_keep_working(alice, make_api, db):
    """Names taken before these rules stay as they are: only new sign-ups are checked."""
    await db.execute(
        update(User).where(User.username_key == "alice").values(username="Admin_", username_key="admin_")
    )
    await db.commit()
    response = make_api().post("/accounts/login", json={"login": "Admin_", "password": PASSWORD})
    assert response.status_code == 200, response.text
    assert alice.patch("/accounts/me", json={"bio": "still me"}).status_code == 200
    assert make_api().get("/users/Admin_").json()["username"] == "Admin_"

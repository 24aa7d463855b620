"""Which usernames may be taken: the allowed characters, and the names reserved for the platform.

A profile lives at /<username>, so every top-level path of the web app and the server is reserved
(tests/accounts/test_usernames.py reads frontend/src/App.tsx and the app's routes, so a new route
cannot collide silently). Names that would pass for staff or the platform itself ("Admin_",
"ad.min", "4dmin", "viewf1nder", "support_team") are refused too. Both compare a *skeleton* of the
name: lower case, without '.' and '_', with common look-alike swaps folded (0→o, 1/l→i, 3→e, 4→a,
5→s, 7→t, 8→b, rn→m, vv→w). Only new names are checked; existing accounts keep theirs.
"""

from __future__ import annotations

import re

USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9._]{1,30}$")

ROUTE_NAMES = frozenset(
    {
        # Top-level paths of the web app (frontend/src/App.tsx).
        "accounts", "create", "explore", "login", "notifications", "p", "requests", "saved", "search",
        "settings", "signup", "tags",
        # Top-level paths of the server and of the built web app's files.
        "api", "assets", "favicon.ico", "favicon.svg", "healthz", "icons", "index.html",
        "manifest.webmanifest", "media", "offline.css", "offline.html", "readyz", "robots.txt",
        "sitemap.xml", "sitemaps", "static", "sw.js",
        # Paths the platform is likely to want next; reserving them now costs no one an account.
        "about", "admin", "app", "auth", "blog", "contact", "developers", "direct", "docs", "edit",
        "feed", "help", "home", "inbox", "legal", "logout", "me", "messages", "moderation", "new",
        "oauth", "openapi", "password", "privacy", "reels", "reports", "reset", "root", "staff",
        "status", "stories", "support", "system", "terms", "u", "user", "users", "www",
    }
)  # fmt: skip
"""Names that are (or may become) a path: refused when the skeleton matches exactly."""

STAFF_WORDS = frozenset({"admin", "moderator", "official", "security", "support", "viewfinder"})
"""Refused alone and at the start or end of a name ("support_team", "the.admin"), for non-staff
accounts. A word inside a name ("badminton") is fine."""
STAFF_ENDINGS = frozenset({"staff"})
"""Refused alone and at the end of a name ("help_staff"); too common as a start ("stafford")."""
STAFF_ALONE = frozenset({"mod", "mods"})
"""Refused alone only ("modern" is fine)."""

_LOOK_ALIKES = str.maketrans({"0": "o", "1": "i", "l": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b"})


def skeleton(name: str) -> str:
    """The name as a reader might take it: lower case, no separators, look-alikes folded."""
    folded = name.lower().replace(".", "").replace("_", "").translate(_LOOK_ALIKES)
    return folded.replace("rn", "m").replace("vv", "w")


_ROUTE_SKELETONS = frozenset(skeleton(name) for name in ROUTE_NAMES)
_STAFF_SKELETONS = tuple(skeleton(word) for word in STAFF_WORDS)
_STAFF_ENDING_SKELETONS = tuple(skeleton(word) for word in STAFF_ENDINGS)
_STAFF_ALONE_SKELETONS = frozenset(skeleton(word) for word in STAFF_ALONE)


def username_problem(username: str, *, staff: bool = False) -> str | None:
    """Why a new account cannot have this username, or None. Staff accounts (made with
    `viewfinder createuser --staff`) may use staff words, never a path."""
    if not USERNAME_PATTERN.fullmatch(username):
        return "Use 1 to 30 letters, digits, '.' or '_'."
    if ".." in username or username.strip(".") == "":
        # "." and ".." would be path segments in profile links.
        return "A username cannot be only periods or have two in a row."
    shape = skeleton(username)
    if shape in _ROUTE_SKELETONS:
        return "This username is reserved."
    if not staff and (
        shape.startswith(_STAFF_SKELETONS)
        or shape.endswith(_STAFF_SKELETONS + _STAFF_ENDING_SKELETONS)
        or shape in _STAFF_ALONE_SKELETONS
    ):
        return "This username is reserved: it could pass for Viewfinder's staff or the platform itself."
    return None

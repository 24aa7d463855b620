"""Who is asking: the session cookie or a Bearer API token, with CSRF checks on cookie writes, and
the one guard of sensitive actions ("sudo mode": `require_recent_authentication`)."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from litestar import Request
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from viewfinder.accounts import services
from viewfinder.accounts.authcache import AuthCache, Loaded, Loader
from viewfinder.accounts.models import User, UserSession
from viewfinder.accounts.security import Origin
from viewfinder.core.access_log import remember_user
from viewfinder.core.db import utcnow
from viewfinder.core.deps import DbSession
from viewfinder.core.errors import ApiError
from viewfinder.settings import Settings

SESSION_COOKIE = "vf_session"
CSRF_COOKIE = "vf_csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Viewer:
    """The authenticated account and how it proved itself."""

    user: User
    session: UserSession | None  # None when authenticated by API token


ViewerDep = NamedDependency[Viewer]
"""Parameter name: viewer. The logged-in account; anonymous requests get 401."""
OptionalViewerDep = NamedDependency[Viewer | None]
"""Parameter name: viewer_or_none."""
OptionalUserDep = NamedDependency[User | None]
"""Parameter name: viewer_user. The logged-in account, or None when anonymous."""


async def _load_session(db: AsyncSession, token: str) -> Loaded | None:
    return await services.resolve_session(db, token)


async def _load_api_token(db: AsyncSession, token: str) -> Loaded | None:
    user = await services.resolve_api_token(db, token)
    return None if user is None else (None, user)


async def _look_up(
    request: Request[Any, Any, Any], db: AsyncSession, token: str, load: Loader, kind: str
) -> Loaded | None:
    """The credential's session and user: from the app's auth cache (accounts.authcache) when it
    has one, else from the database."""
    cache: AuthCache | None = getattr(request.app.state, "auth_cache", None)
    if cache is None:
        return await load(db, token)
    return await cache.resolve(db, f"{kind}:{services.hash_token(token)}", token, load)


async def provide_optional_viewer(request: Request[Any, Any, Any], db_session: DbSession) -> Viewer | None:
    """The viewer, or None for an anonymous request. A bad credential is a 401, not anonymity."""
    authorization = request.headers.get("authorization")
    if authorization:
        scheme, _, token = authorization.partition(" ")
        found = None
        if scheme.lower() == "bearer" and token.strip():
            found = await _look_up(request, db_session, token.strip(), _load_api_token, "token")
        if found is None:
            raise ApiError(401, "invalid_token", "The API token is not valid.")
        remember_user(request.scope, found[1].id)
        return Viewer(found[1], None)

    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    resolved = await _look_up(request, db_session, cookie, _load_session, "session")
    if resolved is None:
        return None
    session, user = resolved
    assert session is not None  # a cookie names a session
    remember_user(request.scope, user.id)  # for the access log
    # Bearer requests cannot be forged by another site; cookie ones can, so they carry a token.
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(sent.encode(), session.csrf_token.encode()):
            raise ApiError(
                403, "csrf_failed", f"Send the {CSRF_HEADER} header from your session with writes."
            )
    return Viewer(user, session)


async def provide_viewer(viewer_or_none: OptionalViewerDep) -> Viewer:
    """The viewer, required: anonymous requests get 401."""
    if viewer_or_none is None:
        raise ApiError(401, "not_authenticated", "Log in to do this.")
    return viewer_or_none


async def fresh_user(db: AsyncSession, viewer: Viewer) -> User:
    """The viewer's users row read now (one primary-key query): for the endpoints that show the
    account to its owner (GET /accounts/me...), since a cached look-up's counts may lag a few
    seconds behind what other people did (docs/decisions/0042-auth-cache.md)."""
    await db.refresh(viewer.user)
    return viewer.user


async def provide_optional_user(viewer_or_none: OptionalViewerDep) -> User | None:
    return viewer_or_none.user if viewer_or_none else None


def client_ip(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


def origin_of(request: Request[Any, Any, Any]) -> Origin:
    """The request's address and user agent, as the security log records them."""
    return Origin(ip_address=client_ip(request), user_agent=request.headers.get("user-agent", ""))


def require_session(viewer: Viewer) -> UserSession:
    """The viewer's browser session; API tokens are refused (403 `session_required`), so a leaked
    token can never mint more tokens or change the account's credentials."""
    if viewer.session is None:
        raise ApiError(
            403, "session_required", "API tokens cannot do this. Log in with your password to do it."
        )
    return viewer.session


def require_recent_authentication(
    viewer: Viewer, settings: Settings, *, now: datetime | None = None
) -> UserSession:
    """The guard of every sensitive action (creating an API token; later changing the e-mail
    address, two-factor settings, deleting the account): the request must come from a session that
    proved who it is within `reauthentication_seconds` — by logging in, or through
    POST /accounts/reauthenticate (a password today; a TOTP code or passkey later). Otherwise 403
    `reauthentication_required`, which the web app answers by asking for the password and retrying.
    """
    session = require_session(viewer)
    proven = session.reauthenticated_at
    window = timedelta(seconds=settings.reauthentication_seconds)
    if proven is None or (now or utcnow()) - proven > window:
        raise ApiError(
            403,
            "reauthentication_required",
            "Confirm it's you: enter your password again to do this.",
        )
    return session

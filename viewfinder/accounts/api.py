"""HTTP endpoints of the logged-in account: sign-up, log-in, sessions, tokens, profile."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post, put
from litestar.datastructures import Cookie
from litestar.params import FromPath, JSONBody, MultipartBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT
from sqlalchemy.ext.asyncio import AsyncSession

from viewfinder.accounts import schemas, services
from viewfinder.accounts.auth import CSRF_COOKIE, SESSION_COOKIE, ViewerDep, client_ip
from viewfinder.accounts.models import User
from viewfinder.core.deps import DbSession, LimiterDep, SettingsDep, StorageDep
from viewfinder.core.errors import ApiError
from viewfinder.core.jobs import enqueue
from viewfinder.core.params import parse_id
from viewfinder.feeds.tasks import backfill_timeline
from viewfinder.graph.services import pending_requester_ids

# The whole request, multipart framing included; the avatar_max_bytes setting applies to the file.
AVATAR_REQUEST_LIMIT = 64 * 1024 * 1024


def _session_cookies(settings: SettingsDep, new: services.NewSession) -> list[Cookie]:
    common: dict[str, Any] = {
        "path": "/",
        "samesite": "lax",
        "secure": settings.secure_cookies,
        "max_age": settings.session_max_age_seconds,
    }
    return [
        Cookie(key=SESSION_COOKIE, value=new.token, httponly=True, **common),
        # Readable by the web app, which echoes it in the X-CSRF-Token header.
        Cookie(key=CSRF_COOKIE, value=new.session.csrf_token, httponly=False, **common),
    ]


def _clearing_cookies(settings: SettingsDep) -> list[Cookie]:
    return [
        Cookie(key=name, value="", path="/", max_age=0, secure=settings.secure_cookies, samesite="lax")
        for name in (SESSION_COOKIE, CSRF_COOKIE)
    ]


async def _logged_in(
    db: AsyncSession,
    request: Request[Any, Any, Any],
    settings: SettingsDep,
    storage: StorageDep,
    user: User,
    status_code: int,
) -> Response[schemas.LoginResponse]:
    new = await services.start_session(
        db,
        user,
        max_age_seconds=settings.session_max_age_seconds,
        user_agent=request.headers.get("user-agent", ""),
        ip_address=client_ip(request),
    )
    body = schemas.LoginResponse(me=schemas.Me.of(user, storage), csrf_token=new.session.csrf_token)
    return Response(body, status_code=status_code, cookies=_session_cookies(settings, new))


class AccountController(Controller):
    """The account of whoever is asking."""

    path = "/accounts"
    tags = ["accounts"]

    @post("/signup", status_code=HTTP_201_CREATED)
    async def signup(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[schemas.SignupRequest],
        db_session: DbSession,
        settings: SettingsDep,
        storage: StorageDep,
        limiter: LimiterDep,
    ) -> Response[schemas.LoginResponse]:
        """Create an account and log in to it."""
        await limiter.consume(
            [f"signup:ip:{client_ip(request)}"],
            settings.signup_limit_per_ip,
            settings.signup_window_seconds,
        )
        user = await services.signup(
            db_session, username=data.username, email=data.email, password=data.password
        )
        return await _logged_in(db_session, request, settings, storage, user, HTTP_201_CREATED)

    @post("/login", status_code=HTTP_200_OK)
    async def login(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[schemas.LoginRequest],
        db_session: DbSession,
        settings: SettingsDep,
        storage: StorageDep,
        limiter: LimiterDep,
    ) -> Response[schemas.LoginResponse]:
        """Log in with a username or email and a password; sets the session cookie."""
        user = await services.find_login_account(db_session, data.login)
        # Count failures per account whichever name (username or email) it was tried by.
        account = str(user.id) if user else data.login.lower()
        keys = [f"login-failures:ip:{client_ip(request)}", f"login-failures:account:{account}"]
        window = settings.login_failure_window_seconds
        await limiter.check(keys, settings.login_failure_limit, window)
        password_ok = await services.check_password(db_session, user, data.password)
        if user is None or not password_ok:
            for key in keys:
                await limiter.hit(key, window)
            raise ApiError(401, "invalid_credentials", "The username or password is wrong.")
        await limiter.reset(keys[1])
        return await _logged_in(db_session, request, settings, storage, user, HTTP_200_OK)

    @post("/logout", status_code=HTTP_204_NO_CONTENT)
    async def logout(self, viewer: ViewerDep, db_session: DbSession, settings: SettingsDep) -> Response[None]:
        """End this session."""
        if viewer.session is not None:
            await services.end_session(db_session, viewer.user, viewer.session.id)
        return Response(None, status_code=HTTP_204_NO_CONTENT, cookies=_clearing_cookies(settings))

    @get("/me")
    async def me(self, viewer: ViewerDep, storage: StorageDep) -> schemas.Me:
        """The logged-in account, email included."""
        return schemas.Me.of(viewer.user, storage)

    @patch("/me")
    async def update_me(
        self,
        data: JSONBody[schemas.ProfileUpdate],
        viewer: ViewerDep,
        db_session: DbSession,
        storage: StorageDep,
    ) -> schemas.Me:
        """Change display name, bio, website or the private-account switch."""
        changes = services.ProfileChanges(
            **{
                name: value
                for name, value in msgspec.structs.asdict(data).items()
                if value is not msgspec.UNSET
            }
        )
        waiting: list[int] = []
        if viewer.user.is_private and changes.is_private is False:
            # Going public turns every pending request into a follow: fill their home timelines.
            waiting = await pending_requester_ids(db_session, viewer.user)
        user = await services.update_profile(db_session, viewer.user, changes)
        for requester_id in waiting:
            await enqueue(backfill_timeline, requester_id, user.id)
        return schemas.Me.of(user, storage)

    @put("/me/avatar", request_max_body_size=AVATAR_REQUEST_LIMIT)
    async def set_avatar(
        self,
        data: MultipartBody[schemas.AvatarUpload],
        viewer: ViewerDep,
        db_session: DbSession,
        storage: StorageDep,
        settings: SettingsDep,
    ) -> schemas.Me:
        """Upload a new avatar (JPEG, PNG, WebP, HEIC or GIF) as the multipart field "data"."""
        upload = await data.data.read(settings.avatar_max_bytes + 1)
        if len(upload) > settings.avatar_max_bytes:
            raise ApiError(413, "too_large", f"The avatar must be at most {settings.avatar_max_bytes} bytes.")
        user = await services.set_avatar(
            db_session, storage, viewer.user, upload, max_pixels=settings.max_image_pixels
        )
        return schemas.Me.of(user, storage)

    @delete("/me/avatar", status_code=HTTP_200_OK)
    async def remove_avatar(
        self, viewer: ViewerDep, db_session: DbSession, storage: StorageDep
    ) -> schemas.Me:
        user = await services.remove_avatar(db_session, storage, viewer.user)
        return schemas.Me.of(user, storage)

    @post("/password", status_code=HTTP_204_NO_CONTENT)
    async def change_password(
        self, data: JSONBody[schemas.ChangePasswordRequest], viewer: ViewerDep, db_session: DbSession
    ) -> None:
        """Set a new password; every other session of the account ends."""
        await services.change_password(
            db_session,
            viewer.user,
            current_password=data.current_password,
            new_password=data.new_password,
            keep_session_id=viewer.session.id if viewer.session else None,
        )

    @get("/sessions")
    async def sessions(self, viewer: ViewerDep, db_session: DbSession) -> list[schemas.SessionOut]:
        """The account's live browser sessions, newest first."""
        current = viewer.session.id if viewer.session else None
        return [
            schemas.SessionOut.of(session, current)
            for session in await services.list_sessions(db_session, viewer.user)
        ]

    @delete("/sessions/{session_id:str}", status_code=HTTP_204_NO_CONTENT)
    async def end_session(self, session_id: FromPath[str], viewer: ViewerDep, db_session: DbSession) -> None:
        """Log out one session (for example a lost phone)."""
        await services.end_session(db_session, viewer.user, parse_id(session_id))

    @get("/tokens")
    async def tokens(self, viewer: ViewerDep, db_session: DbSession) -> list[schemas.TokenOut]:
        """The account's API tokens (never their secrets)."""
        return [schemas.TokenOut.of(t) for t in await services.list_api_tokens(db_session, viewer.user)]

    @post("/tokens", status_code=HTTP_201_CREATED)
    async def create_token(
        self,
        data: JSONBody[schemas.TokenCreateRequest],
        viewer: ViewerDep,
        db_session: DbSession,
        settings: SettingsDep,
        limiter: LimiterDep,
    ) -> schemas.NewTokenOut:
        """Create a personal API token, sent as "Authorization: Bearer <secret>". Shown once."""
        await limiter.consume(
            [f"token-create:{viewer.user.id}"],
            settings.token_creation_limit,
            settings.token_creation_window_seconds,
        )
        new = await services.create_api_token(db_session, viewer.user, data.name)
        return schemas.NewTokenOut(token=schemas.TokenOut.of(new.token), secret=new.secret)

    @delete("/tokens/{token_id:str}", status_code=HTTP_204_NO_CONTENT)
    async def revoke_token(self, token_id: FromPath[str], viewer: ViewerDep, db_session: DbSession) -> None:
        """Revoke an API token at once."""
        await services.revoke_api_token(db_session, viewer.user, parse_id(token_id))

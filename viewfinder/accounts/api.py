"""HTTP endpoints of the logged-in account: sign-up, log-in, sessions, tokens, profile, the
security log and re-authentication ("sudo mode")."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post, put
from litestar.datastructures import Cookie
from litestar.params import FromPath, JSONBody, MultipartBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT
from sqlalchemy.ext.asyncio import AsyncSession

from viewfinder.accounts import passkeys, schemas, security, services, twofactor
from viewfinder.accounts.auth import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    ViewerDep,
    fresh_user,
    origin_of,
    require_recent_authentication,
    require_session,
)
from viewfinder.accounts.models import User
from viewfinder.accounts.standing import check_standing
from viewfinder.accounts.throttle import PasswordAttempt, PasswordThrottle
from viewfinder.core.deps import DbSession, LimiterDep, SettingsDep
from viewfinder.core.errors import ApiError, invalid
from viewfinder.core.openapi import errors
from viewfinder.core.pagination import Page
from viewfinder.core.params import PagingDep, parse_id
from viewfinder.mediakit.storage import StorageDep
from viewfinder.privacy.services import reopen_on_login
from viewfinder.screening import NewAccountLimits

# The whole request, multipart framing included; the avatar_max_bytes setting applies to the file.
AVATAR_REQUEST_LIMIT = 64 * 1024 * 1024
SESSION_REQUIRED = "session_required: needs a browser session, not an API token"


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
    *,
    log_in: bool,
) -> Response[schemas.LoginResponse]:
    origin = origin_of(request)
    new = await services.start_session(
        db,
        user,
        max_age_seconds=settings.session_max_age_seconds,
        user_agent=origin.user_agent,
        ip_address=origin.ip_address,
        log_in=log_in,
    )
    body = schemas.LoginResponse(me=schemas.Me.of(user, storage), csrf_token=new.session.csrf_token)
    return Response(body, status_code=status_code, cookies=_session_cookies(settings, new))


class AccountController(Controller):
    """The account of whoever is asking."""

    path = "/accounts"
    tags = ["accounts"]

    @post("/signup", status_code=HTTP_201_CREATED, opt=errors({409: "already_exists: the name is taken"}))
    async def signup(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[schemas.SignupRequest],
        db_session: DbSession,
        settings: SettingsDep,
        storage: StorageDep,
        limiter: LimiterDep,
    ) -> Response[schemas.LoginResponse]:
        """Create an account and log in to it. A display name a staff rule blocks or holds is
        refused (422 content_blocked) before anything is made."""
        origin = origin_of(request)
        await limiter.consume(
            [f"signup:ip:{origin.ip_address}"],
            settings.signup_limit_per_ip,
            settings.signup_window_seconds,
        )
        user = await services.signup(
            db_session,
            username=data.username,
            email=data.email,
            password=data.password,
            display_name=data.display_name,
            origin=origin,
        )
        return await _logged_in(db_session, request, settings, storage, user, HTTP_201_CREATED, log_in=False)

    @post(
        "/login",
        status_code=HTTP_200_OK,
        opt=errors(
            {
                401: "invalid_credentials: wrong name or password",
                403: "account_banned, account_suspended (fields.suspended_until): staff closed the account",
                409: "deletion_scheduled: the account is to be deleted; send cancel_deletion to keep it",
            }
        ),
    )
    async def login(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[schemas.LoginRequest],
        db_session: DbSession,
        settings: SettingsDep,
        storage: StorageDep,
        limiter: LimiterDep,
    ) -> Response[schemas.LoginResponse | schemas.TwoFactorRequiredOut]:
        """Log in with a username or email and a password; sets the session cookie.

        On an account with two-factor on, a right password starts no session: the answer is
        `two_factor_required` with a challenge, and POST /accounts/login/two-factor finishes the
        log-in with a code, a recovery code or a passkey — unless this browser is one the account
        trusts (its "trust this device" cookie), which goes straight on (docs/decisions/0033).

        Too many attempts answer 429 with Retry-After: from one address on one account (until the
        window ends), from one address across accounts, or, after many failures on the account
        from addresses its owner never used, a few seconds' wait (docs/decisions/0028).

        Logging in to an account its owner deactivated reactivates it (`reactivated` in the answer).
        One scheduled for deletion answers 409 `deletion_scheduled` (fields.delete_after: when), after
        the password is checked; logging in with `cancel_deletion` cancels the deletion and
        reactivates it (docs/decisions/0032)."""
        origin = origin_of(request)
        throttle = PasswordThrottle(limiter, settings)
        user = await services.prove_password(db_session, throttle, data.login, data.password, origin)
        # Banned or suspended by staff: 403 saying so (a suspension whose end has passed is lifted).
        await check_standing(db_session, user)
        second_step = await twofactor.begin_second_step(
            db_session,
            user,
            settings,
            trusted_device_token=request.cookies.get(twofactor.TRUSTED_DEVICE_COOKIE),
            cancel_deletion=data.cancel_deletion is True,
        )
        if second_step is not None:
            return Response(schemas.TwoFactorRequiredOut.of(second_step), status_code=HTTP_200_OK)
        # A deactivated account opens again; one scheduled for deletion only when asked (409 else).
        reopened = await reopen_on_login(
            db_session, user, cancel_deletion=data.cancel_deletion is True, origin=origin
        )
        response = await _logged_in(db_session, request, settings, storage, user, HTTP_200_OK, log_in=True)
        response.content.reactivated = reopened.reactivated
        response.content.deletion_cancelled = reopened.deletion_cancelled
        return response  # type: ignore[return-value]  # Response is invariant in its content

    @post("/logout", status_code=HTTP_204_NO_CONTENT)
    async def logout(
        self, request: Request[Any, Any, Any], viewer: ViewerDep, db_session: DbSession, settings: SettingsDep
    ) -> Response[None]:
        """End this session."""
        if viewer.session is not None:
            await services.end_session(
                db_session,
                viewer.user,
                viewer.session.id,
                current_session_id=viewer.session.id,
                origin=origin_of(request),
            )
        return Response(None, status_code=HTTP_204_NO_CONTENT, cookies=_clearing_cookies(settings))

    @get("/me")
    async def me(self, viewer: ViewerDep, db_session: DbSession, storage: StorageDep) -> schemas.Me:
        """The logged-in account, email included."""
        return schemas.Me.of(await fresh_user(db_session, viewer), storage)

    @patch("/me", opt=errors({422: "content_blocked: a staff rule refuses this text (the fields say which)"}))
    async def update_me(
        self,
        data: JSONBody[schemas.ProfileUpdate],
        viewer: ViewerDep,
        db_session: DbSession,
        storage: StorageDep,
        settings: SettingsDep,
        limiter: LimiterDep,
    ) -> schemas.Me:
        """Change display name, bio, website or the private-account switch. Text a staff rule
        blocks or holds is refused (422 content_blocked, naming the field); new accounts may add
        only so many links an hour (429 new_account_limit)."""
        changes = services.ProfileChanges(
            **{
                name: value
                for name, value in msgspec.structs.asdict(data).items()
                if value is not msgspec.UNSET
            }
        )
        # Going public turns every pending request into a follow (graph.services emits each
        # FollowRequestApproved; feeds fill the new followers' home timelines).
        user = await services.update_profile(
            db_session,
            await fresh_user(db_session, viewer),
            changes,
            limits=NewAccountLimits(limiter, settings),
        )
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
            db_session,
            storage,
            await fresh_user(db_session, viewer),
            upload,
            max_pixels=settings.max_image_pixels,
        )
        return schemas.Me.of(user, storage)

    @delete("/me/avatar", status_code=HTTP_200_OK)
    async def remove_avatar(
        self, viewer: ViewerDep, db_session: DbSession, storage: StorageDep
    ) -> schemas.Me:
        user = await services.remove_avatar(db_session, storage, await fresh_user(db_session, viewer))
        return schemas.Me.of(user, storage)

    @post("/password", status_code=HTTP_204_NO_CONTENT, opt=errors({403: SESSION_REQUIRED}))
    async def change_password(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[schemas.ChangePasswordRequest],
        viewer: ViewerDep,
        db_session: DbSession,
        settings: SettingsDep,
        limiter: LimiterDep,
    ) -> None:
        """Set a new password; every other session of the account ends and every API token is
        revoked. Needs a browser session (403 `session_required` for API tokens); the current
        password is this action's re-authentication, limited like log-ins."""
        session = require_session(viewer)
        origin = origin_of(request)
        throttle = PasswordThrottle(limiter, settings)
        attempt = await throttle.reserve(db_session, str(viewer.user.id), viewer.user, origin.ip_address)
        try:
            await services.change_password(
                db_session,
                viewer.user,
                current_password=data.current_password,
                new_password=data.new_password,
                keep_session_id=session.id,
                origin=origin,
            )
        except ApiError as error:
            if error.code != "wrong_password":
                await attempt.succeeded()  # the current password was right; the new one was not
            raise
        await attempt.succeeded()

    @post("/reauthenticate", status_code=HTTP_200_OK, opt=errors({403: SESSION_REQUIRED}))
    async def reauthenticate(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[schemas.ReauthenticateRequest],
        viewer: ViewerDep,
        db_session: DbSession,
        settings: SettingsDep,
        limiter: LimiterDep,
    ) -> schemas.ReauthenticatedOut:
        """Confirm it's you ("sudo mode"): with the password, a code of the authenticator app
        (`totp_code`) or a passkey (`passkey`, answering POST /accounts/passkeys/reauthenticate/options),
        this session may do sensitive actions (create API tokens...) for the next
        `reauthentication_seconds` (10 minutes). A wrong proof is 400 `wrong_password` on its field;
        passwords are limited like log-ins, codes like the log-in's second step."""
        session = require_session(viewer)
        origin = origin_of(request)
        attempt: PasswordAttempt | twofactor.CodeAttempt | None = None
        proof: services.ReauthenticationProof
        if not isinstance(data.password, msgspec.UnsetType):
            proof = services.PasswordProof(data.password)
            throttle = PasswordThrottle(limiter, settings)
            attempt = await throttle.reserve(db_session, str(viewer.user.id), viewer.user, origin.ip_address)
        elif not isinstance(data.totp_code, msgspec.UnsetType):
            proof = twofactor.TotpProof(data.totp_code)
            attempt = await twofactor.CodeThrottle(limiter).reserve(viewer.user.id)
        elif not isinstance(data.passkey, msgspec.UnsetType):
            proof = passkeys.PasskeyProof(
                data.passkey.ceremony, data.passkey.credential, settings, session_id=session.id
            )
        else:
            raise invalid("password", "Enter your password.")
        try:
            proven_at = await services.reauthenticate(db_session, viewer.user, session, proof, origin)
        except ApiError as error:
            if error.code == "wrong_password" and proof.method != "password":
                wrong = {"totp": "That code is wrong.", "passkey": "This passkey was not accepted."}
                raise invalid(proof.field, wrong.get(proof.method, error.message), code=error.code) from error
            raise
        if attempt is not None:
            await attempt.succeeded()
        return schemas.ReauthenticatedOut(
            reauthenticated_until=proven_at + timedelta(seconds=settings.reauthentication_seconds)
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
    async def end_session(
        self,
        request: Request[Any, Any, Any],
        session_id: FromPath[str],
        viewer: ViewerDep,
        db_session: DbSession,
    ) -> None:
        """Log out one session (for example a lost phone)."""
        await services.end_session(
            db_session,
            viewer.user,
            parse_id(session_id),
            current_session_id=viewer.session.id if viewer.session else None,
            origin=origin_of(request),
        )

    @get("/tokens")
    async def tokens(self, viewer: ViewerDep, db_session: DbSession) -> list[schemas.TokenOut]:
        """The account's API tokens (never their secrets)."""
        return [schemas.TokenOut.of(t) for t in await services.list_api_tokens(db_session, viewer.user)]

    @post(
        "/tokens",
        status_code=HTTP_201_CREATED,
        opt=errors({403: f"{SESSION_REQUIRED}; reauthentication_required: confirm your password first"}),
    )
    async def create_token(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[schemas.TokenCreateRequest],
        viewer: ViewerDep,
        db_session: DbSession,
        settings: SettingsDep,
        limiter: LimiterDep,
    ) -> schemas.NewTokenOut:
        """Create a personal API token, sent as "Authorization: Bearer <secret>". Shown once.

        Sensitive: needs a session that logged in or re-authenticated in the last 10 minutes
        (403 `reauthentication_required`: POST /accounts/reauthenticate, then retry); API tokens
        cannot create tokens (403 `session_required`)."""
        require_recent_authentication(viewer, settings)
        await limiter.consume(
            [f"token-create:{viewer.user.id}"],
            settings.token_creation_limit,
            settings.token_creation_window_seconds,
        )
        new = await services.create_api_token(db_session, viewer.user, data.name, origin_of(request))
        return schemas.NewTokenOut(token=schemas.TokenOut.of(new.token), secret=new.secret)

    @delete("/tokens/{token_id:str}", status_code=HTTP_204_NO_CONTENT)
    async def revoke_token(
        self,
        request: Request[Any, Any, Any],
        token_id: FromPath[str],
        viewer: ViewerDep,
        db_session: DbSession,
    ) -> None:
        """Revoke an API token at once."""
        await services.revoke_api_token(db_session, viewer.user, parse_id(token_id), origin_of(request))

    @get("/security-events")
    async def security_events(
        self,
        viewer: ViewerDep,
        db_session: DbSession,
        paging: PagingDep,
    ) -> Page[schemas.SecurityEventOut]:
        """The account's security log, newest first: log-ins (new devices marked), failed log-ins,
        log-outs, password changes, tokens, re-authentication. Kept for a year."""
        scope = f"security-events:{viewer.user.id}"
        events = await security.list_security_events(
            db_session, viewer.user.id, paging.key(scope), paging.limit
        )
        return paging.page(scope, [schemas.SecurityEventOut.of(e) for e in events], [e.id for e in events])

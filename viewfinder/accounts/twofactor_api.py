"""HTTP endpoints of two-factor authentication: the log-in's second step, the authenticator app,
recovery codes, trusted devices and passkeys (docs/decisions/0033-two-factor-and-passkeys.md).

Everything that turns a second factor on or off, or shows recovery codes, needs sudo mode
(accounts.auth.require_recent_authentication): a stolen session alone cannot lock the owner out or
read their codes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.datastructures import Cookie
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT
from sqlalchemy.ext.asyncio import AsyncSession

from viewfinder.accounts import passkeys, schemas, twofactor
from viewfinder.accounts.api import _logged_in
from viewfinder.accounts.auth import ViewerDep, origin_of, require_recent_authentication, require_session
from viewfinder.accounts.models import AuthChallenge, User
from viewfinder.accounts.security import Origin
from viewfinder.accounts.standing import check_standing
from viewfinder.core.deps import DbSession, LimiterDep, SettingsDep
from viewfinder.core.errors import ApiError, invalid
from viewfinder.core.openapi import errors
from viewfinder.core.params import parse_id
from viewfinder.core.ratelimit import Limit, RateLimiter
from viewfinder.mediakit.storage import StorageDep
from viewfinder.privacy.services import reopen_on_login
from viewfinder.settings import Settings

TRUSTED_DEVICE_COOKIE_PATH = "/api/viewfinder/v1/accounts"
"""The trust cookie goes only to the account endpoints (log-in, and Settings' list of devices)."""
PASSKEY_OPTIONS_PER_ADDRESS = 100
"""Password-less log-in ceremonies one address may begin per log-in failure window."""

SUDO = (
    "session_required: needs a browser session, not an API token; "
    "reauthentication_required: confirm it's you first (POST /accounts/reauthenticate)"
)
LOGIN_EXPIRED = "login_expired: the challenge is unknown, past its 5 minutes, used, or had 5 wrong codes"


def _trusted_cookie(settings: Settings, token: str, max_age: int) -> Cookie:
    return Cookie(
        key=twofactor.TRUSTED_DEVICE_COOKIE,
        value=token,
        path=TRUSTED_DEVICE_COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        max_age=max_age,
    )


def _login_expired(message: str = "This log-in expired. Enter your password again.") -> ApiError:
    return ApiError(401, "login_expired", message)


def _status(factors: twofactor.SecondFactors, pending: bool) -> schemas.TwoFactorOut:
    return schemas.TwoFactorOut(
        enabled=factors.enabled,
        totp=factors.totp,
        totp_pending=pending,
        passkeys=factors.passkeys,
        recovery_codes_left=factors.recovery_codes_left,
        methods=factors.methods,
    )


async def _prove_second_factor(
    db: AsyncSession,
    settings: Settings,
    limiter: RateLimiter,
    challenge: AuthChallenge,
    data: schemas.SecondStepRequest,
    origin: Origin,
) -> None:
    """Check the one second factor the request gives, against the challenge's account; a wrong
    one is counted on the challenge (and, for codes, on the account's limit) and refused."""
    assert challenge.user_id is not None
    given = [
        name
        for name, value in (
            ("code", data.code),
            ("recovery_code", data.recovery_code),
            ("passkey", data.passkey),
        )
        if not isinstance(value, msgspec.UnsetType)
    ]
    if len(given) != 1:
        raise invalid("code", "Enter the code from your app, or a recovery code, or use a passkey.")
    remaining: int | None = None
    if not isinstance(data.passkey, msgspec.UnsetType):
        method = twofactor.PASSKEY
        if challenge.webauthn_challenge is None:
            raise invalid("passkey", "This account has no passkeys.", code="invalid_passkey")
        try:
            await passkeys.check_assertion(
                db,
                settings,
                challenge.webauthn_challenge,
                data.passkey,
                user_id=challenge.user_id,
                require_user_verification=False,
            )
        except passkeys.PasskeyRefused as refused:
            reason = refused.reason if refused.reason != "invalid" else None
            if await twofactor.second_step_failed(db, challenge, method, origin, reason=reason):
                raise _login_expired("Too many failed tries. Enter your password again.") from refused
            raise passkeys.refusal_error(refused) from refused
    else:
        attempt = await twofactor.CodeThrottle(limiter).reserve(challenge.user_id)
        if not isinstance(data.code, msgspec.UnsetType):
            method, field = twofactor.TOTP, "code"
            proven = await twofactor.use_totp_code(db, challenge.user_id, data.code)
        else:
            assert not isinstance(data.recovery_code, msgspec.UnsetType)
            method, field = twofactor.RECOVERY_CODE, "recovery_code"
            remaining = await twofactor.use_recovery_code(db, challenge.user_id, data.recovery_code)
            proven = remaining is not None
        if not proven:
            if await twofactor.second_step_failed(db, challenge, method, origin):
                raise _login_expired("Too many wrong codes. Enter your password again.")
            raise invalid(field, "That code is wrong. Check it and try again.", code="wrong_code")
        await attempt.succeeded()
    await twofactor.second_step_passed(db, challenge, method, origin, remaining=remaining)


class TwoFactorController(Controller):
    """The log-in's second step, the authenticator app, recovery codes and trusted devices."""

    path = "/accounts"
    tags = ["two-factor"]

    @post(
        "/login/two-factor",
        status_code=HTTP_200_OK,
        opt=errors(
            {
                401: LOGIN_EXPIRED,
                409: "deletion_scheduled: the account is to be deleted; send cancel_deletion to keep it",
            }
        ),
    )
    async def finish_login(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[schemas.SecondStepRequest],
        db_session: DbSession,
        settings: SettingsDep,
        storage: StorageDep,
        limiter: LimiterDep,
    ) -> Response[schemas.LoginResponse]:
        """Finish a log-in that answered `two_factor_required`: the challenge, and a code of the
        authenticator app (`code`), a recovery code (`recovery_code`, each works once) or a passkey's
        answer to the log-in's `passkey_options` (`passkey`). Sets the session cookie as
        POST /accounts/login does; with `trust_device`, also a cookie that lets this browser skip
        this step for 30 days.

        A wrong code is 400 `wrong_code` (`passkey_cloned` or `invalid_passkey` for a passkey);
        the fifth kills the challenge (401 `login_expired`: log in again), and wrong codes are
        limited per account (429). An account scheduled for deletion answers 409
        `deletion_scheduled` after a right code; sending the same challenge again with
        `cancel_deletion` (and no new code) then logs in."""
        origin = origin_of(request)
        challenge = await twofactor.find_challenge(db_session, data.challenge, twofactor.LOGIN)
        if challenge is None or challenge.user_id is None:
            raise _login_expired()
        user = await db_session.get(User, challenge.user_id)
        if user is None:
            raise _login_expired()
        if not challenge.verified:
            await _prove_second_factor(db_session, settings, limiter, challenge, data, origin)
        cancel = challenge.cancel_deletion or data.cancel_deletion is True
        await check_standing(db_session, user)  # banned or suspended since the first step
        reopened = await reopen_on_login(db_session, user, cancel_deletion=cancel, origin=origin)
        if not await twofactor.take_challenge(db_session, challenge.id):
            raise _login_expired()
        trusted = await twofactor.trust_device(db_session, user, origin) if data.trust_device else None
        # start_session commits the challenge's use, the trusted device and the log-in together.
        response = await _logged_in(db_session, request, settings, storage, user, HTTP_200_OK, log_in=True)
        response.content.reactivated = reopened.reactivated
        response.content.deletion_cancelled = reopened.deletion_cancelled
        if trusted is not None:
            max_age = int(timedelta(days=twofactor.TRUSTED_DEVICE_DAYS).total_seconds())
            response.cookies.append(_trusted_cookie(settings, trusted, max_age))
        return response

    @get("/two-factor")
    async def two_factor(self, viewer: ViewerDep, db_session: DbSession) -> schemas.TwoFactorOut:
        """The account's second factors: whether log-ins ask for a second step, the app, passkeys,
        and how many recovery codes are left."""
        factors = await twofactor.second_factors(db_session, viewer.user.id)
        return _status(factors, await twofactor.totp_pending(db_session, viewer.user.id))

    @post("/two-factor/totp", status_code=HTTP_201_CREATED, opt=errors({403: SUDO, 409: "already_enabled"}))
    async def enrol_totp(
        self, viewer: ViewerDep, db_session: DbSession, settings: SettingsDep
    ) -> schemas.TotpEnrolmentOut:
        """Begin setting up an authenticator app (sudo mode): a new secret, as text, an otpauth://
        URI and a QR code. Nothing changes until POST /accounts/two-factor/totp/confirm gets a code
        of it. 409 `already_enabled` when an app is on."""
        require_recent_authentication(viewer, settings)
        enrolment = await twofactor.start_totp_enrolment(db_session, viewer.user, settings)
        return schemas.TotpEnrolmentOut(secret=enrolment.secret, uri=enrolment.uri, qr_svg=enrolment.qr_svg)

    @post(
        "/two-factor/totp/confirm",
        status_code=HTTP_200_OK,
        opt=errors({403: SUDO, 409: "not_enrolling: no app is being set up"}),
    )
    async def confirm_totp(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[schemas.TotpConfirmRequest],
        viewer: ViewerDep,
        db_session: DbSession,
        settings: SettingsDep,
        limiter: LimiterDep,
    ) -> schemas.RecoveryCodesOut:
        """Turn the app on with the first code it shows (sudo mode): log-ins ask for a code from
        then on. The answer holds the account's recovery codes when this is its first second factor,
        shown this once. A wrong code is 400 `wrong_code`."""
        require_recent_authentication(viewer, settings)
        attempt = await twofactor.CodeThrottle(limiter).reserve(viewer.user.id)
        codes = await twofactor.confirm_totp(db_session, viewer.user, data.code, origin_of(request))
        await attempt.succeeded()
        return schemas.RecoveryCodesOut(recovery_codes=codes)

    @post(
        "/two-factor/totp/disable",
        status_code=HTTP_200_OK,
        opt=errors({403: SUDO, 409: "not_enabled: no app is on"}),
    )
    async def disable_totp(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[schemas.TotpDisableRequest],
        viewer: ViewerDep,
        db_session: DbSession,
        settings: SettingsDep,
        limiter: LimiterDep,
    ) -> schemas.TwoFactorOut:
        """Turn the authenticator app off (sudo mode), with a current code of it or a recovery code.
        Without passkeys, two-factor is then off and the recovery codes stop working."""
        require_recent_authentication(viewer, settings)
        attempt = await twofactor.CodeThrottle(limiter).reserve(viewer.user.id)
        factors = await twofactor.disable_totp(
            db_session,
            viewer.user,
            code=None if isinstance(data.code, msgspec.UnsetType) else data.code,
            recovery_code=None if isinstance(data.recovery_code, msgspec.UnsetType) else data.recovery_code,
            origin=origin_of(request),
        )
        await attempt.succeeded()
        return _status(factors, pending=False)

    @post(
        "/two-factor/recovery-codes",
        status_code=HTTP_200_OK,
        opt=errors({403: SUDO, 409: "two_factor_off: there is nothing to recover"}),
    )
    async def regenerate_recovery_codes(
        self, request: Request[Any, Any, Any], viewer: ViewerDep, db_session: DbSession, settings: SettingsDep
    ) -> schemas.RecoveryCodesOut:
        """Ten new recovery codes (sudo mode), shown this once; the old ones stop working."""
        require_recent_authentication(viewer, settings)
        codes = await twofactor.regenerate_recovery_codes(db_session, viewer.user, origin_of(request))
        return schemas.RecoveryCodesOut(recovery_codes=codes)

    @get("/trusted-devices")
    async def trusted_devices(
        self, request: Request[Any, Any, Any], viewer: ViewerDep, db_session: DbSession
    ) -> list[schemas.TrustedDeviceOut]:
        """Browsers that skip the second step when logging in with the password, newest first."""
        current = await twofactor.trusted_device(
            db_session, viewer.user, request.cookies.get(twofactor.TRUSTED_DEVICE_COOKIE)
        )
        return [
            schemas.TrustedDeviceOut.of(device, current.id if current else None)
            for device in await twofactor.list_trusted_devices(db_session, viewer.user)
        ]

    @delete("/trusted-devices/{device_id:str}", status_code=HTTP_204_NO_CONTENT)
    async def remove_trusted_device(
        self,
        request: Request[Any, Any, Any],
        device_id: FromPath[str],
        viewer: ViewerDep,
        db_session: DbSession,
    ) -> None:
        """Stop trusting one browser: its next log-in asks for the second step again."""
        await twofactor.remove_trusted_device(
            db_session, viewer.user, parse_id(device_id), origin_of(request)
        )

    @delete("/trusted-devices", status_code=HTTP_204_NO_CONTENT)
    async def remove_all_trusted_devices(
        self, request: Request[Any, Any, Any], viewer: ViewerDep, db_session: DbSession, settings: SettingsDep
    ) -> Response[None]:
        """Stop trusting every browser (this one included)."""
        await twofactor.remove_all_trusted_devices(db_session, viewer.user, origin_of(request))
        return Response(None, status_code=HTTP_204_NO_CONTENT, cookies=[_trusted_cookie(settings, "", 0)])


class PasskeyController(Controller):
    """Passkeys: adding, naming and removing them; password-less log-in; sudo mode with one."""

    path = "/accounts/passkeys"
    tags = ["two-factor"]

    @get("/")
    async def list_passkeys(self, viewer: ViewerDep, db_session: DbSession) -> list[schemas.PasskeyOut]:
        """The account's passkeys, oldest first."""
        return [schemas.PasskeyOut.of(p) for p in await passkeys.list_passkeys(db_session, viewer.user)]

    @post(
        "/registration/options",
        status_code=HTTP_200_OK,
        opt=errors({403: SUDO, 409: "too_many: 20 passkeys already"}),
    )
    async def registration_options(
        self, viewer: ViewerDep, db_session: DbSession, settings: SettingsDep
    ) -> schemas.CeremonyOut:
        """Begin adding a passkey (sudo mode): options for navigator.credentials.create()."""
        session = require_recent_authentication(viewer, settings)
        ceremony = await passkeys.begin_registration(db_session, viewer.user, session, settings)
        return schemas.CeremonyOut(ceremony=ceremony.token, options=ceremony.options)

    @post(
        "/",
        status_code=HTTP_201_CREATED,
        opt=errors({403: SUDO, 409: "already_exists: this passkey is added already"}),
    )
    async def add_passkey(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[schemas.PasskeyCreateRequest],
        viewer: ViewerDep,
        db_session: DbSession,
        settings: SettingsDep,
    ) -> schemas.NewPasskeyOut:
        """Add the passkey the browser made (sudo mode). From then on log-ins with the password ask
        for a second step, and the passkey logs in on its own. The first second factor of the
        account comes with its recovery codes, shown this once. 400 `invalid_passkey` or
        `ceremony_expired`."""
        session = require_recent_authentication(viewer, settings)
        added = await passkeys.add_passkey(
            db_session,
            viewer.user,
            session,
            settings,
            ceremony=data.ceremony,
            name=data.name,
            credential=data.credential,
            origin=origin_of(request),
        )
        return schemas.NewPasskeyOut(
            passkey=schemas.PasskeyOut.of(added.passkey), recovery_codes=added.recovery_codes
        )

    @patch("/{passkey_id:str}")
    async def rename_passkey(
        self,
        passkey_id: FromPath[str],
        data: JSONBody[schemas.PasskeyRenameRequest],
        viewer: ViewerDep,
        db_session: DbSession,
    ) -> schemas.PasskeyOut:
        """Rename a passkey."""
        passkey = await passkeys.rename_passkey(db_session, viewer.user, parse_id(passkey_id), data.name)
        return schemas.PasskeyOut.of(passkey)

    @delete("/{passkey_id:str}", status_code=HTTP_204_NO_CONTENT, opt=errors({403: SUDO}))
    async def remove_passkey(
        self,
        request: Request[Any, Any, Any],
        passkey_id: FromPath[str],
        viewer: ViewerDep,
        db_session: DbSession,
        settings: SettingsDep,
    ) -> None:
        """Remove a passkey (sudo mode). Removing the last second factor turns two-factor off."""
        require_recent_authentication(viewer, settings)
        await passkeys.remove_passkey(db_session, viewer.user, parse_id(passkey_id), origin_of(request))

    @post("/login/options", status_code=HTTP_200_OK)
    async def login_options(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        settings: SettingsDep,
        limiter: LimiterDep,
    ) -> schemas.CeremonyOut:
        """Begin a password-less log-in: options for navigator.credentials.get() with any passkey
        of this site (the browser offers the person's own)."""
        address = origin_of(request).ip_address
        await limiter.consume(
            [f"passkey-options:ip:{address}"],
            PASSKEY_OPTIONS_PER_ADDRESS,
            settings.login_failure_window_seconds,
        )
        ceremony = await passkeys.begin_login(db_session, settings)
        return schemas.CeremonyOut(ceremony=ceremony.token, options=ceremony.options)

    @post(
        "/login",
        status_code=HTTP_200_OK,
        opt=errors(
            {409: "deletion_scheduled: the account is to be deleted; send cancel_deletion to keep it"}
        ),
    )
    async def log_in(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[schemas.PasskeyLoginRequest],
        db_session: DbSession,
        settings: SettingsDep,
        storage: StorageDep,
        limiter: LimiterDep,
    ) -> Response[schemas.LoginResponse]:
        """Log in with a passkey alone (it needs the authenticator's user verification, a PIN or
        a biometric): the answer of navigator.credentials.get() to POST /accounts/passkeys/login/options.
        Sets the session cookie as POST /accounts/login does. Failures count against the address
        like wrong passwords; 400 `invalid_passkey`, `passkey_cloned` or `ceremony_expired`."""
        origin = origin_of(request)
        per_address = Limit(
            f"login:ip:{origin.ip_address}",
            settings.login_address_failure_limit,
            settings.login_failure_window_seconds,
        )
        await limiter.reserve([per_address])
        user = await passkeys.log_in_with_passkey(
            db_session, settings, ceremony=data.ceremony, credential=data.credential, origin=origin
        )
        await limiter.refund(per_address.key)
        await check_standing(db_session, user)  # 403 when staff banned or suspended it
        reopened = await reopen_on_login(
            db_session, user, cancel_deletion=data.cancel_deletion is True, origin=origin
        )
        response = await _logged_in(db_session, request, settings, storage, user, HTTP_200_OK, log_in=True)
        response.content.reactivated = reopened.reactivated
        response.content.deletion_cancelled = reopened.deletion_cancelled
        return response

    @post(
        "/reauthenticate/options",
        status_code=HTTP_200_OK,
        opt=errors({403: "session_required: needs a browser session", 409: "no_passkeys"}),
    )
    async def reauthentication_options(
        self, viewer: ViewerDep, db_session: DbSession, settings: SettingsDep
    ) -> schemas.CeremonyOut:
        """Begin confirming it's you with a passkey instead of the password: options for
        navigator.credentials.get(); send its answer to POST /accounts/reauthenticate as `passkey`."""
        session = require_session(viewer)
        ceremony = await passkeys.begin_reauthentication(db_session, viewer.user, session, settings)
        return schemas.CeremonyOut(ceremony=ceremony.token, options=ceremony.options)

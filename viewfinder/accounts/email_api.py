"""HTTP endpoints of email: confirming an address (the link of sign-up or of a change), asking for the
link again, changing the address, undoing a change from the old address, and resetting a forgotten
password. Links open web-app pages, which call these (docs/decisions/0034-email.md)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, MediaType, Request, post
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_202_ACCEPTED, HTTP_204_NO_CONTENT

from viewfinder.accounts import email_schemas as schemas
from viewfinder.accounts import email_tasks, email_verification, recovery
from viewfinder.accounts.auth import ViewerDep, origin_of, require_recent_authentication
from viewfinder.core.deps import DbSession, LimiterDep, SettingsDep
from viewfinder.core.openapi import errors

HOUR = 3600
LINK_ERRORS = "invalid_link: the link was used, has expired or was replaced"
ADDRESS_TAKEN = "email_taken: another account confirmed the address first"
SUDO = (
    "session_required: needs a browser session, not an API token; "
    "reauthentication_required: confirm your password first"
)


class EmailController(Controller):
    """The account's email address and password recovery."""

    path = "/accounts"
    tags = ["accounts"]

    @post("/email/verify", status_code=HTTP_200_OK, opt=errors({400: LINK_ERRORS, 409: ADDRESS_TAKEN}))
    async def confirm_address(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[schemas.EmailLinkRequest],
        db_session: DbSession,
        settings: SettingsDep,
        limiter: LimiterDep,
    ) -> schemas.AddressConfirmedOut:
        """Open a link that confirms an address: the one given at sign-up, or the new one of an email
        change (which then becomes the account's). Needs no log-in: the link is the proof."""
        origin = origin_of(request)
        await limiter.consume(
            [f"email-link:ip:{origin.ip_address}"], settings.email_link_attempt_limit_per_ip, HOUR
        )
        confirmed = await email_verification.confirm_address(db_session, data.token, origin)
        return schemas.AddressConfirmedOut(email=confirmed.user.email, changed=confirmed.changed)

    @post(
        "/email/verification",
        status_code=HTTP_202_ACCEPTED,
        media_type=MediaType.TEXT,  # an empty answer
        opt=errors({409: "already_verified: the address is confirmed"}),
    )
    async def resend_verification(
        self, viewer: ViewerDep, settings: SettingsDep, limiter: LimiterDep
    ) -> None:
        """Send the link that confirms the account's address again (a few times an hour)."""
        if viewer.user.email_verified_at is not None:
            raise email_verification.already_verified()
        await limiter.consume(
            [f"email-verification:{viewer.user.id}"], settings.email_verification_resend_limit, HOUR
        )
        await email_tasks.request_verification_email(viewer.user)

    @post("/email", status_code=HTTP_202_ACCEPTED, opt=errors({403: SUDO}))
    async def change_email(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[schemas.EmailChangeRequest],
        viewer: ViewerDep,
        db_session: DbSession,
        settings: SettingsDep,
        limiter: LimiterDep,
    ) -> schemas.EmailChangeOut:
        """Change the account's address: a link goes to the new one, and the change happens when it
        is opened; the old address is then told, with a way to undo it.

        Sensitive: needs a session that logged in or re-authenticated in the last 10 minutes
        (403 `reauthentication_required`); API tokens cannot (403 `session_required`)."""
        require_recent_authentication(viewer, settings)
        await limiter.consume([f"email-change:{viewer.user.id}"], settings.email_change_limit, HOUR)
        new_email = await email_verification.request_email_change(
            db_session, viewer.user, data.email, origin_of(request)
        )
        return schemas.EmailChangeOut(
            pending_email=new_email, expires_in_hours=settings.email_verification_hours
        )

    @post("/email/revert", status_code=HTTP_200_OK, opt=errors({400: LINK_ERRORS, 409: ADDRESS_TAKEN}))
    async def revert_email_change(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[schemas.EmailRevertRequest],
        db_session: DbSession,
        settings: SettingsDep,
        limiter: LimiterDep,
    ) -> schemas.EmailRevertedOut:
        """Undo an email change with the link sent to the old address: the account takes that
        address back, gets the new password, and every session and API token ends."""
        origin = origin_of(request)
        await limiter.consume(
            [f"email-link:ip:{origin.ip_address}"], settings.email_link_attempt_limit_per_ip, HOUR
        )
        user = await email_verification.revert_email_change(db_session, data.token, data.new_password, origin)
        return schemas.EmailRevertedOut(email=user.email)

    @post("/password/reset", status_code=HTTP_202_ACCEPTED, media_type=MediaType.TEXT)  # an empty answer
    async def request_password_reset(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[schemas.PasswordResetRequest],
        settings: SettingsDep,
        limiter: LimiterDep,
    ) -> None:
        """Ask for a password reset link for a username or email address. The answer is the same
        202 whether or not an account matches (and takes as long); when one does, a link valid for an
        hour goes to its address. Limited per network address (429) and, silently, per account."""
        origin = origin_of(request)
        await limiter.consume(
            [f"password-reset:ip:{origin.ip_address}"], settings.password_reset_limit_per_ip, HOUR
        )
        await email_tasks.request_password_reset(data.login, origin)

    @post("/password/reset/confirm", status_code=HTTP_204_NO_CONTENT, opt=errors({400: LINK_ERRORS}))
    async def confirm_password_reset(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[schemas.PasswordResetConfirmRequest],
        db_session: DbSession,
        settings: SettingsDep,
        limiter: LimiterDep,
    ) -> None:
        """Set a new password with a reset link: every session and API token of the account ends
        and its other reset links stop working. Two-factor authentication stays on."""
        origin = origin_of(request)
        await limiter.consume(
            [f"email-link:ip:{origin.ip_address}"], settings.email_link_attempt_limit_per_ip, HOUR
        )
        await recovery.reset_password(db_session, data.token, data.new_password, origin)

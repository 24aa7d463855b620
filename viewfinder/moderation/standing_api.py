"""A banned or suspended account's strikes and appeals (mounted under /api/viewfinder/v1), reached
with a standing token instead of a log-in (moderation.standing, docs/decisions/0055).

The token is sent as `Authorization: Bearer <token>` and works on these two routes only; a session
or an API token does not work here (an account that has one is in good standing)."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED
from litestar.types import ControllerRouterHandler

from viewfinder.accounts.auth import origin_of
from viewfinder.accounts.standing import sanction_in_force
from viewfinder.accounts.twofactor import TRUSTED_DEVICE_COOKIE
from viewfinder.core.deps import DbSession, LimiterDep, SettingsDep
from viewfinder.core.openapi import errors
from viewfinder.core.pagination import MAX_LIMIT
from viewfinder.moderation import appeals, standing
from viewfinder.moderation.action_schemas import (
    AppealCreate,
    StandingOut,
    StandingTokenCreate,
    StandingTokenOut,
    StrikeOut,
)
from viewfinder.moderation.case_schemas import AppealOut

TOKEN_ERRORS = "invalid_standing_token: no standing token, or it expired, or the sanction ended"  # noqa: S105


@post(
    "/accounts/standing/token",
    status_code=HTTP_201_CREATED,
    tags=["accounts"],
    opt=errors(
        {
            400: "wrong_code (fields.code): the two-factor code is wrong",
            401: "invalid_credentials: wrong name or password; two_factor_required: send `code` too",
            409: "account_in_good_standing: not banned or suspended, log in instead",
        }
    ),
)
async def standing_token(
    request: Request[Any, Any, Any],
    data: JSONBody[StandingTokenCreate],
    db_session: DbSession,
    settings: SettingsDep,
    limiter: LimiterDep,
) -> StandingTokenOut:
    """A 30-minute token with which a banned or suspended account sees its strikes and appeals
    them: its username (or e-mail address) and password, and `code` (an authenticator app's code
    or a recovery code) when it has two-factor on. Limited as log-in is (429)."""
    issued = await standing.issue_token(
        db_session,
        settings,
        limiter,
        data.username,
        data.password,
        data.code,
        trusted_device_token=request.cookies.get(TRUSTED_DEVICE_COOKIE),
        origin=origin_of(request),
    )
    return StandingTokenOut(token=issued.token, expires_at=issued.expires_at)


@get("/accounts/standing", tags=["accounts"], opt=errors({401: TOKEN_ERRORS}))
async def account_standing(
    request: Request[Any, Any, Any], db_session: DbSession, settings: SettingsDep
) -> StandingOut:
    """Why the account cannot log in (banned, or suspended until when) and the newest actions staff
    took against it, as GET /accounts/me/strikes lists them. Needs a standing token."""
    user = await standing.token_account(db_session, settings, request.headers.get("authorization"))
    rows = (await appeals.strikes(db_session, user, None, MAX_LIMIT))[:MAX_LIMIT]
    state = sanction_in_force(user)
    assert state is not None  # token_account answers only for a sanctioned account
    return StandingOut(
        username=user.username,
        state=state,  # type: ignore[arg-type]  # "banned" or "suspended"
        suspended_until=user.suspended_until if state == "suspended" else None,
        strikes=[StrikeOut.of(action, appeal, appeals.appealable(action, appeal)) for action, appeal in rows],
    )


@post(
    "/accounts/standing/strikes/{action_id:str}/appeal",
    status_code=HTTP_201_CREATED,
    tags=["accounts"],
    opt=errors({401: TOKEN_ERRORS, **appeals.APPEAL_ERRORS}),
)
async def standing_appeal(
    request: Request[Any, Any, Any],
    action_id: FromPath[str],
    data: JSONBody[AppealCreate],
    db_session: DbSession,
    settings: SettingsDep,
) -> AppealOut:
    """Appeal an action taken against the account, once, as POST
    /accounts/me/strikes/{action_id}/appeal does. Needs a standing token."""
    user = await standing.token_account(db_session, settings, request.headers.get("authorization"))
    appeal = await appeals.file_appeal(db_session, user, appeals.action_key(action_id), data.text)
    return AppealOut.of(appeal)


ROUTES: list[ControllerRouterHandler] = [standing_token, account_standing, standing_appeal]

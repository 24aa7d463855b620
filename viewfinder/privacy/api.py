"""HTTP endpoints of "your data": download it, deactivate the account, delete it.

Every one of them is a sensitive action: it needs a browser session that logged in or
re-authenticated in the last few minutes (403 `reauthentication_required`, answered by
POST /accounts/reauthenticate; 403 `session_required` for API tokens), except listing exports.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import anyio.to_thread
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.response import Stream
from litestar.status_codes import HTTP_202_ACCEPTED, HTTP_204_NO_CONTENT

from viewfinder.accounts.auth import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    ViewerDep,
    origin_of,
    require_recent_authentication,
)
from viewfinder.core.db import utcnow
from viewfinder.core.deps import DbSession, SettingsDep
from viewfinder.core.errors import not_found
from viewfinder.core.openapi import errors
from viewfinder.core.params import parse_id
from viewfinder.mediakit.storage import MediaBackend
from viewfinder.privacy import schemas, services

API_PREFIX = "/api/viewfinder/v1"
SUDO = (
    "session_required: needs a browser session, not an API token; "
    "reauthentication_required: confirm your password first"
)


def _clearing_cookies(settings: SettingsDep) -> list[Cookie]:
    return [
        Cookie(key=name, value="", path="/", max_age=0, secure=settings.secure_cookies, samesite="lax")
        for name in (SESSION_COOKIE, CSRF_COOKIE)
    ]


class YourDataController(Controller):
    """The account's data: exports, deactivation, deletion."""

    path = "/accounts"
    tags = ["your data"]

    @post(
        "/data-exports",
        status_code=HTTP_202_ACCEPTED,
        opt=errors(
            {
                403: SUDO,
                409: "export_in_progress: one is being built already",
                429: "rate_limited: one a day",
            }
        ),
    )
    async def request_export(
        self, request: Request[Any, Any, Any], viewer: ViewerDep, db_session: DbSession, settings: SettingsDep
    ) -> schemas.DataExportOut:
        """Ask for a copy of everything the account holds, as a ZIP of JSON files and the photos and
        videos in their best quality (close to Instagram's "Download your information" layout).

        It is built in the background; the security log (and the e-mail alert that follows it)
        says when it is ready, and it can be downloaded from Settings for 4 days. One at a time,
        once a day. Sensitive: needs sudo mode."""
        require_recent_authentication(viewer, settings)
        export = await services.request_export(db_session, viewer.user, settings, origin_of(request))
        # Building it was queued at the commit (in immediate mode, tests, it already ran).
        await db_session.refresh(export)
        return schemas.DataExportOut.of(export, API_PREFIX)

    @get("/data-exports")
    async def list_exports(
        self, viewer: ViewerDep, db_session: DbSession, settings: SettingsDep
    ) -> schemas.DataExportList:
        """The account's data exports that have not expired, newest first."""
        session = viewer.session
        until = None
        if session is not None and session.reauthenticated_at is not None:
            until = session.reauthenticated_at + timedelta(seconds=settings.reauthentication_seconds)
            if until <= utcnow():
                until = None
        exports = await services.list_exports(db_session, viewer.user)
        return schemas.DataExportList(
            items=[schemas.DataExportOut.of(export, API_PREFIX) for export in exports],
            deletion_grace_days=settings.account_deletion_grace_days,
            reauthenticated_until=until,
        )

    @get(
        "/data-exports/{export_id:str}/download",
        opt=errors({403: SUDO, 409: "export_not_ready: still being built, or it failed"}),
        media_type="application/zip",
    )
    async def download_export(
        self,
        request: Request[Any, Any, Any],
        export_id: FromPath[str],
        viewer: ViewerDep,
        db_session: DbSession,
        settings: SettingsDep,
        storage: NamedDependency[MediaBackend],
    ) -> Stream:
        """The export's ZIP, to its owner only (anyone else: 404), as an attachment that no cache
        keeps. Sensitive: needs sudo mode; every download is in the security log."""
        require_recent_authentication(viewer, settings)
        export = await services.ready_export(db_session, viewer.user, parse_id(export_id))
        assert export.file_key is not None
        key = export.file_key
        size = await anyio.to_thread.run_sync(storage.size, key)
        if size is None:
            raise not_found("This export's file is gone; request a new one.")
        chunks = await anyio.to_thread.run_sync(storage.read, key, 0, size - 1)
        await services.record_download(db_session, viewer.user, export, origin_of(request))
        day = export.created_at.strftime("%Y%m%d")
        return Stream(
            chunks,
            media_type="application/zip",
            headers={
                "Content-Disposition": f'attachment; filename="viewfinder-{viewer.user.username}-{day}.zip"',
                "Content-Length": str(size),
                "Cache-Control": "no-store, private",
                "X-Content-Type-Options": "nosniff",
            },
        )

    @post("/me/deactivate", status_code=HTTP_204_NO_CONTENT, opt=errors({403: SUDO}))
    async def deactivate(
        self, request: Request[Any, Any, Any], viewer: ViewerDep, db_session: DbSession, settings: SettingsDep
    ) -> Response[None]:
        """Hide the account everywhere (profile, posts, comments, likes, media, search) and log out
        every session, this one included. Logging in again brings it all back. Sensitive: needs
        sudo mode."""
        require_recent_authentication(viewer, settings)
        await services.deactivate(db_session, viewer.user, origin_of(request))
        return Response(None, status_code=HTTP_204_NO_CONTENT, cookies=_clearing_cookies(settings))

    @post("/me/delete", status_code=HTTP_202_ACCEPTED, opt=errors({403: SUDO}))
    async def delete_account(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[schemas.DeleteAccountRequest],
        viewer: ViewerDep,
        db_session: DbSession,
        settings: SettingsDep,
    ) -> Response[schemas.DeletionScheduledOut]:
        """Delete the account and everything in it: posts, photos and videos, comments, likes,
        follows, messages, notifications, sessions, tokens. It is hidden and logged out at once and
        erased after the grace period (30 days), unless its owner logs in before then and cancels;
        with `now` it is erased at once, for good. Sensitive: needs sudo mode."""
        require_recent_authentication(viewer, settings)
        grace = timedelta(0) if data.now else timedelta(days=settings.account_deletion_grace_days)
        closure = await services.schedule_deletion(
            db_session, viewer.user, grace=grace, origin=origin_of(request)
        )
        assert closure.delete_after is not None
        body = schemas.DeletionScheduledOut(delete_after=closure.delete_after)
        return Response(body, status_code=HTTP_202_ACCEPTED, cookies=_clearing_cookies(settings))


ROUTES = [YourDataController]

"""HTTP endpoint of reports; ROUTES is mounted under /api/viewfinder/v1."""

from __future__ import annotations

from litestar import Response, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED
from litestar.types import ControllerRouterHandler

from viewfinder.accounts.auth import ViewerDep
from viewfinder.core.deps import DbSession, LimiterDep
from viewfinder.core.errors import ApiError, not_found
from viewfinder.core.openapi import errors
from viewfinder.core.params import parse_id
from viewfinder.moderation import services
from viewfinder.moderation.schemas import ReportCreate, ReportOut

NO_SUCH_TARGET = {"post": "No such post.", "user": "No such account.", "comment": "No such comment."}


@post(
    "/reports",
    status_code=HTTP_201_CREATED,
    tags=["moderation"],
    responses={
        HTTP_200_OK: ResponseSpec(ReportOut, description="Your earlier report of this target, still open.")
    },
    opt=errors({404: "not_found: no such target that you can see"}),
)
async def report(
    data: JSONBody[ReportCreate], viewer: ViewerDep, db_session: DbSession, limiter: LimiterDep
) -> Response[ReportOut]:
    """Report a post, an account or a comment you can see (else 404) to the moderators: 201 with the
    new report, or 200 with your earlier one while it is still open. You cannot report yourself or
    your own content (400). At most 30 reports an hour (429)."""
    await limiter.consume(
        [f"reports:{viewer.user.id}"], services.REPORT_LIMIT, services.REPORT_WINDOW_SECONDS
    )
    try:
        target_id = parse_id(data.target_id)
    except ApiError:
        raise not_found(NO_SUCH_TARGET[data.target]) from None
    filed = await services.file_report(
        db_session, viewer.user, data.target, target_id, data.reason, data.details
    )
    return Response(
        ReportOut.of(filed.report), status_code=HTTP_201_CREATED if filed.created else HTTP_200_OK
    )


ROUTES: list[ControllerRouterHandler] = [report]

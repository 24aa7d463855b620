"""HTTP endpoints of this domain; ROUTES is mounted under /api/viewfinder/v1 by the app."""

from __future__ import annotations

from litestar import post
from litestar.params import JSONBody
from litestar.status_codes import HTTP_202_ACCEPTED
from litestar.types import ControllerRouterHandler

from viewfinder.accounts.auth import ViewerDep
from viewfinder.core.deps import DbSession
from viewfinder.recommend import services
from viewfinder.recommend.schemas import InteractionsIn, InteractionsOut


@post("/interactions", status_code=HTTP_202_ACCEPTED, tags=["recommendations"])
async def report_interactions(
    data: JSONBody[InteractionsIn], viewer: ViewerDep, db_session: DbSession
) -> InteractionsOut:
    """Report, in batches of up to 200, what the web app showed you and what you did that only it
    can tell: impressions (where, in which position), opens, dwell, shares, "not interested" and
    hide. Recommendations learn from them. Only you and the recommender ever read them; they are
    erased with your account and dropped after the instance's retention period. Reports about
    posts you may not see are left out (`accepted` counts the rest)."""
    accepted = await services.record_reported(db_session, viewer.user, data.events)
    return InteractionsOut(accepted=accepted)


ROUTES: list[ControllerRouterHandler] = [report_interactions]

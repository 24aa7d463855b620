"""HTTP endpoints of this domain; ROUTES is mounted under /api/viewfinder/v1 by the app."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from litestar import get, post
from litestar.params import JSONBody, QueryParameter
from litestar.status_codes import HTTP_202_ACCEPTED
from litestar.types import ControllerRouterHandler

from viewfinder.accounts.auth import ViewerDep
from viewfinder.core.deps import DbSession, SettingsDep
from viewfinder.core.openapi import errors
from viewfinder.moderation.guard import StaffDep, require
from viewfinder.recommend import readout, services, serving
from viewfinder.recommend.schemas import InteractionsIn, InteractionsOut, ReadOutOut, VersionReadOut


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


Days = Annotated[int, QueryParameter(ge=1, le=90, description="Days of the interaction log read.")]


@get(
    "/staff/recommendations",
    tags=["staff"],
    dependencies=require("stats.read"),
    opt=errors({403: "forbidden: your staff role lacks the permission"}),
)
async def recommendations_readout(
    staff: StaffDep, db_session: DbSession, settings: SettingsDep, days: Days = 7
) -> ReadOutOut:
    """The recommender's online read-out (permission stats.read): for each model version that chose
    posts on Explore, For you and suggested accounts in the last `days`, and for popularity (posts no
    model chose, the baseline), the impressions, viewers, click-through, likes, saves and follows per
    impression and the "not interested" rate; and the version served now with its ranking model's
    weights. Aggregates only: never one account's signals."""
    since = datetime.now(UTC) - timedelta(days=days)
    figures = await readout.read_out(db_session, since)
    served = serving.served(settings.data_dir / "models")
    return ReadOutOut(
        days=days,
        serving=served.version if served is not None else None,
        ranker_weights=served.ranker.weights() if served is not None and served.ranker is not None else None,
        versions=[
            VersionReadOut(version=version, **rates)  # type: ignore[arg-type]
            for version, rates in figures.items()
        ],
    )


ROUTES: list[ControllerRouterHandler] = [report_interactions, recommendations_readout]

"""Liveness and readiness probes for load balancers and process supervisors.

`/healthz`: this process answers. `/readyz`: this process can do its work, which needs the database
and, unless jobs run inline (tests), a job consumer that is alive and taking jobs: one whose
heartbeat (core.jobs.ConsumerHeartbeat) is younger than `job_consumer_timeout_seconds`, and no job
left waiting while no consumer has taken one for `job_stall_seconds`. Without a consumer, uploads
would be accepted and never processed and posts never fanned out, while every request succeeds.
"""

from __future__ import annotations

from typing import Any

from litestar import Response, get
from litestar.datastructures import State
from sqlalchemy import text

from viewfinder.core.errors import error_body
from viewfinder.core.jobs import ConsumersState, consumers_state
from viewfinder.settings import Settings


@get("/healthz", include_in_schema=False, sync_to_thread=False)
def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


def _unavailable(message: str, **parts: Any) -> Response[dict[str, object]]:
    body = error_body("unavailable", message)
    body["status"] = "unavailable"
    body.update(parts)
    return Response(body, status_code=503)


def _jobs_problem(jobs: ConsumersState, settings: Settings) -> str | None:
    """Why the job consumers make this instance not ready, or None."""
    if jobs.alive == 0:
        heard = "none has ever reported" if jobs.last_seen is None else "none has reported lately"
        return (
            f"No background-job consumer is running ({heard}): uploads, fan-out and mail wait until "
            "one is (`viewfinder worker`, or `viewfinder serve` without --no-jobs)."
        )
    if jobs.stalled_seconds > settings.job_stall_seconds:
        return (
            f"The background-job consumers are stalled: {jobs.pending} jobs have waited "
            f"{jobs.stalled_seconds:.0f} s without any being taken."
        )
    return None


@get("/readyz", include_in_schema=False)
async def readyz(state: State) -> Response[dict[str, object]]:
    """The process can reach its database, and (unless jobs run inline) a job consumer is alive
    and taking jobs."""
    settings: Settings = state.settings
    try:
        async with state.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
            jobs = None if settings.jobs_immediate else await consumers_state(connection, settings)
    except Exception:  # any failure to reach the database means not ready
        return _unavailable("The database is not reachable.")
    if jobs is None:
        return Response({"status": "ok", "database": "ok"})
    summary = {
        "consumers": jobs.alive,
        "pending": jobs.pending,
        "stalled_seconds": round(jobs.stalled_seconds, 1),
    }
    if (problem := _jobs_problem(jobs, settings)) is not None:
        return _unavailable(problem, database="ok", jobs=summary)
    return Response({"status": "ok", "database": "ok", "jobs": summary})

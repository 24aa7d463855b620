"""Liveness and readiness probes for load balancers and process supervisors."""

from __future__ import annotations

from litestar import Response, get
from litestar.datastructures import State
from sqlalchemy import text

from viewfinder.core.errors import error_body


@get("/healthz", include_in_schema=False, sync_to_thread=False)
def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


@get("/readyz", include_in_schema=False)
async def readyz(state: State) -> Response[dict[str, object]]:
    """The process can reach its database."""
    try:
        async with state.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception:  # any failure to reach the database means not ready
        body = error_body("unavailable", "The database is not reachable.")
        body["status"] = "unavailable"
        return Response(body, status_code=503)
    return Response({"status": "ok", "database": "ok"})

"""Serving the built React app: hashed assets cached for a year, every app route answered by
index.html so deep links and reloads work, and the API's and media's unknown paths left as 404s."""

from __future__ import annotations

import mimetypes
from functools import lru_cache
from pathlib import Path
from typing import Any

from litestar import Request, Response, get
from litestar.params import FromPath
from litestar.response import File

from viewfinder.core.deps import DbSession, SettingsDep
from viewfinder.core.errors import not_found
from viewfinder.mediakit.storage import StorageDep
from viewfinder.web.boot import boot_head, with_boot
from viewfinder.web.previews import preview_for, with_preview

# Vite names every built asset by its content hash.
IMMUTABLE = "public, max-age=31536000, immutable"
NOT_BUILT = (
    "<!doctype html><html lang=en><meta charset=utf-8><title>Viewfinder</title>"
    "<p>The web app is not built. Run <code>make web</code> (or <code>make run</code>).</p></html>"
)
# Paths that belong to the API, media delivery and health checks: never answered by the app.
RESERVED = ("api/", "media/", "healthz", "readyz")
# Source maps would publish the app's whole source; the build makes none, and one left in the
# folder by another build is still not served.
NEVER_SERVED = (".map",)


def _app_file(dist: Path, path: str) -> Path | None:
    """A file inside the built app, or None (also for any path that would leave the folder)."""
    if not path:
        return None
    candidate = (dist / path).resolve()
    if candidate.is_relative_to(dist.resolve()) and candidate.is_file():
        return candidate
    return None


@get(["/", "/{path:path}"], include_in_schema=False)
async def web_app(
    request: Request[Any, Any, Any],
    settings: SettingsDep,
    db_session: DbSession,
    storage: StorageDep,
    path: FromPath[str] = "/",
) -> Response[Any] | File:
    """The built web app: a file of it when one matches, else index.html for the app's router,
    with a shared profile's or post's link preview written into its head (web.previews)."""
    relative = path.lstrip("/")
    if relative.startswith(RESERVED) or relative.endswith(NEVER_SERVED):
        raise not_found()
    dist = settings.web_dir
    found = _app_file(dist, relative)
    if found is not None:
        cache = IMMUTABLE if relative.startswith("assets/") else "public, max-age=300"
        media_type = (
            MEDIA_TYPES.get(found.suffix) or mimetypes.guess_type(found.name)[0] or "application/octet-stream"
        )
        headers = {"Cache-Control": cache}
        if relative == SERVICE_WORKER:
            headers.update(SERVICE_WORKER_HEADERS)
        sent = found
        accepted = _accepted(request.headers.get("accept-encoding", ""))
        for encoding, suffix in PRECOMPRESSED:  # best first
            copy = found.with_name(found.name + suffix)
            if not copy.is_file():
                continue
            headers["Vary"] = "Accept-Encoding"  # what is sent depends on what the client accepts
            if encoding in accepted and sent is found:
                sent = copy
                headers["Content-Encoding"] = encoding
        return File(
            sent,
            filename=found.name,
            media_type=media_type,
            content_disposition_type="inline",
            headers=headers,
        )
    index = dist / "index.html"
    try:
        modified = index.stat().st_mtime_ns
    except OSError:
        return Response(NOT_BUILT.encode(), media_type="text/html", headers={"Cache-Control": "no-store"})
    # The shell changes at each deploy; always revalidate it. Read once per build, not per request.
    shell = _shell(index, modified)
    if not relative:
        boot = await boot_head(request, db_session, storage, settings)
        if boot is not None:
            # The viewer's own page: never kept by a cache, nor shown from one after logging out.
            headers = {"Cache-Control": "no-store", "Vary": "Cookie"}
            return Response(with_boot(shell, boot), media_type="text/html", headers=headers)
    head = await preview_for(db_session, storage, settings, relative)
    if head is not None:
        shell = with_preview(shell, head)
    return Response(shell, media_type="text/html", headers={"Cache-Control": "no-cache"})


SERVICE_WORKER = "sw.js"
SERVICE_WORKER_HEADERS = {
    # A worker runs under its own script's policy: the closed one every non-page answer gets would
    # refuse the fetches it makes (docs/decisions/0079). Same-origin fetches only.
    "Content-Security-Policy": "default-src 'none'; connect-src 'self'",
    # Revalidated at every check, so a new worker is picked up at once.
    "Cache-Control": "no-cache",
}

MEDIA_TYPES = {".webmanifest": "application/manifest+json"}
"""Types of the app's files that Python's mimetypes does not know (the PWA's manifest)."""

PRECOMPRESSED = (("br", ".br"), ("gzip", ".gz"))
"""The copies the build makes of its text files (frontend/vite.config.ts), best first."""


def _accepted(header: str) -> set[str]:
    """The content codings an Accept-Encoding header accepts (a q of 0 refuses one)."""
    accepted = set()
    for part in header.lower().split(","):
        name, _, parameters = part.partition(";")
        quality = parameters.strip().removeprefix("q=")
        try:
            refused = bool(parameters.strip()) and float(quality) <= 0
        except ValueError:
            refused = False
        if name.strip() and not refused:
            accepted.add(name.strip())
    return accepted


@lru_cache(maxsize=4)
def _shell(index: Path, modified_ns: int) -> bytes:
    """index.html's bytes; `modified_ns` (its mtime) makes a rebuilt app read afresh."""
    return index.read_bytes()

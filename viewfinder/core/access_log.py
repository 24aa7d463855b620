"""The operators' access log: one line per HTTP request on the `viewfinder.access` logger.

    method=GET path=/api/viewfinder/v1/feed?limit=20 status=200 duration_ms=4.1 client=203.0.113.9 user=5093…

Each record also carries those values as attributes (`method`, `path`, `status`, `duration_ms`,
`client`, `user_id`) for a structured formatter. Never logged: headers (so no cookie, CSRF token or
Authorization), bodies, and the values of the query parameters that are secrets (`token`, and the
`oh`/`oe` signature of a private media URL), which are replaced by `[redacted]`. The client is the
address after trusted proxies are accounted for; the user is known once the request's session or
API token was read (`remember_user`). A streamed response (the notification stream) is logged when
it ends, with its whole duration.
"""

from __future__ import annotations

import logging
import time
from typing import Any
from urllib.parse import parse_qsl, urlencode

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger("viewfinder.access")

SECRET_QUERY_PARAMETERS = frozenset({"token", "oh", "oe"})
REDACTED = "[redacted]"
USER_KEY = "viewfinder_access_user"
MAX_QUERY_CHARS = 500


def remember_user(scope: Scope | Any, user_id: int) -> None:
    """Note who the request is from, for its access-log line."""
    scope.setdefault("state", {})[USER_KEY] = user_id


def loggable_path(scope: Scope) -> str:
    """The path as sent (still percent-encoded) with its query string, secret values redacted."""
    raw_path = scope.get("raw_path") or scope.get("path", "").encode()
    # The ASGI spec leaves the query out of raw_path; some servers (and test clients) keep it in.
    path = raw_path.decode("latin-1").split("?", 1)[0]
    query = scope.get("query_string", b"").decode("latin-1")
    if not query:
        return path
    pairs = parse_qsl(query, keep_blank_values=True)
    if any(name.lower() in SECRET_QUERY_PARAMETERS for name, _ in pairs):
        query = urlencode(
            [(name, REDACTED if name.lower() in SECRET_QUERY_PARAMETERS else value) for name, value in pairs],
            safe="[]",
        )
    if len(query) > MAX_QUERY_CHARS:
        query = query[:MAX_QUERY_CHARS] + "…"
    return f"{path}?{query}"


def _field(value: object) -> str:
    text = str(value)
    if not text or any(c in text for c in ' "=\\') or not text.isprintable():
        return '"' + text.encode("unicode_escape").decode("ascii").replace('"', '\\"') + '"'
    return text


class AccessLog:
    """An ASGI wrapper around the whole app (outside Litestar's routing, so requests its router
    refuses, 404 and 405, are logged too) that logs each HTTP request once its response is done."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except BaseException:
            status = status or 500
            raise
        finally:
            # No response at all and no error: the client went away first (nginx's 499).
            self.log(scope, status or 499, (time.perf_counter() - started) * 1000)

    @staticmethod
    def log(scope: Scope, status: int, duration_ms: float) -> None:
        if not logger.isEnabledFor(logging.INFO):
            return
        client = scope.get("client")
        fields: dict[str, Any] = {
            "method": scope.get("method", ""),
            "path": loggable_path(scope),
            "status": status,
            "duration_ms": round(duration_ms, 1),
            "client": client[0] if client else "-",
            "user_id": scope.get("state", {}).get(USER_KEY),
        }
        line = " ".join(
            f"{'user' if name == 'user_id' else name}={_field('-' if value is None else value)}"
            for name, value in fields.items()
        )
        logger.info(line, extra=fields)

"""What the browser is told and what it may send: security headers on every response, and a guard
that refuses forged cross-site writes to the API (docs/decisions/0029-browser-security-headers.md).

- `SecurityHeaders` (a before-send hook) adds to every response that has not set its own: a Content
  Security Policy (the web app's for HTML, a closed one for everything else), `X-Frame-Options`,
  `X-Content-Type-Options`, `Referrer-Policy`, `Permissions-Policy`, `Cross-Origin-Opener-Policy`,
  `Strict-Transport-Security` when the public URL is https, and `Cache-Control: no-store` on API
  responses, which carry credentials (sessions, tokens, CSRF tokens) and private data.
- `CrossSiteGuard` (the app's `before_request` hook) refuses unsafe API requests sent from another
  site (403 `cross_site_request`: `Sec-Fetch-Site: cross-site`, or an `Origin` that is not this
  instance's), and bodies that are not in the encoding the route reads (415
  `unsupported_media_type`), so an attacker's page cannot post a text/plain form whose body
  happens to be JSON (log-in CSRF).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from litestar.connection import ASGIConnection, Request
from litestar.enums import RequestEncodingType, ScopeType
from litestar.handlers import BaseRouteHandler, HTTPRouteHandler
from litestar.params import BodyKwarg
from litestar.types import Message, Scope

from viewfinder.core.errors import ApiError

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
API_PATHS = "/api/"
DEFAULT_PORTS = {"http": 80, "https": 443}
HSTS_MAX_AGE_SECONDS = 365 * 24 * 3600

CLOSED_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
"""For JSON, media, scripts and styles: nothing they could be made to load or run as a page."""
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
"""Powerful features the app never uses, off for it and anything it embeds. Uploads pick files
(`<input type=file>`), which needs no camera permission."""


def origin_of(url: str) -> str | None:
    """`scheme://host[:port]` of a URL (lower case, default port left out), or None if it has none."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if ":" in host:  # IPv6
        host = f"[{host}]"
    return f"{scheme}://{host}" if port in (None, DEFAULT_PORTS[scheme]) else f"{scheme}://{host}:{port}"


def web_app_policy(public_url: str, media_base_url: str) -> str:
    """The Content Security Policy of the web app's pages (and the API reference page).

    Scripts, styles, fonts and API calls come from this origin only; no inline script or style
    element is allowed (React's `style` props set properties through the CSSOM, which a policy
    does not govern). Images and videos may also come from the media origin (a CDN) and from
    `blob:`/`data:` URLs (previews of files being uploaded, placeholders).
    """
    own = origin_of(public_url)
    media = origin_of(media_base_url)
    media_sources = "'self'" if media is None or media == own else f"'self' {media}"
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src {media_sources} data: blob:",
            f"media-src {media_sources} blob:",
            "connect-src 'self'",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


class SecurityHeaders:
    """A before-send hook that adds the browser security headers to every response.

    A header the response already carries is left alone, so a route can choose its own (media and
    the web app's files set their own Cache-Control, for instance).
    """

    def __init__(self, *, public_url: str, media_base_url: str) -> None:
        self.page_policy = web_app_policy(public_url, media_base_url)
        common = {
            "x-frame-options": "DENY",
            "x-content-type-options": "nosniff",
            "referrer-policy": "strict-origin-when-cross-origin",
            "permissions-policy": PERMISSIONS_POLICY,
            "cross-origin-opener-policy": "same-origin",
        }
        if urlsplit(public_url).scheme.lower() == "https":
            # Only the app knows it is reached over HTTPS; one place for it, whatever proxy is in front.
            common["strict-transport-security"] = f"max-age={HSTS_MAX_AGE_SECONDS}"
        self.common = common
        self.common_raw = [(name.encode(), value.encode()) for name, value in common.items()]
        self.page_policy_raw = self.page_policy.encode()
        self.closed_policy_raw = CLOSED_POLICY.encode()

    async def __call__(self, message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        # The raw header list, read once: a look-up per header through Litestar's MutableScopeHeaders
        # decodes the whole list each time (a few per cent of a small response's CPU).
        raw = message.get("headers")  # optional in ASGI, and any iterable
        if not isinstance(raw, list):
            raw = message["headers"] = list(raw or ())
        present = {name.lower(): value for name, value in raw}
        for name, value in self.common_raw:
            if name not in present:
                raw.append((name, value))
        if b"content-security-policy" not in present:
            is_page = present.get(b"content-type", b"").lower().startswith(b"text/html")
            policy = self.page_policy_raw if is_page else self.closed_policy_raw
            raw.append((b"content-security-policy", policy))
        if b"cache-control" not in present and scope.get("path", "").startswith(API_PATHS):
            raw.append((b"cache-control", b"no-store"))


def _media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


class CrossSiteGuard:
    """A guard on every route: unsafe API requests must come from this instance's own pages (or
    from a client holding a Bearer token) and carry their body in the encoding the route reads.

    A browser marks every request with `Sec-Fetch-Site` (modern ones) and every POST with `Origin`,
    which a page cannot forge. Own origins are the public URL's and the one the request was sent to
    (its Host, already checked against the allowed hosts, with its scheme). A request with
    `Authorization: Bearer` and no cookie has no ambient credential a forged request could use,
    so it skips the origin checks (scripts and apps send no Origin anyway).
    """

    def __init__(self, *, public_url: str) -> None:
        self.public_origin = origin_of(public_url)

    async def before_request(self, request: Request[Any, Any, Any]) -> None:
        """The app's `before_request` hook: it runs before the body is read or a dependency resolved,
        as a guard would, but without the copy of the route handler Litestar makes for each guard
        call (a tenth of a small request's CPU). Its errors take the route's error handlers.

        A coroutine: Litestar runs a plain-function hook on a worker thread, a thread hop (and GIL
        hand-over) per request for a few header look-ups. Unlike guards, which add up layer by
        layer, a router or route with a `before_request` of its own would replace this one: none
        may have one (tests/core/test_cross_site_requests.py checks every route)."""
        await self(request, request.route_handler)

    async def __call__(
        self, connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
    ) -> None:
        scope = connection.scope
        if scope["type"] != ScopeType.HTTP or scope.get("method", "GET") in SAFE_METHODS:
            return
        if not scope.get("path", "").startswith(API_PATHS):
            return
        headers = connection.headers
        bearer_only = headers.get("authorization", "").lower().startswith("bearer ") and not headers.get(
            "cookie"
        )
        if not bearer_only:
            self.check_origin(connection)
        if isinstance(handler, HTTPRouteHandler):
            self.check_body_encoding(connection, handler)

    def is_own_origin(self, origin: str, connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
        found = origin_of(origin)
        if found is None:  # "null" (a sandboxed frame, a file) or garbage
            return False
        if found == self.public_origin:
            return True
        host = connection.headers.get("host", "")
        return bool(host) and found == origin_of(f"{connection.scope.get('scheme', 'http')}://{host}")

    def check_origin(self, connection: ASGIConnection[Any, Any, Any, Any]) -> None:
        headers = connection.headers
        origin = headers.get("origin")
        if headers.get("sec-fetch-site", "").lower() == "cross-site" or (
            origin is not None and not self.is_own_origin(origin, connection)
        ):
            raise ApiError(
                403,
                "cross_site_request",
                "This request came from another site. Use Viewfinder's own pages, or an API token.",
            )

    @staticmethod
    def check_body_encoding(
        connection: ASGIConnection[Any, Any, Any, Any], handler: HTTPRouteHandler
    ) -> None:
        data = handler.parsed_fn_signature.parameters.get("data")
        if data is None:  # the route reads no body; whatever was sent is ignored
            return
        kwarg = data.kwarg_definition
        declared = kwarg.media_type if isinstance(kwarg, BodyKwarg) else RequestEncodingType.JSON
        expected = declared.value if isinstance(declared, RequestEncodingType) else declared
        headers = connection.headers
        sent = headers.get("content-type")
        length = headers.get("content-length")
        if length == "0" or (sent is None and length is None and "transfer-encoding" not in headers):
            return  # no body: the route answers that itself
        if sent is None or _media_type(sent) != expected:
            raise ApiError(
                415,
                "unsupported_media_type",
                f"Send this request's body as {expected} (with that Content-Type).",
            )

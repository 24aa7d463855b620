"""Refuse requests whose Host header names a host this instance does not serve.

Litestar's own AllowedHostsMiddleware compares the Host header port included, so
"127.0.0.1:8000" would never match "127.0.0.1"; this one compares the host name alone and
answers in the API's error shape.
"""

from __future__ import annotations

from litestar.datastructures import Headers
from litestar.middleware import ASGIMiddleware
from litestar.response.base import ASGIResponse
from litestar.serialization import encode_json
from litestar.types import ASGIApp, Receive, Scope, Send

from viewfinder.core.errors import error_body


def host_name(host_header: str) -> str:
    if host_header.startswith("["):  # [::1]:8000
        return host_header[1 : host_header.find("]")].lower()
    return host_header.rsplit(":", 1)[0].lower() if host_header.count(":") == 1 else host_header.lower()


class AllowedHostsMiddleware(ASGIMiddleware):
    def __init__(self, allowed_hosts: list[str]) -> None:
        self.exact = {host.lower() for host in allowed_hosts if not host.startswith("*.")}
        self.suffixes = tuple(host[1:].lower() for host in allowed_hosts if host.startswith("*."))

    def allows(self, host_header: str) -> bool:
        name = host_name(host_header)
        return bool(name) and (name in self.exact or name.endswith(self.suffixes or ("\0",)))

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        if self.allows(Headers.from_scope(scope).get("host", "")):
            await next_app(scope, receive, send)
            return
        body = encode_json(error_body("invalid_host", "This host is not served here."))
        await ASGIResponse(body=body, status_code=400, media_type="application/json")(scope, receive, send)

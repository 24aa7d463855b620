"""Believing X-Forwarded-For / X-Forwarded-Proto only from the proxies we run (nginx, a load balancer).

Behind a proxy every request's socket peer is the proxy, so per-address limits (sign-up, log-in) would
count everyone together. From a trusted peer, the client is the last hop in X-Forwarded-For that is not
itself a trusted proxy; from anyone else the headers are ignored (they are trivially forged).
"""

from __future__ import annotations

import ipaddress

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send


class ForwardedHeadersMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP, ScopeType.WEBSOCKET)

    def __init__(self, trusted_proxies: list[str]) -> None:
        self.networks = [ipaddress.ip_network(entry, strict=False) for entry in trusted_proxies]

    def trusts(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.networks)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        client = scope.get("client")
        if client and self.trusts(client[0]):
            hops: list[str] = []
            proto = None
            for name, value in scope["headers"]:
                if name == b"x-forwarded-for":
                    hops += [hop.strip() for hop in value.decode("latin-1").split(",") if hop.strip()]
                elif name == b"x-forwarded-proto" and proto is None:
                    proto = value.decode("latin-1").strip().lower()
            # Walk back from the nearest hop, past our own proxies; a malformed hop ends the walk.
            for hop in reversed(hops):
                try:
                    ipaddress.ip_address(hop)
                except ValueError:
                    break
                if not self.trusts(hop):
                    scope["client"] = (hop, client[1])
                    break
            if proto in ("http", "https"):
                scope["scheme"] = proto
        await next_app(scope, receive, send)

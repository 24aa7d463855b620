"""Believing X-Forwarded-For / X-Forwarded-Proto only from the proxies we run (nginx, a load balancer).

Behind a proxy every request's socket peer is the proxy, so per-address limits (sign-up, log-in) would
count everyone together. From a trusted peer, the client is the last hop in X-Forwarded-For that is not
itself a trusted proxy; from anyone else the headers are ignored (they are trivially forged).
"""

from __future__ import annotations

import ipaddress
import logging

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


logger = logging.getLogger("viewfinder.proxies")


class UntrustedForwardedWarning(ASGIMiddleware):
    """With no trusted proxies set: warn once when a loopback or private peer sends X-Forwarded-For.

    That is nginx (or a load balancer) in front of an app that was not told to believe it, so every
    client shares the proxy's address and its per-address limits (log-in, sign-up). After the one
    warning this middleware only passes requests on."""

    scopes = (ScopeType.HTTP,)

    def __init__(self) -> None:
        self.warned = False

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        if not self.warned:
            client = scope.get("client")
            # The header first: parsing the peer's address on every request costs more.
            if (
                client
                and any(name == b"x-forwarded-for" for name, _ in scope["headers"])
                and _is_internal(client[0])
            ):
                self.warned = True
                logger.warning(
                    "A request from %s came through a proxy (it sent X-Forwarded-For), but "
                    "VIEWFINDER_TRUSTED_PROXIES is empty: every client now shares that proxy's address, "
                    "so one person's failed log-ins or sign-ups limit everyone. Set "
                    "VIEWFINDER_TRUSTED_PROXIES to the proxy's address (e.g. 127.0.0.1); see docs/deploy.md.",
                    client[0],
                )
        await next_app(scope, receive, send)


def _is_internal(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return ip.is_loopback or ip.is_private

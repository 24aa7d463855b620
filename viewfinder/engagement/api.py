"""HTTP endpoints of this domain; ROUTES is mounted under /api/viewfinder/v1 by the app."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

ROUTES: list[ControllerRouterHandler] = []

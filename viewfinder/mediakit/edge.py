"""Taking media out of the edge cache when they stop being public (docs/decisions/0060).

Public renditions are cached as immutable for a year by the edge (deploy/nginx.conf, or any CDN), and
a signed URL until its expiry. When a post is removed or deleted, an account is suspended, banned,
deactivated or goes private, the app refuses those URLs at once, but a cached copy would still be
served to anyone holding one. The media domain then names every URL that may be cached
(`cached_urls`) and a job asks the edge to drop them (`EdgeCache.purge`).

- `NoEdge`: nothing in front of the app caches media (`viewfinder serve` alone); purging does nothing.
- `NginxEdge`: open-source nginx has no purge, so the edge has a second, loopback-only listener whose
  `/media/` bypasses the cache and stores the app's answer in place of the cached one (its
  `proxy_cache_bypass`). Asked through that listener, the app answers a refusal with a one-second
  lifetime (`EDGE_REFRESH_HEADER`), so the refusal replaces the cached file and then expires; the next
  request reaches the app, which decides again (a reversed removal is served again).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Sequence
from typing import Protocol
from urllib.parse import urlsplit

import httpx

from viewfinder.mediakit import signing

EDGE_REFRESH_HEADER = "X-Viewfinder-Edge-Refresh"
"""Set by the edge's purge listener (and cleared on its public one): the app may let the edge cache
a refusal for a second, so that it replaces the file the edge held."""


class EdgePurgeFailed(Exception):
    """The edge could not refresh some URLs (it or the app behind it was unreachable): try again."""


class EdgeCache(Protocol):
    """What the app needs of the cache in front of its media."""

    async def purge(self, urls: Sequence[str]) -> None:
        """Make the edge forget these absolute media URLs (each as handed out, query included);
        raises EdgePurgeFailed when any could not be refreshed."""
        ...


class NoEdge:
    """No cache in front of the app: nothing to purge."""

    async def purge(self, urls: Sequence[str]) -> None:
        return None


class NginxEdge:
    """deploy/nginx.conf's purge listener: a GET of the same path and query there, with the public
    host as Host (the cache key is host, path and query), replaces the cached entry with the app's
    current answer. A 502, 503 or 504 there means the app was not reached and nothing was replaced."""

    def __init__(self, purge_url: str, *, concurrency: int = 8, timeout: float = 30.0) -> None:
        self.purge_url = purge_url.rstrip("/")
        self.concurrency = concurrency
        self.timeout = timeout

    async def purge(self, urls: Sequence[str]) -> None:
        failed: list[str] = []
        gate = asyncio.Semaphore(self.concurrency)
        async with httpx.AsyncClient(timeout=self.timeout) as client:

            async def refresh(url: str) -> None:
                parts = urlsplit(url)
                target = f"{self.purge_url}{parts.path}" + (f"?{parts.query}" if parts.query else "")
                async with gate:
                    try:
                        # Only the status matters; the body (a file the app still serves) is dropped.
                        response = await client.get(target, headers={"Host": parts.netloc})
                    except httpx.HTTPError:
                        failed.append(url)
                        return
                if response.status_code in (502, 503, 504):
                    failed.append(url)

            await asyncio.gather(*(refresh(url) for url in urls))
        if failed:
            raise EdgePurgeFailed(f"{len(failed)} of {len(urls)} media URLs not refreshed, as {failed[0]}")


def edge_from_purge_url(purge_url: str | None) -> EdgeCache:
    """The edge the settings name (`edge_purge_url`): nginx's purge listener, or none."""
    return NginxEdge(purge_url) if purge_url else NoEdge()


def cached_urls(
    base_url: str,
    keys: Iterable[str],
    *,
    secret: str,
    ttl_seconds: int,
    signed: bool,
    now: float | None = None,
) -> list[str]:
    """Every URL under which the edge may hold these files: the public one, and with `signed`, each
    signed URL still unexpired. Expiries are whole buckets (mediakit.signing), so the URLs handed
    out over the last `ttl_seconds` are those whose expiry is a bucket end from now to now + ttl."""
    moment = time.time() if now is None else now
    first = signing.expiry(0, moment)  # the first bucket end not yet passed
    last = signing.expiry(ttl_seconds, moment)
    expiries = range(first, last + 1, signing.BUCKET_SECONDS)
    urls = []
    for key in keys:
        url = f"{base_url.rstrip('/')}/{key}"
        urls.append(url)
        if signed:
            urls.extend(signing.sign_url(url, secret, expires) for expires in expiries)
    return urls


_installed: EdgeCache = NoEdge()


def use(edge: EdgeCache) -> None:
    """Make this the edge of the process (viewfinder.wiring, at start-up), for the purge jobs."""
    global _installed
    _installed = edge


def installed_edge() -> EdgeCache:
    return _installed

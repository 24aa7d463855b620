"""What search engines read: robots.txt and a sitemap of public profiles (`search_engine_indexing`,
docs/decisions/0077).

robots.txt keeps crawlers to the pages a signed-out visitor can open (profiles, posts, Explore,
hashtags) and away from the API and signed-in screens. /sitemap.xml is a sitemap index naming one
sitemap per SITEMAP_URLS public accounts (the protocol's limit per file), so it stays valid at any
size; a private, limited, deactivated or banned account is never listed.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from litestar import Response, get
from litestar.params import FromPath

from viewfinder.core.deps import DbSession, SettingsDep
from viewfinder.core.errors import not_found
from viewfinder.graph.services import count_listed_profiles, listed_profiles

SITEMAP_URLS = 50_000
MOST_SITEMAPS = 50_000
"""The protocol's limit of sitemaps in an index (2.5 billion accounts)."""
XML_NAMESPACE = "http://www.sitemaps.org/schemas/sitemap/0.9"
CACHED = {"Cache-Control": "public, max-age=3600"}
# Screens of a signed-in person, and everything that is not a page.
NOT_FOR_CRAWLERS = (
    "/api/", "/media/", "/accounts/", "/staff", "/settings", "/saved", "/notifications", "/requests",
    "/create", "/search", "/healthz", "/readyz",
)  # fmt: skip


@get("/robots.txt", include_in_schema=False, sync_to_thread=False)
def robots_txt(settings: SettingsDep) -> Response[str]:
    if not settings.search_engine_indexing:
        body = "User-agent: *\nDisallow: /\n"
    else:
        rules = "".join(f"Disallow: {path}\n" for path in NOT_FOR_CRAWLERS)
        body = f"User-agent: *\nAllow: /\n{rules}\nSitemap: {settings.page_url('/sitemap.xml')}\n"
    return Response(body, media_type="text/plain; charset=utf-8", headers=CACHED)


def _xml(root: str, entries: list[str]) -> Response[str]:
    head = f'<?xml version="1.0" encoding="UTF-8"?>\n<{root} xmlns="{XML_NAMESPACE}">\n'
    body = f"{head}{''.join(entries)}</{root}>\n"
    return Response(body, media_type="application/xml", headers=CACHED)


@get("/sitemap.xml", include_in_schema=False)
async def sitemap_index(settings: SettingsDep, db_session: DbSession) -> Response[str]:
    """One <sitemap> per SITEMAP_URLS public accounts (at least one, even when there are none yet)."""
    if not settings.search_engine_indexing:
        raise not_found()
    files = max(1, -(-await count_listed_profiles(db_session) // SITEMAP_URLS))
    entries = [
        f"  <sitemap><loc>{escape(settings.page_url(f'/sitemaps/profiles/{number}'))}</loc></sitemap>\n"
        for number in range(1, files + 1)
    ]
    return _xml("sitemapindex", entries)


@get("/sitemaps/profiles/{number:int}", include_in_schema=False)
async def profiles_sitemap(
    number: FromPath[int], settings: SettingsDep, db_session: DbSession
) -> Response[str]:
    """The public accounts' profile URLs, SITEMAP_URLS to a file, oldest account first."""
    if not settings.search_engine_indexing or not 1 <= number <= MOST_SITEMAPS:
        raise not_found()
    usernames = await listed_profiles(db_session, (number - 1) * SITEMAP_URLS, SITEMAP_URLS)
    if not usernames and number > 1:
        raise not_found()
    return _xml(
        "urlset", [f"  <url><loc>{escape(settings.page_url(f'/{name}'))}</loc></url>\n" for name in usernames]
    )

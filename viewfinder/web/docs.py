"""The API reference page (/api/viewfinder/v1/docs): Swagger UI from this instance's own files.

Swagger UI's bundle and stylesheet come from the npm package `swagger-ui-dist`, pinned to one
version in frontend/package.json and copied into the built web app under /api-docs/ by
frontend/vite.config.ts; the few lines that start it are served from here. So the page asks no
other origin for anything, runs no inline script and works under the web app's Content Security
Policy. Its "Try it out" sends the session's CSRF token with writes, as the web app does.
"""

from __future__ import annotations

from html import escape
from typing import Any

from litestar import Request, Response, Router, get
from litestar.openapi.plugins import OpenAPIRenderPlugin

from viewfinder.accounts.auth import CSRF_COOKIE, CSRF_HEADER

ASSETS_URL = "/api-docs"
"""Where the built web app keeps Swagger UI's files (frontend/vite.config.ts puts them there)."""
INIT_SCRIPT_NAME = "viewfinder_api_docs_script"
INIT_SCRIPT = """\
// Starts Swagger UI on this page: the document and the CSRF names come from this tag's data-*.
(function () {
  "use strict";
  var tag = document.currentScript;
  function csrfToken() {
    var prefix = tag.dataset.csrfCookie + "=";
    var found = document.cookie.split("; ").filter(function (c) { return c.indexOf(prefix) === 0; })[0];
    return found ? decodeURIComponent(found.slice(prefix.length)) : "";
  }
  window.ui = SwaggerUIBundle({
    url: tag.dataset.document,
    dom_id: "#api-reference",
    deepLinking: true,
    validatorUrl: null,
    requestInterceptor: function (request) {
      var token = csrfToken();
      if (token && !/^(GET|HEAD|OPTIONS)$/i.test(request.method || "GET")) {
        request.headers[tag.dataset.csrfHeader] = token;
      }
      return request;
    },
  });
})();
"""


@get("/swagger-init.js", name=INIT_SCRIPT_NAME, include_in_schema=False, sync_to_thread=False)
def init_script() -> Response[bytes]:
    """The script that starts Swagger UI (no inline script: the page's policy allows none)."""
    return Response(
        INIT_SCRIPT.encode(),
        media_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": "no-cache"},
    )


class ApiReferencePage(OpenAPIRenderPlugin):
    """Litestar's OpenAPI render plugin for the page; `document_url` is the OpenAPI document it shows."""

    def __init__(self, *, document_url: str, path: str = "/") -> None:
        super().__init__(path=path, favicon="", style="")
        self.document_url = document_url

    def receive_router(self, router: Router) -> None:
        router.register(init_script)

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        title = escape(f"{openapi_schema.get('info', {}).get('title', 'API')} API reference")
        document = escape(self.document_url)
        script = escape(request.app.route_reverse(INIT_SCRIPT_NAME))
        return f"""<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>{title}</title>
    <link rel="icon" href="/favicon.svg" type="image/svg+xml">
    <link rel="stylesheet" href="{ASSETS_URL}/swagger-ui.css">
  </head>
  <body>
    <div id="api-reference">
      <h1>{title}</h1>
      <p>The interactive reference needs JavaScript and the built web app (<code>make web</code>).
      The OpenAPI document itself is at <a href="{document}">{document}</a>.</p>
    </div>
    <script src="{ASSETS_URL}/swagger-ui-bundle.js"></script>
    <script src="{script}" data-document="{document}" data-csrf-cookie="{escape(CSRF_COOKIE)}"
      data-csrf-header="{escape(CSRF_HEADER)}"></script>
  </body>
</html>
""".encode()

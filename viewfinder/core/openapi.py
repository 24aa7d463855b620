"""What the API says about itself, made true: the OpenAPI document (every status an operation can
answer, the one error shape, how each operation authenticates) and the `Allow` header of OPTIONS.
See docs/decisions/0030-openapi-and-api-fuzzing.md.

Litestar documents the success response and, for any operation with parameters, a 400 with its own
error body (`status_code`, `detail`), which this API never sends. `describe` rewrites each operation
once, when the document is first read, from what the route itself says:

- 400 `validation_error` when it reads a body, a query or a header, or a path parameter that is not
  an id (a name, looked up as text: PostgreSQL refuses a NUL in it, `bad_request`);
- 401 when it depends on the viewer (required: `not_authenticated`; optional: a bad bearer token,
  `invalid_token`), and 403 `csrf_failed` when that viewer may come from the cookie on a write;
- 403 `cross_site_request` on every write (core.security's guard refuses another site's pages);
- 404 `not_found` for path parameters; 413 `too_large` and 415 `unsupported_media_type` with a body;
- 429 `rate_limited` when it takes the rate limiter; 503 `unavailable` everywhere (the database, the
  media storage or a store can be down);
- and whatever the route declares beyond that with `opt=errors({409: "collection_exists"})`, for
  what only its services know (a conflict, a private account).

Every error response refers to the `Error` component. Security: `sessionCookie` with `csrfHeader` on
writes, or `bearerToken`; `{}` (anonymous) too where the viewer is optional. Beyond the statuses:
request bodies whose struct forbids unknown fields say `additionalProperties: false`, a body with a
default is not required, 204 answers have no content, and Server-Sent Events are text/event-stream.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import msgspec
import msgspec.inspect
from litestar import Litestar
from litestar.enums import ParamType
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.spec import (
    OpenAPI,
    OpenAPIHeader,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Parameter,
    PathItem,
    Reference,
    RequestBody,
    Schema,
    SecurityRequirement,
    SecurityScheme,
)
from litestar.response import ServerSentEvent
from litestar.routes import BaseRoute, HTTPRoute
from litestar.types import Message, Scope

ERRORS_OPT = "errors"
ERROR_SCHEMA_NAME = "Error"
ERROR_REF = Reference(ref=f"#/components/schemas/{ERROR_SCHEMA_NAME}")
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
JSON = "application/json"

ERROR_SCHEMA = Schema(
    type=OpenAPIType.OBJECT,
    description="Every failure of the API, whatever its status.",
    required=["error"],
    additional_properties=False,
    properties={
        "error": Schema(
            type=OpenAPIType.OBJECT,
            required=["code", "message", "fields"],
            additional_properties=False,
            properties={
                "code": Schema(
                    type=OpenAPIType.STRING,
                    description="Stable and machine-readable, e.g. validation_error or not_found.",
                ),
                "message": Schema(type=OpenAPIType.STRING, description="For people; may change."),
                "fields": Schema(
                    type=OpenAPIType.OBJECT,
                    additional_properties=Schema(type=OpenAPIType.STRING),
                    description="What is wrong with each named field of the request (often empty).",
                ),
            },
        )
    },
)

SERVER_SENT_EVENT = Schema(
    type=OpenAPIType.OBJECT,
    description="One event of the stream (the schema of each, as text/event-stream carries them).",
    required=["data"],
    properties={
        "event": Schema(type=OpenAPIType.STRING, description="Its type, e.g. notification or unread."),
        "data": Schema(type=OpenAPIType.STRING, description="The event, as JSON.", content_media_type=JSON),
        "id": Schema(type=OpenAPIType.STRING, description="Send it back as Last-Event-ID to resume."),
        "retry": Schema(type=OpenAPIType.INTEGER, description="Milliseconds to wait before reconnecting."),
    },
)

RETRY_AFTER = OpenAPIHeader(
    schema=Schema(type=OpenAPIType.STRING, pattern=r"^[0-9]+$"),
    description="Seconds to wait before trying again.",
)


def errors(declared: Mapping[int, str]) -> dict[str, Any]:
    """A route's `opt`: the error statuses it answers beyond those derived from its signature, each
    with its codes, e.g. `opt=errors({409: "collection_exists: the name is taken"})`."""
    return {ERRORS_OPT: dict(declared)}


@dataclass(frozen=True)
class Authentication:
    """How the API authenticates, in the names the routes and clients use."""

    session_cookie: str
    csrf_header: str
    viewer_required: frozenset[str]
    """Dependencies that answer 401 to an anonymous request."""
    viewer_optional: frozenset[str]
    """Dependencies that read the viewer if there is one (a bad bearer token is still a 401)."""

    def security_schemes(self) -> dict[str, SecurityScheme | Reference]:
        return {
            "sessionCookie": SecurityScheme(
                type="apiKey",
                name=self.session_cookie,
                security_scheme_in="cookie",
                description="The session cookie that logging in sets (HttpOnly).",
            ),
            "csrfHeader": SecurityScheme(
                type="apiKey",
                name=self.csrf_header,
                security_scheme_in="header",
                description="With the session cookie, every write (POST, PUT, PATCH, DELETE) sends the "
                "session's CSRF token (login's csrf_token, also the readable vf_csrf cookie) in this header.",
            ),
            "bearerToken": SecurityScheme(
                type="http",
                scheme="bearer",
                bearer_format="vf_...",
                description="A personal API token (POST /accounts/tokens): no cookie and no CSRF token.",
            ),
        }


@dataclass
class _Statuses:
    """The error statuses of one operation, each with what its codes mean."""

    found: dict[int, list[str]]

    def add(self, status: int, codes: str) -> None:
        meanings = self.found.setdefault(status, [])
        if codes not in meanings:
            meanings.append(codes)


def _dependency_names(handler: HTTPRouteHandler) -> set[str]:
    """Every dependency the handler resolves, through the dependencies of its dependencies."""
    providers = handler.resolve_dependencies()
    seen: set[str] = set()
    waiting = list(handler.parsed_fn_signature.parameters)
    while waiting:
        name = waiting.pop()
        if name in seen or name not in providers:
            continue
        seen.add(name)
        waiting.extend(providers[name].parsed_fn_signature.parameters)
    return seen


def _parameters(operation: Operation) -> list[Parameter]:
    return [p for p in operation.parameters or [] if isinstance(p, Parameter)]


def _body_media_types(operation: Operation) -> list[str]:
    body = operation.request_body
    return list(body.content) if isinstance(body, RequestBody) else []


def _statuses(
    handler: HTTPRouteHandler, method: str, operation: Operation, auth: Authentication
) -> _Statuses:
    statuses = _Statuses({})
    parameters = _parameters(operation)
    path_parameters = [p.name for p in parameters if p.param_in == ParamType.PATH]
    reads_input = any(p.param_in != ParamType.PATH for p in parameters)
    media_types = _body_media_types(operation)
    if media_types or reads_input:
        statuses.add(400, "validation_error: a field is missing or wrong (see fields)")
    if any(not name.endswith("_id") for name in path_parameters):
        statuses.add(400, "bad_request: a value the database cannot hold (a NUL character)")
    if any(p.name == "cursor" for p in parameters):
        statuses.add(400, "invalid_cursor: not a next_cursor of this list, or a stale one")
    dependencies = _dependency_names(handler)
    required = bool(dependencies & auth.viewer_required)
    if required:
        statuses.add(401, "not_authenticated: no session cookie or API token")
    if required or dependencies & auth.viewer_optional:
        statuses.add(401, "invalid_token: the bearer token is not valid")
        if method in UNSAFE_METHODS:
            statuses.add(
                403, f"csrf_failed: a cookie-authenticated write without the {auth.csrf_header} header"
            )
    if method in UNSAFE_METHODS:
        statuses.add(403, "cross_site_request: a write sent from another site's page")
    if path_parameters:
        statuses.add(404, "not_found: nothing by this name or id that you may see")
    if media_types:
        statuses.add(413, "too_large: the request body is over the limit")
        statuses.add(415, "unsupported_media_type: a body this operation does not take")
    if "limiter" in dependencies:
        statuses.add(429, "rate_limited: too many attempts; wait Retry-After seconds")
    statuses.add(503, "unavailable: a service behind the API is down; retry after Retry-After seconds")
    for status, codes in (handler.opt.get(ERRORS_OPT) or {}).items():
        statuses.add(int(status), codes)
    # A route's own `responses=` with an error status: its description, in the one error shape.
    for status, spec in (handler.responses or {}).items():
        if int(status) >= 400:
            statuses.add(int(status), spec.description or "")
    return statuses


def _error_response(status: int, meanings: list[str]) -> OpenAPIResponse:
    codes = [meaning for meaning in meanings if meaning]
    return OpenAPIResponse(
        description="Error codes: " + "; ".join(codes) + "." if codes else "An error.",
        content={JSON: OpenAPIMediaType(schema=ERROR_REF)},
        headers={"Retry-After": RETRY_AFTER} if status in (429, 503) else None,
    )


def _security(handler: HTTPRouteHandler, method: str, auth: Authentication) -> list[SecurityRequirement]:
    dependencies = _dependency_names(handler)
    required = bool(dependencies & auth.viewer_required)
    if not required and not dependencies & auth.viewer_optional:
        return []
    cookie: SecurityRequirement = {"sessionCookie": []}
    if method in UNSAFE_METHODS:
        cookie = {"sessionCookie": [], "csrfHeader": []}
    found: list[SecurityRequirement] = [cookie, {"bearerToken": []}]
    return found if required else [*found, {}]


def _request_structs(handler: HTTPRouteHandler) -> Iterator[msgspec.inspect.StructType]:
    """The msgspec structs of the handler's request body, nested ones included."""
    data = handler.parsed_fn_signature.parameters.get("data")
    if data is None:
        return
    try:
        waiting: list[Any] = [msgspec.inspect.type_info(data.annotation)]
    except (TypeError, ValueError):  # not a type msgspec knows (a raw body)
        return
    seen: set[type] = set()
    while waiting:
        info = waiting.pop()
        if isinstance(info, msgspec.inspect.StructType):
            if info.cls in seen:
                continue
            seen.add(info.cls)
            yield info
            waiting.extend(field.type for field in info.fields)
        elif isinstance(info, msgspec.inspect.Type):
            for name in msgspec.structs.fields(info):
                value = getattr(info, name.name)
                values = value if isinstance(value, tuple) else (value,)
                waiting.extend(v for v in values if isinstance(v, msgspec.inspect.Type))


def _is_event_stream(handler: HTTPRouteHandler) -> bool:
    returned = handler.parsed_fn_signature.return_type.annotation
    return isinstance(returned, type) and issubclass(returned, ServerSentEvent)


def _describe_operation(
    handler: HTTPRouteHandler, method: str, operation: Operation, auth: Authentication
) -> None:
    statuses = _statuses(handler, method, operation, auth)
    responses: dict[str, OpenAPIResponse | Reference] = {}
    for code, response in (operation.responses or {}).items():
        if int(code) >= 400:
            continue  # Litestar's own error body, which this API never sends
        if int(code) in (204, 304) and isinstance(response, OpenAPIResponse):
            response.content = None  # no body, so no media type either
        if _is_event_stream(handler) and isinstance(response, OpenAPIResponse):
            response.content = {"text/event-stream": OpenAPIMediaType(schema=SERVER_SENT_EVENT)}
        responses[code] = response
    for status, meanings in sorted(statuses.found.items()):
        responses[str(status)] = _error_response(status, meanings)
    operation.responses = responses
    operation.security = _security(handler, method, auth) or None
    data = handler.parsed_fn_signature.parameters.get("data")
    if isinstance(operation.request_body, RequestBody) and data is not None and data.has_default:
        operation.request_body.required = False


def describe(openapi: OpenAPI, routes: Iterable[BaseRoute], auth: Authentication) -> None:
    """Make the document Litestar built for these routes true (in place)."""
    openapi.components.schemas[ERROR_SCHEMA_NAME] = ERROR_SCHEMA
    openapi.components.security_schemes = auth.security_schemes()
    paths = openapi.paths or {}
    closed: set[str] = set()  # request structs that refuse unknown fields, by name (the schema's title)
    for route in routes:
        if not isinstance(route, HTTPRoute) or not isinstance(item := paths.get(route.path_format), PathItem):
            continue
        for method, (handler, _) in route.route_handler_map.items():
            operation = getattr(item, method.lower(), None)
            if isinstance(operation, Operation) and handler.resolve_include_in_schema():
                _describe_operation(handler, method, operation, auth)
                closed.update(s.cls.__name__ for s in _request_structs(handler) if s.forbid_unknown_fields)
    for schema in openapi.components.schemas.values():
        if schema.title in closed and schema.additional_properties is None:
            schema.additional_properties = False


class DescribedLitestar(Litestar):
    """Litestar whose OpenAPI document (`openapi_schema`: the JSON route, the CLI, the docs page) is
    made true by `describe` the first time it is read. Built lazily, as Litestar does: the tests
    build an app per test and most never read it."""

    __slots__ = ("_allowed", "_authentication", "_described")

    def __init__(self, *args: Any, authentication: Authentication, **kwargs: Any) -> None:
        self._authentication = authentication
        self._described: OpenAPI | None = None
        self._allowed: dict[str, bytes] | None = None
        super().__init__(*args, **kwargs)

    def allowed_methods(self, path_template: str) -> bytes | None:
        """The `Allow` value of a route (by its path template), every method of it."""
        if self._allowed is None:
            self._allowed = {
                route.path_format: ", ".join(sorted(route.methods)).encode()
                for route in self.routes
                if isinstance(route, HTTPRoute)
            }
        return self._allowed.get(path_template)

    @property
    def openapi_schema(self) -> OpenAPI:
        openapi = super().openapi_schema
        if openapi is not self._described:  # Litestar rebuilds it when routes are added
            describe(openapi, self.routes, self._authentication)
            self._described = openapi
        return openapi


async def allow_every_method(message: Message, scope: Scope) -> None:
    """A before-send hook: OPTIONS answers `Allow` with every method of the path.

    Litestar 2 makes a path's OPTIONS handler with the first handler registered on the path and
    never updates it, so `OPTIONS /accounts/me` said `GET, OPTIONS` without PATCH
    (litestar-org/litestar#4169, fixed in Litestar 3 only).
    """
    if message["type"] != "http.response.start" or scope.get("method") != "OPTIONS":
        return
    headers = list(message.get("headers") or [])
    app = Litestar.from_scope(scope)
    if not isinstance(app, DescribedLitestar) or not any(name.lower() == b"allow" for name, _ in headers):
        return
    allowed = app.allowed_methods(scope.get("path_template", ""))
    if allowed is not None:
        message["headers"] = [(n, v) for n, v in headers if n.lower() != b"allow"] + [(b"allow", allowed)]

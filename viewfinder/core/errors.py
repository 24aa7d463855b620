"""The API's one error shape: ``{"error": {"code", "message", "fields"}}``, for every failure."""

from __future__ import annotations

import logging
import re
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

logger = logging.getLogger("viewfinder.errors")

MISSING_PARAMETER = re.compile(r"Missing required (?P<kind>\w+) parameter '(?P<name>[^']+)'")

CODES_BY_STATUS = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}


class ApiError(Exception):
    """A failure the client caused or must hear about, with a stable machine-readable code."""

    def __init__(
        self,
        status_code: int,
        code: str,
        message: str,
        fields: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.message = message
        self.fields = fields or {}
        self.headers = headers or {}


class ServiceUnavailable(ApiError):
    """A service behind the API (a database, the media storage, a store) could not be reached or did
    not answer in time: 503, `Retry-After` seconds for the client; `detail` says why, for logs."""

    def __init__(
        self, message: str, detail: str = "", *, code: str = "unavailable", retry_after: int = 5
    ) -> None:
        super().__init__(503, code, message, headers={"Retry-After": str(retry_after)})
        self.detail = detail


def not_found(message: str = "Not found.") -> ApiError:
    return ApiError(404, "not_found", message)


def invalid(field: str, message: str, code: str = "validation_error") -> ApiError:
    """A 400 about one field of the request."""
    return ApiError(400, code, message, {field: message})


def error_body(code: str, message: str, fields: dict[str, str] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def _response(
    status: int,
    code: str,
    message: str,
    fields: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[dict[str, Any]]:
    return Response(error_body(code, message, fields), status_code=status, headers=headers)


def handle_api_error(_: Request[Any, Any, Any], exc: ApiError) -> Response[dict[str, Any]]:
    return _response(exc.status_code, exc.code, exc.message, exc.fields, exc.headers)


def _field_name(key: str | None) -> str:
    # msgspec reports "$.a.b" or "a"; clients want the plain field path.
    return (key or "").removeprefix("$.").removeprefix("$") or "body"


def handle_http_exception(_: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    status = exc.status_code
    if isinstance(exc, ValidationException):
        fields: dict[str, str] = {}
        for item in exc.extra if isinstance(exc.extra, list) else []:
            if isinstance(item, dict):
                fields[_field_name(item.get("key"))] = str(item.get("message", "Invalid value."))
        message = "The request is not valid."
        # Litestar names a missing required parameter only in its message; name it as a field too.
        if not fields and (missing := MISSING_PARAMETER.match(str(exc.detail or ""))):
            fields[missing["name"]] = f"Missing required {missing['kind']} parameter."
        if not fields and exc.detail:
            message = str(exc.detail)
        return _response(400, "validation_error", message, fields)
    if status >= 500:
        logger.error("server error: %r", exc, exc_info=exc)
    code = CODES_BY_STATUS.get(status, "error")
    headers = dict(exc.headers or {})
    message = exc.detail or code.replace("_", " ").capitalize()
    return _response(status, code, message, headers=headers or None)


def handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    logger.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _response(HTTP_500_INTERNAL_SERVER_ERROR, "internal_error", "Something went wrong on our side.")


EXCEPTION_HANDLERS = {
    ApiError: handle_api_error,
    HTTPException: handle_http_exception,
    Exception: handle_unexpected,
}

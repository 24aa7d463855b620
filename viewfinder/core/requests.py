"""The request class of every HTTP route."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request

from viewfinder.core.errors import ApiError


class ApiRequest(Request[Any, Any, Any]):
    """Litestar's request, with a JSON body nested deeper than the decoder allows (`[[[[…` sent
    100,000 deep) refused as bad input, not a 500: msgspec stops at Python's recursion limit with a
    RecursionError, which nothing else turns into a client error. No request this API takes nests
    beyond a few levels. The body must also have exactly the declared types (check_declared_types)."""

    async def json(self) -> Any:
        try:
            value = await super().json()
        except RecursionError:
            raise ApiError(400, "bad_request", "The JSON body is nested too deeply.") from None
        check_declared_types(self.route_handler, value)
        return value


def check_declared_types(handler: Any, value: Any) -> None:
    """Hold a JSON body to the types its route declares, exactly as the OpenAPI document states them.

    Litestar converts bodies leniently (msgspec's strict=False): `0` or `"false"` passed for a
    boolean, `"12"` or `1.0` for an integer. The API would then accept what its own document calls
    invalid, and a client's type mistake would change data quietly. (Multipart forms, whose values
    are all text, keep the lenient conversion.)

    Only what leniency alone lets through is refused here, as the body is read (like malformed JSON,
    before the viewer is known); a body invalid either way is left to Litestar's validation, which
    answers after authentication as before.
    """
    data = handler.parsed_fn_signature.parameters.get("data") if handler is not None else None
    if data is None or value is None:  # no body taken, or none sent (Litestar answers that itself)
        return
    try:
        msgspec.convert(value, type=data.annotation, strict=True, str_keys=True)
    except msgspec.ValidationError as error:
        try:
            msgspec.convert(value, type=data.annotation, strict=False, str_keys=True)
        except msgspec.ValidationError:
            return  # invalid however read: Litestar says so in its turn
        message, _, path = str(error).partition(" - at `")
        field = path.rstrip("`").removeprefix("$.").removeprefix("$") or "body"
        raise ApiError(400, "validation_error", "The request is not valid.", {field: message}) from None
    except (TypeError, ValueError):  # a type msgspec cannot check on its own: Litestar's rules apply
        return

"""Parameters shared by many endpoints."""

from __future__ import annotations

from typing import Annotated

from litestar.di import NamedDependency
from litestar.params import QueryParameter

from viewfinder.core.errors import not_found
from viewfinder.core.pagination import DEFAULT_LIMIT, MAX_LIMIT, Paging
from viewfinder.settings import Settings

LimitParam = Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT, description=f"Page size, 1 to {MAX_LIMIT}.")]
CursorParam = Annotated[
    str | None, QueryParameter(max_length=200, description="next_cursor of the previous page.")
]
DEFAULT_PAGE_SIZE = DEFAULT_LIMIT
PagingDep = NamedDependency[Paging]
"""Parameter name: paging. The list endpoint's `cursor` and `limit` query parameters, decoded."""


def provide_paging(
    settings: NamedDependency[Settings], cursor: CursorParam = None, limit: LimitParam = DEFAULT_PAGE_SIZE
) -> Paging:
    """The paging dependency: its query parameters show in the OpenAPI document of every endpoint
    that takes it, exactly as when each endpoint declared them."""
    return Paging(settings.secret, cursor, limit)


MAX_ID = 2**63 - 1
"""The largest ID a row can have: IDs are signed 64-bit integers in every database."""


def parse_id(value: str, missing: str | None = None) -> int:
    """An ID sent as text (in a path, or a body's `*_id` field): a decimal string of a number a row
    can have. Anything else names nothing, so 404, with the `missing` message when given ("No such
    case."; callers that read bodies turn it into their 400). Past 2^63 - 1 the database could not
    even compare it (SQLite raises OverflowError)."""
    if not value.isascii() or not value.isdigit() or len(value) > 19:
        raise not_found(missing or "Not found.")
    number = int(value)
    if number > MAX_ID:
        raise not_found(missing or "Not found.")
    return number

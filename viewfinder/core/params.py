"""Parameters shared by many endpoints."""

from __future__ import annotations

from typing import Annotated

from litestar.params import QueryParameter

from viewfinder.core.errors import not_found
from viewfinder.core.pagination import DEFAULT_LIMIT, MAX_LIMIT

LimitParam = Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT, description=f"Page size, 1 to {MAX_LIMIT}.")]
CursorParam = Annotated[
    str | None, QueryParameter(max_length=200, description="next_cursor of the previous page.")
]
DEFAULT_PAGE_SIZE = DEFAULT_LIMIT


def parse_id(value: str) -> int:
    """A path ID (a decimal string); anything else names nothing, so 404."""
    if not value.isascii() or not value.isdigit() or len(value) > 19:
        raise not_found()
    return int(value)

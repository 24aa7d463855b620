"""Conditions of the social graph that any domain can put in a query (no service imports, so
the notifications services, which the graph services call, can use them too)."""

from __future__ import annotations

from sqlalchemy import and_, exists, or_
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.elements import ColumnElement

from viewfinder.graph.models import Block


def blocked_between(viewer_id: int, other_id: QueryableAttribute[int] | int) -> ColumnElement[bool]:
    """True when either account blocked the other."""
    return exists().where(
        or_(
            and_(Block.blocker_id == viewer_id, Block.blocked_id == other_id),
            and_(Block.blocker_id == other_id, Block.blocked_id == viewer_id),
        )
    )

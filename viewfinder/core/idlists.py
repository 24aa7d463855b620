"""`column IN <a list of ids>` as ONE bound parameter, so a statement's SQL is the same whatever the
list's length (docs/decisions/0045-hot-read-path.md).

SQLAlchemy's `column.in_(bindparam(..., expanding=True))` re-renders the statement's SQL at every
execution, one placeholder per id: about 170 us of Python per statement on a feed page, more than
SQLite spends running it. Here the list travels as one value instead, which each backend unpacks
itself: a JSON array read by `json_each()` on SQLite, a `BIGINT[]` compared with `= ANY()` on
PostgreSQL. The statement is compiled once and its cached form reused.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import msgspec
from sqlalchemy import Boolean, Text, bindparam
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql._typing import _ColumnExpressionArgument
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator

_encode = msgspec.json.encode


class IdList(TypeDecorator[list[int]]):
    """A list of integer ids bound as one text parameter: a JSON array on SQLite, an array literal
    (`{1,2,3}`) cast to BIGINT[] on PostgreSQL. Text rather than a list there: psycopg works out a
    list's element type item by item (~100 us for a page's 40 ids); the server parses the literal."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Iterable[int] | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if dialect.name == "postgresql":
            return "{" + ",".join([str(int(item)) for item in value]) + "}"
        return _encode(value if isinstance(value, list) else list(value)).decode()


class in_ids(FunctionElement[bool]):
    """`column IN (the ids bound under `name`)`: `in_ids(Post.id, "post_ids")`, executed with
    `{"post_ids": [1, 2, 3]}` (any length, empty included)."""

    type = Boolean()
    inherit_cache = True
    _is_implicitly_boolean = True  # a comparison already: never rendered as "... = 1"
    name = "in_ids"

    def __init__(self, column: _ColumnExpressionArgument[Any], name: str) -> None:
        super().__init__(column, bindparam(name, type_=IdList()))


@compiles(in_ids)
def _in_ids_sqlite(element: in_ids, compiler: SQLCompiler, **kw: Any) -> str:
    column, ids = element.clauses.clauses
    # Compiled SQL of the construct's own column and bound parameter: no value is ever inlined.
    column_sql, ids_sql = compiler.process(column, **kw), compiler.process(ids, **kw)
    return f"{column_sql} IN (SELECT value FROM json_each({ids_sql}))"  # noqa: S608


@compiles(in_ids, "postgresql")
def _in_ids_postgresql(element: in_ids, compiler: SQLCompiler, **kw: Any) -> str:
    column, ids = element.clauses.clauses
    return f"{compiler.process(column, **kw)} = ANY(CAST({compiler.process(ids, **kw)} AS BIGINT[]))"

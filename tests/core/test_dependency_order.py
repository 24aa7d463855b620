"""Dependencies are resolved one after another in the request's own task (viewfinder.core.deps),
not in a task group per level: still each after those it needs, with its errors and its clean-up
as Litestar gives them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

from litestar import Litestar, get
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotAuthorizedException
from litestar.testing import TestClient

from viewfinder.core.deps import resolve_dependencies_in_order

seen: list[str] = []


def task_name() -> str:
    task = asyncio.current_task()
    return task.get_name() if task else "-"


async def provide_first() -> str:
    seen.append(f"first {task_name()}")
    return "first"


async def provide_second() -> str:
    seen.append(f"second {task_name()}")
    return "second"


async def provide_third(first: NamedDependency[str], second: NamedDependency[str]) -> str:
    seen.append(f"third {task_name()}")
    return f"{first}+{second}"


async def provide_cleaned() -> AsyncGenerator[str, None]:
    yield "cleaned"
    seen.append("cleaned up")


async def provide_refusal() -> str:
    raise NotAuthorizedException("no")


@get("/")
async def handler(
    first: NamedDependency[str],
    second: NamedDependency[str],
    third: NamedDependency[str],
    cleaned: NamedDependency[str],
) -> dict[str, str]:
    seen.append(f"handler {task_name()}")
    return {"third": third, "cleaned": cleaned}


@get("/refused")
async def refused(first: NamedDependency[str], refusal: NamedDependency[str]) -> str:
    return refusal


def make_app() -> Litestar:
    resolve_dependencies_in_order()
    return Litestar(
        [handler, refused],
        dependencies={
            "first": Provide(provide_first),
            "second": Provide(provide_second),
            "third": Provide(provide_third),
            "cleaned": Provide(provide_cleaned),
            "refusal": Provide(provide_refusal),
        },
    )


def test_dependencies_run_in_the_request_task_after_those_they_need():
    seen.clear()
    with TestClient(make_app()) as client:
        response = client.get("/")
    assert response.status_code == 200
    assert response.json() == {"third": "first+second", "cleaned": "cleaned"}
    tasks = {line.rsplit(" ", 1)[1] for line in seen if line != "cleaned up"}
    assert len(tasks) == 1, seen  # one task: no task group spawned for a level
    order = [line.split(" ", 1)[0] for line in seen]
    assert order.index("third") > max(order.index("first"), order.index("second"))
    assert order.index("cleaned") > order.index("handler")  # a generator's clean-up after the handler


def test_a_dependency_that_refuses_answers_with_its_own_error():
    with TestClient(make_app()) as client:
        response = client.get("/refused")
    assert response.status_code == 401

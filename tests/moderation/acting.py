"""Helpers for tests of staff actions and appeals: report something, find its case, act on it."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api


def report(api: Api, target: str, target_id: str, reason: str = "spam") -> None:
    response = api.post("/reports", json={"target": target, "target_id": target_id, "reason": reason})
    assert response.status_code == 201, response.text


def case_of(staff: Api, target: str, target_id: str) -> str:
    """The open case about this target, from the staff's queue."""
    items = staff.get("/staff/cases", params={"limit": "100"}).json()["items"]
    return str(next(c["id"] for c in items if (c["target"], c["target_id"]) == (target, target_id)))


def act(staff: Api, case_id: str, action: str, status: int = 201, **fields: Any) -> dict[str, Any]:
    body = {"action": action, **({"reason": "Breaks the rules."} if action != "dismiss" else {}), **fields}
    response = staff.post(f"/staff/cases/{case_id}/actions", json=body)
    assert response.status_code == status, response.text
    result: dict[str, Any] = response.json()
    return result


def reported_case(reporter: Api, staff: Api, target: str, target_id: str) -> str:
    report(reporter, target, target_id)
    return case_of(staff, target, target_id)


def notifications(api: Api, kind: str | None = None) -> list[dict[str, Any]]:
    response = api.get("/notifications")
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return [n for n in items if kind is None or n["kind"] == kind]


def ids(page: dict[str, Any]) -> list[str]:
    return [item["id"] for item in page["items"]]

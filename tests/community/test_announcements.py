"""Announcements: staff write them (permission announcements.manage, every write audited), members
see the ones in force and dismiss them one by one (decision 0058)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import Api
from tests.helpers import assert_error
from viewfinder.community.models import Announcement
from viewfinder.moderation.models import AuditEntry


def iso(delta: timedelta) -> str:
    return (datetime.now(UTC) + delta).isoformat()


def announce(staff: Api, text: str = "Hello, everyone", **fields: Any) -> dict[str, Any]:
    made = staff.post("/staff/announcements", json={"text": text, **fields})
    assert made.status_code == 201, made.text
    body: dict[str, Any] = made.json()
    return body


def texts(api: Api) -> list[str]:
    response = api.get("/announcements")
    assert response.status_code == 200, response.text
    return [item["text"] for item in response.json()["items"]]


async def audit_rows(db: AsyncSession, target_kind: str = "announcement") -> list[tuple[Any, ...]]:
    rows = await db.execute(
        select(
            AuditEntry.action, AuditEntry.actor_id, AuditEntry.target_id, AuditEntry.before, AuditEntry.after
        )
        .where(AuditEntry.target_kind == target_kind)
        .order_by(AuditEntry.id)
    )
    return [tuple(row) for row in rows]


async def test_staff_create_list_change_and_delete_each_audited(cora, db):
    cora_id = int(cora.me["profile"]["id"])
    starts, ends = iso(timedelta(hours=-1)), iso(timedelta(days=2))

    draft = announce(cora, "  Maintenance on Sunday  ")
    live = announce(cora, "Photo contest", starts_at=starts, ends_at=ends, published=True)

    assert draft["text"] == "Maintenance on Sunday"  # trimmed
    assert (draft["published"], draft["starts_at"], draft["ends_at"], draft["read"]) == (
        False,
        None,
        None,
        False,
    )
    assert isinstance(draft["id"], str)
    assert live["published"] is True
    assert datetime.fromisoformat(live["ends_at"]) == datetime.fromisoformat(ends)
    listed = cora.get("/staff/announcements").json()
    assert [item["id"] for item in listed["items"]] == [live["id"], draft["id"]]  # newest first, drafts too
    assert listed["next_cursor"] is None

    changed = cora.patch(f"/staff/announcements/{draft['id']}", json={"published": True, "ends_at": ends})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["published"], changed.json()["text"]) == (True, "Maintenance on Sunday")
    cleared = cora.patch(f"/staff/announcements/{live['id']}", json={"starts_at": None})
    assert cleared.json()["starts_at"] is None
    same = cora.patch(f"/staff/announcements/{live['id']}", json={"starts_at": None})
    assert same.status_code == 200  # nothing changed: not audited
    assert cora.delete(f"/staff/announcements/{draft['id']}").status_code == 204

    assert [item["id"] for item in cora.get("/staff/announcements").json()["items"]] == [live["id"]]
    rows = await audit_rows(db)
    assert [(action, actor, str(target)) for action, actor, target, _, _ in rows] == [
        ("announcement.created", cora_id, draft["id"]),
        ("announcement.created", cora_id, live["id"]),
        ("announcement.changed", cora_id, draft["id"]),
        ("announcement.changed", cora_id, live["id"]),
        ("announcement.deleted", cora_id, draft["id"]),
    ]
    created_after = rows[0][4]
    assert created_after == {
        "text": "Maintenance on Sunday",
        "starts_at": None,
        "ends_at": None,
        "published": False,
    }
    assert (rows[2][3]["published"], rows[2][4]["published"]) == (False, True)
    assert rows[3][3]["starts_at"] is not None
    assert rows[3][4]["starts_at"] is None
    assert rows[4][3]["text"] == "Maintenance on Sunday"
    assert rows[4][4] is None


def test_the_staff_list_pages_with_a_cursor(cora):
    made = [announce(cora, f"number {n}")["id"] for n in range(3)]

    first = cora.get("/staff/announcements", params={"limit": "2"}).json()
    second = cora.get("/staff/announcements", params={"limit": "2", "cursor": first["next_cursor"]}).json()

    assert [item["id"] for item in first["items"] + second["items"]] == made[::-1]
    assert second["next_cursor"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"text": ""}, "text"),
        ({"text": "   \n "}, "text"),
        ({"text": "x" * 1001}, "text"),
        (
            {"text": "ok", "starts_at": "2030-01-02T00:00:00+00:00", "ends_at": "2030-01-01T00:00:00+00:00"},
            "ends_at",
        ),
        (
            {"text": "ok", "starts_at": "2030-01-01T00:00:00+00:00", "ends_at": "2030-01-01T00:00:00+00:00"},
            "ends_at",
        ),
        ({"text": "ok", "ends_at": "2020-01-01T00:00:00+00:00"}, "ends_at"),
        ({"text": "ok", "ends_at": "2030-01-01T00:00:00"}, "ends_at"),  # no offset: which time zone?
        ({"text": "ok", "starts_at": "soon"}, "starts_at"),
    ],
)
async def test_bad_announcements_are_refused_and_write_nothing(cora, db, body, field):
    response = cora.post("/staff/announcements", json=body)

    assert_error(response, 400, "validation_error", [field])
    assert await db.scalar(select(Announcement.id)) is None
    assert await audit_rows(db) == []


async def test_a_change_is_checked_as_a_whole(cora, db):
    made = announce(cora, starts_at=iso(timedelta(days=1)), ends_at=iso(timedelta(days=3)))
    path = f"/staff/announcements/{made['id']}"

    assert_error(
        cora.patch(path, json={"ends_at": iso(timedelta(hours=1))}), 400, "validation_error", ["ends_at"]
    )
    assert_error(
        cora.patch(path, json={"ends_at": iso(timedelta(hours=-1))}), 400, "validation_error", ["ends_at"]
    )
    assert_error(cora.patch(path, json={"text": " "}), 400, "validation_error", ["text"])
    assert_error(cora.patch(path, json={"text": None}), 400, "validation_error")
    assert_error(cora.patch(path, json={"colour": "red"}), 400, "validation_error")
    assert [row[0] for row in await audit_rows(db)] == ["announcement.created"]
    # One that has already ended may still be changed in other ways (unpublished, reworded).
    await db.execute(
        update(Announcement)
        .where(Announcement.id == int(made["id"]))
        .values(starts_at=None, ends_at=datetime.now(UTC) - timedelta(minutes=1))
    )
    await db.commit()
    assert cora.patch(path, json={"text": "Over now"}).status_code == 200


def test_unknown_announcements_are_404(cora, alice):
    for path in ("/staff/announcements/123", "/staff/announcements/nope"):
        assert_error(cora.patch(path, json={"published": True}), 404, "not_found")
        assert_error(cora.delete(path), 404, "not_found")
    assert_error(alice.post("/announcements/123/read"), 404, "not_found")
    assert_error(alice.post("/announcements/nope/read"), 404, "not_found")


async def test_members_see_the_published_announcements_in_force_newest_first(cora, alice, anon, db):
    announce(cora, "a draft")
    announce(cora, "not yet", published=True, starts_at=iso(timedelta(hours=1)))
    ended = announce(cora, "ended", published=True, ends_at=iso(timedelta(hours=1)))
    announce(
        cora, "started", published=True, starts_at=iso(timedelta(minutes=-1)), ends_at=iso(timedelta(days=1))
    )
    announce(cora, "open-ended", published=True)
    await db.execute(
        update(Announcement)
        .where(Announcement.id == int(ended["id"]))
        .values(ends_at=datetime.now(UTC) - timedelta(seconds=1))
    )
    await db.commit()

    assert texts(alice) == ["open-ended", "started"]
    assert_error(anon.get("/announcements"), 401, "not_authenticated")
    # Unpublishing takes it away at once; so does deleting it.
    first = cora.get("/staff/announcements").json()["items"][0]
    assert cora.patch(f"/staff/announcements/{first['id']}", json={"published": False}).status_code == 200
    assert texts(alice) == ["started"]


def test_members_see_at_most_ten(cora, alice):
    for n in range(12):
        announce(cora, f"news {n}", published=True)

    assert texts(alice) == [f"news {n}" for n in range(11, 1, -1)]


def test_each_member_dismisses_for_themself(cora, alice, bob, anon):
    made = announce(cora, "read me", published=True)
    draft = announce(cora, "draft")
    future = announce(cora, "later", published=True, starts_at=iso(timedelta(hours=1)))

    assert alice.post(f"/announcements/{made['id']}/read").status_code == 204
    assert alice.post(f"/announcements/{made['id']}/read").status_code == 204  # again: no change

    assert [item["read"] for item in alice.get("/announcements").json()["items"]] == [True]
    assert [item["read"] for item in bob.get("/announcements").json()["items"]] == [False]
    assert all(item["read"] is False for item in cora.get("/staff/announcements").json()["items"])
    assert_error(alice.post(f"/announcements/{draft['id']}/read"), 404, "not_found")
    assert_error(alice.post(f"/announcements/{future['id']}/read"), 404, "not_found")
    assert_error(anon.post(f"/announcements/{made['id']}/read"), 401, "not_authenticated")
    # Deleting an announcement takes who read it with it.
    assert cora.delete(f"/staff/announcements/{made['id']}").status_code == 204
    assert alice.get("/announcements").json()["items"] == []


def test_members_cannot_write_announcements(alice):
    assert_error(alice.post("/staff/announcements", json={"text": "mine"}), 403, "forbidden")
    assert_error(alice.get("/staff/announcements"), 403, "forbidden")

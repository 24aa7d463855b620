"""Admins change the detection thresholds while the instance runs: the next comment, post or upload
is judged by the new values, a reset returns to the instance's settings, bad values change nothing,
and every change is audited. Who may call the routes is the staff matrix's (rules.manage)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import Api
from tests.detection.test_pdq_uploads import LIST, csv_line, photo, upload
from tests.detection.test_spam import HARD_NEGATIVE, spam_model_file  # noqa: F401 (a fixture)
from tests.helpers import assert_error, make_post
from tests.moderation.staff import make_staff
from viewfinder.detection import pdq
from viewfinder.detection.pdq_eval import transform
from viewfinder.detection.thresholds import CHANGED
from viewfinder.moderation.models import AuditEntry
from viewfinder.settings import Settings

PATH = "/staff/detection/thresholds"


@pytest.fixture
def settings(settings: Settings, spam_model_file: Path) -> Settings:  # noqa: F811
    """The test's settings, with the spam model."""
    return settings.model_copy(update={"spam_model_path": spam_model_file})


@pytest.fixture
async def admin(make_api: Any, db: AsyncSession) -> Api:
    return await make_staff(make_api, db, "ada", "admin")


def change(admin: Api, **values: float | None) -> dict[str, Any]:
    response = admin.patch(PATH, json=values)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_change_shows_beside_the_default_is_audited_and_a_reset_returns_to_it(
    admin: Api, settings: Settings, db: AsyncSession
) -> None:
    first = admin.get(PATH).json()
    assert first["values"] == first["defaults"]
    assert first["defaults"]["spam_hold_threshold"] == settings.spam_hold_threshold
    assert first["defaults"]["pdq_max_distance"] == settings.pdq_max_distance == 31
    assert first["changed_at"] is None

    changed = change(admin, spam_hold_threshold=0.9, pdq_max_distance=20)
    assert (changed["values"]["spam_hold_threshold"], changed["values"]["pdq_max_distance"]) == (0.9, 20)
    assert changed["defaults"] == first["defaults"]
    assert changed["changed_at"] is not None
    assert admin.get(PATH).json()["values"] == changed["values"]

    entry = (await db.scalars(select(AuditEntry).where(AuditEntry.action == CHANGED))).one()
    assert entry.before == {"spam_hold_threshold": settings.spam_hold_threshold, "pdq_max_distance": 31}
    assert entry.after == {"spam_hold_threshold": 0.9, "pdq_max_distance": 20}

    reset = change(admin, spam_hold_threshold=None)
    assert reset["values"]["spam_hold_threshold"] == settings.spam_hold_threshold
    assert reset["values"]["pdq_max_distance"] == 20  # left out: kept


def test_out_of_range_or_out_of_order_values_are_refused_and_change_nothing(admin: Api) -> None:
    before = admin.get(PATH).json()["values"]
    error = assert_error(
        admin.patch(PATH, json={"nsfw_hold_threshold": 1.5, "pdq_max_distance": 40, "pdq_min_quality": 50}),
        422,
        "invalid_thresholds",
        ["nsfw_hold_threshold", "pdq_max_distance"],
    )
    assert "pdq_min_quality" not in error["fields"]
    # A flag above the hold would hold what it never flagged.
    assert_error(
        admin.patch(PATH, json={"spam_flag_threshold": 0.9}),
        422,
        "invalid_thresholds",
        ["spam_hold_threshold"],
    )
    assert_error(
        admin.patch(PATH, json={"nsfw_sensitive_threshold": 0.99}),
        422,
        "invalid_thresholds",
        ["nsfw_hold_threshold"],
    )
    assert_error(
        admin.patch(PATH, json={"pdq_max_distance": 3.5}), 422, "invalid_thresholds", ["pdq_max_distance"]
    )
    assert admin.patch(PATH, json={"spam_threshold": 0.5}).status_code == 400  # no such threshold
    assert admin.get(PATH).json() == {"values": before, "defaults": before, "changed_at": None}


def test_the_next_comment_is_judged_by_the_new_spam_thresholds(admin: Api, alice: Api, bob: Api) -> None:
    post = make_post(alice, "my cat")
    fine = bob.post(f"/posts/{post['id']}/comments", json={"text": HARD_NEGATIVE})
    assert (fine.json()["held"], fine.json()["held_reason"]) == (False, None)

    change(admin, spam_flag_threshold=0.0, spam_hold_threshold=0.0)  # everything is spam now
    held = bob.post(f"/posts/{post['id']}/comments", json={"text": HARD_NEGATIVE + " again"})
    assert held.status_code == 201, held.text
    assert (held.json()["held"], held.json()["held_reason"]) == (True, "spam")

    change(admin, spam_flag_threshold=None, spam_hold_threshold=None)
    again = bob.post(f"/posts/{post['id']}/comments", json={"text": HARD_NEGATIVE + " once more"})
    assert again.json()["held"] is False


def test_the_next_post_is_judged_by_the_new_nudity_thresholds(admin: Api, alice: Api, bob: Api) -> None:
    assert make_post(alice, "plain")["sensitive"] is False
    change(admin, nsfw_sensitive_threshold=0.0)  # below any photo's score
    post = make_post(alice, "now sensitive")
    assert bob.get(f"/posts/{post['id']}").json()["sensitive"] is True
    change(admin, nsfw_sensitive_threshold=None)
    assert make_post(alice, "plain again")["sensitive"] is False


def test_the_next_upload_is_matched_at_the_new_distance(admin: Api, alice: Api) -> None:
    original = photo(7)
    listed = pdq.photo_hash(original, max_pixels=10**9)
    imported = admin.post(f"{LIST}/import", json={"source": "test list", "csv": csv_line(listed)})
    assert imported.status_code == 201, imported.text
    copy = transform(original, "colour_shift", 1)
    assert pdq.photo_hash(copy, max_pixels=10**9).hex != listed.hex  # near, not equal
    assert_error(upload(alice, copy), 451, "known_bad_media")

    change(admin, pdq_max_distance=0)  # exact hashes only
    assert upload(alice, copy).status_code in (201, 202)
    assert_error(upload(alice, original), 451, "known_bad_media")

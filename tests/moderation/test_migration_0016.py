"""Migration 0016 turns the open reports filed before cases existed into cases, one per target, as
filing them now would have."""

from __future__ import annotations

import importlib

from alembic.migration import MigrationContext
from alembic.operations import Operations

from tests.database import connect
from tests.helpers import make_post

MIGRATION = importlib.import_module("viewfinder.migrations.versions.0016_moderation_roles_cases_audit")

CASES = (
    "SELECT id, target_kind, target_id, target_owner_id, status, severity, reporters_count "
    "FROM moderation_cases ORDER BY id"
)


def test_open_reports_become_the_cases_filing_them_makes(alice, bob, carol, settings):
    post = make_post(alice)
    gone = make_post(alice, colour="blue")
    for api, target, target_id, reason in (
        (bob, "post", post["id"], "spam"),
        (carol, "post", post["id"], "violence"),
        (bob, "user", alice.me["profile"]["id"], "harassment"),
        (bob, "post", gone["id"], "nudity"),
    ):
        filed = api.post("/reports", json={"target": target, "target_id": target_id, "reason": reason})
        assert filed.status_code == 201, filed.text
    assert alice.delete(f"/posts/{gone['id']}").status_code == 204
    with connect(settings) as rows:
        made_by_filing = [row for row in rows.execute(CASES) if row[2] != int(gone["id"])]
        first_reports = dict(rows.execute("SELECT case_id, min(id) FROM reports GROUP BY case_id"))
        # As before 0016: no case, no link.
        rows.execute("UPDATE reports SET case_id = NULL")
        rows.execute("DELETE FROM moderation_cases")

        with Operations.context(MigrationContext.configure(rows.connection)):
            MIGRATION._open_reports_become_cases()

        migrated = rows.execute(CASES)
        linked = rows.execute("SELECT count(*) FROM reports WHERE case_id IS NOT NULL")
        keys = rows.execute("SELECT priority_key FROM moderation_cases ORDER BY priority_key DESC")
    # The deleted post's report stays without a case; the others are grouped as filing grouped them,
    # each case named after its first report.
    assert migrated == [(first_reports[row[0]], *row[1:]) for row in made_by_filing]
    assert linked == [(3,)]
    assert len(keys) == 2

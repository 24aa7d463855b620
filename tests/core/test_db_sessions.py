"""Every request gives its database connection back, including requests that authentication refuses."""

from __future__ import annotations

from tests.helpers import assert_error


def test_refused_and_successful_requests_leave_no_connection_checked_out(app, alice, anon):
    pool = app.state.engine.sync_engine.pool

    assert alice.get("/accounts/me").status_code == 200
    # Refused by a dependency after the session has read the database (session, then CSRF).
    assert_error(
        alice.patch("/accounts/me", json={"bio": "x"}, headers={"x-csrf-token": "wrong"}), 403, "csrf_failed"
    )
    assert_error(anon.get("/accounts/me", headers={"authorization": "Bearer vf_nope"}), 401, "invalid_token")
    assert_error(anon.get("/accounts/me"), 401, "not_authenticated")
    # Refused by the handler's service.
    assert_error(alice.post("/users/alice/follow"), 400, "cannot_follow_self")

    assert pool.checkedout() == 0

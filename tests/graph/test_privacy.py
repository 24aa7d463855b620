"""Who may see what: private accounts' lists, blocks (each side sees the other as gone) and mutes.

Every response in this file is also checked for email addresses: one only ever appears in the
owner's own /accounts/me.
"""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import Api
from viewfinder.app import API_PREFIX

NO_RELATIONSHIP = {
    "following": False,
    "requested": False,
    "followed_by": False,
    "blocking": False,
    "muting": False,
}
LISTS = ("followers", "following")


@pytest.fixture(autouse=True)
def no_email_leaks(alice, bob, carol, anon):
    """Fails a test if any response shows an email address other than one's own on /accounts/me."""
    checked = []

    def watch(api: Api) -> None:
        def check(response: httpx.Response) -> None:
            response.read()
            body = response.text
            if response.request.url.path == API_PREFIX + "/accounts/me" and api.username:
                body = body.replace(f'"{api.username}@example.com"', "")
            assert "@example.com" not in body, f"{response.request.url.path} leaks an email: {body[:300]}"
            checked.append(response.request.url.path)

        api.client.event_hooks["response"].append(check)

    for api in (alice, bob, carol, anon):
        watch(api)
    yield
    assert checked


def make_private(api: Api) -> None:
    assert api.patch("/accounts/me", json={"is_private": True}).status_code == 200


def usernames(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [user["username"] for user in response.json()["items"]]


def counts(api: Api, username: str) -> tuple[int, int]:
    profile = api.get(f"/users/{username}").json()
    return profile["followers_count"], profile["following_count"]


def assert_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code


# Private accounts


def test_private_lists_are_only_for_the_owner_and_approved_followers(alice, bob, carol, anon, make_api):
    dave = make_api().signup("dave")
    make_private(alice)
    alice.post("/users/dave/follow")
    bob.post("/users/alice/follow")
    alice.post("/accounts/follow-requests/bob/approve")
    carol.post("/users/alice/follow")  # left pending

    for name in LISTS:
        for outsider in (anon, dave, carol):
            assert_error(outsider.get(f"/users/alice/{name}"), 403, "private_account")
    assert usernames(bob.get("/users/alice/followers")) == ["bob"]
    assert usernames(bob.get("/users/alice/following")) == ["dave"]
    assert usernames(alice.get("/users/alice/followers")) == ["bob"]
    assert usernames(alice.get("/users/alice/following")) == ["dave"]


def test_private_profile_itself_stays_visible(alice, bob, anon):
    bob.post("/users/alice/follow")
    alice.patch("/accounts/me", json={"bio": "Photos of clouds", "is_private": True})

    for viewer in (anon, bob):
        profile = viewer.get("/users/alice").json()
        assert profile["bio"] == "Photos of clouds"
        assert profile["is_private"] is True
        assert (profile["followers_count"], profile["following_count"]) == (1, 0)


def test_a_private_account_appears_in_public_lists_without_opening_its_own(alice, bob, carol):
    make_private(bob)
    bob.post("/users/alice/follow")

    assert usernames(carol.get("/users/alice/followers")) == ["bob"]
    assert carol.get("/users/alice/followers").json()["items"][0]["is_private"] is True
    assert_error(carol.get("/users/bob/following"), 403, "private_account")


# Blocks


def test_blocked_pair_see_each_other_as_not_existing(alice, bob, carol):
    nobody = bob.get("/users/nobody").json()

    assert alice.post("/users/bob/block").status_code == 204

    for viewer, other in ((alice, "bob"), (bob, "alice")):
        for path in (f"/users/{other}", f"/users/{other}/followers", f"/users/{other}/following"):
            assert_error(viewer.get(path), 404, "not_found")
        assert_error(viewer.post(f"/users/{other}/follow"), 404, "not_found")
        assert_error(viewer.post(f"/users/{other}/mute"), 404, "not_found")
    assert bob.get("/users/alice").json() == nobody
    assert carol.get("/users/alice").status_code == 200
    assert carol.get("/users/bob").status_code == 200


def test_blocking_ends_follows_both_ways_with_counts_corrected(alice, bob, carol):
    alice.post("/users/bob/follow")
    bob.post("/users/alice/follow")
    carol.post("/users/alice/follow")
    carol.post("/users/bob/follow")

    alice.post("/users/bob/block")

    assert counts(carol, "alice") == (1, 0)
    assert counts(carol, "bob") == (1, 0)
    assert usernames(carol.get("/users/alice/followers")) == ["carol"]
    assert usernames(carol.get("/users/bob/followers")) == ["carol"]
    assert alice.get("/accounts/me").json()["profile"]["following_count"] == 0
    assert bob.get("/accounts/me").json()["profile"]["following_count"] == 0


def test_blocking_ends_pending_requests_both_ways(alice, bob):
    make_private(alice)
    make_private(bob)
    assert alice.post("/users/bob/follow").json() == {"state": "requested"}
    assert bob.post("/users/alice/follow").json() == {"state": "requested"}

    alice.post("/users/bob/block")
    alice.delete("/users/bob/block")

    assert usernames(alice.get("/accounts/follow-requests")) == []
    assert usernames(bob.get("/accounts/follow-requests")) == []
    assert alice.get("/users/bob").json()["relationship"] == NO_RELATIONSHIP
    assert counts(alice, "bob") == (0, 0)


def test_blocked_accounts_vanish_from_third_party_lists_for_the_pair_only(alice, bob, carol, anon):
    for viewer, other in ((carol, "alice"), (carol, "bob"), (alice, "carol"), (bob, "carol")):
        viewer.post(f"/users/{other}/follow")

    alice.post("/users/bob/block")

    assert usernames(bob.get("/users/carol/followers")) == ["bob"]
    assert usernames(bob.get("/users/carol/following")) == ["bob"]
    assert usernames(alice.get("/users/carol/followers")) == ["alice"]
    assert usernames(alice.get("/users/carol/following")) == ["alice"]
    for viewer in (carol, anon):
        assert usernames(viewer.get("/users/carol/followers")) == ["bob", "alice"]
        assert usernames(viewer.get("/users/carol/following")) == ["bob", "alice"]


def test_unblocking_restores_visibility_but_not_follows(alice, bob, carol):
    bob.post("/users/alice/follow")
    carol.post("/users/alice/follow")
    alice.post("/users/bob/block")

    assert alice.delete("/users/bob/block").status_code == 204

    assert bob.get("/users/alice").json()["relationship"] == NO_RELATIONSHIP
    assert alice.get("/users/bob").json()["relationship"] == NO_RELATIONSHIP
    assert usernames(bob.get("/users/alice/followers")) == ["carol"]
    assert counts(bob, "alice") == (1, 0)


def test_blocker_finds_blocked_accounts_in_their_list_and_can_unblock(alice, bob, carol):
    alice.post("/users/carol/block")
    alice.post("/users/bob/block")
    assert alice.post("/users/bob/block").status_code == 204  # again: no change

    items = alice.get("/accounts/blocked").json()["items"]

    assert [u["username"] for u in items] == ["bob", "carol"]
    assert all(u["relationship"] == {**NO_RELATIONSHIP, "blocking": True} for u in items)
    assert alice.delete("/users/bob/block").status_code == 204
    assert usernames(alice.get("/accounts/blocked")) == ["carol"]
    assert usernames(bob.get("/accounts/blocked")) == []


def test_blocked_account_has_nothing_in_its_own_blocked_list(alice, bob):
    alice.post("/users/bob/block")

    assert usernames(bob.get("/accounts/blocked")) == []
    assert usernames(bob.get("/accounts/muted")) == []


# Mutes


def test_muted_account_is_listed_and_flagged_for_the_muter(alice, bob, carol):
    alice.post("/users/carol/mute")
    assert alice.post("/users/bob/mute").status_code == 204
    assert alice.post("/users/bob/mute").status_code == 204

    items = alice.get("/accounts/muted").json()["items"]

    assert [u["username"] for u in items] == ["bob", "carol"]
    assert items[0]["relationship"] == {**NO_RELATIONSHIP, "muting": True}
    assert alice.get("/users/bob").json()["relationship"]["muting"] is True


def test_muted_account_is_not_told(alice, bob):
    bob.post("/users/alice/follow")

    alice.post("/users/bob/mute")

    assert bob.get("/users/alice").json()["relationship"] == {**NO_RELATIONSHIP, "following": True}
    follower = alice.get("/users/alice/followers").json()["items"][0]
    assert follower["relationship"] == {**NO_RELATIONSHIP, "followed_by": True, "muting": True}
    followed = bob.get("/users/bob/following").json()["items"][0]
    assert followed["relationship"] == {**NO_RELATIONSHIP, "following": True}
    assert usernames(bob.get("/accounts/muted")) == []


def test_muting_leaves_follows_unchanged_and_unmuting_undoes_it(alice, bob):
    alice.post("/users/bob/follow")
    bob.post("/users/alice/follow")

    alice.post("/users/bob/mute")

    assert counts(alice, "bob") == (1, 1)
    assert usernames(alice.get("/users/bob/followers")) == ["alice"]
    assert alice.delete("/users/bob/mute").status_code == 204
    assert usernames(alice.get("/accounts/muted")) == []
    assert alice.get("/users/bob").json()["relationship"] == {
        **NO_RELATIONSHIP,
        "following": True,
        "followed_by": True,
    }


@pytest.mark.parametrize(("action", "code"), [("block", "cannot_block_self"), ("mute", "cannot_mute_self")])
def test_blocking_or_muting_yourself_is_refused(alice, action, code):
    assert_error(alice.post(f"/users/alice/{action}"), 400, code)

    assert usernames(alice.get(f"/accounts/{action}ed" if action == "block" else "/accounts/muted")) == []
    assert alice.get("/users/alice").status_code == 200


@pytest.mark.parametrize("action", ["block", "mute"])
def test_blocking_or_muting_an_unknown_account_is_not_found(alice, action):
    assert_error(alice.post(f"/users/nobody/{action}"), 404, "not_found")
    assert_error(alice.delete(f"/users/nobody/{action}"), 404, "not_found")


def test_anonymous_visitors_cannot_block_or_mute(alice, anon):
    for action in ("block", "mute"):
        for method in (anon.post, anon.delete):
            assert_error(method(f"/users/alice/{action}"), 401, "not_authenticated")
    assert_error(anon.get("/accounts/blocked"), 401, "not_authenticated")
    assert_error(anon.get("/accounts/muted"), 401, "not_authenticated")


def test_blocked_account_cannot_detect_the_block_by_blocking_back(alice, bob):
    assert alice.post("/users/bob/block").status_code == 204

    for method in (bob.post, bob.delete):
        response = method("/users/alice/block")
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    # Alice's block still stands and she can lift it.
    assert bob.get("/users/alice").status_code == 404
    assert alice.delete("/users/bob/block").status_code == 204
    assert bob.get("/users/alice").status_code == 200

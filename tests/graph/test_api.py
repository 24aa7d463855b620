"""The social-graph API: follow and unfollow, follow requests, relationship flags and paginated lists."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import Api
from tests.graph import follow_all, get_user, make_users

NO_RELATIONSHIP = {
    "following": False,
    "requested": False,
    "followed_by": False,
    "blocking": False,
    "muting": False,
}


def counts(api: Api, username: str) -> tuple[int, int]:
    profile = api.get(f"/users/{username}").json()
    return profile["followers_count"], profile["following_count"]


def usernames(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [user["username"] for user in response.json()["items"]]


def make_private(api: Api) -> None:
    response = api.patch("/accounts/me", json={"is_private": True})
    assert response.status_code == 200, response.text


def relationship(api: Api, username: str) -> Any:
    """The viewer's relationship flags on that profile (None when anonymous or for oneself)."""
    response = api.get(f"/users/{username}")
    assert response.status_code == 200, response.text
    return response.json()["relationship"]


# Following public accounts


def test_following_a_public_account_counts_on_both_profiles(alice, bob, anon):
    response = bob.post("/users/alice/follow")

    assert response.status_code == 200
    assert response.json() == {"state": "following"}
    assert counts(anon, "alice") == (1, 0)
    assert counts(anon, "bob") == (0, 1)
    assert relationship(bob, "alice") == {**NO_RELATIONSHIP, "following": True}
    assert relationship(alice, "bob") == {**NO_RELATIONSHIP, "followed_by": True}


def test_following_again_changes_nothing(alice, bob, anon):
    bob.post("/users/alice/follow")

    assert bob.post("/users/alice/follow").json() == {"state": "following"}

    assert counts(anon, "alice") == (1, 0)
    assert counts(anon, "bob") == (0, 1)
    assert usernames(anon.get("/users/alice/followers")) == ["bob"]


def test_unfollowing_puts_counts_back(alice, bob, anon):
    bob.post("/users/alice/follow")

    response = bob.delete("/users/alice/follow")

    assert response.status_code == 200
    assert response.json() == {"state": "none"}
    assert counts(anon, "alice") == (0, 0)
    assert counts(anon, "bob") == (0, 0)
    assert usernames(anon.get("/users/alice/followers")) == []


def test_unfollowing_someone_you_do_not_follow_is_harmless(alice, bob, carol, anon):
    carol.post("/users/alice/follow")

    response = bob.delete("/users/alice/follow")

    assert response.status_code == 200
    assert response.json() == {"state": "none"}
    assert counts(anon, "alice") == (1, 0)
    assert counts(anon, "bob") == (0, 0)


def test_following_yourself_is_refused(alice):
    response = alice.post("/users/alice/follow")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "cannot_follow_self"
    assert counts(alice, "alice") == (0, 0)


def test_usernames_in_paths_are_case_insensitive(alice, bob):
    assert bob.post("/users/ALICE/follow").json() == {"state": "following"}
    assert usernames(bob.get("/users/Alice/followers")) == ["bob"]


def test_following_an_unknown_account_is_not_found(alice):
    response = alice.post("/users/nobody/follow")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_anonymous_visitors_cannot_follow(alice, anon):
    for method in (anon.post, anon.delete):
        response = method("/users/alice/follow")
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "not_authenticated"
    assert counts(anon, "alice") == (0, 0)


# Private accounts and follow requests


def test_following_a_private_account_sends_a_request_without_counting(alice, bob, anon):
    make_private(alice)

    response = bob.post("/users/alice/follow")

    assert response.status_code == 200
    assert response.json() == {"state": "requested"}
    assert bob.post("/users/alice/follow").json() == {"state": "requested"}
    assert counts(anon, "alice") == (0, 0)
    assert counts(anon, "bob") == (0, 0)
    assert usernames(alice.get("/accounts/follow-requests")) == ["bob"]
    assert relationship(bob, "alice") == {**NO_RELATIONSHIP, "requested": True}


def test_approving_a_request_makes_a_follower(alice, bob, anon):
    make_private(alice)
    bob.post("/users/alice/follow")

    response = alice.post("/accounts/follow-requests/bob/approve")

    assert response.status_code == 204
    assert usernames(alice.get("/accounts/follow-requests")) == []
    assert counts(anon, "alice") == (1, 0)
    assert counts(anon, "bob") == (0, 1)
    assert relationship(bob, "alice") == {**NO_RELATIONSHIP, "following": True}
    assert bob.post("/users/alice/follow").json() == {"state": "following"}


def test_declining_a_request_leaves_no_follow(alice, bob, anon):
    make_private(alice)
    bob.post("/users/alice/follow")

    response = alice.post("/accounts/follow-requests/bob/decline")

    assert response.status_code == 204
    assert usernames(alice.get("/accounts/follow-requests")) == []
    assert counts(anon, "alice") == (0, 0)
    assert relationship(bob, "alice") == NO_RELATIONSHIP


def test_requester_can_cancel_a_pending_request(alice, bob, carol):
    make_private(alice)
    bob.post("/users/alice/follow")
    carol.post("/users/alice/follow")

    response = bob.delete("/users/alice/follow")

    assert response.status_code == 200
    assert response.json() == {"state": "none"}
    assert usernames(alice.get("/accounts/follow-requests")) == ["carol"]
    assert relationship(bob, "alice") == NO_RELATIONSHIP
    assert alice.post("/accounts/follow-requests/bob/approve").status_code == 404


@pytest.mark.parametrize("answer", ["approve", "decline"])
def test_answering_a_request_nobody_made_is_not_found(alice, bob, answer):
    make_private(alice)

    response = alice.post(f"/accounts/follow-requests/bob/{answer}")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert alice.post(f"/accounts/follow-requests/nobody/{answer}").status_code == 404
    assert counts(alice, "alice") == (0, 0)


def test_follow_requests_are_listed_newest_first_with_relationships(alice, bob, carol):
    make_private(alice)
    alice.post("/users/carol/follow")
    bob.post("/users/alice/follow")
    carol.post("/users/alice/follow")

    items = alice.get("/accounts/follow-requests").json()["items"]

    assert [u["username"] for u in items] == ["carol", "bob"]
    assert items[0]["relationship"] == {**NO_RELATIONSHIP, "following": True}
    assert items[1]["relationship"] == NO_RELATIONSHIP


def test_going_public_approves_every_pending_request(alice, bob, carol, anon):
    make_private(alice)
    bob.post("/users/alice/follow")
    carol.post("/users/alice/follow")

    response = alice.patch("/accounts/me", json={"is_private": False})

    assert response.status_code == 200
    assert response.json()["profile"]["followers_count"] == 2
    assert usernames(alice.get("/accounts/follow-requests")) == []
    assert usernames(anon.get("/users/alice/followers")) == ["carol", "bob"]
    assert counts(anon, "alice") == (2, 0)
    assert counts(anon, "bob") == (0, 1)
    assert relationship(carol, "alice") == {**NO_RELATIONSHIP, "following": True}


def test_relationship_is_null_for_anonymous_visitors_and_for_oneself(alice, bob, anon):
    bob.post("/users/alice/follow")

    assert relationship(anon, "alice") is None
    assert relationship(alice, "alice") is None
    assert all(item["relationship"] is None for item in anon.get("/users/alice/followers").json()["items"])
    assert bob.get("/users/alice/followers").json()["items"][0]["relationship"] is None


def test_relationship_flags_describe_the_viewer_side(alice, bob, carol):
    alice.post("/users/bob/follow")
    bob.post("/users/alice/follow")
    alice.post("/users/carol/mute")
    make_private(carol)
    bob.post("/users/carol/follow")

    assert relationship(alice, "bob") == {**NO_RELATIONSHIP, "following": True, "followed_by": True}
    assert relationship(alice, "carol") == {**NO_RELATIONSHIP, "muting": True}
    assert relationship(bob, "carol") == {**NO_RELATIONSHIP, "requested": True}
    assert relationship(carol, "bob") == NO_RELATIONSHIP
    assert relationship(carol, "alice") == NO_RELATIONSHIP


def test_two_new_accounts_connect_through_an_approved_request(make_api):
    """The scenario from the issue: sign up, go private, request, approve, see it in both lists."""
    writer = make_api().signup("writer")
    reader = make_api().signup("reader")
    make_private(writer)

    assert reader.post("/users/writer/follow").json() == {"state": "requested"}
    assert usernames(writer.get("/accounts/follow-requests")) == ["reader"]
    assert writer.post("/accounts/follow-requests/reader/approve").status_code == 204

    assert usernames(reader.get("/users/writer/followers")) == ["reader"]
    assert usernames(writer.get("/users/writer/followers")) == ["reader"]
    assert usernames(reader.get("/users/reader/following")) == ["writer"]
    assert usernames(writer.get("/users/reader/following")) == ["writer"]
    assert reader.get("/users/writer").json()["followers_count"] == 1
    assert writer.get("/users/reader").json()["following_count"] == 1
    assert writer.get("/accounts/me").json()["profile"]["followers_count"] == 1


# Lists


def test_lists_are_newest_first(alice, bob, carol, anon):
    bob.post("/users/alice/follow")
    carol.post("/users/alice/follow")
    alice.post("/users/carol/follow")
    alice.post("/users/bob/follow")

    assert usernames(anon.get("/users/alice/followers")) == ["carol", "bob"]
    assert usernames(anon.get("/users/alice/following")) == ["bob", "carol"]
    assert usernames(anon.get("/users/bob/following")) == ["alice"]
    assert anon.get("/users/alice/followers").json()["next_cursor"] is None


def test_list_items_carry_the_viewer_relationship(alice, bob, carol):
    bob.post("/users/alice/follow")
    carol.post("/users/alice/follow")
    bob.post("/users/carol/follow")

    items = {u["username"]: u for u in bob.get("/users/alice/followers").json()["items"]}

    assert items["carol"]["relationship"] == {**NO_RELATIONSHIP, "following": True}
    assert items["bob"]["relationship"] is None
    assert set(items["carol"]) == {
        "id",
        "username",
        "display_name",
        "avatar_url",
        "is_private",
        "relationship",
    }


async def test_cursor_pages_through_followers_without_duplicates(db, alice, anon):
    fans = await make_users(db, [f"fan{i:02d}" for i in range(25)])
    await follow_all(db, fans, await get_user(db, "alice"))

    pages: list[list[str]] = []
    cursor = None
    for _ in range(5):
        params: dict[str, str | int] = {"limit": 10}
        if cursor is not None:
            params["cursor"] = cursor
        body = anon.get("/users/alice/followers", params=params).json()
        pages.append([u["username"] for u in body["items"]])
        cursor = body["next_cursor"]
        if cursor is None:
            break

    assert [len(page) for page in pages] == [10, 10, 5]
    seen = [name for page in pages for name in page]
    assert seen == [f"fan{i:02d}" for i in reversed(range(25))]
    assert counts(anon, "alice") == (25, 0)


async def test_a_full_last_page_ends_with_a_null_cursor(db, alice, anon):
    fans = await make_users(db, [f"fan{i}" for i in range(4)])
    await follow_all(db, fans, await get_user(db, "alice"))

    first = anon.get("/users/alice/followers", params={"limit": 2}).json()
    second = anon.get("/users/alice/followers", params={"limit": 2, "cursor": first["next_cursor"]}).json()

    assert [u["username"] for u in second["items"]] == ["fan1", "fan0"]
    assert second["next_cursor"] is None


async def test_a_cursor_only_works_for_the_list_it_came_from(db, alice, bob, anon):
    fans = await make_users(db, ["fan0", "fan1"])
    await follow_all(db, fans, await get_user(db, "alice"))
    await follow_all(db, fans, await get_user(db, "bob"))
    cursor = anon.get("/users/alice/followers", params={"limit": 1}).json()["next_cursor"]
    assert cursor

    for path in ("/users/bob/followers", "/users/alice/following", "/users/alice/followers"):
        tampered = path.endswith("alice/followers")
        response = anon.get(path, params={"cursor": cursor[:-2] + "AA" if tampered else cursor})
        assert response.status_code == 400, path
        assert response.json()["error"]["code"] == "invalid_cursor"


@pytest.mark.parametrize("limit", ["0", "101", "-1", "ten"])
def test_page_size_outside_one_to_a_hundred_is_refused(alice, anon, limit):
    response = anon.get("/users/alice/followers", params={"limit": limit})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert "limit" in response.json()["error"]["fields"]


def test_removing_a_follower_ends_their_follow(alice, bob, carol, anon):
    bob.post("/users/alice/follow")
    carol.post("/users/alice/follow")

    response = alice.delete("/accounts/followers/bob")

    assert response.status_code == 204
    assert usernames(anon.get("/users/alice/followers")) == ["carol"]
    assert usernames(anon.get("/users/bob/following")) == []
    assert counts(anon, "alice") == (1, 0)
    assert counts(anon, "bob") == (0, 0)
    assert relationship(bob, "alice") == NO_RELATIONSHIP
    assert alice.delete("/accounts/followers/bob").status_code == 204
    assert alice.delete("/accounts/followers/nobody").status_code == 404


def test_removed_follower_of_a_private_account_must_ask_again(alice, bob):
    make_private(alice)
    bob.post("/users/alice/follow")
    alice.post("/accounts/follow-requests/bob/approve")

    alice.delete("/accounts/followers/bob")

    assert bob.get("/users/alice/followers").status_code == 403
    assert bob.post("/users/alice/follow").json() == {"state": "requested"}

"""The social graph's services: follows, requests, blocks and mutes, and the counts that move with them."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import PASSWORD
from viewfinder import policy
from viewfinder.accounts.models import User
from viewfinder.accounts.services import ProfileChanges, signup, update_profile
from viewfinder.core.errors import ApiError
from viewfinder.graph import services as graph
from viewfinder.graph.models import Block, Follow, FollowRequest, Mute
from viewfinder.graph.services import FollowState


async def _signup(db: AsyncSession, username: str, *, private: bool = False) -> User:
    user = await signup(db, username=username, email=f"{username}@example.com", password=PASSWORD)
    if private:
        await update_profile(db, user, ProfileChanges(is_private=True))
    return user


async def _counts(db: AsyncSession, user: User) -> tuple[int, int]:
    """(followers, following) as stored now."""
    await db.refresh(user)
    return user.followers_count, user.following_count


async def _rows(
    db: AsyncSession, model: type[Follow] | type[FollowRequest] | type[Block] | type[Mute]
) -> int:
    return int(await db.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
async def alice(db: AsyncSession) -> User:
    return await _signup(db, "alice")


@pytest.fixture
async def bob(db: AsyncSession) -> User:
    return await _signup(db, "bob")


async def test_following_a_public_account_moves_both_counts_once(db, alice, bob):
    assert await graph.follow(db, bob, alice) == FollowState.FOLLOWING
    assert await graph.follow(db, bob, alice) == FollowState.FOLLOWING

    assert await _counts(db, alice) == (1, 0)
    assert await _counts(db, bob) == (0, 1)
    assert await _rows(db, Follow) == 1
    assert await graph.is_following(db, bob.id, alice.id)
    assert not await graph.is_following(db, alice.id, bob.id)


async def test_unfollowing_restores_counts_and_repeating_is_harmless(db, alice, bob):
    await graph.follow(db, bob, alice)

    assert await graph.unfollow(db, bob, alice) == FollowState.NONE
    assert await graph.unfollow(db, bob, alice) == FollowState.NONE

    assert await _counts(db, alice) == (0, 0)
    assert await _counts(db, bob) == (0, 0)


async def test_following_yourself_is_refused(db, alice):
    with pytest.raises(ApiError) as refused:
        await graph.follow(db, alice, alice)

    assert (refused.value.status_code, refused.value.code) == (400, "cannot_follow_self")
    assert await _counts(db, alice) == (0, 0)


async def test_following_a_private_account_makes_one_pending_request(db, bob):
    alice = await _signup(db, "alice", private=True)

    assert await graph.follow(db, bob, alice) == FollowState.REQUESTED
    assert await graph.follow(db, bob, alice) == FollowState.REQUESTED

    assert await _rows(db, FollowRequest) == 1
    assert await _rows(db, Follow) == 0
    assert await _counts(db, alice) == (0, 0)


async def test_approving_a_request_makes_a_follower(db, bob):
    alice = await _signup(db, "alice", private=True)
    await graph.follow(db, bob, alice)

    await graph.approve_request(db, alice, bob)

    assert await graph.is_following(db, bob.id, alice.id)
    assert await _rows(db, FollowRequest) == 0
    assert await _counts(db, alice) == (1, 0)
    assert await _counts(db, bob) == (0, 1)
    assert await graph.follow(db, bob, alice) == FollowState.FOLLOWING


async def test_answering_a_request_that_does_not_exist_is_not_found(db, alice, bob):
    for answer in (graph.approve_request, graph.decline_request):
        with pytest.raises(ApiError) as refused:
            await answer(db, alice, bob)
        assert refused.value.status_code == 404
    assert await _rows(db, Follow) == 0


async def test_declining_a_request_leaves_no_follow(db, bob):
    alice = await _signup(db, "alice", private=True)
    await graph.follow(db, bob, alice)

    await graph.decline_request(db, alice, bob)

    assert await _rows(db, FollowRequest) == 0
    assert not await graph.is_following(db, bob.id, alice.id)
    assert await _counts(db, alice) == (0, 0)


async def test_unfollowing_withdraws_a_pending_request(db, bob):
    alice = await _signup(db, "alice", private=True)
    await graph.follow(db, bob, alice)

    assert await graph.unfollow(db, bob, alice) == FollowState.NONE

    assert await _rows(db, FollowRequest) == 0
    with pytest.raises(ApiError):
        await graph.approve_request(db, alice, bob)


async def test_going_public_turns_every_pending_request_into_a_follower(db, bob):
    alice = await _signup(db, "alice", private=True)
    carol = await _signup(db, "carol")
    await graph.follow(db, bob, alice)
    await graph.follow(db, carol, alice)

    await update_profile(db, alice, ProfileChanges(is_private=False))

    assert await _rows(db, FollowRequest) == 0
    assert await graph.is_following(db, bob.id, alice.id)
    assert await graph.is_following(db, carol.id, alice.id)
    assert await _counts(db, alice) == (2, 0)
    assert await _counts(db, carol) == (0, 1)


async def test_going_private_keeps_existing_followers(db, alice, bob):
    await graph.follow(db, bob, alice)

    await update_profile(db, alice, ProfileChanges(is_private=True))

    assert await graph.follow(db, bob, alice) == FollowState.FOLLOWING
    assert await policy.may_see_connections(db, bob, alice)
    assert await _counts(db, alice) == (1, 0)


async def test_private_connections_are_open_to_owner_and_followers_only(db, bob):
    alice = await _signup(db, "alice", private=True)
    carol = await _signup(db, "carol")
    await graph.follow(db, bob, alice)
    await graph.approve_request(db, alice, bob)
    await graph.follow(db, carol, alice)  # still pending

    assert await policy.may_see_connections(db, alice, alice)
    assert await policy.may_see_connections(db, bob, alice)
    assert not await policy.may_see_connections(db, carol, alice)
    assert not await policy.may_see_connections(db, None, alice)
    assert await policy.may_see_connections(db, None, bob)


async def test_removing_a_follower_moves_counts_back(db, alice, bob):
    await graph.follow(db, bob, alice)

    await graph.remove_follower(db, alice, bob)
    await graph.remove_follower(db, alice, bob)

    assert not await graph.is_following(db, bob.id, alice.id)
    assert await _counts(db, alice) == (0, 0)
    assert await _counts(db, bob) == (0, 0)


async def test_blocking_ends_follows_both_ways_with_counts_corrected(db, alice, bob):
    carol = await _signup(db, "carol")
    await graph.follow(db, bob, alice)
    await graph.follow(db, alice, bob)
    await graph.follow(db, carol, alice)

    await graph.block(db, alice, bob)
    await graph.block(db, alice, bob)

    assert await _rows(db, Block) == 1
    assert not await graph.is_following(db, bob.id, alice.id)
    assert not await graph.is_following(db, alice.id, bob.id)
    assert await _counts(db, alice) == (1, 0)
    assert await _counts(db, bob) == (0, 0)


async def test_blocking_ends_pending_requests_both_ways(db):
    alice = await _signup(db, "alice", private=True)
    bob = await _signup(db, "bob", private=True)
    await graph.follow(db, bob, alice)
    await graph.follow(db, alice, bob)

    await graph.block(db, bob, alice)

    assert await _rows(db, FollowRequest) == 0


async def test_blocked_pair_cannot_find_each_other_but_blocker_can_unblock(db, alice, bob):
    await graph.block(db, alice, bob)

    for viewer, name in ((alice, "bob"), (bob, "alice")):
        with pytest.raises(ApiError) as hidden:
            await graph.find_visible_user(db, name, viewer)
        assert hidden.value.status_code == 404
    assert (await graph.find_visible_user(db, "bob", None)).id == bob.id
    assert (await graph.find_block_target(db, "bob", alice)).id == bob.id
    # The blocked account cannot learn of the block by trying to block back.
    with pytest.raises(ApiError) as hidden_block:
        await graph.find_block_target(db, "alice", bob)
    assert hidden_block.value.status_code == 404

    await graph.unblock(db, alice, bob)

    assert (await graph.find_visible_user(db, "bob", alice)).id == bob.id
    assert not await graph.is_following(db, alice.id, bob.id)


async def test_blocking_or_muting_yourself_is_refused(db, alice):
    for action, code in ((graph.block, "cannot_block_self"), (graph.mute, "cannot_mute_self")):
        with pytest.raises(ApiError) as refused:
            await action(db, alice, alice)
        assert (refused.value.status_code, refused.value.code) == (400, code)
    assert await _rows(db, Block) == 0
    assert await _rows(db, Mute) == 0


async def test_muting_is_idempotent_and_leaves_follows_alone(db, alice, bob):
    await graph.follow(db, alice, bob)

    await graph.mute(db, alice, bob)
    await graph.mute(db, alice, bob)

    assert await _rows(db, Mute) == 1
    assert await graph.is_following(db, alice.id, bob.id)
    await graph.unmute(db, alice, bob)
    assert await _rows(db, Mute) == 0
    assert await _counts(db, bob) == (1, 0)


async def test_relationships_are_seen_from_the_viewer_side_only(db, alice, bob):
    carol = await _signup(db, "carol", private=True)
    dave = await _signup(db, "dave")
    await graph.follow(db, alice, bob)
    await graph.follow(db, bob, alice)
    await graph.follow(db, alice, carol)
    await graph.block(db, alice, dave)
    await graph.mute(db, alice, bob)

    seen = await graph.relationships(db, alice, [bob.id, carol.id, dave.id])
    assert seen[bob.id] == graph.Relationship(following=True, followed_by=True, muting=True)
    assert seen[carol.id] == graph.Relationship(requested=True)
    assert seen[dave.id] == graph.Relationship(blocking=True)

    from_bob = await graph.relationships(db, bob, [alice.id])
    assert from_bob[alice.id] == graph.Relationship(following=True, followed_by=True)
    anonymous = await graph.relationships(db, None, [bob.id])
    assert anonymous[bob.id] == graph.Relationship()


async def test_edge_lists_are_newest_first_and_hide_blocked_accounts_from_the_viewer(db, alice, bob):
    carol = await _signup(db, "carol")
    dave = await _signup(db, "dave")
    for follower in (bob, carol, dave):
        await graph.follow(db, follower, alice)
    await graph.block(db, dave, bob)

    def followers_of_alice(viewer: User | None):
        return graph.list_edges(
            db, viewer, Follow, Follow.followee_id, Follow.follower_id, alice.id, None, 10
        )

    users, keys = await followers_of_alice(None)
    assert [u.username for u in users] == ["dave", "carol", "bob"]
    assert keys == sorted(keys, reverse=True)
    assert [u.username for u in (await followers_of_alice(bob))[0]] == ["carol", "bob"]
    assert [u.username for u in (await followers_of_alice(dave))[0]] == ["dave", "carol"]

    page, page_keys = await graph.list_edges(
        db, None, Follow, Follow.followee_id, Follow.follower_id, alice.id, keys[0], 10
    )
    assert [u.username for u in page] == ["carol", "bob"]
    assert page_keys == keys[1:]

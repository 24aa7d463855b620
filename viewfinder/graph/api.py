"""HTTP endpoints of profiles and the social graph."""

from __future__ import annotations

from litestar import Controller, Response, delete, get, post
from litestar.background_tasks import BackgroundTask
from litestar.datastructures import State
from litestar.params import FromPath
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from viewfinder.accounts.auth import OptionalUserDep, ViewerDep
from viewfinder.accounts.models import User
from viewfinder.accounts.schemas import FollowStateOut, Profile, UserSummary
from viewfinder.core.deps import DbSession, LimiterDep, SettingsDep
from viewfinder.core.errors import ApiError
from viewfinder.core.openapi import errors
from viewfinder.core.pagination import Page, Paging
from viewfinder.core.params import PagingDep
from viewfinder.graph import services
from viewfinder.graph.models import Block, Follow, FollowRequest, Mute
from viewfinder.mediakit.storage import StorageDep
from viewfinder.policy import may_see_connections
from viewfinder.screening import NewAccountLimits

PRIVATE = "private_account: follow this private account to see this"
CONFLICT = "conflict: the same change was made at the same time; try again"


async def _user_page(
    db: AsyncSession,
    viewer: User | None,
    storage: StorageDep,
    paging: Paging,
    *,
    scope: str,
    model: type[Follow] | type[FollowRequest] | type[Block] | type[Mute],
    owner_column: InstrumentedAttribute[int],
    other_column: InstrumentedAttribute[int],
    owner_id: int,
) -> Page[UserSummary]:
    """A page of accounts at the far end of owner's edges, in a fixed number of queries."""
    users, keys = await services.list_edges(
        db, viewer, model, owner_column, other_column, owner_id, paging.key(scope), paging.limit
    )
    users = users[: paging.limit]
    # Anonymous viewers have no relationship to show (null, as on profiles), not all-false flags.
    relationships = (
        await services.relationships(db, viewer, [user.id for user in users if user.id != viewer.id])
        if viewer is not None
        else {}
    )
    return paging.page(
        scope, [UserSummary.of(user, storage, relationships.get(user.id)) for user in users], keys
    )


class UserController(Controller):
    """Someone's profile and their connections, as the viewer may see them."""

    path = "/users/{username:str}"
    tags = ["users"]

    @get("")
    async def profile(
        self,
        username: FromPath[str],
        viewer_user: OptionalUserDep,
        db_session: DbSession,
        storage: StorageDep,
        state: State,
    ) -> Response[Profile]:
        """A public profile, with the viewer's relationship to it. A logged-in viewer's visit counts
        toward their affinity with the account (the ranked home feed weighs it)."""
        user = await services.find_visible_user(db_session, username, viewer_user)
        relationship = None
        if viewer_user is not None and viewer_user.id != user.id:
            relationship = (await services.relationships(db_session, viewer_user, [user.id]))[user.id]
        elif viewer_user is not None:
            # Your own profile: the row read now, since the auth cache's copy of it (which the query
            # above found in the session) may count others' follows a few seconds late (decision 0042).
            await db_session.refresh(user)
        profile = Profile.of(user, storage, relationship)
        if viewer_user is None or viewer_user.id == user.id:
            return Response(profile)
        # The visit is a write, made once the profile has been sent (decision 0057).
        visit = BackgroundTask(
            services.record_profile_visit_after_response, state.sessionmaker, viewer_user.id, user.id
        )
        return Response(profile, background=visit)

    @get("/followers", opt=errors({403: PRIVATE}))
    async def followers(
        self,
        username: FromPath[str],
        viewer_user: OptionalUserDep,
        db_session: DbSession,
        storage: StorageDep,
        paging: PagingDep,
    ) -> Page[UserSummary]:
        """Who follows this account, newest first. Private accounts show it to followers only."""
        owner = await self._connections_owner(db_session, username, viewer_user)
        return await _user_page(
            db_session, viewer_user, storage, paging,
            scope=f"followers:{owner.id}", model=Follow,
            owner_column=Follow.followee_id, other_column=Follow.follower_id,
            owner_id=owner.id,
        )  # fmt: skip

    @get("/following", opt=errors({403: PRIVATE}))
    async def following(
        self,
        username: FromPath[str],
        viewer_user: OptionalUserDep,
        db_session: DbSession,
        storage: StorageDep,
        paging: PagingDep,
    ) -> Page[UserSummary]:
        """Whom this account follows, newest first. Private accounts show it to followers only."""
        owner = await self._connections_owner(db_session, username, viewer_user)
        return await _user_page(
            db_session, viewer_user, storage, paging,
            scope=f"following:{owner.id}", model=Follow,
            owner_column=Follow.follower_id, other_column=Follow.followee_id,
            owner_id=owner.id,
        )  # fmt: skip

    @staticmethod
    async def _connections_owner(db: AsyncSession, username: FromPath[str], viewer: User | None) -> User:
        owner = await services.find_visible_user(db, username, viewer)
        if not await may_see_connections(db, viewer, owner):
            raise ApiError(403, "private_account", "This account is private. Follow it to see this.")
        return owner

    @post("/follow", status_code=HTTP_200_OK, opt=errors({400: "cannot_follow_self", 409: CONFLICT}))
    async def follow(
        self,
        username: FromPath[str],
        viewer: ViewerDep,
        db_session: DbSession,
        settings: SettingsDep,
        limiter: LimiterDep,
    ) -> FollowStateOut:
        """Follow, or request to follow a private account. New accounts may follow only so many
        accounts an hour (429 new_account_limit)."""
        target = await services.find_visible_user(db_session, username, viewer.user)
        state = await services.follow(
            db_session, viewer.user, target, limits=NewAccountLimits(limiter, settings)
        )
        return FollowStateOut(state=state)

    @delete("/follow", status_code=HTTP_200_OK)
    async def unfollow(
        self, username: FromPath[str], viewer: ViewerDep, db_session: DbSession
    ) -> FollowStateOut:
        """Unfollow, or withdraw a pending follow request."""
        target = await services.find_visible_user(db_session, username, viewer.user)
        return FollowStateOut(state=await services.unfollow(db_session, viewer.user, target))

    @post("/block", status_code=HTTP_204_NO_CONTENT, opt=errors({400: "cannot_block_self", 409: CONFLICT}))
    async def block(self, username: FromPath[str], viewer: ViewerDep, db_session: DbSession) -> None:
        """Block: follows end both ways and each sees the other as not existing."""
        target = await services.find_block_target(db_session, username, viewer.user)
        await services.block(db_session, viewer.user, target)

    @delete("/block", status_code=HTTP_204_NO_CONTENT)
    async def unblock(self, username: FromPath[str], viewer: ViewerDep, db_session: DbSession) -> None:
        target = await services.find_block_target(db_session, username, viewer.user)
        await services.unblock(db_session, viewer.user, target)

    @post("/mute", status_code=HTTP_204_NO_CONTENT, opt=errors({400: "cannot_mute_self", 409: CONFLICT}))
    async def mute(self, username: FromPath[str], viewer: ViewerDep, db_session: DbSession) -> None:
        """Hide this account from your feeds without unfollowing; they are not told."""
        target = await services.find_visible_user(db_session, username, viewer.user)
        await services.mute(db_session, viewer.user, target)

    @delete("/mute", status_code=HTTP_204_NO_CONTENT)
    async def unmute(self, username: FromPath[str], viewer: ViewerDep, db_session: DbSession) -> None:
        target = await services.find_visible_user(db_session, username, viewer.user)
        await services.unmute(db_session, viewer.user, target)


class ConnectionsController(Controller):
    """The logged-in account's follow requests, followers, blocks and mutes."""

    path = "/accounts"
    tags = ["accounts"]

    @get("/follow-requests")
    async def follow_requests(
        self,
        viewer: ViewerDep,
        db_session: DbSession,
        storage: StorageDep,
        paging: PagingDep,
    ) -> Page[UserSummary]:
        """Accounts waiting for your approval, newest first."""
        return await _user_page(
            db_session, viewer.user, storage, paging,
            scope=f"follow-requests:{viewer.user.id}", model=FollowRequest,
            owner_column=FollowRequest.target_id, other_column=FollowRequest.requester_id,
            owner_id=viewer.user.id,
        )  # fmt: skip

    @post(
        "/follow-requests/{username:str}/approve",
        status_code=HTTP_204_NO_CONTENT,
        opt=errors({409: CONFLICT}),
    )
    async def approve(self, username: FromPath[str], viewer: ViewerDep, db_session: DbSession) -> None:
        requester = await services.find_visible_user(db_session, username, viewer.user)
        await services.approve_request(db_session, viewer.user, requester)

    @post("/follow-requests/{username:str}/decline", status_code=HTTP_204_NO_CONTENT)
    async def decline(self, username: FromPath[str], viewer: ViewerDep, db_session: DbSession) -> None:
        requester = await services.find_visible_user(db_session, username, viewer.user)
        await services.decline_request(db_session, viewer.user, requester)

    @delete("/followers/{username:str}", status_code=HTTP_204_NO_CONTENT)
    async def remove_follower(
        self, username: FromPath[str], viewer: ViewerDep, db_session: DbSession
    ) -> None:
        """Remove someone from your followers without blocking them."""
        follower = await services.find_visible_user(db_session, username, viewer.user)
        await services.remove_follower(db_session, viewer.user, follower)

    @get("/blocked")
    async def blocked(
        self,
        viewer: ViewerDep,
        db_session: DbSession,
        storage: StorageDep,
        paging: PagingDep,
    ) -> Page[UserSummary]:
        """Accounts you blocked, newest first (to unblock them)."""
        return await _user_page(
            db_session, viewer.user, storage, paging,
            scope=f"blocked:{viewer.user.id}", model=Block,
            owner_column=Block.blocker_id, other_column=Block.blocked_id,
            owner_id=viewer.user.id,
        )  # fmt: skip

    @get("/muted")
    async def muted(
        self,
        viewer: ViewerDep,
        db_session: DbSession,
        storage: StorageDep,
        paging: PagingDep,
    ) -> Page[UserSummary]:
        """Accounts you muted, newest first."""
        return await _user_page(
            db_session, viewer.user, storage, paging,
            scope=f"muted:{viewer.user.id}", model=Mute,
            owner_column=Mute.muter_id, other_column=Mute.muted_id,
            owner_id=viewer.user.id,
        )  # fmt: skip

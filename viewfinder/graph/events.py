"""Events of the social graph (core.events), emitted by graph.services."""

from __future__ import annotations

from viewfinder.core.events import Event


class Followed(Event, frozen=True):
    """follower_id now follows followee_id (a public account, straight away)."""

    follower_id: int
    followee_id: int


class FollowRequested(Event, frozen=True):
    """requester_id asked to follow the private account target_id."""

    requester_id: int
    target_id: int


class FollowRequestApproved(Event, frozen=True):
    """owner_id approved requester_id's request (or went public): requester_id follows owner_id."""

    requester_id: int
    owner_id: int


class FollowRequestDeclined(Event, frozen=True):
    requester_id: int
    owner_id: int


class Unfollowed(Event, frozen=True):
    """follower_id no longer follows followee_id (or withdrew a pending request)."""

    follower_id: int
    followee_id: int


class FollowerRemoved(Event, frozen=True):
    """owner_id removed follower_id from their followers."""

    follower_id: int
    owner_id: int


class Blocked(Event, frozen=True):
    """blocker_id blocked blocked_id: follows and requests both ways ended."""

    blocker_id: int
    blocked_id: int


class Unblocked(Event, frozen=True):
    blocker_id: int
    blocked_id: int


class Muted(Event, frozen=True):
    muter_id: int
    muted_id: int


class Unmuted(Event, frozen=True):
    muter_id: int
    muted_id: int


class ProfileVisited(Event, frozen=True):
    """A logged-in viewer_id opened owner_id's profile (someone else's)."""

    viewer_id: int
    owner_id: int

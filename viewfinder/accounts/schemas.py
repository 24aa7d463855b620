"""Request and response bodies of the accounts API. IDs travel as strings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar.datastructures import UploadFile

from viewfinder.accounts.models import ApiToken, SecurityEvent, User, UserSession
from viewfinder.graph.services import Relationship
from viewfinder.media.storage import MediaStorage

# Generous ceilings that stop oversized input before any work; the services apply the real rules.
Username = Annotated[str, msgspec.Meta(min_length=1, max_length=30)]
Email = Annotated[str, msgspec.Meta(min_length=3, max_length=254)]
Password = Annotated[str, msgspec.Meta(min_length=1, max_length=1024)]
ShortText = Annotated[str, msgspec.Meta(max_length=200)]


class SignupRequest(msgspec.Struct, forbid_unknown_fields=True):
    username: Username
    email: Email
    password: Password


class LoginRequest(msgspec.Struct, forbid_unknown_fields=True):
    login: Annotated[str, msgspec.Meta(min_length=1, max_length=254)]
    """A username or an email address."""
    password: Password
    cancel_deletion: bool | msgspec.UnsetType = msgspec.UNSET
    """For an account scheduled for deletion: true cancels the deletion and logs in (else 409)."""


class ChangePasswordRequest(msgspec.Struct, forbid_unknown_fields=True):
    current_password: Password
    new_password: Password


class ReauthenticateRequest(msgspec.Struct, forbid_unknown_fields=True):
    """Proof that the person at this session is the account's owner; give exactly one kind.
    Only the password exists today; a TOTP code and a passkey assertion will join it."""

    password: Password | msgspec.UnsetType = msgspec.UNSET


class ReauthenticatedOut(msgspec.Struct):
    reauthenticated_until: datetime
    """Sensitive actions are allowed from this session until then without asking again."""


class ProfileUpdate(msgspec.Struct, forbid_unknown_fields=True):
    display_name: Annotated[str, msgspec.Meta(max_length=64)] | msgspec.UnsetType = msgspec.UNSET
    bio: Annotated[str, msgspec.Meta(max_length=150)] | msgspec.UnsetType = msgspec.UNSET
    website: ShortText | msgspec.UnsetType = msgspec.UNSET
    is_private: bool | msgspec.UnsetType = msgspec.UNSET


@dataclass
class AvatarUpload:
    """The multipart form of an avatar upload: one file in the field "data"."""

    data: UploadFile


class TokenCreateRequest(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]


class RelationshipOut(msgspec.Struct):
    following: bool
    requested: bool
    followed_by: bool
    blocking: bool
    muting: bool

    @classmethod
    def of(cls, relationship: Relationship) -> RelationshipOut:
        return cls(
            following=relationship.following,
            requested=relationship.requested,
            followed_by=relationship.followed_by,
            blocking=relationship.blocking,
            muting=relationship.muting,
        )


class UserSummary(msgspec.Struct):
    """An account as it appears in lists."""

    id: str
    username: str
    display_name: str
    avatar_url: str | None
    is_private: bool
    relationship: RelationshipOut | None
    """How the viewer stands with this account; null when anonymous or for oneself."""

    @classmethod
    def of(cls, user: User, storage: MediaStorage, relationship: Relationship | None) -> UserSummary:
        return cls(
            id=str(user.id),
            username=user.username,
            display_name=user.display_name,
            avatar_url=storage.url(user.avatar_key) if user.avatar_key else None,
            is_private=user.is_private,
            relationship=RelationshipOut.of(relationship) if relationship else None,
        )


class Profile(msgspec.Struct):
    """An account's public profile."""

    id: str
    username: str
    display_name: str
    bio: str
    website: str
    avatar_url: str | None
    is_private: bool
    followers_count: int
    following_count: int
    posts_count: int
    created_at: datetime
    relationship: RelationshipOut | None

    @classmethod
    def of(cls, user: User, storage: MediaStorage, relationship: Relationship | None) -> Profile:
        return cls(
            id=str(user.id),
            username=user.username,
            display_name=user.display_name,
            bio=user.bio,
            website=user.website,
            avatar_url=storage.url(user.avatar_key) if user.avatar_key else None,
            is_private=user.is_private,
            followers_count=user.followers_count,
            following_count=user.following_count,
            posts_count=user.posts_count,
            created_at=user.created_at,
            relationship=RelationshipOut.of(relationship) if relationship else None,
        )


class Me(msgspec.Struct):
    """The logged-in account, with what only its owner sees."""

    profile: Profile
    email: str
    is_staff: bool

    @classmethod
    def of(cls, user: User, storage: MediaStorage) -> Me:
        return cls(profile=Profile.of(user, storage, None), email=user.email, is_staff=user.is_staff)


class LoginResponse(msgspec.Struct):
    me: Me
    csrf_token: str
    """Send it back in the X-CSRF-Token header with every cookie-authenticated write."""
    reactivated: bool = False
    """The account was deactivated (or scheduled for deletion) and this log-in reopened it."""
    deletion_cancelled: bool = False
    """The account was scheduled for deletion, and this log-in cancelled it."""


class SessionOut(msgspec.Struct):
    id: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    user_agent: str
    ip_address: str
    current: bool

    @classmethod
    def of(cls, session: UserSession, current_id: int | None) -> SessionOut:
        return cls(
            id=str(session.id),
            created_at=session.created_at,
            last_seen_at=session.last_seen_at,
            expires_at=session.expires_at,
            user_agent=session.user_agent,
            ip_address=session.ip_address,
            current=session.id == current_id,
        )


class TokenOut(msgspec.Struct):
    id: str
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None

    @classmethod
    def of(cls, token: ApiToken) -> TokenOut:
        return cls(
            id=str(token.id),
            name=token.name,
            prefix=token.prefix,
            created_at=token.created_at,
            last_used_at=token.last_used_at,
        )


class NewTokenOut(msgspec.Struct):
    token: TokenOut
    secret: str
    """The token itself: shown this once, never again."""


class FollowStateOut(msgspec.Struct):
    state: str
    """"following", "requested" or "none"."""


class SecurityEventOut(msgspec.Struct):
    """One line of the account's security log."""

    id: str
    kind: str
    """account_created, login_succeeded, login_failed, logged_out, session_ended, password_changed,
    token_created, token_revoked, reauthenticated or reauthentication_failed."""
    created_at: datetime
    ip_address: str
    user_agent: str
    detail: dict[str, Any]
    """Depends on the kind: new_device (login_succeeded); name and token_id (tokens);
    sessions_ended and tokens_revoked (password_changed); method and action (reauthentication);
    the ended session's user_agent and ip_address (session_ended)."""

    @classmethod
    def of(cls, event: SecurityEvent) -> SecurityEventOut:
        return cls(
            id=str(event.id),
            kind=event.kind,
            created_at=event.created_at,
            ip_address=event.ip_address,
            user_agent=event.user_agent,
            detail=dict(event.detail),
        )

"""Request and response bodies of the accounts API. IDs travel as strings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar.datastructures import UploadFile

from viewfinder.accounts.models import ApiToken, Passkey, SecurityEvent, TrustedDevice, User, UserSession
from viewfinder.accounts.twofactor import SecondStep
from viewfinder.graph.services import Relationship
from viewfinder.mediakit.storage import MediaStorage

# Generous ceilings that stop oversized input before any work; the services apply the real rules.
Username = Annotated[str, msgspec.Meta(min_length=1, max_length=30)]
Email = Annotated[str, msgspec.Meta(min_length=3, max_length=254)]
Password = Annotated[str, msgspec.Meta(min_length=1, max_length=1024)]
ShortText = Annotated[str, msgspec.Meta(max_length=200)]


class SignupRequest(msgspec.Struct, forbid_unknown_fields=True):
    username: Username
    email: Email
    password: Password
    display_name: Annotated[str, msgspec.Meta(max_length=64)] = ""
    """The name shown beside the username (optional; it can be changed later)."""


class LoginRequest(msgspec.Struct, forbid_unknown_fields=True):
    login: Annotated[str, msgspec.Meta(min_length=1, max_length=254)]
    """A username or an email address."""
    password: Password
    cancel_deletion: bool | msgspec.UnsetType = msgspec.UNSET
    """For an account scheduled for deletion: true cancels the deletion and logs in (else 409)."""


class ChangePasswordRequest(msgspec.Struct, forbid_unknown_fields=True):
    current_password: Password
    new_password: Password


# Two-factor codes and WebAuthn pieces (accounts.twofactor, accounts.passkeys).
Code = Annotated[str, msgspec.Meta(min_length=1, max_length=20)]
"""A 6-digit code of an authenticator app (spaces and dashes are ignored)."""
RecoveryCodeText = Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
ChallengeToken = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
WebAuthnCredential = dict[str, Any]
"""What the browser's PublicKeyCredential gives, as JSON (PublicKeyCredential.toJSON(): id, rawId,
type, response with base64url fields)."""


class PasskeyAssertion(msgspec.Struct, forbid_unknown_fields=True):
    """A passkey's answer to a ceremony begun by the API (its `ceremony` token)."""

    ceremony: ChallengeToken
    credential: WebAuthnCredential


class ReauthenticateRequest(msgspec.Struct, forbid_unknown_fields=True):
    """Proof that the person at this session is the account's owner; give exactly one kind: the
    password, a code of the authenticator app, or a passkey's answer to
    POST /accounts/passkeys/reauthenticate/options."""

    password: Password | msgspec.UnsetType = msgspec.UNSET
    totp_code: Code | msgspec.UnsetType = msgspec.UNSET
    passkey: PasskeyAssertion | msgspec.UnsetType = msgspec.UNSET


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
        summary = cls.of_columns(
            user.id, user.username, user.display_name, user.avatar_key, user.is_private, storage
        )
        summary.relationship = RelationshipOut.of(relationship) if relationship else None
        return summary

    @classmethod
    def of_columns(
        cls,
        user_id: int,
        username: str,
        display_name: str,
        avatar_key: str | None,
        is_private: bool,
        storage: MediaStorage,
    ) -> UserSummary:
        """A summary from the columns a Core query read (post cards), with no relationship."""
        return cls(
            id=str(user_id),
            username=username,
            display_name=display_name,
            avatar_url=storage.url(avatar_key) if avatar_key else None,
            is_private=is_private,
            relationship=None,
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
    email_verified: bool
    """Whether the owner opened a link sent to the address (the web app asks until then)."""
    is_staff: bool
    role: str
    """The staff role ("none" for everyone else; viewfinder.moderation.roles): the web app shows the
    staff screens this role's permissions open (the API checks them at every call)."""

    @classmethod
    def of(cls, user: User, storage: MediaStorage) -> Me:
        return cls(
            profile=Profile.of(user, storage, None),
            email=user.email,
            email_verified=user.email_verified_at is not None,
            is_staff=user.is_staff,
            role=user.role,
        )


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


# --- two-factor authentication, passkeys and trusted devices ---------------------------------------


class TwoFactorRequiredOut(msgspec.Struct):
    """The answer to a right password on an account with two-factor on: no session yet. Finish with
    POST /accounts/login/two-factor and the challenge."""

    two_factor_required: bool
    """Always true: tells this answer from a finished log-in."""
    challenge: str
    """Opaque; valid 5 minutes, once, for this account; dead after 5 wrong codes."""
    expires_at: datetime
    methods: list[str]
    """How the second step may be passed: "totp", "passkey", "recovery_code"."""
    passkey_options: dict[str, Any] | None
    """With "passkey": PublicKeyCredentialRequestOptions (JSON, base64url) for navigator.credentials.get()."""

    @classmethod
    def of(cls, step: SecondStep) -> TwoFactorRequiredOut:
        return cls(
            two_factor_required=True,
            challenge=step.challenge,
            expires_at=step.expires_at,
            methods=step.methods,
            passkey_options=step.passkey_options,
        )


class SecondStepRequest(msgspec.Struct, forbid_unknown_fields=True):
    """The log-in's second step: the challenge and exactly one of code, recovery_code or passkey."""

    challenge: ChallengeToken
    code: Code | msgspec.UnsetType = msgspec.UNSET
    recovery_code: RecoveryCodeText | msgspec.UnsetType = msgspec.UNSET
    passkey: WebAuthnCredential | msgspec.UnsetType = msgspec.UNSET
    """The answer of navigator.credentials.get() to the log-in's passkey_options."""
    trust_device: bool = False
    """Skip the second step on this browser for 30 days (an HttpOnly cookie)."""
    cancel_deletion: bool | msgspec.UnsetType = msgspec.UNSET
    """As in POST /accounts/login, for an account scheduled for deletion."""


class TwoFactorOut(msgspec.Struct):
    """The account's second factors."""

    enabled: bool
    """Whether a log-in with the password asks for a second step."""
    totp: bool
    """An authenticator app is on."""
    totp_pending: bool
    """An authenticator app is being set up (waits for its first code)."""
    passkeys: int
    recovery_codes_left: int
    methods: list[str]


class TotpEnrolmentOut(msgspec.Struct):
    """A new authenticator-app secret; the app is on once POST /accounts/two-factor/totp/confirm
    gets one of its codes."""

    secret: str
    """Base32, for typing into the app."""
    uri: str
    """otpauth:// URI (what the QR code holds)."""
    qr_svg: str
    """The QR code as a standalone SVG document."""


class TotpConfirmRequest(msgspec.Struct, forbid_unknown_fields=True):
    code: Code


class TotpDisableRequest(msgspec.Struct, forbid_unknown_fields=True):
    """A current code of the app, or a recovery code."""

    code: Code | msgspec.UnsetType = msgspec.UNSET
    recovery_code: RecoveryCodeText | msgspec.UnsetType = msgspec.UNSET


class RecoveryCodesOut(msgspec.Struct):
    recovery_codes: list[str] | None
    """Shown this once, never again; null when the account kept the codes it had."""


class PasskeyOut(msgspec.Struct):
    id: str
    name: str
    created_at: datetime
    last_used_at: datetime | None
    backed_up: bool
    """Synced to other devices by its provider (a password manager, a platform account)."""

    @classmethod
    def of(cls, passkey: Passkey) -> PasskeyOut:
        return cls(
            id=str(passkey.id),
            name=passkey.name,
            created_at=passkey.created_at,
            last_used_at=passkey.last_used_at,
            backed_up=passkey.backed_up,
        )


class CeremonyOut(msgspec.Struct):
    """A WebAuthn ceremony begun: give `options` to the browser, and send `ceremony` back with its
    answer (valid 5 minutes, once)."""

    ceremony: str
    options: dict[str, Any]


class PasskeyCreateRequest(msgspec.Struct, forbid_unknown_fields=True):
    ceremony: ChallengeToken
    credential: WebAuthnCredential
    """The answer of navigator.credentials.create() to the registration options."""
    name: Annotated[str, msgspec.Meta(max_length=100)] = ""


class NewPasskeyOut(msgspec.Struct):
    passkey: PasskeyOut
    recovery_codes: list[str] | None
    """When this passkey turned two-factor on: the account's recovery codes, shown this once."""


class PasskeyRenameRequest(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]


class PasskeyLoginRequest(msgspec.Struct, forbid_unknown_fields=True):
    ceremony: ChallengeToken
    credential: WebAuthnCredential
    cancel_deletion: bool | msgspec.UnsetType = msgspec.UNSET


class TrustedDeviceOut(msgspec.Struct):
    id: str
    user_agent: str
    ip_address: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime
    current: bool
    """This browser."""

    @classmethod
    def of(cls, device: TrustedDevice, current_id: int | None) -> TrustedDeviceOut:
        return cls(
            id=str(device.id),
            user_agent=device.user_agent,
            ip_address=device.ip_address,
            created_at=device.created_at,
            last_used_at=device.last_used_at,
            expires_at=device.expires_at,
            current=device.id == current_id,
        )

"""Passkeys (WebAuthn, the `webauthn` package): adding, naming and removing them, and checking
their signatures — as the log-in's second factor, as a password-less log-in, and as proof for sudo
mode. Every write to `passkeys` goes through a function here.

Each ceremony is one AuthChallenge (accounts.twofactor): a random WebAuthn challenge, 5 minutes,
used once, bound to the session that began it (adding a passkey, sudo mode) or to the account
whose password was right (the second step). The relying party is settings.public_url's host and
origin. Signatures are checked by `webauthn` against the public key stored at registration, and
the signature counter must grow: a passkey whose counter goes back (a cloned authenticator) is
refused and the refusal logged. Password-less log-ins need user verification (a PIN or
biometric on the authenticator), as they stand in for both factors; as a second factor,
presence is enough. See docs/decisions/0033-two-factor-and-passkeys.md.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from webauthn import (
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url, parse_authenticator_data
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from viewfinder.accounts import security, twofactor
from viewfinder.accounts.models import AuthChallenge, Passkey, User, UserSession
from viewfinder.accounts.security import NO_ORIGIN, Origin, commit_and_announce, record_security_event
from viewfinder.accounts.standing import under_sanction
from viewfinder.core.db import utcnow
from viewfinder.core.errors import ApiError, invalid
from viewfinder.core.ids import new_id
from viewfinder.settings import Settings

MAX_PASSKEYS = 20
MAX_NAME_LENGTH = 100
DEFAULT_NAME = "Passkey"
_TRANSPORTS = frozenset(t.value for t in AuthenticatorTransport)


class PasskeyRefused(Exception):
    """An assertion that proves nothing: unknown passkey, bad signature, or a counter gone back."""

    def __init__(self, reason: str, passkey: Passkey | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.passkey = passkey


def user_handle(settings: Settings, user_id: int) -> bytes:
    """The account's WebAuthn user handle: stable, random-looking and free of personal data (an
    HMAC of its id under the secret key), so every passkey of the account carries the same one."""
    return hmac.new(settings.secret.encode(), f"webauthn-user:{user_id}".encode(), hashlib.sha256).digest()


def _descriptor(passkey: Passkey) -> PublicKeyCredentialDescriptor:
    return PublicKeyCredentialDescriptor(
        id=base64url_to_bytes(passkey.credential_id),
        transports=[AuthenticatorTransport(t) for t in passkey.transports if t in _TRANSPORTS],
    )


async def list_passkeys(db: AsyncSession, user: User) -> list[Passkey]:
    """The account's passkeys, oldest first."""
    return list(await db.scalars(select(Passkey).where(Passkey.user_id == user.id).order_by(Passkey.id)))


# --- adding one ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ceremony:
    """A WebAuthn ceremony begun: its token (sent back with the browser's answer) and the options
    for navigator.credentials.create() or .get(), as JSON."""

    token: str
    options: dict[str, Any]


async def begin_registration(
    db: AsyncSession, user: User, session: UserSession, settings: Settings
) -> Ceremony:
    """Options to make a discoverable passkey for this account on this session's browser (the
    caller checks sudo mode). 409 `too_many` past MAX_PASSKEYS."""
    existing = await list_passkeys(db, user)
    if len(existing) >= MAX_PASSKEYS:
        raise ApiError(409, "too_many", f"You can have at most {MAX_PASSKEYS} passkeys. Remove one first.")
    party = twofactor.relying_party(settings)
    challenge = twofactor.new_webauthn_challenge()
    options = generate_registration_options(
        rp_id=party.id,
        rp_name=party.name,
        user_id=user_handle(settings, user.id),
        user_name=user.username,
        user_display_name=user.display_name or user.username,
        challenge=challenge,
        timeout=twofactor.WEBAUTHN_TIMEOUT_MS,
        attestation=AttestationConveyancePreference.NONE,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=[_descriptor(passkey) for passkey in existing],
    )
    new = twofactor.new_challenge(
        db,
        twofactor.PASSKEY_REGISTRATION,
        user_id=user.id,
        session_id=session.id,
        webauthn_challenge=challenge,
    )
    await db.commit()
    parsed: dict[str, Any] = json.loads(options_to_json(options))
    return Ceremony(token=new.token, options=parsed)


async def _take_ceremony(
    db: AsyncSession, token: str, purpose: str, *, user_id: int | None, session_id: int | None
) -> AuthChallenge:
    """The ceremony's challenge, used up (committed): 400 `ceremony_expired` when it is unknown,
    past its time, or another account's or session's."""
    challenge = await twofactor.find_challenge(db, token, purpose)
    if (
        challenge is None
        or challenge.webauthn_challenge is None
        or challenge.user_id != user_id
        or challenge.session_id != session_id
        or not await twofactor.take_challenge(db, challenge.id)
    ):
        raise ApiError(
            400,
            "ceremony_expired",
            "This passkey request expired. Try again.",
            {"ceremony": "Expired or unknown: start again."},
        )
    await db.commit()
    return challenge


def _transports(credential: dict[str, Any]) -> list[str]:
    response = credential.get("response")
    transports = response.get("transports") if isinstance(response, dict) else None
    if not isinstance(transports, list):
        return []
    return [t for t in transports if isinstance(t, str) and t in _TRANSPORTS][:8]


@dataclass(frozen=True)
class AddedPasskey:
    passkey: Passkey
    recovery_codes: list[str] | None
    """New recovery codes when this passkey is the account's first second factor."""


async def add_passkey(
    db: AsyncSession,
    user: User,
    session: UserSession,
    settings: Settings,
    *,
    ceremony: str,
    name: str,
    credential: dict[str, Any],
    origin: Origin = NO_ORIGIN,
) -> AddedPasskey:
    """Keep the passkey the browser made for `begin_registration` once its attestation checks out
    (the caller checks sudo mode). Two-factor is on from then on; the account's first second
    factor also gets recovery codes. 400 `invalid_passkey` or `ceremony_expired`; 409 `already_exists`."""
    name = name.strip() or DEFAULT_NAME
    if len(name) > MAX_NAME_LENGTH:
        raise invalid("name", f"Use at most {MAX_NAME_LENGTH} characters.")
    challenge = await _take_ceremony(
        db, ceremony, twofactor.PASSKEY_REGISTRATION, user_id=user.id, session_id=session.id
    )
    assert challenge.webauthn_challenge is not None
    party = twofactor.relying_party(settings)
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge.webauthn_challenge,
            expected_rp_id=party.id,
            expected_origin=party.origin,
        )
    except Exception as exc:  # the library raises many kinds for malformed input: all are refusals
        raise invalid(
            "credential", "This passkey could not be checked. Try again.", code="invalid_passkey"
        ) from exc
    credential_id = bytes_to_base64url(verified.credential_id)
    if await db.scalar(select(Passkey.id).where(Passkey.credential_id == credential_id)) is not None:
        raise ApiError(409, "already_exists", "This passkey is already added.")
    had = await twofactor.second_factors(db, user.id)
    passkey = Passkey(
        id=new_id(),
        user_id=user.id,
        credential_id=credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        user_handle=bytes_to_base64url(user_handle(settings, user.id)),
        name=name,
        transports=_transports(credential),
        aaguid=str(verified.aaguid),
        backed_up=verified.credential_backed_up,
        created_at=utcnow(),
    )
    db.add(passkey)
    codes = await twofactor.first_factor_codes(db, user.id, had)
    await twofactor.forget_trusted_devices(db, user.id)
    detail = {"passkey_id": str(passkey.id), "name": name}
    record_security_event(db, user.id, security.PASSKEY_ADDED, origin, detail)
    if not had.enabled:
        record_security_event(db, user.id, security.TWO_FACTOR_ENABLED, origin, {"method": twofactor.PASSKEY})
    try:
        await commit_and_announce(db)
    except IntegrityError as exc:  # the same passkey added twice at once
        await db.rollback()
        security.forget_unannounced(db)
        raise ApiError(409, "already_exists", "This passkey is already added.") from exc
    return AddedPasskey(passkey, codes)


# --- naming and removing ---------------------------------------------------------------------------


async def _own_passkey(db: AsyncSession, user: User, passkey_id: int) -> Passkey:
    passkey = await db.scalar(select(Passkey).where(Passkey.id == passkey_id, Passkey.user_id == user.id))
    if passkey is None:
        raise ApiError(404, "not_found", "No such passkey.")
    return passkey


async def rename_passkey(db: AsyncSession, user: User, passkey_id: int, name: str) -> Passkey:
    name = name.strip()
    if not name or len(name) > MAX_NAME_LENGTH:
        raise invalid("name", f"Give it a name of at most {MAX_NAME_LENGTH} characters.")
    passkey = await _own_passkey(db, user, passkey_id)
    passkey.name = name
    await db.commit()
    return passkey


async def remove_passkey(
    db: AsyncSession, user: User, passkey_id: int, origin: Origin = NO_ORIGIN
) -> twofactor.SecondFactors:
    """Remove a passkey (the caller checks sudo mode). The account's last second factor takes its
    recovery codes with it, and two-factor is off."""
    passkey = await _own_passkey(db, user, passkey_id)
    detail = {"passkey_id": str(passkey.id), "name": passkey.name}
    await db.delete(passkey)
    await db.flush()
    after = await twofactor.second_factors(db, user.id)
    if not after.enabled:
        await twofactor.factors_gone(db, user.id)
    await twofactor.forget_trusted_devices(db, user.id)
    record_security_event(db, user.id, security.PASSKEY_REMOVED, origin, detail)
    if not after.enabled:
        off = {"method": twofactor.PASSKEY, "by": "owner", "still_on": False}
        record_security_event(db, user.id, security.TWO_FACTOR_DISABLED, origin, off)
    await commit_and_announce(db)
    return await twofactor.second_factors(db, user.id)


# --- checking an assertion -------------------------------------------------------------------------


def _credential_id(credential: dict[str, Any]) -> str | None:
    value = credential.get("id")
    return value if isinstance(value, str) and 0 < len(value) <= 1400 else None


def _counter(credential: dict[str, Any]) -> int | None:
    """The signature counter the authenticator reports, if the data can be read."""
    try:
        response = credential["response"]
        return int(parse_authenticator_data(base64url_to_bytes(response["authenticatorData"])).sign_count)
    except Exception:  # malformed: the signature check refuses it
        return None


async def check_assertion(
    db: AsyncSession,
    settings: Settings,
    expected_challenge: bytes,
    credential: dict[str, Any],
    *,
    user_id: int | None,
    require_user_verification: bool,
) -> Passkey:
    """The passkey this navigator.credentials.get() answer proves (its counter and last use moved
    in the caller's transaction), for `user_id` or, when None, for whichever account the
    discoverable passkey belongs to. PasskeyRefused otherwise ("unknown", "invalid",
    "sign_count": its counter went back, as a cloned authenticator's would)."""
    credential_id = _credential_id(credential)
    if credential_id is None:
        raise PasskeyRefused("unknown")
    query = select(Passkey).where(Passkey.credential_id == credential_id)
    if user_id is not None:
        query = query.where(Passkey.user_id == user_id)
    passkey = await db.scalar(query)
    if passkey is None:
        raise PasskeyRefused("unknown")
    response = credential.get("response")
    sent_handle = response.get("userHandle") if isinstance(response, dict) else None
    if user_id is None and sent_handle != passkey.user_handle:
        raise PasskeyRefused("invalid", passkey)
    counter = _counter(credential)
    if counter is not None and (counter > 0 or passkey.sign_count > 0) and counter <= passkey.sign_count:
        raise PasskeyRefused("sign_count", passkey)
    party = twofactor.relying_party(settings)
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=expected_challenge,
            expected_rp_id=party.id,
            expected_origin=party.origin,
            credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=require_user_verification,
        )
    except Exception as exc:  # the library raises many kinds for malformed input: all are refusals
        raise PasskeyRefused("invalid", passkey) from exc
    # Only forwards, in one statement: of two answers with the same counter, one gets through.
    moved = await db.execute(
        update(Passkey)
        .where(
            Passkey.id == passkey.id,
            or_(
                Passkey.sign_count < verified.new_sign_count,
                (Passkey.sign_count == 0) & (verified.new_sign_count == 0),
            ),
        )
        .values(
            sign_count=verified.new_sign_count, last_used_at=utcnow(), backed_up=verified.credential_backed_up
        )
        .execution_options(synchronize_session=False)
    )
    if int(moved.rowcount) != 1:  # type: ignore[attr-defined]
        raise PasskeyRefused("sign_count", passkey)
    return passkey


async def record_refusal(
    db: AsyncSession, refused: PasskeyRefused, action: str, origin: Origin = NO_ORIGIN
) -> None:
    """Log a refused passkey of a known account in its security log (unknown ones have no log)."""
    if refused.passkey is None:
        return
    detail = {"method": twofactor.PASSKEY, "action": action, "reason": refused.reason}
    record_security_event(db, refused.passkey.user_id, security.TWO_FACTOR_FAILED, origin, detail)
    await commit_and_announce(db)


def refusal_error(refused: PasskeyRefused, field: str = "passkey") -> ApiError:
    """The 400 for a refused passkey, with what to do about it."""
    if refused.reason == "sign_count":
        return invalid(
            field,
            "This passkey's signature counter went backwards, as a copied passkey's would. It was "
            "refused; remove it in Settings and add it again if it is really yours.",
            code="passkey_cloned",
        )
    return invalid(
        field, "This passkey was not accepted. Try again or use another one.", code="invalid_passkey"
    )


# --- log-in with a passkey alone -------------------------------------------------------------------


async def begin_login(db: AsyncSession, settings: Settings) -> Ceremony:
    """Options for navigator.credentials.get() with any discoverable passkey of this instance."""
    challenge = twofactor.new_webauthn_challenge()
    new = twofactor.new_challenge(db, twofactor.PASSKEY_LOGIN, webauthn_challenge=challenge)
    await db.commit()
    options = twofactor.request_options(settings, challenge, [], user_verification=True)
    return Ceremony(token=new.token, options=options)


async def log_in_with_passkey(
    db: AsyncSession, settings: Settings, *, ceremony: str, credential: dict[str, Any], origin: Origin
) -> User:
    """The account a passkey (with user verification) proves, for a password-less log-in: one that
    is active, or that its owner closed and a log-in reopens (privacy.services.reopen_on_login).
    400 `ceremony_expired`, `invalid_passkey` or `passkey_cloned`."""
    from viewfinder.privacy.services import closed_by_owner

    challenge = await _take_ceremony(db, ceremony, twofactor.PASSKEY_LOGIN, user_id=None, session_id=None)
    assert challenge.webauthn_challenge is not None
    try:
        passkey = await check_assertion(
            db,
            settings,
            challenge.webauthn_challenge,
            credential,
            user_id=None,
            require_user_verification=True,
        )
    except PasskeyRefused as refused:
        await record_refusal(db, refused, "passkey_login", origin)
        raise refusal_error(refused, "credential") from refused
    user = await db.scalar(
        select(User).where(
            User.id == passkey.user_id, or_(User.is_active, closed_by_owner(), under_sanction())
        )
    )
    if user is None:
        raise invalid("credential", "This passkey was not accepted.", code="invalid_passkey")
    await db.commit()
    return user


# --- sudo mode with a passkey ----------------------------------------------------------------------


async def begin_reauthentication(
    db: AsyncSession, user: User, session: UserSession, settings: Settings
) -> Ceremony:
    """Options for navigator.credentials.get() with one of the account's passkeys, to confirm it's
    them (POST /accounts/reauthenticate with `passkey`). 409 `no_passkeys` without any."""
    passkeys = await list_passkeys(db, user)
    if not passkeys:
        raise ApiError(409, "no_passkeys", "You have no passkeys. Confirm with your password.")
    challenge = twofactor.new_webauthn_challenge()
    new = twofactor.new_challenge(
        db,
        twofactor.PASSKEY_REAUTHENTICATION,
        user_id=user.id,
        session_id=session.id,
        webauthn_challenge=challenge,
    )
    await db.commit()
    options = twofactor.request_options(settings, challenge, passkeys, user_verification=False)
    return Ceremony(token=new.token, options=options)


@dataclass(frozen=True)
class PasskeyProof:
    """A passkey answer to `begin_reauthentication`, as proof for sudo mode (see
    services.ReauthenticationProof)."""

    ceremony: str
    credential: dict[str, Any] = dataclass_field(repr=False)
    settings: Settings = dataclass_field(repr=False)
    session_id: int
    field: str = "passkey"
    method: str = dataclass_field(default=twofactor.PASSKEY, init=False)

    async def verify(self, db: AsyncSession, user: User) -> bool:
        try:
            challenge = await _take_ceremony(
                db,
                self.ceremony,
                twofactor.PASSKEY_REAUTHENTICATION,
                user_id=user.id,
                session_id=self.session_id,
            )
        except ApiError:
            return False
        assert challenge.webauthn_challenge is not None
        try:
            await check_assertion(
                db,
                self.settings,
                challenge.webauthn_challenge,
                self.credential,
                user_id=user.id,
                require_user_verification=False,
            )
        except PasskeyRefused:
            return False
        return True

"""Every write to accounts, sessions, tokens and profiles goes through a function here.

Security-relevant writes (log-ins, log-outs, password changes, tokens, re-authentication) also add
a line to the account's security log through `security.record_security_event`, in the same
transaction, and commit with `security.commit_and_announce` so its listeners hear of them.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import datetime, timedelta
from typing import Protocol

import anyio.to_thread
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from viewfinder.accounts import passwords, security
from viewfinder.accounts.authcache import drop_after_commit
from viewfinder.accounts.events import AccountPrivacyChanged, ProfileChanged
from viewfinder.accounts.models import ApiToken, User, UserSession
from viewfinder.accounts.security import NO_ORIGIN, Origin, commit_and_announce, record_security_event
from viewfinder.accounts.standing import under_sanction
from viewfinder.accounts.throttle import PasswordThrottle
from viewfinder.accounts.usernames import USERNAME_PATTERN as USERNAME_PATTERN  # re-exported
from viewfinder.accounts.usernames import username_problem as username_problem  # for viewfinder.demo
from viewfinder.core import crypto
from viewfinder.core.db import Base, utcnow
from viewfinder.core.errors import ApiError, invalid, not_found
from viewfinder.core.events import emit
from viewfinder.core.ids import new_id
from viewfinder.core.links import count_links
from viewfinder.mediakit.blocking import run_media_work
from viewfinder.mediakit.images import make_avatar
from viewfinder.mediakit.storage import MediaBackend, MediaStorage, discard, put_in_thread
from viewfinder.screening import NewAccountLimits, refuse, screen, send_to_review

API_TOKEN_PREFIX = "vf_"  # noqa: S105 (a marker, not a secret)
# Avoid a database write on every request: refresh last_seen_at at most this often.
LAST_SEEN_RESOLUTION = timedelta(minutes=5)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def username_key(username: str) -> str:
    return username.lower()


def normalise_email(email: str) -> str:
    try:
        return validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise invalid("email", str(exc)) from exc


async def signup(
    db: AsyncSession,
    *,
    username: str,
    email: str,
    password: str,
    is_staff: bool = False,
    role: str = "none",
    origin: Origin = NO_ORIGIN,
    display_name: str = "",
) -> User:
    """Create an account, or refuse with every field's problem at once. The display name meets the
    staff's rules as a changed one does (`update_profile`): blocked or held, nothing is made.

    Only a taken username is refused (usernames are public). The address is the account's once
    its owner opens the link the account_created event sends (accounts.email_tasks); whether
    another account has it is not said here, so sign-up never tells which addresses have accounts:
    an address another account verified is simply never verified for this one
    (docs/decisions/0034-email.md)."""
    # A staff role (viewfinder.moderation.roles, checked by the caller); `is_staff` alone, from
    # before roles, means an admin (docs/decisions/0046-staff-roles.md).
    if is_staff and role == "none":
        role = "admin"
    is_staff = role != "none"
    problems: dict[str, str] = {}
    if problem := username_problem(username, staff=is_staff):
        problems["username"] = problem
    try:
        email = normalise_email(email)
    except ApiError as exc:
        problems.update(exc.fields)
    if problem := await passwords.password_problem_off_loop(password, username=username, email=email):
        problems["password"] = problem
    display_name = display_name.strip()
    if len(display_name) > MAX_DISPLAY_NAME_LENGTH:
        problems["display_name"] = f"Use at most {MAX_DISPLAY_NAME_LENGTH} characters."
    if problems:
        raise ApiError(400, "validation_error", "Some fields need attention.", problems)
    verdict = await screen(db, {"display_name": display_name})
    if verdict.blocked or verdict.held:
        raise refuse(verdict)

    taken = await db.scalar(select(User.id).where(User.username_key == username_key(username)).limit(1))
    if taken is not None:
        raise ApiError(
            409, "already_exists", "Some fields need attention.", {"username": "This username is taken."}
        )

    user = User(
        id=new_id(),
        username=username,
        username_key=username_key(username),
        email=email,
        email_key=crypto.email_index(email),
        password_hash=await passwords.hash_password_off_loop(password),
        is_staff=is_staff,
        role=role,
        display_name=display_name,
    )
    db.add(user)
    try:
        await db.flush()  # the user row first: the log's row refers to it
        record_security_event(db, user.id, security.ACCOUNT_CREATED, origin)
        await send_to_review(db, verdict, "user", user.id, user.id)
        await commit_and_announce(db)
    except IntegrityError as exc:  # a concurrent sign-up took the name between check and insert
        await db.rollback()
        security.forget_unannounced(db)
        raise ApiError(
            409, "already_exists", "Some fields need attention.", {"username": "This username is taken."}
        ) from exc
    return user


async def find_login_account(db: AsyncSession, login: str) -> User | None:
    """The account a log-in names, by username or by email address: an active one, or one its owner
    deactivated or scheduled for deletion (logging in reopens it: privacy.services.reopen_on_login),
    or one staff banned or suspended (the log-in refuses it: accounts.standing.check_standing).

    An address names the account that verified it, else the one account that typed it unverified;
    several accounts with the same unverified address are named by their usernames only."""
    from viewfinder.privacy.services import closed_by_owner

    # A banned or suspended account is found too: the right password hears why it cannot log in.
    usable = or_(User.is_active, closed_by_owner(), under_sanction())
    if "@" not in login:
        user: User | None = await db.scalar(select(User).where(User.username_key == login.lower(), usable))
        return user
    candidates = list(
        await db.scalars(
            select(User)
            .where(User.email_key.in_(crypto.email_indexes(login)), usable)
            .order_by(User.email_verified_at.is_(None), User.id)
            .limit(2)
        )
    )
    if candidates and (candidates[0].email_verified_at is not None or len(candidates) == 1):
        return candidates[0]
    return None


async def check_password(db: AsyncSession, user: User | None, password: str) -> bool:
    """Whether the password is the account's; takes as long when there is no account. Hashing runs
    in worker threads, never on the event loop."""
    if not await passwords.verify_password_off_loop(user.password_hash if user else None, password):
        return False
    assert user is not None
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = await passwords.hash_password_off_loop(password)
        await db.commit()
    return True


async def record_failed_login(db: AsyncSession, user: User, origin: Origin = NO_ORIGIN) -> None:
    """Log a wrong password given for this (existing) account."""
    record_security_event(db, user.id, security.LOGIN_FAILED, origin)
    await commit_and_announce(db)


async def prove_password(
    db: AsyncSession, throttle: PasswordThrottle, login: str, password: str, origin: Origin = NO_ORIGIN
) -> User:
    """The account a username (or e-mail address) and password prove, as every password log-in
    checks them: counted by the password throttle before hashing (429), a wrong password logged on
    the account, and one 401 `invalid_credentials` for a wrong password and an unknown name alike.
    Says nothing of the account's standing (accounts.standing.check_standing)."""
    user = await find_login_account(db, login)
    # Count per account whichever name (username or email) it was tried by.
    account = str(user.id) if user else login.lower()
    attempt = await throttle.reserve(db, account, user, origin.ip_address)
    password_ok = await check_password(db, user, password)
    if user is None or not password_ok:
        if user is not None:
            await record_failed_login(db, user, origin)
        raise ApiError(401, "invalid_credentials", "The username or password is wrong.")
    await attempt.succeeded()
    return user


@dataclass(frozen=True)
class NewSession:
    session: UserSession
    token: str


async def start_session(
    db: AsyncSession,
    user: User,
    *,
    max_age_seconds: int,
    user_agent: str = "",
    ip_address: str = "",
    log_in: bool = False,
) -> NewSession:
    """A new session for someone who just proved the password (so it starts re-authenticated);
    with log_in, the security log records the log-in, marked when it is from a new device."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    if log_in:
        origin = Origin(ip_address=ip_address, user_agent=user_agent)
        seen = await security.address_was_used(db, user.id, ip_address, user_agent)
        record_security_event(db, user.id, security.LOGIN_SUCCEEDED, origin, {"new_device": not seen})
    session = UserSession(
        id=new_id(),
        user_id=user.id,
        token_hash=hash_token(token),
        csrf_token=secrets.token_urlsafe(32),
        expires_at=now + timedelta(seconds=max_age_seconds),
        last_seen_at=now,
        user_agent=user_agent[:300],
        ip_address=ip_address[:64],
        reauthenticated_at=now,
    )
    db.add(session)
    await commit_and_announce(db)
    return NewSession(session, token)


async def resolve_session(db: AsyncSession, token: str) -> tuple[UserSession, User] | None:
    """The live session and its user for a session cookie, in one query."""
    row = (
        (
            await db.execute(
                select(UserSession, User)
                .join(User, User.id == UserSession.user_id)
                .where(UserSession.token_hash == hash_token(token), User.is_active)
            )
        )
        .tuples()
        .first()
    )
    if row is None:
        return None
    session, user = row
    now = utcnow()
    if session.expires_at <= now:
        return None
    if now - session.last_seen_at > LAST_SEEN_RESOLUTION:
        await db.execute(update(UserSession).where(UserSession.id == session.id).values(last_seen_at=now))
        await db.commit()
    return session, user


async def resolve_api_token(db: AsyncSession, token: str) -> User | None:
    row = (
        (
            await db.execute(
                select(ApiToken, User)
                .join(User, User.id == ApiToken.user_id)
                .where(ApiToken.token_hash == hash_token(token), User.is_active)
            )
        )
        .tuples()
        .first()
    )
    if row is None:
        return None
    api_token, user = row
    now = utcnow()
    if api_token.last_used_at is None or now - api_token.last_used_at > LAST_SEEN_RESOLUTION:
        await db.execute(update(ApiToken).where(ApiToken.id == api_token.id).values(last_used_at=now))
        await db.commit()
    return user


async def end_session(
    db: AsyncSession,
    user: User,
    session_id: int,
    *,
    current_session_id: int | None = None,
    origin: Origin = NO_ORIGIN,
) -> None:
    """Log one of the account's sessions out: a log-out when it is the current one, else a
    session ended remotely (a lost phone), as the security log tells them apart."""
    ended = (
        await db.execute(
            delete(UserSession)
            .where(UserSession.id == session_id, UserSession.user_id == user.id)
            .returning(UserSession.user_agent, UserSession.ip_address)
        )
    ).first()
    if ended is None:
        raise not_found("No such session.")
    drop_after_commit(db, user.id)  # the ended session's cached look-up, in every process
    if session_id == current_session_id:
        record_security_event(db, user.id, security.LOGGED_OUT, origin)
    else:
        detail = {
            "session_id": str(session_id),
            "user_agent": ended.user_agent,
            "ip_address": ended.ip_address,
        }
        record_security_event(db, user.id, security.SESSION_ENDED, origin, detail)
    await commit_and_announce(db)


async def list_sessions(db: AsyncSession, user: User) -> list[UserSession]:
    result = await db.scalars(
        select(UserSession)
        .where(UserSession.user_id == user.id, UserSession.expires_at > utcnow())
        .order_by(UserSession.id.desc())
    )
    return list(result)


async def purge_expired_sessions(db: AsyncSession, now: datetime | None = None) -> int:
    result = await db.execute(delete(UserSession).where(UserSession.expires_at <= (now or utcnow())))
    await db.commit()
    return int(result.rowcount)  # type: ignore[attr-defined]


async def change_password(
    db: AsyncSession,
    user: User,
    *,
    current_password: str,
    new_password: str,
    keep_session_id: int | None,
    origin: Origin = NO_ORIGIN,
) -> None:
    """Set a new password, end every other session of the account and revoke all its API tokens
    (whoever holds an old credential is out). The current password re-authenticates the kept
    session; a wrong one is logged as a failed re-authentication."""
    proof = PasswordProof(current_password, field="current_password")
    if not await proof.verify(db, user):
        await _record_failed_proof(db, user, proof, origin, action="change_password")
        raise invalid(proof.field, "The current password is wrong.", code="wrong_password")
    problem = await passwords.password_problem_off_loop(
        new_password, username=user.username, email=user.email
    )
    if problem:
        raise invalid("new_password", problem)
    user.password_hash = await passwords.hash_password_off_loop(new_password)
    ending = delete(UserSession).where(UserSession.user_id == user.id)
    if keep_session_id is not None:
        ending = ending.where(UserSession.id != keep_session_id)
        await db.execute(
            update(UserSession).where(UserSession.id == keep_session_id).values(reauthenticated_at=utcnow())
        )
    sessions_ended = (await db.execute(ending)).rowcount  # type: ignore[attr-defined]
    tokens_revoked = (await db.execute(delete(ApiToken).where(ApiToken.user_id == user.id))).rowcount  # type: ignore[attr-defined]
    drop_after_commit(db, user.id)
    detail = {"sessions_ended": int(sessions_ended), "tokens_revoked": int(tokens_revoked)}
    record_security_event(db, user.id, security.PASSWORD_CHANGED, origin, detail)
    await commit_and_announce(db)


class ReauthenticationProof(Protocol):
    """Something only the account's owner can give: the password today; a TOTP code or a passkey
    assertion later (each a small class with these members, accepted by `reauthenticate`)."""

    @property
    def method(self) -> str:
        """Its name in the security log: "password", "totp", "passkey"."""
        ...

    @property
    def field(self) -> str:
        """The request field that carried it, named when it is refused."""
        ...

    async def verify(self, db: AsyncSession, user: User) -> bool:
        """Whether it proves the user; may take time (hashing) but never blocks the event loop."""
        ...


@dataclass(frozen=True)
class PasswordProof:
    """The account's password, verified with Argon2 off the event loop."""

    password: str = dataclass_field(repr=False)
    field: str = "password"
    method: str = dataclass_field(default="password", init=False)

    async def verify(self, db: AsyncSession, user: User) -> bool:
        return await check_password(db, user, self.password)


async def _record_failed_proof(
    db: AsyncSession, user: User, proof: ReauthenticationProof, origin: Origin, *, action: str
) -> None:
    detail = {"method": proof.method, "action": action}
    record_security_event(db, user.id, security.REAUTHENTICATION_FAILED, origin, detail)
    await commit_and_announce(db)


async def reauthenticate(
    db: AsyncSession,
    user: User,
    session: UserSession,
    proof: ReauthenticationProof,
    origin: Origin = NO_ORIGIN,
) -> datetime:
    """Enter "sudo mode": check the proof and mark the session re-authenticated now (returned);
    a wrong proof is logged and refused with 400 `wrong_password` on the proof's field."""
    if not await proof.verify(db, user):
        await _record_failed_proof(db, user, proof, origin, action="reauthenticate")
        raise invalid(proof.field, f"The {proof.method} is wrong.", code="wrong_password")
    now = utcnow()
    await db.execute(update(UserSession).where(UserSession.id == session.id).values(reauthenticated_at=now))
    session.reauthenticated_at = now
    drop_after_commit(db, user.id)  # other processes' copies of the session still say "not recently"
    record_security_event(db, user.id, security.REAUTHENTICATED, origin, {"method": proof.method})
    await commit_and_announce(db)
    return now


@dataclass(frozen=True)
class NewApiToken:
    token: ApiToken
    secret: str


async def create_api_token(
    db: AsyncSession, user: User, name: str, origin: Origin = NO_ORIGIN
) -> NewApiToken:
    """Make a personal API token; the caller checks the session is recently re-authenticated
    (accounts.auth.require_recent_authentication)."""
    name = name.strip()
    if not name:
        raise invalid("name", "Give the token a name.")
    secret = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        id=new_id(), user_id=user.id, name=name, token_hash=hash_token(secret), prefix=secret[:10]
    )
    db.add(token)
    detail = {"token_id": str(token.id), "name": name}
    record_security_event(db, user.id, security.TOKEN_CREATED, origin, detail)
    await commit_and_announce(db)
    return NewApiToken(token, secret)


async def list_api_tokens(db: AsyncSession, user: User) -> list[ApiToken]:
    result = await db.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
    )
    return list(result)


async def revoke_api_token(db: AsyncSession, user: User, token_id: int, origin: Origin = NO_ORIGIN) -> None:
    revoked = (
        await db.execute(
            delete(ApiToken)
            .where(ApiToken.id == token_id, ApiToken.user_id == user.id)
            .returning(ApiToken.name)
        )
    ).first()
    if revoked is None:
        raise not_found("No such token.")
    drop_after_commit(db, user.id)
    detail = {"token_id": str(token_id), "name": revoked.name}
    record_security_event(db, user.id, security.TOKEN_REVOKED, origin, detail)
    await commit_and_announce(db)


@dataclass(frozen=True)
class ProfileChanges:
    """Fields to change; None leaves a field as it is."""

    display_name: str | None = None
    bio: str | None = None
    website: str | None = None
    is_private: bool | None = None


MAX_BIO_LENGTH = 150
MAX_DISPLAY_NAME_LENGTH = 64
WEBSITE_PATTERN = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


async def update_profile(
    db: AsyncSession, user: User, changes: ProfileChanges, *, limits: NewAccountLimits | None = None
) -> User:
    """Change the profile fields `changes` names. The display name, bio and website meet the
    staff's rules (viewfinder.screening): a block refuses them (422 content_blocked), and so does a
    hold (a profile cannot wait for review: it is shown as soon as it is saved); a flag saves them
    and opens a case about the account. A new account's added links count against its hourly
    limits (`limits`; 429)."""
    problems: dict[str, str] = {}
    if changes.display_name is not None and len(changes.display_name.strip()) > MAX_DISPLAY_NAME_LENGTH:
        problems["display_name"] = f"Use at most {MAX_DISPLAY_NAME_LENGTH} characters."
    if changes.bio is not None and len(changes.bio) > MAX_BIO_LENGTH:
        problems["bio"] = f"Use at most {MAX_BIO_LENGTH} characters."
    website = changes.website.strip() if changes.website is not None else None
    if website and (len(website) > 200 or not WEBSITE_PATTERN.fullmatch(website)):
        problems["website"] = "Use a full http:// or https:// address of at most 200 characters."
    if problems:
        raise ApiError(400, "validation_error", "Some fields need attention.", problems)
    texts = {"display_name": changes.display_name, "bio": changes.bio, "website": website}
    verdict = await screen(db, {name: text for name, text in texts.items() if text}, author=user)
    if verdict.blocked or verdict.held:
        raise refuse(verdict)
    if limits is not None:
        added = count_links(changes.bio or "") - count_links(user.bio) if changes.bio is not None else 0
        await limits.spend(user, links=max(0, added) + (1 if website and website != user.website else 0))
    await send_to_review(db, verdict, "user", user.id, user.id)

    if changes.display_name is not None:
        user.display_name = changes.display_name.strip()
    if changes.bio is not None:
        user.bio = changes.bio
    if website is not None:
        user.website = website
    if changes.display_name is not None or changes.bio is not None or website is not None:
        await emit(db, ProfileChanged(user_id=user.id))
    if changes.is_private is not None and changes.is_private != user.is_private:
        # Going public approves every pending request (graph.subscribers, in this transaction).
        user.is_private = changes.is_private
        await emit(db, AccountPrivacyChanged(user_id=user.id, is_private=user.is_private))
    await db.commit()
    return user


def avatar_key(user: User, data: bytes) -> str:
    return f"avatars/{user.id}/{hashlib.sha256(data).hexdigest()}.jpg"


async def set_avatar(
    db: AsyncSession, storage: MediaStorage, user: User, upload: bytes, *, max_pixels: int
) -> User:
    """Replace the avatar; the old file leaves storage only after the new one is committed.
    The photo is decoded in a worker thread (media/blocking.py), never on the event loop."""
    rendition = await run_media_work(make_avatar, upload, max_pixels)
    key = avatar_key(user, rendition)
    old_key = user.avatar_key
    await put_in_thread(storage, key, rendition, "image/jpeg")
    try:
        user.avatar_key = key
        await emit(db, ProfileChanged(user_id=user.id))
        await db.commit()
    except BaseException:
        await db.rollback()
        if key != old_key:
            await discard(storage, [key])
        raise
    if old_key and old_key != key:
        await discard(storage, [old_key])
    return user


async def remove_avatar(db: AsyncSession, storage: MediaStorage, user: User) -> User:
    old_key = user.avatar_key
    user.avatar_key = None
    await emit(db, ProfileChanged(user_id=user.id))
    await db.commit()
    if old_key:
        await discard(storage, [old_key])
    return user


# --- account erasure (privacy.erasure) -------------------------------------------------------------

ACCOUNT_DATA_TABLES = (
    "users",
    "user_sessions",
    "api_tokens",
    "security_events",
    "totp_authenticators",
    "recovery_codes",
    "passkeys",
    "trusted_devices",
    "auth_challenges",
    "email_tokens",
)
"""Tables whose rows of an account `delete_account_data` removes: the users row, and every other
table here by its `user_id` column."""


async def delete_account_data(db: AsyncSession, user_id: int, storage: MediaBackend) -> None:
    """The last step of an account's erasure: its profile photo (and any older one left under
    avatars/<user id>/), sessions, API tokens, security log, two-factor methods, trusted devices,
    e-mail links and, last, its users row (rows of other tables that refer to it go by cascade:
    account_closures, the erasure's own bookkeeping)."""
    from viewfinder.media.services import delete_files  # the media pipeline only when erasing

    user = await db.get(User, user_id)
    if user is None:
        return
    keys = [user.avatar_key] if user.avatar_key else []
    keys += await anyio.to_thread.run_sync(storage.list_keys, f"avatars/{user_id}/")
    await delete_files(storage, keys)
    for name in ACCOUNT_DATA_TABLES:
        if name != "users":
            table = Base.metadata.tables[name]
            await db.execute(delete(table).where(table.c.user_id == user_id))
    await db.execute(delete(User).where(User.id == user_id))
    drop_after_commit(db, user_id)
    await db.commit()

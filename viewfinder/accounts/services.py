"""Every write to accounts, sessions, tokens and profiles goes through a function here."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from viewfinder.accounts import passwords
from viewfinder.accounts.models import ApiToken, User, UserSession
from viewfinder.core.db import utcnow
from viewfinder.core.errors import ApiError, invalid, not_found
from viewfinder.core.ids import new_id
from viewfinder.media.images import make_avatar
from viewfinder.media.storage import MediaStorage, discard, put_in_thread

USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9._]{1,30}$")
# Names that would shadow app routes, staff or the platform itself.
RESERVED_USERNAMES = frozenset(
    {
        "about",
        "accounts",
        "admin",
        "administrator",
        "api",
        "app",
        "assets",
        "explore",
        "help",
        "healthz",
        "home",
        "login",
        "logout",
        "me",
        "media",
        "moderator",
        "notifications",
        "privacy",
        "readyz",
        "root",
        "saved",
        "search",
        "settings",
        "signup",
        "static",
        "staff",
        "support",
        "system",
        "terms",
        "viewfinder",
        "www",
    }
)
API_TOKEN_PREFIX = "vf_"  # noqa: S105 (a marker, not a secret)
# Avoid a database write on every request: refresh last_seen_at at most this often.
LAST_SEEN_RESOLUTION = timedelta(minutes=5)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def username_key(username: str) -> str:
    return username.lower()


def username_problem(username: str) -> str | None:
    if not USERNAME_PATTERN.fullmatch(username):
        return "Use 1 to 30 letters, digits, '.' or '_'."
    if ".." in username or username.strip(".") == "":
        # "." and ".." would be path segments in profile links.
        return "A username cannot be only periods or have two in a row."
    if username_key(username) in RESERVED_USERNAMES:
        return "This username is reserved."
    return None


def normalise_email(email: str) -> str:
    try:
        return validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise invalid("email", str(exc)) from exc


async def signup(
    db: AsyncSession, *, username: str, email: str, password: str, is_staff: bool = False
) -> User:
    """Create an account, or refuse with every field's problem at once."""
    problems: dict[str, str] = {}
    if problem := username_problem(username):
        problems["username"] = problem
    try:
        email = normalise_email(email)
    except ApiError as exc:
        problems.update(exc.fields)
    if problem := passwords.password_problem(password, username=username, email=email):
        problems["password"] = problem
    if problems:
        raise ApiError(400, "validation_error", "Some fields need attention.", problems)

    taken = await db.execute(
        select(User.username_key, User.email_key).where(
            (User.username_key == username_key(username)) | (User.email_key == email.lower())
        )
    )
    for taken_username, taken_email in taken:
        if taken_username == username_key(username):
            problems["username"] = "This username is taken."
        if taken_email == email.lower():
            problems["email"] = "An account with this email already exists."
    if problems:
        raise ApiError(409, "already_exists", "Some fields need attention.", problems)

    user = User(
        id=new_id(),
        username=username,
        username_key=username_key(username),
        email=email,
        email_key=email.lower(),
        password_hash=passwords.hash_password(password),
        is_staff=is_staff,
    )
    db.add(user)
    try:
        await db.commit()
    except IntegrityError as exc:  # a concurrent sign-up took the name between check and insert
        await db.rollback()
        raise ApiError(409, "already_exists", "This username or email is taken.") from exc
    return user


async def find_login_account(db: AsyncSession, login: str) -> User | None:
    """The active account a log-in names, by username or by email address."""
    column = User.email_key if "@" in login else User.username_key
    user: User | None = await db.scalar(select(User).where(column == login.lower(), User.is_active))
    return user


async def check_password(db: AsyncSession, user: User | None, password: str) -> bool:
    """Whether the password is the account's; takes as long when there is no account."""
    if not passwords.verify_password(user.password_hash if user else None, password):
        return False
    assert user is not None
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
        await db.commit()
    return True


@dataclass(frozen=True)
class NewSession:
    session: UserSession
    token: str


async def start_session(
    db: AsyncSession, user: User, *, max_age_seconds: int, user_agent: str = "", ip_address: str = ""
) -> NewSession:
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session = UserSession(
        id=new_id(),
        user_id=user.id,
        token_hash=hash_token(token),
        csrf_token=secrets.token_urlsafe(32),
        expires_at=now + timedelta(seconds=max_age_seconds),
        last_seen_at=now,
        user_agent=user_agent[:300],
        ip_address=ip_address[:64],
    )
    db.add(session)
    await db.commit()
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


async def end_session(db: AsyncSession, user: User, session_id: int) -> None:
    result = await db.execute(
        delete(UserSession).where(UserSession.id == session_id, UserSession.user_id == user.id)
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        raise not_found("No such session.")
    await db.commit()


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
    db: AsyncSession, user: User, *, current_password: str, new_password: str, keep_session_id: int | None
) -> None:
    """Set a new password and end every other session of the account."""
    if not passwords.verify_password(user.password_hash, current_password):
        raise invalid("current_password", "The current password is wrong.", code="wrong_password")
    if problem := passwords.password_problem(new_password, username=user.username, email=user.email):
        raise invalid("new_password", problem)
    user.password_hash = passwords.hash_password(new_password)
    ending = delete(UserSession).where(UserSession.user_id == user.id)
    if keep_session_id is not None:
        ending = ending.where(UserSession.id != keep_session_id)
    await db.execute(ending)
    await db.commit()


@dataclass(frozen=True)
class NewApiToken:
    token: ApiToken
    secret: str


async def create_api_token(db: AsyncSession, user: User, name: str) -> NewApiToken:
    name = name.strip()
    if not name:
        raise invalid("name", "Give the token a name.")
    secret = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        id=new_id(), user_id=user.id, name=name, token_hash=hash_token(secret), prefix=secret[:10]
    )
    db.add(token)
    await db.commit()
    return NewApiToken(token, secret)


async def list_api_tokens(db: AsyncSession, user: User) -> list[ApiToken]:
    result = await db.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
    )
    return list(result)


async def revoke_api_token(db: AsyncSession, user: User, token_id: int) -> None:
    result = await db.execute(delete(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id))
    if result.rowcount == 0:  # type: ignore[attr-defined]
        raise not_found("No such token.")
    await db.commit()


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


async def update_profile(db: AsyncSession, user: User, changes: ProfileChanges) -> User:
    from viewfinder.graph.services import approve_all_requests

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

    if changes.display_name is not None:
        user.display_name = changes.display_name.strip()
    if changes.bio is not None:
        user.bio = changes.bio
    if website is not None:
        user.website = website
    if changes.is_private is not None:
        if user.is_private and not changes.is_private:
            # A public account has no one waiting: everyone who asked now follows.
            await approve_all_requests(db, user)
        user.is_private = changes.is_private
    await db.commit()
    return user


def avatar_key(user: User, data: bytes) -> str:
    return f"avatars/{user.id}/{hashlib.sha256(data).hexdigest()}.jpg"


async def set_avatar(
    db: AsyncSession, storage: MediaStorage, user: User, upload: bytes, *, max_pixels: int
) -> User:
    """Replace the avatar; the old file leaves storage only after the new one is committed."""
    rendition = make_avatar(upload, max_pixels)
    key = avatar_key(user, rendition)
    old_key = user.avatar_key
    await put_in_thread(storage, key, rendition, "image/jpeg")
    try:
        user.avatar_key = key
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
    await db.commit()
    if old_key:
        await discard(storage, [old_key])
    return user

"""Password hashing (Argon2id) and the rules a new password must meet.

Argon2 is slow and memory-hard on purpose (tens of milliseconds of CPU each), so requests never run
it on the event loop: `hash_password_off_loop` and `verify_password_off_loop` run it in a pool of
worker threads no larger than the machine's CPU count (argon2-cffi releases the GIL while it works),
and a burst of log-ins queues there while everything else keeps being served.
"""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024
MIN_STRENGTH_SCORE = 3
"""zxcvbn's score (0-4) a new password needs: 3 is "safely unguessable" (about 10^8 guesses or more)."""
STRENGTH_CHECKED_LENGTH = 72
"""zxcvbn rates at most this many leading characters (its own limit; more only adds strength)."""

_hasher = PasswordHasher()  # argon2-cffi's defaults are Argon2id with RFC 9106's low-memory profile.

# A hash of a random password, verified when the account does not exist so that a log-in
# attempt takes the same time whether or not the username is known.
_DUMMY_HASH = _hasher.hash("viewfinder-timing-equaliser")

HASHING_THREADS = os.cpu_count() or 1
"""At most this many hashes run at once in a process; more wait their turn."""
_hashing_pool = ThreadPoolExecutor(max_workers=HASHING_THREADS, thread_name_prefix="argon2")


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The 30,000 most common passwords from zxcvbn's frequency lists."""
    return frozenset(FREQUENCY_LISTS["passwords"])


def _weakness(password: str, user_inputs: list[str]) -> str | None:
    """zxcvbn's verdict as one helpful sentence, or None when the password is strong enough."""
    result = zxcvbn(password[:STRENGTH_CHECKED_LENGTH], user_inputs=user_inputs)
    if result["score"] >= MIN_STRENGTH_SCORE:
        return None
    feedback = result["feedback"]
    advice = [feedback["warning"], *feedback["suggestions"]]
    sentences = " ".join(part.strip() for part in advice if part and part.strip())
    return f"This password is too easy to guess. {sentences or 'Add another word or two.'}".strip()


def password_problem(password: str, *, username: str = "", email: str = "") -> str | None:
    """Why this password is refused, or None when it is acceptable."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Use at most {MAX_PASSWORD_LENGTH} characters."
    lowered = password.lower()
    if lowered in common_passwords():
        return "This password is too common."
    if username and lowered == username.lower():
        return "The password must not be your username."
    if email and lowered == email.lower():
        return "The password must not be your email address."
    return _weakness(password, [value for value in (username, email, email.partition("@")[0]) if value])


def hash_password(password: str) -> str:
    """Argon2id hash of a password (blocking: from a request, use hash_password_off_loop)."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether the password matches (blocking: from a request, use verify_password_off_loop)."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


async def hash_password_off_loop(password: str) -> str:
    """hash_password in the hashing threads, leaving the event loop free."""
    return await asyncio.get_running_loop().run_in_executor(_hashing_pool, hash_password, password)


async def verify_password_off_loop(password_hash: str | None, password: str) -> bool:
    """verify_password in the hashing threads, leaving the event loop free."""
    return await asyncio.get_running_loop().run_in_executor(
        _hashing_pool, verify_password, password_hash, password
    )


async def password_problem_off_loop(password: str, *, username: str = "", email: str = "") -> str | None:
    """password_problem in the hashing threads (zxcvbn takes a few milliseconds of CPU)."""
    return await asyncio.get_running_loop().run_in_executor(
        _hashing_pool, lambda: password_problem(password, username=username, email=email)
    )

"""Tests of the social graph, with helpers that build large graphs without the API's rate limits."""

from __future__ import annotations

from functools import cache

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from viewfinder.accounts.models import User
from viewfinder.accounts.passwords import hash_password
from viewfinder.core import crypto
from viewfinder.core.ids import new_id
from viewfinder.graph import services as graph


@cache
def _shared_password_hash() -> str:
    # Argon2 takes tens of milliseconds a hash; accounts made here all share one.
    return hash_password("a shared password for bulk accounts")


async def make_users(db: AsyncSession, names: list[str]) -> list[User]:
    """Accounts inserted straight into the database (no sessions), in the order given."""
    users = [
        User(
            id=new_id(),
            username=name,
            username_key=name.lower(),
            email=f"{name}@example.com",
            email_key=crypto.email_index(f"{name}@example.com"),
            password_hash=_shared_password_hash(),
        )
        for name in names
    ]
    db.add_all(users)
    await db.commit()
    return users


async def get_user(db: AsyncSession, username: str) -> User:
    user = await db.scalar(select(User).where(User.username_key == username.lower()))
    assert user is not None, username
    return user


async def follow_all(db: AsyncSession, followers: list[User], target: User) -> None:
    """Each follower follows (or asks to follow) target, in list order: the last is the newest."""
    for follower in followers:
        await graph.follow(db, follower, target)

"""The accounts services on a real database: sign-up, log-in checks, sessions, tokens, purging."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from tests.conftest import PASSWORD
from viewfinder.accounts import services
from viewfinder.accounts.models import ApiToken, User, UserSession
from viewfinder.core import crypto
from viewfinder.core.db import utcnow
from viewfinder.core.errors import ApiError

DAY = 24 * 3600


async def make_user(db, username: str = "alice", email: str | None = None):
    return await services.signup(
        db, username=username, email=email or f"{username}@example.com", password=PASSWORD
    )


async def test_signup_stores_case_insensitive_keys_and_keeps_the_spelling(db):
    user = await make_user(db, "Alice.Liddell", email="Alice@EXAMPLE.com")
    stored = await db.scalar(select(User).where(User.id == user.id))
    assert stored.username == "Alice.Liddell"
    assert stored.username_key == "alice.liddell"
    assert stored.email == "Alice@example.com"  # the domain part is normalised, the local part kept
    assert stored.email_key == crypto.email_index("ALICE@example.com")  # a keyed hash (decision 0035)
    assert "alice" not in stored.email_key
    assert stored.is_active
    assert not stored.is_staff
    assert not stored.is_private


async def test_signup_refuses_a_taken_name_in_any_case_but_never_a_taken_email(db):
    await make_user(db, "alice")
    with pytest.raises(ApiError) as taken_name:
        await make_user(db, "ALICE", email="other@example.com")
    assert (taken_name.value.status_code, taken_name.value.code) == (409, "already_exists")
    assert set(taken_name.value.fields) == {"username"}
    second = await make_user(db, "alice2", email="ALICE@example.com")  # unverified, like the first
    assert second.email_verified_at is None
    assert await db.scalar(select(func.count()).select_from(User)) == 2


async def test_signup_reports_all_problems_before_touching_the_database(db):
    with pytest.raises(ApiError) as refused:
        await services.signup(db, username="bad name", email="nope", password="admin")
    assert refused.value.status_code == 400
    assert set(refused.value.fields) == {"username", "email", "password"}


async def authenticate(db, login: str, password: str):
    """The log-in endpoint's two steps: find the account, then check the password."""
    user = await services.find_login_account(db, login)
    return user if await services.check_password(db, user, password) else None


async def test_authenticate_by_username_or_email_in_any_case(db):
    user = await make_user(db)
    for login in ("alice", "ALICE", "alice@example.com", "ALICE@Example.Com"):
        found = await authenticate(db, login, PASSWORD)
        assert found is not None, login
        assert found.id == user.id
    assert await authenticate(db, "alice", "wrong password") is None
    assert await authenticate(db, "nobody", PASSWORD) is None


async def test_inactive_accounts_do_not_authenticate(db):
    user = await make_user(db)
    await db.execute(update(User).where(User.id == user.id).values(is_active=False))
    await db.commit()
    assert await authenticate(db, "alice", PASSWORD) is None
    assert await services.find_login_account(db, "alice") is None


async def test_sessions_store_only_a_hash_of_the_cookie(db):
    user = await make_user(db)
    new = await services.start_session(
        db, user, max_age_seconds=DAY, user_agent="Firefox", ip_address="10.0.0.1"
    )
    stored = await db.scalar(select(UserSession).where(UserSession.id == new.session.id))
    assert stored.token_hash == services.hash_token(new.token)
    assert new.token not in (stored.token_hash, stored.csrf_token)
    resolved = await services.resolve_session(db, new.token)
    assert resolved is not None
    assert resolved[1].id == user.id
    assert await services.resolve_session(db, new.token + "x") is None


async def test_expired_session_does_not_resolve_and_is_not_listed(db):
    user = await make_user(db)
    expired = await services.start_session(db, user, max_age_seconds=DAY)
    live = await services.start_session(db, user, max_age_seconds=DAY)
    await db.execute(
        update(UserSession)
        .where(UserSession.id == expired.session.id)
        .values(expires_at=utcnow() - timedelta(seconds=1))
    )
    await db.commit()
    assert await services.resolve_session(db, expired.token) is None
    assert [s.id for s in await services.list_sessions(db, user)] == [live.session.id]


async def test_purge_expired_sessions_deletes_only_expired_rows(db):
    alice = await make_user(db, "alice")
    bob = await make_user(db, "bob")
    old_alice = await services.start_session(db, alice, max_age_seconds=DAY)
    old_bob = await services.start_session(db, bob, max_age_seconds=DAY)
    live_alice = await services.start_session(db, alice, max_age_seconds=DAY)
    live_bob = await services.start_session(db, bob, max_age_seconds=60)
    past = utcnow() - timedelta(hours=1)
    await db.execute(
        update(UserSession)
        .where(UserSession.id.in_([old_alice.session.id, old_bob.session.id]))
        .values(expires_at=past)
    )
    await db.commit()

    assert await services.purge_expired_sessions(db) == 2

    remaining = set(await db.scalars(select(UserSession.id)))
    assert remaining == {live_alice.session.id, live_bob.session.id}
    assert await services.resolve_session(db, live_alice.token) is not None
    assert await services.purge_expired_sessions(db) == 0


async def test_purge_expired_sessions_uses_the_given_time(db):
    user = await make_user(db)
    short = await services.start_session(db, user, max_age_seconds=60)
    long = await services.start_session(db, user, max_age_seconds=DAY)
    assert await services.purge_expired_sessions(db, now=utcnow() + timedelta(minutes=5)) == 1
    assert set(await db.scalars(select(UserSession.id))) == {long.session.id}
    assert short.session.id != long.session.id


async def test_end_session_only_ends_the_owners_session(db):
    alice = await make_user(db, "alice")
    bob = await make_user(db, "bob")
    bobs = await services.start_session(db, bob, max_age_seconds=DAY)
    with pytest.raises(ApiError) as refused:
        await services.end_session(db, alice, bobs.session.id)
    assert refused.value.status_code == 404
    assert await services.resolve_session(db, bobs.token) is not None
    await services.end_session(db, bob, bobs.session.id)
    assert await services.resolve_session(db, bobs.token) is None


async def test_change_password_ends_every_session_but_the_kept_one(db):
    user = await make_user(db)
    kept = await services.start_session(db, user, max_age_seconds=DAY)
    other = await services.start_session(db, user, max_age_seconds=DAY)
    await services.change_password(
        db,
        user,
        current_password=PASSWORD,
        new_password="a brand new passphrase",
        keep_session_id=kept.session.id,
    )
    assert await services.resolve_session(db, kept.token) is not None
    assert await services.resolve_session(db, other.token) is None
    assert await authenticate(db, "alice", PASSWORD) is None
    assert await authenticate(db, "alice", "a brand new passphrase") is not None


async def test_change_password_without_a_session_to_keep_ends_them_all(db):
    user = await make_user(db)
    first = await services.start_session(db, user, max_age_seconds=DAY)
    await services.change_password(
        db, user, current_password=PASSWORD, new_password="a brand new passphrase", keep_session_id=None
    )
    assert await services.resolve_session(db, first.token) is None


async def test_api_tokens_store_only_a_hash_and_resolve_to_their_owner(db):
    user = await make_user(db)
    new = await services.create_api_token(db, user, "  backups ")
    assert new.secret.startswith(services.API_TOKEN_PREFIX)
    stored = await db.scalar(select(ApiToken).where(ApiToken.id == new.token.id))
    assert stored.name == "backups"
    assert stored.token_hash == services.hash_token(new.secret)
    assert new.secret.startswith(stored.prefix)
    assert len(stored.prefix) < len(new.secret) // 2
    assert stored.last_used_at is None

    owner = await services.resolve_api_token(db, new.secret)
    assert owner is not None
    assert owner.id == user.id
    await db.refresh(stored)
    assert stored.last_used_at is not None

    await services.revoke_api_token(db, user, new.token.id)
    assert await services.resolve_api_token(db, new.secret) is None


async def test_tokens_of_inactive_accounts_do_not_resolve(db):
    user = await make_user(db)
    new = await services.create_api_token(db, user, "cron")
    await db.execute(update(User).where(User.id == user.id).values(is_active=False))
    await db.commit()
    assert await services.resolve_api_token(db, new.secret) is None


async def test_revoking_someone_elses_token_is_not_found(db):
    alice = await make_user(db, "alice")
    bob = await make_user(db, "bob")
    alices = await services.create_api_token(db, alice, "cron")
    with pytest.raises(ApiError) as refused:
        await services.revoke_api_token(db, bob, alices.token.id)
    assert refused.value.status_code == 404
    assert await services.resolve_api_token(db, alices.secret) is not None


async def test_update_profile_trims_names_and_websites(db):
    user = await make_user(db)
    changes = services.ProfileChanges(display_name="  Alice  ", website="  https://example.com/a  ")
    updated = await services.update_profile(db, user, changes)
    assert updated.display_name == "Alice"
    assert updated.website == "https://example.com/a"
    await services.update_profile(db, user, services.ProfileChanges())
    stored = await db.scalar(select(User).where(User.id == user.id))
    assert (stored.display_name, stored.website, stored.bio) == ("Alice", "https://example.com/a", "")

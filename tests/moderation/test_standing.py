"""A banned or suspended account sees its strikes and appeals them with a standing token (issue 14,
"The affected user ... can appeal once per action"; docs/decisions/0055): log-in stays refused, the
token needs the log-in's credentials (and second factor), works on the standing routes only, and dies
when the sanction ends."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from tests.accounts.test_api import bearer
from tests.accounts.test_security import make_token
from tests.accounts.test_twofactor import code_at, enable_totp, wrong_code
from tests.conftest import PASSWORD, Api
from tests.helpers import assert_error, make_post
from tests.moderation.acting import act, case_of, report
from tests.moderation.enforce import account
from tests.moderation.enforce import act as enforce
from tests.moderation.staff import make_staff
from viewfinder.accounts.models import User
from viewfinder.accounts.standing import issue_standing_token, standing_account
from viewfinder.core.db import utcnow
from viewfinder.settings import Settings

TOKEN = "/accounts/standing/token"
STANDING = "/accounts/standing"


def get_token(api: Api, username: str = "alice", password: str = PASSWORD, **extra: Any) -> httpx.Response:
    return api.post(TOKEN, json={"username": username, "password": password, **extra})


def token_of(api: Api, username: str = "alice", **extra: Any) -> str:
    response = get_token(api, username, **extra)
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"token", "expires_at"}
    token: str = body["token"]
    return token


def with_token(
    make_api, token: str, method: str = "GET", path: str = STANDING, **kwargs: Any
) -> httpx.Response:
    """A request from a brand-new client (no cookies) carrying the standing token."""
    response: httpx.Response = bearer(make_api, token, method, path, **kwargs)
    return response


def standing(make_api, token: str) -> dict[str, Any]:
    response = with_token(make_api, token)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def log_in(api: Api, username: str = "alice") -> httpx.Response:
    return api.post("/accounts/login", json={"login": username, "password": PASSWORD})


async def banned_alice(make_api, db: AsyncSession, alice: Api, bob: Api) -> Api:
    """Alice banned (with a strike) by the moderator Mia, through a case about her account."""
    mia = await make_staff(make_api, db, "mia", "moderator")
    report(bob, "user", alice.me["profile"]["id"])
    act(mia, case_of(mia, "user", alice.me["profile"]["id"]), "ban", strike=True, policy="Spam")
    return mia


async def test_a_banned_account_sees_its_strikes_appeals_and_logs_in_once_reversed(
    make_api, db: AsyncSession, alice, bob
):
    await banned_alice(make_api, db, alice, bob)
    anon = make_api()
    assert_error(log_in(anon), 403, "account_banned")

    token = token_of(anon)
    seen = standing(make_api, token)
    assert (seen["username"], seen["state"], seen["suspended_until"]) == ("alice", "banned", None)
    (strike,) = seen["strikes"]
    assert (strike["kind"], strike["strike"], strike["policy"], strike["appealable"]) == (
        "ban",
        True,
        "Spam",
        True,
    )

    filed = with_token(
        make_api,
        token,
        "POST",
        f"/accounts/standing/strikes/{strike['id']}/appeal",
        json={"text": "Not spam."},
    )
    assert filed.status_code == 201, filed.text
    assert (filed.json()["status"], filed.json()["text"], filed.json()["action"]) == (
        "open",
        "Not spam.",
        None,
    )
    (listed,) = standing(make_api, token)["strikes"]
    assert (listed["appeal"]["id"], listed["appealable"]) == (filed.json()["id"], False)
    again = with_token(
        make_api, token, "POST", f"/accounts/standing/strikes/{strike['id']}/appeal", json={"text": "Again."}
    )
    assert_error(again, 409, "appeal_exists")

    # The appeal waits in the queue like any appeal; another moderator reverses the ban.
    max_ = await make_staff(make_api, db, "max", "moderator")
    case = next(c for c in max_.get("/staff/cases").json()["items"] if c["target"] == "appeal")
    assert case["target_id"] == filed.json()["id"]
    decided = max_.post(f"/staff/cases/{case['id']}/appeal", json={"decision": "reverse", "reason": "ok"})
    assert decided.status_code == 200, decided.text

    assert_error(with_token(make_api, token), 401, "invalid_standing_token")
    assert_error(get_token(make_api()), 409, "account_in_good_standing")
    assert log_in(make_api()).status_code == 200


async def test_a_suspended_account_appeals_and_its_token_dies_with_the_suspension(
    make_api, db: AsyncSession, alice, bob
):
    mia = await make_staff(make_api, db, "mia", "moderator")
    post = make_post(alice, "x")
    report(bob, "post", post["id"])
    act(mia, case_of(mia, "post", post["id"]), "suspend", duration_hours=48, strike=True)
    assert_error(log_in(make_api()), 403, "account_suspended")

    token = token_of(make_api())
    seen = standing(make_api, token)
    assert seen["state"] == "suspended"
    assert seen["suspended_until"] is not None
    (strike,) = seen["strikes"]
    assert (strike["kind"], strike["until"]) == ("suspend", seen["suspended_until"])
    filed = with_token(
        make_api, token, "POST", f"/accounts/standing/strikes/{strike['id']}/appeal", json={"text": "Please."}
    )
    assert filed.status_code == 201, filed.text

    # The suspension runs out: the token is void, and the account just logs in.
    await db.execute(
        update(User).where(User.username == "alice").values(suspended_until=utcnow() - timedelta(1))
    )
    await db.commit()
    assert_error(with_token(make_api, token), 401, "invalid_standing_token")
    assert_error(get_token(make_api()), 409, "account_in_good_standing")
    assert log_in(make_api()).status_code == 200


async def test_the_token_needs_the_log_ins_credentials(make_api, db: AsyncSession, alice, bob, carol):
    await enforce(db, "alice", "ban")
    anon = make_api()
    wrong = assert_error(get_token(anon, password="not it"), 401, "invalid_credentials")
    unknown = assert_error(get_token(anon, username="nobody"), 401, "invalid_credentials")
    assert wrong["message"] == unknown["message"]
    assert_error(get_token(anon, username="bob"), 409, "account_in_good_standing")
    assert token_of(anon, "alice@example.com").startswith("vfs_")
    for body in ({}, {"username": "alice"}, {"username": "alice", "password": PASSWORD, "extra": 1}):
        assert anon.post(TOKEN, json=body).status_code == 400
    # Carol's password attempts are limited exactly as her log-ins are.
    await enforce(db, "carol", "ban")
    statuses = [get_token(anon, "carol", password=f"guess {n}").status_code for n in range(12)]
    assert statuses[:10] == [401] * 10
    assert statuses[-1] == 429


async def test_an_account_with_two_factor_needs_its_code(make_api, db: AsyncSession, alice):
    secret, recovery_codes = enable_totp(alice)
    await enforce(db, "alice", "ban")
    anon = make_api()
    assert_error(get_token(anon), 401, "two_factor_required", ["code"])
    assert_error(get_token(anon, code=wrong_code(secret)), 400, "wrong_code", ["code"])
    assert token_of(
        anon, code=code_at(secret, 1)
    )  # the current one was used to turn it on.startswith("vfs_")
    assert token_of(anon, code=recovery_codes[0]).startswith("vfs_")
    assert_error(get_token(anon, code=recovery_codes[0]), 400, "wrong_code")  # each works once


async def test_the_token_works_on_the_standing_routes_only(make_api, db: AsyncSession, alice, bob):
    await banned_alice(make_api, db, alice, bob)
    token = token_of(make_api())
    assert_error(with_token(make_api, token, "GET", "/accounts/me"), 401, "invalid_token")
    assert_error(with_token(make_api, token, "GET", "/feed"), 401, "invalid_token")
    assert_error(with_token(make_api, token, "GET", "/accounts/me/strikes"), 401, "invalid_token")
    posted = with_token(make_api, token, "POST", "/posts", json={"items": [], "caption": "x"})
    assert_error(posted, 401, "invalid_token")
    commented = with_token(make_api, token, "POST", "/users/bob/follow")
    assert_error(commented, 401, "invalid_token")


async def test_sessions_api_tokens_and_forgeries_do_not_work_on_the_standing_routes(
    make_api, db: AsyncSession, bob, settings: Settings
):
    """The standing routes take a standing token only (a session or API token belongs to an account
    in good standing, which has /accounts/me/strikes)."""
    assert_error(bob.get(STANDING), 401, "invalid_standing_token")
    strike_path = "/accounts/standing/strikes/1/appeal"
    assert_error(bob.post(strike_path, json={"text": "x"}), 401, "invalid_standing_token")
    api_token = make_token(bob)["secret"]
    assert_error(with_token(make_api, api_token), 401, "invalid_standing_token")
    assert_error(make_api().get(STANDING), 401, "invalid_standing_token")
    await enforce(db, "bob", "ban")
    user = await account(db, "bob")
    real = issue_standing_token(settings.secret, user).token
    forged = issue_standing_token("another instance's secret", user).token
    expired = issue_standing_token(settings.secret, user, utcnow() - timedelta(minutes=31)).token
    _, expires, signature = real.removeprefix("vfs_").split("_", 2)
    too_large = f"vfs_{2**64}_{expires}_{signature}"  # past a BIGINT: no account, and no database error
    for bad in (forged, expired, real + "x", real.replace("vfs_", "vf_"), "vfs_1_2_3", too_large):
        assert_error(with_token(make_api, bad), 401, "invalid_standing_token")
    assert await standing_account(db, settings.secret, real) is not None
    assert standing(make_api, real)["state"] == "banned"


async def test_a_new_password_or_a_new_sanction_voids_the_token(make_api, db: AsyncSession, alice, settings):
    await enforce(db, "alice", "suspend", utcnow() + timedelta(days=2))
    token = token_of(make_api())
    assert standing(make_api, token)["state"] == "suspended"
    await enforce(db, "alice", "ban")  # a new sanction
    assert_error(with_token(make_api, token), 401, "invalid_standing_token")
    token = token_of(make_api())
    assert standing(make_api, token)["state"] == "banned"
    await db.execute(
        update(User)
        .where(User.username == "alice")
        .values(password_hash=(await account(db, "alice")).password_hash + "x")
    )
    await db.commit()
    assert_error(with_token(make_api, token), 401, "invalid_standing_token")


async def test_a_standing_appeal_follows_the_appeal_rules(make_api, db: AsyncSession, alice, bob, carol):
    await banned_alice(make_api, db, alice, bob)
    await enforce(db, "carol", "ban")
    carols = token_of(make_api(), "carol")
    (strike,) = standing(make_api, token_of(make_api()))["strikes"]
    path = f"/accounts/standing/strikes/{strike['id']}/appeal"
    assert_error(with_token(make_api, carols, "POST", path, json={"text": "mine"}), 404, "not_found")
    alices = token_of(make_api())
    assert with_token(make_api, alices, "POST", path, json={"text": "  "}).status_code == 400
    assert with_token(make_api, alices, "POST", path, json={}).status_code == 400
    bad_id = with_token(
        make_api, alices, "POST", "/accounts/standing/strikes/nope/appeal", json={"text": "x"}
    )
    assert_error(bad_id, 404, "not_found")

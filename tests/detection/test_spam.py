"""Text spam (decision 0062): the model's verdict joins the staff's rules on comments, captions and
profiles; held spam reaches the moderation queue with its score and reason and its author sees why;
thresholds come from settings; without a model the rules alone apply; `viewfinder ml spam-score`.

The model is trained once per checkout and training data (keyed by their hash, under the git-ignored
ml/cache), on SpamAssassin when `make` installed it, else on the social set alone."""

from __future__ import annotations

import fcntl
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import Api
from tests.database import connect
from tests.helpers import assert_error, dedicated_api, make_post
from tests.moderation.enforce import act
from tests.moderation.staff import make_staff
from viewfinder.accounts.models import User
from viewfinder.detection import spam, spam_train
from viewfinder.detection.cli import ml
from viewfinder.detection.spam import NO_SIGNALS, Signals, SpamFilter, Thresholds, combine
from viewfinder.settings import Settings, get_settings

CACHE = Path(__file__).resolve().parents[2] / "ml" / "cache"
SPAM = "Buy real Instagram followers cheap! 10k followers for $9.99 at www.fastfollows.shop 🔥"
HARD_NEGATIVE = "I bought this lens last year, follow the link in my bio for the settings I used"


@pytest.fixture(scope="session")
def spam_model_file() -> Path:
    """The spam model, trained once (a lock keeps parallel workers from training it twice)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    emails = (spam_train.SPAMASSASSIN_DIR / "file_list.json").is_file()
    with (CACHE / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        path = spam_train.train(CACHE, if_missing=True, emails=emails)
        for stale in CACHE.glob("spam-*.joblib"):  # models of earlier data or parameters
            if stale != path:
                stale.unlink(missing_ok=True)
        return path


@pytest.fixture
def settings(settings: Settings, spam_model_file: Path) -> Settings:
    """The test's settings, with the spam model (the `app` fixture's app loads it)."""
    return settings.model_copy(update={"spam_model_path": spam_model_file})


def open_cases(staff: Api) -> dict[tuple[str, str], dict[str, Any]]:
    response = staff.get("/staff/cases", params={"limit": "100"})
    assert response.status_code == 200, response.text
    return {(case["target"], case["target_id"]): case for case in response.json()["items"]}


def comments(api: Api, post_id: str) -> dict[str, dict[str, Any]]:
    response = api.get(f"/posts/{post_id}/comments")
    assert response.status_code == 200, response.text
    return {comment["text"]: comment for comment in response.json()["items"]}


# --- the model and the verdict --------------------------------------------------------------------


def test_obvious_spam_scores_high_and_ordinary_comments_low(settings: Settings) -> None:
    spam_filter = SpamFilter(settings)
    for text in (SPAM, "Instagram Abos kaufen, 1000 echte Follower für 4,99 € - Link in Bio"):
        verdict = spam_filter.score_text(text)
        assert verdict is not None
        assert verdict.outcome == "hold", (text, verdict)
    for text in (HARD_NEGATIVE, "Congrats on the giveaway win, see you at the collab shoot!", "lovely light"):
        verdict = spam_filter.score_text(text)
        assert verdict is not None
        assert verdict.outcome == "allow", (text, verdict)


@pytest.mark.parametrize(
    ("changes", "outcome"),
    [
        ({}, "hold"),
        ({"spam_hold_threshold": 1.01}, "flag"),
        ({"spam_hold_threshold": 1.01, "spam_flag_threshold": 1.01}, "allow"),
        ({"spam_refuse_threshold": 0.5}, "block"),
    ],
)
def test_thresholds_come_from_settings(settings: Settings, changes: dict[str, float], outcome: str) -> None:
    verdict = SpamFilter(settings.model_copy(update=changes)).score_text(SPAM)
    assert verdict is not None
    assert verdict.outcome == outcome


def test_behaviour_bumps_the_score_with_a_reason_of_its_own() -> None:
    thresholds = Thresholds(flag=0.6, hold=0.8, refuse=1.01)
    text = "check my page www.example-shop.com"
    alone = combine(0.5, "a quiet morning at the harbour", NO_SIGNALS, thresholds)
    assert (alone.score, alone.outcome, alone.reasons) == (0.5, "allow", ("text model 0.50",))
    busy = combine(0.5, text, Signals(duplicates=2, recent_comments=12, new_account=True), thresholds)
    assert busy.score == 1.0
    assert busy.outcome == "hold"
    assert busy.reasons[1:] == (
        "same text 3 times in a day",
        "12 comments in 10 minutes",
        "1 link in few words",
        "new account",
    )
    # An ordinary text with a link from a new account is not pushed: links and age count only
    # where the model already leans to spam.
    assert combine(0.1, text, Signals(new_account=True), thresholds).score == 0.1


def test_an_email_is_reduced_to_its_subject_and_body_text() -> None:
    raw = (
        "From someone@example.com  Thu Aug 22 13:17:22 2002\n"
        "Received: from relay.example.com\nSubject: Cheap meds\n"
        "Content-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n"
        "<html><style>p {color: red}</style><p>Buy =3D now&amp;save</p></html>\n"
    )
    assert spam_train.email_text(raw) == "Cheap meds Buy = now&save"


def test_evaluate_reports_the_model_next_to_a_baseline() -> None:
    result = spam_train.evaluate(emails=False)  # the social set alone: a second or two
    social = result["held_out"]["social"]
    assert set(social) == {"model", "baseline"}
    assert set(social["model"]) == {"0.5", "flag", "hold"}
    assert {"precision", "recall", "f1"} <= set(social["baseline"])
    assert result["ms_per_comment"]["p99"] > 0
    json.dumps(result)  # bench/detection.py prints it as JSON


# --- where it applies ----------------------------------------------------------------------------


async def test_spam_comment_is_held_queued_with_its_score_and_shown_to_its_author_as_pending(
    make_api, db: AsyncSession, settings: Settings, alice: Api, bob: Api, carol: Api
) -> None:
    admin = await make_staff(make_api, db, "ada", "admin")
    post = make_post(alice, "my cat")

    created = bob.post(f"/posts/{post['id']}/comments", json={"text": SPAM})
    assert created.status_code == 201, created.text
    assert (created.json()["held"], created.json()["held_reason"]) == (True, "spam")
    comment_id = created.json()["id"]
    fine = carol.post(f"/posts/{post['id']}/comments", json={"text": HARD_NEGATIVE})
    assert fine.status_code == 201, fine.text
    assert (fine.json()["held"], fine.json()["held_reason"]) == (False, None)

    mine = comments(bob, post["id"])
    assert (mine[SPAM]["held"], mine[SPAM]["held_reason"]) == (True, "spam")
    assert mine[HARD_NEGATIVE]["held_reason"] is None
    assert list(comments(carol, post["id"])) == [HARD_NEGATIVE]
    assert list(comments(alice, post["id"])) == [HARD_NEGATIVE]
    with connect(settings) as rows:
        stored = rows.execute("SELECT moderation, held_reason FROM comments WHERE id = ?", int(comment_id))
        assert stored == [("held", "spam")]

    case = open_cases(admin)[("comment", comment_id)]
    assert case["automated_score"] >= settings.spam_hold_threshold
    assert ("comment", fine.json()["id"]) not in open_cases(admin)
    flagged = admin.get("/staff/audit", params={"action": "case.flagged", "target_id": case["id"]}).json()
    assert "spam score" in flagged["items"][0]["reason"]
    assert "text model" in flagged["items"][0]["reason"]


async def test_the_gravest_of_rules_and_spam_wins_and_both_reasons_reach_the_case(
    make_api, db: AsyncSession, alice: Api, bob: Api
) -> None:
    admin = await make_staff(make_api, db, "ada", "admin")
    assert (
        admin.post(
            "/staff/rules", json={"kind": "keyword", "pattern": "fastfollows", "action": "flag"}
        ).status_code
        == 201
    )
    post = make_post(alice, "sunset")
    created = bob.post(f"/posts/{post['id']}/comments", json={"text": SPAM})
    assert created.json()["held_reason"] == "spam"  # the model's hold beats the rule's flag
    case = open_cases(admin)[("comment", created.json()["id"])]
    flagged = admin.get("/staff/audit", params={"action": "case.flagged", "target_id": case["id"]}).json()
    assert "fastfollows" in flagged["items"][0]["reason"]
    assert "spam score" in flagged["items"][0]["reason"]


def test_spam_captions_are_held_and_spam_bios_refused(alice: Api, bob: Api) -> None:
    post = make_post(alice, SPAM)
    assert bob.get(f"/posts/{post['id']}").status_code == 404
    assert alice.get(f"/posts/{post['id']}").status_code == 200
    ordinary = make_post(alice, HARD_NEGATIVE)
    assert bob.get(f"/posts/{ordinary['id']}").status_code == 200

    # A profile cannot wait for review, so a hold refuses it (as a hold rule does).
    refused = bob.patch("/accounts/me", json={"bio": SPAM})
    assert_error(refused, 422, "content_blocked", ("bio",))
    assert bob.patch("/accounts/me", json={"bio": "Street photographer in Lisbon"}).status_code == 200


def test_a_refuse_threshold_refuses_the_write(settings: Settings, alice: Api) -> None:
    post = make_post(alice, "my cat")
    with dedicated_api(settings, spam_refuse_threshold=0.5) as api:
        api.signup("dora")
        refused = api.post(f"/posts/{post['id']}/comments", json={"text": SPAM})
        assert_error(refused, 422, "content_blocked", ("text",))
        assert api.post(f"/posts/{post['id']}/comments", json={"text": "nice"}).status_code == 201


async def test_the_same_text_again_and_again_is_spam_sooner(
    settings: Settings, db: AsyncSession, alice: Api, bob: Api
) -> None:
    text = "nice, visit my page for more"
    bob_user = await db.scalar(select(User).where(User.username == "bob"))
    assert bob_user is not None
    spam_filter = SpamFilter(settings)
    first = await spam_filter.judge(db, {"text": text}, bob_user)
    assert first is not None
    assert not any("same text" in reason for reason in first.reasons)
    for n in range(2):
        post = make_post(alice, f"photo {n}")
        assert bob.post(f"/posts/{post['id']}/comments", json={"text": text}).status_code == 201
    third = await spam_filter.judge(db, {"text": text}, bob_user)
    assert third is not None
    assert "same text 3 times in a day" in third.reasons
    assert third.score == pytest.approx(min(1.0, first.score + spam.BUMPS["duplicate"]))


async def test_a_restricted_accounts_held_comment_says_so_unless_it_is_spam(
    db: AsyncSession, alice: Api, carol: Api
) -> None:
    post = make_post(alice, "my boat")
    await act(db, "carol", "restrict")
    ordinary = carol.post(f"/posts/{post['id']}/comments", json={"text": "Nice boat"})
    assert (ordinary.json()["held"], ordinary.json()["held_reason"]) == (True, "restricted")
    spammy = carol.post(f"/posts/{post['id']}/comments", json={"text": SPAM})
    assert (spammy.json()["held"], spammy.json()["held_reason"]) == (True, "spam")
    assert {c["held_reason"] for c in comments(carol, post["id"]).values()} == {"restricted", "spam"}


def test_the_app_loads_the_model_at_start_up(settings: Settings) -> None:
    spam._models.clear()
    spam.configure(settings)
    spam.warm()
    assert settings.spam_model_path in spam._models
    assert spam._models[settings.spam_model_path] is not None


# --- without a model -------------------------------------------------------------------------------


def test_without_a_model_the_rules_alone_apply(settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    plain = settings.model_copy(update={"spam_model_path": None})
    spam._models.clear()
    with caplog.at_level(logging.WARNING, logger="viewfinder.detection.spam"):
        spam_filter = SpamFilter(plain)
        assert spam_filter.score_text(SPAM) is None
        assert spam_filter.score_text(SPAM) is None
    assert [r.message for r in caplog.records].count(caplog.records[0].message) == 1
    assert "rules alone" in caplog.records[0].message

    with dedicated_api(plain) as api:
        alice = api.signup("alice")
        post = make_post(alice, "my cat")
        created = alice.post(f"/posts/{post['id']}/comments", json={"text": SPAM})
        assert created.status_code == 201, created.text
        assert (created.json()["held"], created.json()["held_reason"]) == (False, None)


async def test_without_a_model_a_rule_still_holds_and_says_so(
    settings: Settings, make_api, db: AsyncSession, alice: Api, bob: Api
) -> None:
    spam.configure(settings.model_copy(update={"spam_model_path": None}))  # this process: no model
    admin = await make_staff(make_api, db, "ada", "admin")
    rule = {"kind": "keyword", "pattern": "followers", "action": "hold"}
    assert admin.post("/staff/rules", json=rule).status_code == 201
    post = make_post(alice, "my cat")
    created = bob.post(f"/posts/{post['id']}/comments", json={"text": SPAM})
    assert (created.json()["held"], created.json()["held_reason"]) == (True, "rules")
    case = open_cases(admin)[("comment", created.json()["id"])]
    assert case["automated_score"] == pytest.approx(0.8)
    flagged = admin.get("/staff/audit", params={"action": "case.flagged", "target_id": case["id"]}).json()
    assert "spam score" not in flagged["items"][0]["reason"]


# --- the command line ------------------------------------------------------------------------------


@pytest.fixture
def fresh_settings() -> Iterator[None]:
    """The command reads the environment through get_settings (cached per process): read it anew."""
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_spam_score_prints_one_json_line_per_text(
    spam_model_file: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fresh_settings: None
) -> None:
    monkeypatch.setenv("VIEWFINDER_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("VIEWFINDER_SPAM_MODEL_PATH", str(spam_model_file))
    result = CliRunner().invoke(ml, ["spam-score"], input=f"{SPAM}\n{HARD_NEGATIVE}\n")
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [line["verdict"] for line in lines] == ["hold", "allow"]
    assert lines[0]["score"] > lines[1]["score"]
    assert lines[0]["reasons"][0].startswith("text model")


def test_spam_score_without_a_model_says_how_to_make_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fresh_settings: None
) -> None:
    monkeypatch.setenv("VIEWFINDER_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("VIEWFINDER_SPAM_MODEL_PATH", raising=False)
    result = CliRunner().invoke(ml, ["spam-score"], input="hello\n")
    assert result.exit_code != 0
    assert "train-spam" in result.output

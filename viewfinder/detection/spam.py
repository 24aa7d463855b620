"""Text spam: a score in [0, 1] and its reasons for each caption, comment, display name and bio, turned
into allow, flag, hold or refuse by the instance's thresholds (decision 0062). `viewfinder.screening`
calls it on every write of people's text and combines its verdict with the staff's rules (the gravest
wins); a flag or hold reaches the moderation queue with the score and the reasons.

**The model** (trained by `viewfinder.detection.spam_train`, `viewfinder ml train-spam`) reads
character n-grams of the folded text: they carry across languages and spellings ("abonnés",
"abone", "подписчики") and survive the tricks spammers play with words. Its file lives in
`<data_dir>/models/spam-<data hash>.joblib` (or `spam_model_path`); each process loads it once, keyed
by its path: the web app at start-up (`warm`), other processes on the first text they judge. With no
model file the platform works as before, on the staff's rules alone, and says so once in the log.

**Behaviour** counts where it is strong, as transparent bumps added to the model's probability (each
one a reason of its own), computed from the database at write time for the writing account:

- the same text from the account for the third time in a day (`DUPLICATE_MIN` earlier copies among
  its comments and captions): +0.25. Copy-pasted comments across posts are the commonest spam of all;
- a burst: `BURST_MIN` or more comments in the last `BURST_MINUTES` minutes: +0.15 (these two are
  counted for comments and captions, not profiles);
- links: two or more addresses, or an address in a text of few words: +0.10, only where the model
  already leans to spam (probability ≥ `LEAN`), since people share links;
- a new account (younger than `new_account_days`): +0.10, only where the model leans to spam.

The score is the probability plus the bumps, at most 1. The bumps are small next to the thresholds on
purpose: they push a doubtful text over the line, they cannot make an ordinary one spam (but for the
duplicate bump, which needs the very same text three times).

**Verdict**: score ≥ `spam_refuse_threshold` refuses the write (422, like a blocking rule), ≥
`spam_hold_threshold` holds it for review (seen by its author alone, with the reason "spam"), ≥
`spam_flag_threshold` publishes it and opens a case. The defaults favour precision: a false positive
silences a real person, a missed spam is still one report away from the queue.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from viewfinder.accounts.models import User
from viewfinder.core.db import utcnow
from viewfinder.core.links import count_links
from viewfinder.detection.thresholds import InForce, in_force
from viewfinder.engagement.models import Comment
from viewfinder.posts.models import Post
from viewfinder.settings import Settings

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

log = logging.getLogger(__name__)

Outcome = Literal["allow", "flag", "hold", "block"]
MODEL_FORMAT: Final = 1
"""The model file's format: a file of another format is not loaded."""
SPAM_FIELDS: Final = frozenset({"text", "caption", "display_name", "bio"})
"""The fields of a write the model judges (comments' text, captions, profiles)."""
REPEATED_FIELDS: Final = frozenset({"text", "caption"})
"""The fields whose copies and bursts are counted (a profile is written once, not on many posts)."""
DUPLICATE_MIN: Final = 2
"""Earlier copies of the same text in a day that make it a duplicate (this one is the third)."""
BURST_MIN: Final = 10
BURST_MINUTES: Final = 10
LEAN: Final = 0.3
BUMPS: Final[dict[str, float]] = {"duplicate": 0.25, "burst": 0.15, "links": 0.10, "new_account": 0.10}

_URL = re.compile(r"(?:https?://|www\.)([^\s/?#]+)[^\s]*", re.IGNORECASE)


def normalise(text: str) -> str:
    """Text as the model reads it: NFKC-normalised, case-folded, each address reduced to "url"
    and its host (the path is noise, the host is not), whitespace collapsed."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    folded = _URL.sub(lambda match: f" url {match.group(1)} ", folded)
    return " ".join(folded.split())


class SpamModel:
    """A fitted pipeline (features and classifier) and the probability of spam it gives a text."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self.spam_column = list(pipeline.classes_).index(True)

    @classmethod
    def load(cls, path: Path) -> SpamModel:
        import joblib

        stored = joblib.load(path)
        if not isinstance(stored, dict) or stored.get("format") != MODEL_FORMAT:
            raise ValueError(f"{path} is not a spam model of format {MODEL_FORMAT}; retrain it.")
        return cls(stored["pipeline"])

    def probabilities(self, texts: list[str]) -> list[float]:
        if not texts:
            return []
        return [float(p) for p in self.pipeline.predict_proba(texts)[:, self.spam_column]]

    def probability(self, text: str) -> float:
        return self.probabilities([text])[0]


# --- the verdict --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Thresholds:
    flag: float
    hold: float
    refuse: float

    @classmethod
    def of(cls, source: Settings | InForce) -> Thresholds:
        """From the settings, or from the thresholds in force (admins change them while it runs)."""
        return cls(source.spam_flag_threshold, source.spam_hold_threshold, source.spam_refuse_threshold)

    def outcome(self, score: float) -> Outcome:
        if score >= self.refuse:
            return "block"
        if score >= self.hold:
            return "hold"
        if score >= self.flag:
            return "flag"
        return "allow"


@dataclass(frozen=True)
class Signals:
    """What the database says about the writing account at the time of the write."""

    duplicates: int = 0
    """Earlier copies of the same text by the account in the last day."""
    recent_comments: int = 0
    """Comments by the account in the last BURST_MINUTES minutes."""
    new_account: bool = False


NO_SIGNALS: Final = Signals()


@dataclass(frozen=True)
class SpamVerdict:
    score: float
    outcome: Outcome
    reasons: tuple[str, ...]
    field: str = ""
    """The field that scored highest."""

    def describe(self) -> str:
        where = f" in {self.field}" if self.field else ""
        return f"spam score {self.score:.2f}{where}: " + ", ".join(self.reasons)

    def as_json(self) -> dict[str, Any]:
        verdict = {"block": "refuse"}.get(self.outcome, self.outcome)
        return {"score": round(self.score, 4), "verdict": verdict, "reasons": list(self.reasons)}


def combine(probability: float, text: str, signals: Signals, thresholds: Thresholds) -> SpamVerdict:
    """The score (the model's probability plus the behavioural bumps, at most 1), its reasons and
    the outcome the thresholds give it."""
    reasons = [f"text model {probability:.2f}"]
    score = probability
    if signals.duplicates >= DUPLICATE_MIN:
        score += BUMPS["duplicate"]
        reasons.append(f"same text {signals.duplicates + 1} times in a day")
    if signals.recent_comments >= BURST_MIN:
        score += BUMPS["burst"]
        reasons.append(f"{signals.recent_comments} comments in {BURST_MINUTES} minutes")
    if probability >= LEAN:
        links = count_links(text)
        if links >= 2 or (links and len(text.split()) <= 6):
            score += BUMPS["links"]
            reasons.append(f"{links} link{'s' if links > 1 else ''} in few words")
        if signals.new_account:
            score += BUMPS["new_account"]
            reasons.append("new account")
    score = min(1.0, score)
    return SpamVerdict(score, thresholds.outcome(score), tuple(reasons))


async def signals_of(
    db: AsyncSession, author: User, text: str, settings: Settings, *, queries: bool = True
) -> Signals:
    """The account's behaviour around this write: copies of the text in the last day and comments in
    the last minutes (one statement of three small indexed counts, left out without `queries`), and
    whether the account is new."""
    now = utcnow()
    days = settings.new_account_days
    new_account = days > 0 and author.created_at > now - timedelta(days=days)
    if not queries:
        return Signals(new_account=new_account)
    day = now - timedelta(days=1)
    copies, captions, burst = (
        await db.execute(
            select(
                select(func.count())
                .where(Comment.author_id == author.id, Comment.created_at > day, Comment.text == text)
                .scalar_subquery(),
                select(func.count())
                .where(Post.author_id == author.id, Post.created_at > day, Post.caption == text)
                .scalar_subquery(),
                select(func.count())
                .where(
                    Comment.author_id == author.id,
                    Comment.created_at > now - timedelta(minutes=BURST_MINUTES),
                )
                .scalar_subquery(),
            )
        )
    ).one()
    return Signals(
        duplicates=int(copies or 0) + int(captions or 0),
        recent_comments=int(burst or 0),
        new_account=new_account,
    )


# --- the process's filter -----------------------------------------------------------------------------


_models: dict[Path, SpamModel | None] = {}
"""Loaded models by path (None: the file could not be loaded), so each process loads one once."""


def model_path(settings: Settings) -> Path | None:
    """The model the settings name (`spam_model_path`), or the newest under data_dir/models."""
    if settings.spam_model_path is not None:
        return settings.spam_model_path
    found = sorted((settings.data_dir / "models").glob("spam-*.joblib"), key=lambda p: p.stat().st_mtime)
    return found[-1] if found else None


def load_model(path: Path | None) -> SpamModel | None:
    if path is None:
        return None
    if path not in _models:
        try:
            _models[path] = SpamModel.load(path)
        except (OSError, ValueError, KeyError) as error:
            log.warning("spam model %s not loaded (%s): text is screened by the rules alone", path, error)
            _models[path] = None
    return _models[path]


class SpamFilter:
    """The model of one process (loaded on first use); `judge` applies the thresholds in force
    (viewfinder.detection.thresholds), `score_text` the settings'."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.thresholds = Thresholds.of(settings)
        self.enabled = settings.spam_enabled
        self._path: Path | None = None
        self._resolved = False

    @property
    def model(self) -> SpamModel | None:
        if not self.enabled:
            return None
        if not self._resolved:
            self._resolved = True
            self._path = model_path(self.settings)
            if self._path is None:
                log.warning(
                    "no spam model under %s (run `viewfinder ml train-spam`): text is screened by "
                    "the rules alone",
                    self.settings.data_dir / "models",
                )
        return load_model(self._path)

    def score_text(self, text: str, signals: Signals = NO_SIGNALS) -> SpamVerdict | None:
        """The verdict on one text at the settings' thresholds, or None without a model."""
        model = self.model
        if model is None:
            return None
        return combine(model.probability(text), text, signals, self.thresholds)

    async def judge(self, db: AsyncSession, texts: dict[str, str], author: User | None) -> SpamVerdict | None:
        """The gravest verdict over the write's spam-judged fields (None without a model or text)."""
        model = self.model
        fields = [(name, text) for name, text in texts.items() if name in SPAM_FIELDS and text.strip()]
        if model is None or not fields:
            return None
        cuts = Thresholds.of(await in_force(db, self.settings))
        worst: SpamVerdict | None = None
        for (name, text), probability in zip(
            fields, model.probabilities([text for _, text in fields]), strict=True
        ):
            signals = NO_SIGNALS
            if author is not None:
                signals = await signals_of(db, author, text, self.settings, queries=name in REPEATED_FIELDS)
            verdict = combine(probability, text, signals, cuts)
            if worst is None or verdict.score > worst.score:
                worst = SpamVerdict(verdict.score, verdict.outcome, verdict.reasons, name)
        return worst


_installed: SpamFilter | None = None


def configure(settings: Settings) -> None:
    """Make this the process's filter (viewfinder.wiring, at start-up); the model loads on first use."""
    global _installed
    _installed = SpamFilter(settings)


def installed() -> SpamFilter | None:
    """The process's filter, or None before `configure` (services called outside an app or CLI)."""
    return _installed


def warm() -> None:
    """Load the process's model now (the app's start-up, before it freezes its objects), so that the
    first comment does not wait for it; nothing without a filter or a model."""
    if _installed is not None:
        _installed.model  # noqa: B018 (loading is the point)

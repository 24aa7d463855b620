"""`viewfinder ml ...`: train, evaluate and try the detection models. Each `evaluate-*` command
prints its figures next to a simple baseline measured in the same run."""

from __future__ import annotations

from typing import TYPE_CHECKING, TextIO

import click

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def ml() -> None:
    """Detection models: train, evaluate, try them on your own examples."""


# --- text spam (viewfinder.detection.spam) --------------------------------------------------------


@ml.command("train-spam")
@click.option("--if-missing", is_flag=True, help="Keep a model of the same data and parameters.")
def train_spam(if_missing: bool) -> None:
    """Train the spam model on SpamAssassin (ml/node_modules) and tests/data/social_spam.tsv, less
    their held-out splits, into <data_dir>/models/spam-<data hash>.joblib (reproducible)."""
    import time

    from viewfinder.detection import spam_train
    from viewfinder.settings import get_settings

    started = time.perf_counter()
    try:
        path = spam_train.train(get_settings().data_dir / "models", if_missing=if_missing)
    except spam_train.DataMissing as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Spam model: {path} ({time.perf_counter() - started:.1f} s)")


@ml.command("evaluate-spam")
@click.option("--threshold", type=float, help="Count this score as spam [default: 0.5, flag, hold].")
def evaluate_spam(threshold: float | None) -> None:
    """Train on the training splits, then print precision, recall and F1 on the held-out SpamAssassin
    and social splits, and ms per comment, next to naive Bayes on words, as one JSON object."""
    import json

    from viewfinder.detection import spam_train

    try:
        result = spam_train.evaluate(threshold)
    except spam_train.DataMissing as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(json.dumps(result, indent=2))


@ml.command("spam-score")
def spam_score() -> None:
    """Read texts one per line on standard input; print one JSON object per line: the spam score,
    the verdict the settings' thresholds give it (allow, flag, hold, refuse) and its reasons. The
    model alone: no account behaviour, no staff rules, no thresholds changed on the staff pages."""
    import json
    import sys

    from viewfinder.detection.spam import SpamFilter
    from viewfinder.settings import get_settings

    spam_filter = SpamFilter(get_settings())
    if spam_filter.model is None:
        raise click.ClickException("No spam model: run `viewfinder ml train-spam` first.")
    for line in sys.stdin:
        text = line.rstrip("\n")
        verdict = spam_filter.score_text(text)
        assert verdict is not None
        click.echo(json.dumps(verdict.as_json(), ensure_ascii=False))


# --- known-bad media (viewfinder.detection.pdq) ---------------------------------------------------


@ml.command("evaluate-pdq")
@click.option("--photos", default=40, show_default=True, help="Listed photos, each copied 6 ways.")
@click.option("--distinct", default=3000, show_default=True, help="Distinct photos for the false-match rate.")
@click.option("--hashes", default=1_000_000, show_default=True, help="Random hashes in the lookup index.")
def evaluate_pdq(photos: int, distinct: int, hashes: int) -> None:
    """Print PDQ's recall of transformed copies, its false-match rate and its lookup latency, next
    to exact SHA-256 matching, as one JSON object."""
    import json

    from viewfinder.detection.pdq_eval import evaluate

    click.echo(json.dumps(evaluate(photos=photos, distinct=distinct, hashes=hashes), indent=2))


@ml.command("import-hashes")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@click.option("--source", default=None, help="The list's name (default: the file's name).")
def import_hashes(file: TextIO, source: str | None) -> None:
    """Import a known-bad hash list in ThreatExchange's CSV layout (hash, quality, label), all or
    nothing; hashes already listed are skipped. Audited as hashes.imported by the operator."""
    from pathlib import Path

    from viewfinder.core import ids
    from viewfinder.core.errors import ApiError
    from viewfinder.core.jobs import run_with_db
    from viewfinder.detection import pdq
    from viewfinder.detection.thresholds import in_force
    from viewfinder.models import load_models
    from viewfinder.settings import ConfigurationError, get_settings

    load_models()  # the list's table refers to users: every table must be known
    try:
        settings = get_settings()
        settings.check()
    except ConfigurationError as exc:
        raise click.ClickException(str(exc)) from exc
    ids.configure_for_process(settings.id_shard_lock_dir, settings.shard_id)  # ids no other process makes
    text = file.read()
    name = source or Path(file.name).name

    async def work(db: AsyncSession) -> tuple[int, pdq.ImportResult]:
        min_quality = (await in_force(db, settings)).pdq_min_quality
        return min_quality, await pdq.import_hashes(
            db, text, source=name, actor_id=None, min_quality=min_quality
        )

    try:
        min_quality, result = run_with_db(work)
    except ApiError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(
        f"Imported {result.added} hashes from {name} ({result.already_listed} already listed, "
        f"{result.below_quality} below quality {min_quality}: kept, never matched)."
    )


# --- nudity (viewfinder.detection.nsfw) -----------------------------------------------------------


@ml.command("evaluate-nsfw")
@click.option("--demo-photos", default=100, show_default=True, help="The demo's generated photos to score.")
def evaluate_nsfw(demo_photos: int) -> None:
    """Print the share of ordinary photos (the demo's, and scikit-image's samples when it is
    installed) that open_nsfw would hold or mark sensitive at the settings' thresholds, and its
    latency per photo, next to a skin-colour-ratio rule, as one JSON object."""
    import json

    from viewfinder.detection.nsfw import evaluate

    click.echo(json.dumps(evaluate(demo_photos=demo_photos), indent=2))

